"""Clustering: CORD-19's FAQ cases, identifier conflicts, fuzzy matching, determinism."""
import itertools
import json
import random

import pytest

from dedup import cluster_records, harmonize_cluster
from dedup.blocking import MAX_BLOCK_SIZE
from dedup.errors import InvalidRecordError


def record(source, source_id, title, ids=None, authors=(), publish_time="2020", **extra):
    """A source record; authors given as (first, last) pairs."""
    base = {
        "source": source,
        "source_id": source_id,
        "ids": {"doi": None, "pmcid": None, "pubmed_id": None, "arxiv_id": None,
                "who_covidence_id": None, "mag_id": None, "s2_id": None, **(ids or {})},
        "title": title,
        "abstract": "",
        "authors": [{"first": first, "middle": [], "last": last, "suffix": ""} for first, last in authors],
        "publish_time": publish_time,
        "journal": "",
        "license": "unk",
        "urls": [],
        "documents": [],
    }
    base.update(extra)
    return base


def membership(result) -> list[list[str]]:
    return [[f"{m['source']}:{m['source_id']}" for m in c.members] for c in result.clusters]


AUTHORS = [("Nanshan", "Zhong"), ("Kwok-Yung", "Yuen"), ("Malik", "Peiris")]
TITLE = "Coronavirus as a possible cause of severe acute respiratory syndrome"


def test_same_paper_from_pmc_medline_and_who():
    records = [
        record("PMC", "PMC7112410", TITLE, {"pmcid": "PMC7112410", "pubmed_id": "12711465",
                                             "doi": "10.1016/s0140-6736(03)13077-2"}, AUTHORS, "2003-04-19"),
        record("Medline", "12711465", TITLE + ".", {"pubmed_id": "12711465",
                                                    "doi": "10.1016/S0140-6736(03)13077-2"}, AUTHORS, "2003-04-19"),
        # WHO with its own id and the DOI: joined by identifier
        record("WHO", "#1001", TITLE.upper(), {"who_covidence_id": "#1001",
                                               "doi": "10.1016/s0140-6736(03)13077-2"}, AUTHORS, "2003"),
    ]
    result = cluster_records(records)
    assert membership(result) == [["Medline:12711465", "PMC:PMC7112410", "WHO:#1001"]]
    assert result.clusters[0].how == "ids"
    assert result.clusters[0].keys == ["doi:10.1016/s0140-6736(03)13077-2", "pmcid:PMC7112410",
                                       "pubmed_id:12711465", "who_covidence_id:#1001"]


def test_who_row_without_ids_matches_by_title_and_authors():
    records = [
        record("Medline", "32007143", "Clinical features of patients infected with 2019 novel coronavirus in Wuhan, China",
               {"pubmed_id": "32007143", "doi": "10.1016/s0140-6736(20)30183-5"},
               [("Chaolin", "Huang"), ("Yeming", "Wang"), ("Xingwang", "Li")], "2020-01-24"),
        record("WHO", "#8973", "Clinical features of patients infected with 2019 novel coronavirus in Wuhan,China.",
               {"who_covidence_id": "#8973"}, [("C.", "Huang"), ("Y.", "Wang"), ("X.", "Li")], "2020"),
    ]
    result = cluster_records(records)
    assert membership(result) == [["Medline:32007143", "WHO:#8973"]]
    assert result.clusters[0].how == "fuzzy"
    merges = [e for e in result.report if e["kind"] == "fuzzy_merge"]
    assert merges == [{"kind": "fuzzy_merge", "records": ["Medline:32007143", "WHO:#8973"],
                       "title_score": merges[0]["title_score"], "author_score": 1.0, "year_gap": 0,
                       "journal_agreement": 0, "rule": "title+authors"}]
    assert 95 <= merges[0]["title_score"] <= 100


