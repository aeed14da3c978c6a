"""The Beam ParseDocuments stage with GROBID (the loopback test server), on two worker processes,
and `cord19 build --grobid-concurrency`."""
import hashlib
import json

import apache_beam as beam
import pytest

from pipeline.cli import main
from pipeline.stages import DEAD_LETTERS
from pipeline.stages.parse_documents import ParseDocuments
from pipeline.snapshot import bundled_sample_snapshot
from tests.support.beam_helpers import run_and_collect
from tests.support.grobid_server import GrobidTestServer, pdf_variants
from tests.support.pdf_snapshot import write_pdf_snapshot

TWO_WORKERS = ("--direct_running_mode=multi_processing", "--direct_num_workers=2")
DOC2JSON = "expected/doc2json_pdf_f2235cd"


def run_stage(tmp_path, name, snapshot, lines, url, cache):
    def build(p):
        outputs = p | "Lines" >> beam.Create(lines) | ParseDocuments(str(snapshot), url, str(cache))
        return {"parsed": outputs["parsed"], "dead": outputs[DEAD_LETTERS]}

    return run_and_collect(tmp_path / name, build, beam_args=TWO_WORKERS)


def test_parse_stage_with_grobid_on_two_workers(tmp_path, corpus_dir):
    pdf = (corpus_dir / DOC2JSON / "5cd28c171f9f3b6a8bcebe246159c464980c.pdf").read_bytes()
    tei = (corpus_dir / DOC2JSON / "f2235cd28c171f9f3b6a8bcebe246159c464980c.tei.xml").read_bytes()
    variants = pdf_variants(pdf, 4)
    documents = {f"paper{n}": data for n, data in enumerate(variants)}
    documents["unknown"] = (corpus_dir / "pdf" / "grobid_two_pages.pdf").read_bytes()
    documents["html"] = b"<!DOCTYPE html><html><body>Download limit reached</body></html>"
    snapshot, cache = tmp_path / "snapshot", tmp_path / "cache"
    lines = write_pdf_snapshot(snapshot, documents)
    with GrobidTestServer() as server:
        for data in variants:
            server.add_document(data, tei)
        server.latency_s = 0.05
        server.inject(["503", "drop"])
        first = run_stage(tmp_path, "first", snapshot, lines, server.url, cache)
        # 4 papers + 1 unusable PDF + 2 retried faults; the HTML page is never sent.
        assert server.stats["requests"] == 7 and server.stats["served"] == 4
        second = run_stage(tmp_path, "second", snapshot, lines, server.url, cache)
        assert server.stats["requests"] == 7  # the rerun sent nothing
    for outputs in (first, second):
        parsed = sorted(outputs["parsed"], key=lambda doc: doc.sha1)
        assert [doc.sha1 for doc in parsed] == sorted(hashlib.sha1(v).hexdigest() for v in variants)
        for doc in parsed:
            paper = json.loads(doc.paper_json)
            assert doc.json_path == f"document_parses/pdf_json/{doc.sha1}.json"
            assert paper["paper_id"] == doc.sha1
            assert len(paper["body_text"]) == 40 and len(paper["bib_entries"]) == 39
        reasons = sorted(dead["reason"] for dead in outputs["dead"])
        assert reasons == ["grobid_bad_input", "not_pdf"]


def test_parse_stage_workers_of_one_machine_share_its_grobid_concurrency(tmp_path, corpus_dir):
    pdf = (corpus_dir / DOC2JSON / "5cd28c171f9f3b6a8bcebe246159c464980c.pdf").read_bytes()
    tei = (corpus_dir / DOC2JSON / "f2235cd28c171f9f3b6a8bcebe246159c464980c.tei.xml").read_bytes()
    variants = pdf_variants(pdf, 12)
    snapshot = tmp_path / "snapshot"
    lines = write_pdf_snapshot(snapshot, {f"paper{n}": data for n, data in enumerate(variants)})
    with GrobidTestServer() as server:  # no capacity: it would serve everything sent at once
        for data in variants:
            server.add_document(data, tei)
        server.latency_s = 0.2

        def build(p):
            outputs = p | beam.Create(lines) | ParseDocuments(str(snapshot), server.url, None, grobid_concurrency=2)
            return {"parsed": outputs["parsed"], "dead": outputs[DEAD_LETTERS]}

        outputs = run_and_collect(tmp_path, build, beam_args=TWO_WORKERS)
    assert len(outputs["parsed"]) == 12 and outputs["dead"] == []
    assert server.stats["served"] == 12 and server.max_in_flight == 2


def test_build_takes_the_grobid_concurrency_per_machine(tmp_path, corpus_dir):
    tei = (corpus_dir / DOC2JSON / "f2235cd28c171f9f3b6a8bcebe246159c464980c.tei.xml").read_bytes()
    pdfs = [path.read_bytes() for path in sorted((bundled_sample_snapshot() / "documents" / "pdf").glob("*.pdf"))]
    with GrobidTestServer() as server:
        for pdf in pdfs:
            server.add_document(pdf, tei)
        server.latency_s = 0.2
        args = ["build", "--out", str(tmp_path), "--release-date", "2026-03-01", "--grobid-url", server.url,
                "--grobid-concurrency", "1", *TWO_WORKERS]
        assert main(args) == 0
    assert server.stats["served"] >= 4 and server.max_in_flight == 1


def test_build_refuses_a_grobid_concurrency_below_one(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["build", "--grobid-url", "http://127.0.0.1:1", "--grobid-concurrency", "0"])
    assert exc.value.code == 2 and "not a positive integer" in capsys.readouterr().err
