"""schemas.identifiers: the normal forms of DOIs, PMCIDs, PMIDs, arXiv and Covidence ids."""
import pytest

from schemas.identifiers import (
    normalize_arxiv_id,
    normalize_covidence_id,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("https://doi.org/10.1016/J.JDS.2020.02.002", "10.1016/j.jds.2020.02.002"),
        ("http://dx.doi.org/10.1103%2FPhysRevB.85.115117", "10.1103/physrevb.85.115117"),
        ("doi:10.1101/000109", "10.1101/000109"),
        ("doi:https://doi.org/10.2807/1560-7917.ES.2019.24.48.1900244", "10.2807/1560-7917.es.2019.24.48.1900244"),
        (" 10.1002/jmv.25767 ", "10.1002/jmv.25767"),
        ("not a doi", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_doi(raw, expected):
    assert normalize_doi(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("PMC7112410", "PMC7112410"), ("pmc7112410.1", "PMC7112410"), ("7112410", "PMC7112410"),
     (7112410, "PMC7112410"), ("PMCabc", None), ("0", None), (None, None)],
)
def test_normalize_pmcid(raw, expected):
    assert normalize_pmcid(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("12781535", "12781535"), ("12781535.0", "12781535"), ("PMID: 123", "123"), (42, "42"),
     ("abc", None), ("", None)],
)
def test_normalize_pmid(raw, expected):
    assert normalize_pmid(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("1111.2011v2", "1111.2011"), ("http://arxiv.org/abs/2202.12139v1", "2202.12139"),
     ("arXiv:2004.10706", "2004.10706"), ("hep-th/9901001v3", "hep-th/9901001"),
     ("https://arxiv.org/pdf/2405.13786v1", "2405.13786"),
     ("https://arxiv.org/api/errors#incorrect_id_format_for_abc", None)],
)
def test_normalize_arxiv_id(raw, expected):
    assert normalize_arxiv_id(raw) == expected


@pytest.mark.parametrize("raw, expected", [("#8973", "#8973"), ("8973", "#8973"), (8973, "#8973"), ("x", None)])
def test_normalize_covidence_id(raw, expected):
    assert normalize_covidence_id(raw) == expected