def test_two_dois_sharing_one_pdf_stay_apart_and_both_rows_list_the_sha():
    pdf = {"type": "pdf", "url": "https://example.org/letters.pdf"}
    records = [
        record("Elsevier", "10.1016/j.x.2020.1", "Reply to the letter on hydroxychloroquine and azithromycin",
               {"doi": "10.1016/j.x.2020.1"}, [("Didier", "Raoult")], documents=[pdf]),
        record("Elsevier", "10.1016/j.x.2020.2", "Reply to the letter on hydroxychloroquine and azithromycin.",
               {"doi": "10.1016/j.x.2020.2"}, [("Didier", "Raoult")], documents=[pdf]),
    ]
    result = cluster_records(records)
    assert len(result.clusters) == 2
    refused = [e for e in result.report if e["kind"] == "fuzzy_conflict"]
    assert len(refused) == 1 and refused[0]["fields"] == ["doi"]
    sha = "a" * 40
    docs = [{"type": "pdf", "sha1": sha, "json_path": f"document_parses/pdf_json/{sha}.json"}]
    rows = [harmonize_cluster(c, uid, docs) for c, uid in zip(result.clusters, ["aaaaaaa1", "aaaaaaa2"])]
    assert [row["sha"] for row in rows] == [sha, sha]
    assert [row["doi"] for row in rows] == ["10.1016/j.x.2020.1", "10.1016/j.x.2020.2"]


def test_conflicting_pmids_stay_apart_and_are_reported():
    records = [
        record("Medline", "111", "Outbreak of pneumonia of unknown etiology in Wuhan",
               {"doi": "10.1000/shared", "pubmed_id": "111"}, AUTHORS),
        record("PMC", "PMC9", "Outbreak of pneumonia of unknown etiology in Wuhan",
               {"doi": "10.1000/shared", "pubmed_id": "222", "pmcid": "PMC9"}, AUTHORS),
    ]
    result = cluster_records(records)
    assert membership(result) == [["Medline:111"], ["PMC:PMC9"]]
    conflicts = [e for e in result.report if e["kind"] == "id_conflict"]
    assert conflicts == [{"kind": "id_conflict", "key": "doi:10.1000/shared", "record": "PMC:PMC9",
                          "kept_apart_from": ["Medline:111"], "fields": ["pubmed_id"]}]
    # the identical titles do not bring them together either
    assert [e["kind"] for e in result.report if e["kind"].startswith("fuzzy")] == ["fuzzy_conflict"]


def test_third_record_joins_the_group_it_does_not_conflict_with():
    records = [
        record("Medline", "1", "A", {"doi": "10.1000/x", "pubmed_id": "1"}),
        record("Medline", "2", "B", {"doi": "10.1000/x", "pubmed_id": "2"}),
        record("WHO", "#3", "C", {"doi": "10.1000/x", "who_covidence_id": "#3"}),
        record("PMC", "PMC4", "D", {"pmcid": "PMC4", "pubmed_id": "2"}),
    ]
    assert membership(cluster_records(records)) == [["Medline:1", "WHO:#3"], ["Medline:2", "PMC:PMC4"]]


@pytest.mark.parametrize("title", ["Editorial", "Introduction", "Correction", "COVID-19", "Letter to the Editor"])
def test_generic_titles_are_never_fuzzy_merged(title):
    records = [record("WHO", f"#{n}", title, {"who_covidence_id": f"#{n}"}, AUTHORS[:1]) for n in range(5)]
    result = cluster_records(records)
    assert len(result.clusters) == 5
    assert all(c.how == "single" for c in result.clusters)
    assert not [e for e in result.report if e["kind"].startswith("fuzzy")]


def test_oversized_generic_block_is_reported_not_compared():
    records = [record("WHO", f"#{n}", "Editorial", {"who_covidence_id": f"#{n}"}, [("A", f"Author{n}")])
               for n in range(MAX_BLOCK_SIZE + 5)]
    result = cluster_records(records)
    assert {"kind": "oversized_block", "key": "t:editorial", "size": MAX_BLOCK_SIZE + 5} in result.report
    assert result.report[-1]["candidate_pairs"] == 0


@pytest.mark.parametrize(
    "left, right",
    [
        ("Correction to: Remdesivir in adults with severe COVID-19", "Remdesivir in adults with severe COVID-19"),
        ("Lessons from SARS for COVID-19 vaccines: part 1", "Lessons from SARS for COVID-19 vaccines: part 2"),
        ("Lessons from SARS for COVID-19 vaccines, part II", "Lessons from SARS for COVID-19 vaccines, part III"),
        ("Remdesivir in adults with severe COVID-19: a trial", "Tocilizumab in adults with severe COVID-19: a trial"),
    ],
)
def test_near_identical_titles_of_different_papers_stay_apart(left, right):
    records = [record("WHO", "#1", left, {"who_covidence_id": "#1"}, AUTHORS),
               record("WHO", "#2", right, {"who_covidence_id": "#2"}, AUTHORS)]
    assert len(cluster_records(records).clusters) == 2


