"""Canonical metadata rows per cluster."""
import pytest

from dedup import Cluster, InvalidRecordError, harmonize_cluster
from dedup.harmonize import choose_publish_time, format_author
from schemas import METADATA_COLUMNS, schema_errors

SHA_A, SHA_B = "a" * 40, "b" * 40


def member(source, source_id, *, ids=None, title="", abstract="", authors=(), publish_time="", journal="",
           license="unk", urls=(), documents=()):
    return {"source": source, "source_id": source_id, "ids": ids or {}, "title": title, "abstract": abstract,
            "authors": list(authors), "publish_time": publish_time, "journal": journal, "license": license,
            "urls": list(urls), "documents": list(documents)}


def author(first, last, *middle):
    return {"first": first, "middle": list(middle), "last": last, "suffix": ""}


WHO = member("WHO", "#8973", ids={"who_covidence_id": "#8973", "s2_id": "211213745.0"},
             title="CLINICAL FEATURES OF PATIENTS INFECTED WITH 2019 NOVEL CORONAVIRUS IN WUHAN, CHINA",
             abstract="Background: A recent cluster ...", authors=[author("C.", "Huang")], publish_time="2020",
             journal="Lancet")
MEDLINE = member("Medline", "31986264", ids={"pubmed_id": "31986264.0", "doi": "https://doi.org/10.1016/S0140-6736(20)30183-5"},
                 title="Clinical features of patients infected with 2019 novel coronavirus in Wuhan, China.",
                 authors=[author("Chaolin", "Huang"), author("Yeming", "Wang")], publish_time="2020-02-15",
                 journal="Lancet (London, England)", license="els-covid",
                 urls=["https://www.ncbi.nlm.nih.gov/pubmed/31986264/"])
PMC = member("PMC", "PMC7159299", ids={"pmcid": "PMC7159299", "pubmed_id": "31986264", "doi": "10.1016/s0140-6736(20)30183-5"},
             title="Clinical features of patients infected with 2019 novel coronavirus in Wuhan, China",
             authors=[author("Chaolin", "Huang", "J", "K"), author("Yeming", "Wang")], publish_time="2020-01-24",
             license="no-cc", urls=["https://doi.org/10.1016/s0140-6736(20)30183-5"],
             documents=[{"type": "jats", "url": "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7159299/"}])
DOCUMENTS = [
    {"type": "pdf", "sha1": SHA_B, "json_path": f"document_parses/pdf_json/{SHA_B}.json"},
    {"type": "jats", "sha1": "c" * 40, "json_path": "document_parses/pmc_json/PMC7159299.xml.json"},
    {"type": "pdf", "sha1": SHA_A, "json_path": f"document_parses/pdf_json/{SHA_A}.json"},
]


def test_row_prefers_the_entry_with_documents_and_fills_blanks_from_others():
    cluster = Cluster(members=[MEDLINE, PMC, WHO], how="fuzzy", keys=[])
    row = harmonize_cluster(cluster, "ug7v899j", DOCUMENTS)
    assert list(row) == list(METADATA_COLUMNS)
    assert schema_errors("metadata_row", row) == []
    assert row == {
        "cord_uid": "ug7v899j",
        "sha": f"{SHA_A}; {SHA_B}",
        "source_x": "Medline; PMC; WHO",
        "title": PMC["title"],  # PMC holds the documents
        "doi": "10.1016/s0140-6736(20)30183-5",
        "pmcid": "PMC7159299",
        "pubmed_id": "31986264",
        "license": "els-covid",  # most permissive of els-covid, no-cc, unk
        "abstract": "Background: A recent cluster ...",  # only WHO has one
        "publish_time": "2020-01-24",
        "authors": "Huang, Chaolin J K; Wang, Yeming",
        "journal": "Lancet (London, England)",  # PMC has none; Medline ranks before WHO
        "mag_id": "",
        "who_covidence_id": "#8973",
        "arxiv_id": "",
        "pdf_json_files": f"document_parses/pdf_json/{SHA_A}.json; document_parses/pdf_json/{SHA_B}.json",
        "pmc_json_files": "document_parses/pmc_json/PMC7159299.xml.json",
        "url": "https://doi.org/10.1016/s0140-6736(20)30183-5; https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7159299/; "
               "https://www.ncbi.nlm.nih.gov/pubmed/31986264/",
        "s2_id": "211213745",
    }


def test_without_documents_the_most_permissive_licence_then_source_priority_decides():
    open_who = dict(WHO, license="cc-by")
    row = harmonize_cluster(Cluster(members=[MEDLINE, open_who], how="fuzzy", keys=[]), "aaaaaaaa", [])
    assert row["title"] == WHO["title"] and row["license"] == "cc-by"
    row = harmonize_cluster(Cluster(members=[WHO, MEDLINE], how="fuzzy", keys=[]), "aaaaaaaa", [])
    assert row["title"] == MEDLINE["title"] and row["authors"] == "Huang, Chaolin; Wang, Yeming"
    assert row["sha"] == row["pdf_json_files"] == row["pmc_json_files"] == ""


@pytest.mark.parametrize(
    "dates, expected",
    [
        (["2020", "2020-03-01", "2020-03"], "2020-03-01"),
        (["2020-03", "2020"], "2020"),  # a month alone is written as its year
        (["2019", "2020-01-02", "2019-12-30"], "2019-12-30"),  # the year most sources give
        (["2020-01-02", "2020-05-06"], "2020-01-02"),  # tie: canonical order
        (["", ""], ""),
    ],
)
def test_publish_time_is_the_most_precise_agreeing_date(dates, expected):
    assert choose_publish_time(dates) == expected


def test_author_format():
    assert format_author(author("Mary", "Smith", "J", "K")) == "Smith, Mary J K"
    assert format_author(author("", "WHO Consortium")) == "WHO Consortium"


def test_unknown_document_type_is_refused():
    with pytest.raises(InvalidRecordError):
        harmonize_cluster(Cluster(members=[WHO], how="single", keys=[]), "aaaaaaaa",
                          [{"type": "html", "sha1": SHA_A, "json_path": "x"}])
