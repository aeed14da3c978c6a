"""The snapshot folder's one owner (pipeline/snapshot.py): what ingest writes, the build reads."""
import json

import pytest

from pipeline.snapshot import (
    SnapshotError,
    count_documents,
    iter_document_lines,
    parse_snapshot,
    safe_relative_path,
    feed_files,
    feed_path,
    is_finished,
    jats_path,
    load_snapshot,
    partial_path,
    pdf_path,
    remove_partial_files,
    write_documents_file,
    write_snapshot_file,
)
from schemas.files import sha256_file

SHA1 = "a" * 40


def test_a_written_snapshot_reads_back(tmp_path):
    page = tmp_path / feed_path("pubmed", "page-00001.xml")
    page.parent.mkdir(parents=True)
    page.write_bytes(b"<PubmedArticleSet/>")
    lines = [
        {"path": pdf_path(SHA1), "url": "https://b.org/x.pdf", "sha1": SHA1, "type": "pdf"},
        {"path": jats_path("PMC1"), "url": "https://a.org/PMC1", "sha1": SHA1, "type": "jats"},
    ]
    files = {feed_path("pubmed", "page-00001.xml"): sha256_file(page)}
    files["documents.jsonl"] = write_documents_file(tmp_path, lines)
    assert not is_finished(tmp_path)
    sources = [{"name": "pubmed", "kind": "pubmed", "files": [feed_path("pubmed", "page-00001.xml")]}]
    written = write_snapshot_file(tmp_path, "2024-05-01T00:00:00+00:00", None, sources, files, [])
    assert is_finished(tmp_path) and load_snapshot(tmp_path) == written
    assert list(written["files"]) == sorted(files)
    [feed] = feed_files(written)
    assert (feed.path, feed.sha256) == (feed_path("pubmed", "page-00001.xml"), sha256_file(page))
    with (tmp_path / "documents.jsonl").open("rb") as handle:
        assert [json.loads(line)["path"] for _, line in iter_document_lines(handle)] == [
            "documents/pdf/" + SHA1 + ".pdf", "documents/pmc/PMC1.xml"]
    assert count_documents(tmp_path) == 2
    assert (tmp_path / "snapshot.json").read_text(encoding="utf-8").endswith("}\n")


def test_a_snapshot_that_would_break_its_schema_is_not_written(tmp_path):
    with pytest.raises(SnapshotError, match="would break its schema"):
        write_snapshot_file(tmp_path, "now", None, [{"name": "x"}], {}, [])
    assert not is_finished(tmp_path)


@pytest.mark.parametrize("path", ["../../../../etc/passwd", "/etc/passwd", "feeds/../../x", "feeds//x", "feeds/./x",
                                  "feeds\\x", "feeds/x\n", "", "a" * 1025, 7, None])
def test_paths_a_snapshot_lists_stay_inside_it(path):
    with pytest.raises(SnapshotError):
        safe_relative_path(path)


def test_a_snapshot_json_naming_a_file_outside_the_snapshot_is_refused():
    snapshot = {"created": "2026-01-01T00:00:00Z", "query": None, "files": {},
                "sources": [{"name": "who", "kind": "who", "files": ["../../../../etc/passwd"]}]}
    with pytest.raises(SnapshotError, match="not a path inside the snapshot"):
        parse_snapshot(json.dumps(snapshot).encode(), "snapshot.json")
    assert safe_relative_path("feeds/who/export.csv") == "feeds/who/export.csv"


def test_partial_files_are_removed_and_nothing_else(tmp_path):
    kept = tmp_path / feed_path("who", "who.csv")
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"x")
    partial_path(kept).write_bytes(b"half")
    (tmp_path / ".snapshot.json.k2j3h4").write_bytes(b"{")
    (tmp_path / ".ingest").mkdir()
    (tmp_path / ".ingest" / "state.json").write_bytes(b"{}")
    remove_partial_files(tmp_path)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        ".ingest/state.json", "feeds/who/who.csv"]