def test_years_more_than_one_apart_stay_apart():
    title = "Middle East respiratory syndrome coronavirus in dromedary camels"
    records = [record("WHO", "#1", title, {"who_covidence_id": "#1"}, AUTHORS, "2014"),
               record("Medline", "9", title, {"pubmed_id": "9"}, AUTHORS, "2016-05-02")]
    assert len(cluster_records(records).clusters) == 2
    records[0]["publish_time"] = "2015"
    assert len(cluster_records(records).clusters) == 1


def test_different_authors_stay_apart():
    title = "Middle East respiratory syndrome coronavirus in dromedary camels"
    records = [record("WHO", "#1", title, {"who_covidence_id": "#1"}, AUTHORS),
               record("Medline", "9", title, {"pubmed_id": "9"}, [("Ann", "Other"), ("Bo", "Person")])]
    assert len(cluster_records(records).clusters) == 2


def test_formatting_markup_and_chemical_notation_variants_match():
    authors = [("Jane", "Müller"), ("Ali", "Öztürk")]
    variants = [
        "Imaging with (99m)Tc-labelled leukocytes in SARS-CoV-2 pneumonia",
        "Imaging with <sup>99m</sup>Tc-labelled leukocytes in SARS-CoV-2 pneumonia.",
        "IMAGING WITH 99mTc-LABELLED LEUKOCYTES IN SARS-COV-2 PNEUMONIA",
        "Imaging with 99mTc‐labelled leukocytes in SARS‑CoV‑2 pneumonia",
    ]
    sources = [("PMC", "pmcid", "PMC1"), ("Medline", "pubmed_id", "1"), ("WHO", "who_covidence_id", "#1"),
               ("ArXiv", "arxiv_id", "2004.00001")]
    records = [record(source, value, title, {field: value}, [("J", "Muller"), ("A", "Ozturk")] if n % 2 else authors)
               for n, (title, (source, field, value)) in enumerate(zip(variants, sources))]
    result = cluster_records(records)
    assert len(result.clusters) == 1 and result.clusters[0].how == "fuzzy"


def test_a_title_typo_and_a_surname_typo_still_match_through_another_block():
    authors = [("Jane", "Smith"), ("Li", "Wei")]
    records = [
        record("WHO", "#1", "Seroprevalence of SARS-CoV-2 antibodies among health care workers in Madrid",
               {"who_covidence_id": "#1"}, authors),
        record("Medline", "5", "Seroprevalence of SARS-CoV-2 antibodies amnog health care workers in Madrid",
               {"pubmed_id": "5"}, authors),
        record("PMC", "PMC5", "Seroprevalnce of SARS-CoV-2 antibodies among health care workers in Madrid",
               {"pmcid": "PMC5"}, [("Jane", "Smyth"), ("Li", "Wei")]),
    ]
    assert len(cluster_records(records).clusters) == 1


def test_title_only_match_needs_a_near_identical_title():
    title = "Seroprevalence of SARS-CoV-2 antibodies among health care workers in Madrid"
    exact = [record("WHO", "#1", title, {"who_covidence_id": "#1"}), record("Medline", "5", title + ".", {"pubmed_id": "5"}, AUTHORS)]
    assert len(cluster_records(exact).clusters) == 1
    fuzzy = [record("WHO", "#1", title.replace("in Madrid", "in Madrid, Spain"), {"who_covidence_id": "#1"}),
             record("Medline", "5", title, {"pubmed_id": "5"}, AUTHORS)]
    assert len(cluster_records(fuzzy).clusters) == 2


