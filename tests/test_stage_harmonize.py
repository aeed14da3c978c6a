"""HarmonizeMetadata, after ClusterPapers and AssignCordUids: one row per paper, documents attached, orphans dead-lettered."""
from tests.support.beam_helpers import run_and_collect
from tests.support.stage_chain import DOCS, ORPHAN_SHA1, PDF_SHA1, cluster_assign_harmonize


def test_duplicates_merge_documents_attach_and_orphans_are_dead_letters(tmp_path):
    out = run_and_collect(tmp_path, cluster_assign_harmonize)
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
