"""Identifier keys: normalised, prefixed by kind and sorted; unknown forms kept as given."""
from dedup import identifier_keys


def test_identifier_keys_are_normalised_and_sorted():
    keys = identifier_keys({"doi": "https://doi.org/10.1016/S0140-6736(03)13077-2", "pmcid": "7112410",
                            "pubmed_id": "12711465.0", "who_covidence_id": "72306", "arxiv_id": "2004.10706v2",
                            "mag_id": None, "s2_id": "123"})
    assert keys == ["arxiv_id:2004.10706", "doi:10.1016/s0140-6736(03)13077-2", "pmcid:PMC7112410",
                    "pubmed_id:12711465", "who_covidence_id:#72306"]


def test_identifiers_the_normaliser_does_not_know_are_kept_as_given():
    assert identifier_keys({"who_covidence_id": "#covidwho-1576239", "doi": " 10.1/WARD ", "pmcid": ""}) == [
        "doi:10.1/ward", "who_covidence_id:#covidwho-1576239"]