def _mixed_records():
    title = "Clinical features of patients infected with 2019 novel coronavirus in Wuhan, China"
    return [
        record("Medline", "32007143", title, {"pubmed_id": "32007143", "doi": "10.1016/s0140-6736(20)30183-5"}, AUTHORS),
        record("PMC", "PMC7159299", title, {"pmcid": "PMC7159299", "pubmed_id": "32007143"}, AUTHORS),
        record("WHO", "#8973", title.upper(), {"who_covidence_id": "#8973"}, AUTHORS),
        record("WHO", "#8974", "Editorial", {"who_covidence_id": "#8974"}, AUTHORS),
        record("WHO", "#8975", "Editorial", {"who_covidence_id": "#8975"}, AUTHORS),
        record("Medline", "1", "Some other paper on bats and coronaviruses", {"pubmed_id": "1", "doi": "10.1000/z"}, AUTHORS),
        record("Medline", "2", "Some other paper on bats and coronaviruses", {"pubmed_id": "2", "doi": "10.1000/z"}, AUTHORS),
        record("ArXiv", "2004.10706", "CORD-19: The COVID-19 Open Research Dataset", {"arxiv_id": "2004.10706v4"}),
        record("ArXiv", "2004.10706v2", "CORD-19: the Covid-19 open research dataset", {"arxiv_id": "2004.10706"}),
    ]


def test_input_order_does_not_change_the_result():
    records = _mixed_records()
    expected = cluster_records(records)
    expected_dump = json.dumps([[c.members, c.how, c.keys] for c in expected.clusters]), json.dumps(expected.report)
    rng = random.Random(7)
    for _ in range(20):
        shuffled = records[:]
        rng.shuffle(shuffled)
        result = cluster_records(shuffled)
        assert (json.dumps([[c.members, c.how, c.keys] for c in result.clusters]), json.dumps(result.report)) == expected_dump
    assert [c.how for c in expected.clusters] == ["ids", "single", "single", "fuzzy", "single", "single"]


def test_report_is_json_serialisable_and_ends_with_a_summary():
    result = cluster_records(_mixed_records())
    json.dumps(result.report)
    assert result.report[-1] == {"kind": "summary", "records": 9, "clusters": 6,
                                 "candidate_pairs": result.report[-1]["candidate_pairs"]}


def test_every_member_appears_in_exactly_one_cluster():
    records = _mixed_records()
    labels = sorted(itertools.chain.from_iterable(membership(cluster_records(records))))
    assert labels == sorted(f"{r['source']}:{r['source_id']}" for r in records)


def test_a_record_without_source_id_is_refused():
    bad = record("WHO", "#1", "x")
    del bad["source_id"]
    with pytest.raises(InvalidRecordError):
        cluster_records([bad])


def test_a_source_listing_one_id_twice_gives_the_same_result_in_any_order():
    title = "Seroprevalence of SARS-CoV-2 antibodies among health care workers in Madrid"
    twice = [record("WHO", "#1", title, {"who_covidence_id": "#1"}, AUTHORS, "2020"),
             record("WHO", "#1", title + " (update)", {"who_covidence_id": "#1", "doi": "10.1000/w"}, AUTHORS, "2021")]
    others = [record("Medline", "5", title, {"pubmed_id": "5", "doi": "10.1000/m"}, AUTHORS, "2020")]
    first = cluster_records(twice + others)
    second = cluster_records(others + twice[::-1])
    assert [c.members for c in first.clusters] == [c.members for c in second.clusters]
    assert first.report == second.report


def test_an_entry_matching_a_preprint_and_its_journal_version_equally_is_left_alone():
    title = "Viral load dynamics of SARS-CoV-2 in saliva and nasopharyngeal swabs"
    records = [
        record("MedRxiv", "10.1101/2020.04.01.1", title, {"doi": "10.1101/2020.04.01.1"}, AUTHORS, "2020-04-03"),
        record("Medline", "33", title + ".", {"pubmed_id": "33", "doi": "10.1000/journal.33"}, AUTHORS, "2020-09-01"),
        record("WHO", "#9", title.upper(), {"who_covidence_id": "#9"}, AUTHORS, "2020"),
    ]
    result = cluster_records(records)
    assert len(result.clusters) == 3
    assert {"kind": "fuzzy_ambiguous", "record": "WHO:#9",
            "candidates": ["MedRxiv:10.1101/2020.04.01.1", "Medline:33"]} in result.report
    # with the preprint a year earlier, the journal version is the better match
    records[0]["publish_time"] = "2019-12-20"
    assert membership(cluster_records(records)) == [["MedRxiv:10.1101/2020.04.01.1"], ["Medline:33", "WHO:#9"]]


