"""HarmonizeMetadata, after ClusterPapers and AssignCordUids: one row per paper, documents attached, orphans dead-lettered."""
from tests.support.beam_helpers import run_and_collect
from tests.support.stage_chain import DOCS, ORPHAN_SHA1, PARSE, PDF_SHA1, cluster_assign_harmonize, write_candidates


def test_duplicates_merge_documents_attach_and_orphans_are_dead_letters(tmp_path):
    staging = tmp_path / "staging"
    write_candidates(staging)
    out = run_and_collect(tmp_path / "collect", lambda p: cluster_assign_harmonize(p, staging))
    rows = sorted(out["rows"], key=lambda row: row["title"])
    assert len(rows) == 2
    ward = rows[1]
    assert ward["source_x"] == "Medline; PMC"
    assert ward["pmc_json_files"] == "document_parses/pmc_json/PMC100.xml.json"
    assert ward["pdf_json_files"] == f"document_parses/pdf_json/{PDF_SHA1}.json"
    assert ward["sha"] == PDF_SHA1
    assert rows[0]["pdf_json_files"] == "" and rows[0]["arxiv_id"] == "2001.00001"
    assert sorted(path for path, _, _, _ in out["placed"]) == sorted({d.json_path for d in DOCS[:3]})
    for path, _, _, _ in out["placed"]:
        assert (staging / path).read_bytes() == PARSE  # moved from its candidate to its release path
    assert not (staging / DOCS[3].json_path).exists()
    (orphan,) = out["dead"]
    assert orphan["reason"] == "no_matching_paper" and ORPHAN_SHA1 in orphan["input"]
    assert out["registry"] == ["cord_uid_registry.json"] and (staging / "cord_uid_registry.json").is_file()
    assert len(out["changes"]) == 1
