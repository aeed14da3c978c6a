"""ClusterPapers -> AssignCordUids -> HarmonizeMetadata on invented records and parsed documents."""
import apache_beam as beam

from dedup import cluster_records
from parsers.feeds import iter_feed_records
from pipeline.stages.assign_cord_uids import CHANGES, REGISTRY, AssignCordUids
from pipeline.stages.cluster_papers import REPORT, ClusterPapers
from pipeline.stages import DEAD_LETTERS
from pipeline.stages.harmonize import ATTACHED, HarmonizeMetadata
from pipeline.stages.parse_documents import ParsedDocument
from pipeline.snapshot import bundled_sample_snapshot, feed_files, load_snapshot
from tests.support.beam_helpers import run_and_collect

PDF_SHA1 = "a" * 40
ORPHAN_SHA1 = "b" * 40


def source_record(source: str, source_id: str, title: str, **ids: str) -> dict:
    all_ids = {key: None for key in ("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id", "s2_id")}
    all_ids.update(ids)
    return {"source": source, "source_id": source_id, "ids": all_ids, "title": title, "abstract": "",
            "authors": [{"first": "Jane", "middle": [], "last": "Doe", "suffix": ""}], "publish_time": "2020-03-01",
            "journal": "J Virol", "license": "cc-by", "urls": [], "documents": []}


RECORDS = [
    source_record("PMC", "PMC100", "Coronavirus spread in wards", pmcid="PMC100", doi="10.1/ward"),
    source_record("Medline", "100", "Coronavirus spread in wards", pubmed_id="100", doi="10.1/ward"),
    source_record("ArXiv", "2001.00001", "A different coronavirus model", arxiv_id="2001.00001"),
]


def parsed(doc_type: str, sha1: str, json_path: str, **ids: str) -> ParsedDocument:
    return ParsedDocument(type=doc_type, sha1=sha1, json_path=json_path, ids=ids, source="PMC", paper_json=b"{}")


DOCS = [
    parsed("jats", "c" * 40, "document_parses/pmc_json/PMC100.xml.json", pmcid="PMC100"),
    parsed("pdf", PDF_SHA1, f"document_parses/pdf_json/{PDF_SHA1}.json", doi="10.1/ward"),
    parsed("pdf", PDF_SHA1, f"document_parses/pdf_json/{PDF_SHA1}.json", pubmed_id="100"),
    parsed("pdf", ORPHAN_SHA1, f"document_parses/pdf_json/{ORPHAN_SHA1}.json", doi="10.9/nobody"),
]


def build(p, records=RECORDS, docs=DOCS):
    clustered = p | "Records" >> beam.Create(records) | ClusterPapers()
    assigned = clustered["clusters"] | AssignCordUids()
    documents = p | "Docs" >> beam.Create(docs)
    harmonized = {"assigned": assigned["assigned"], "parsed": documents} | HarmonizeMetadata()
    return {"rows": harmonized["rows"], "attached": harmonized[ATTACHED], "dead": harmonized[DEAD_LETTERS],
            "registry": assigned[REGISTRY], "changes": assigned[CHANGES], "report": clustered[REPORT]}


def test_duplicates_merge_documents_attach_and_orphans_are_dead_letters(tmp_path):
    out = run_and_collect(tmp_path, build)
    rows = sorted(out["rows"], key=lambda row: row["title"])
    assert len(rows) == 2
    ward = rows[1]
    assert ward["source_x"] == "Medline; PMC"
    assert ward["pmc_json_files"] == "document_parses/pmc_json/PMC100.xml.json"
    assert ward["pdf_json_files"] == f"document_parses/pdf_json/{PDF_SHA1}.json"
    assert ward["sha"] == PDF_SHA1
    assert rows[0]["pdf_json_files"] == "" and rows[0]["arxiv_id"] == "2001.00001"
    assert sorted(doc.json_path for doc in out["attached"]) == sorted({d.json_path for d in DOCS[:3]})
    (orphan,) = out["dead"]
    assert orphan["reason"] == "no_matching_paper" and ORPHAN_SHA1 in orphan["input"]
    assert len(out["registry"]) == 1 and len(out["changes"]) == 1


def test_cord_uids_do_not_depend_on_input_order_or_worker_count(tmp_path):
    first = run_and_collect(tmp_path / "a", build)
    second = run_and_collect(tmp_path / "b", lambda p: build(p, records=RECORDS[::-1], docs=DOCS[::-1]),
                             beam_args=("--direct_running_mode=multi_processing", "--direct_num_workers=2"))
    assert sorted(r["cord_uid"] for r in first["rows"]) == sorted(r["cord_uid"] for r in second["rows"])
    assert first["registry"] == second["registry"]


def test_cluster_papers_finds_the_same_clusters_as_cluster_records_on_the_sample(tmp_path):
    snapshot_dir = bundled_sample_snapshot()
    records = [
        record
        for feed in feed_files(load_snapshot(snapshot_dir))
        for record in iter_feed_records(feed.kind, str(snapshot_dir / feed.path), on_error=lambda error: None)
    ]
    expected = cluster_records(records)

    def build_clusters(p):
        clustered = p | beam.Create(records) | ClusterPapers()
        return {"clusters": clustered["clusters"], "report": clustered[REPORT]}

    out = run_and_collect(tmp_path, build_clusters,
                          beam_args=("--direct_running_mode=multi_processing", "--direct_num_workers=2"))

    def shape(clusters):
        return sorted((tuple(c.keys), c.how, tuple(m["source_id"] for m in c.members)) for c in clusters)

    assert shape(out["clusters"]) == shape(expected.clusters)
    assert any(c.how == "fuzzy" for c in out["clusters"])
    assert sorted(map(repr, out["report"])) == sorted(map(repr, expected.report))