def test_journal_agreement_breaks_a_tie_between_preprint_and_journal_version():
    title = "Viral load dynamics of SARS-CoV-2 in saliva and nasopharyngeal swabs"
    records = [
        record("MedRxiv", "10.1101/2020.04.01.1", title, {"doi": "10.1101/2020.04.01.1"}, AUTHORS, "2020-04-03",
               journal="medRxiv"),
        record("Medline", "33", title + ".", {"pubmed_id": "33", "doi": "10.1000/journal.33"}, AUTHORS, "2020-09-01",
               journal="Lancet Infect Dis"),
        record("WHO", "#9", title.upper(), {"who_covidence_id": "#9"}, AUTHORS, "2020", journal="The Lancet infect dis"),
    ]
    result = cluster_records(records)
    assert membership(result) == [["MedRxiv:10.1101/2020.04.01.1"], ["Medline:33", "WHO:#9"]]
    assert not [e for e in result.report if e["kind"] == "fuzzy_ambiguous"]


def test_make_cluster_rebuilds_each_cluster_from_its_group():
    from dedup.cluster import make_cluster

    result = cluster_records(_mixed_records())
    rebuilt = [make_cluster(c.members[::-1], c.how == "fuzzy") for c in result.clusters]
    assert [(c.members, c.how, c.keys) for c in rebuilt] == [(c.members, c.how, c.keys) for c in result.clusters]


# --- one source listing one paper twice -----------------------------------------------

def test_who_rows_sharing_a_doi_title_and_authors_merge_despite_two_covidence_ids():
    doi = "10.1016/s0140-6736(03)13077-2"
    rows = [record("WHO", "#2", TITLE, {"doi": doi, "who_covidence_id": "#2"}, AUTHORS),
            record("WHO", "#1", TITLE + ": a case series", {"doi": doi, "who_covidence_id": "#1"}, AUTHORS[:2])]
    result = cluster_records(rows)
    assert membership(result) == [["WHO:#1", "WHO:#2"]]
    assert result.clusters[0].how == "ids"
    assert "who_covidence_id:#1" in result.clusters[0].keys and "who_covidence_id:#2" in result.clusters[0].keys
    [entry] = [e for e in result.report if e["kind"] == "same_source_duplicate"]
    assert entry == {"kind": "same_source_duplicate", "key": f"doi:{doi}", "records": ["WHO:#1", "WHO:#2"],
                     "ids": {"who_covidence_id": ["#1", "#2"]}, "title_score": 100.0, "author_score": 1.0,
                     "year_gap": 0, "rule": "shared-doi+title-prefix+authors"}
    assert not [e for e in result.report if e["kind"] == "id_conflict"]


def test_a_doi_shared_by_two_different_papers_of_one_source_stays_a_conflict():
    doi = "10.1000/reused"
    rows = [record("WHO", "#1", TITLE, {"doi": doi, "who_covidence_id": "#1"}, AUTHORS),
            record("WHO", "#2", "Mask wearing in public transport during the first wave",
                   {"doi": doi, "who_covidence_id": "#2"}, [("Ann", "Other"), ("Bo", "Else")])]
    result = cluster_records(rows)
    assert membership(result) == [["WHO:#1"], ["WHO:#2"]]
    assert [e["kind"] for e in result.report if e["kind"] != "summary"] == ["id_conflict"]


def test_same_title_and_doi_but_other_authors_stays_a_conflict():
    doi = "10.1000/reused"
    rows = [record("WHO", "#1", TITLE, {"doi": doi, "who_covidence_id": "#1"}, AUTHORS),
            record("WHO", "#2", TITLE, {"doi": doi, "who_covidence_id": "#2"}, [("Ann", "Other"), ("Bo", "Else")])]
    assert membership(cluster_records(rows)) == [["WHO:#1"], ["WHO:#2"]]


def test_records_of_two_sources_conflicting_on_a_covidence_id_are_not_same_source_duplicates():
    doi = "10.1000/x"
    rows = [record("WHO", "#1", TITLE, {"doi": doi, "who_covidence_id": "#1"}, AUTHORS),
            record("Other", "9", TITLE, {"doi": doi, "who_covidence_id": "#2"}, AUTHORS)]
    assert membership(cluster_records(rows)) == [["Other:9"], ["WHO:#1"]]
