"""ParseDocuments: JATS and PDFs from a snapshot, cache reuse, and every failure as a dead letter;
with GROBID (the loopback test server) on two worker processes."""
import hashlib
import json

import apache_beam as beam

from pipeline.stages import DEAD_LETTERS
from pipeline.stages.parse_documents import ParseDocuments
from tests.support.beam_helpers import run_and_collect
from tests.support.grobid_server import GrobidTestServer, pdf_variants
from tests.support.pdf_snapshot import write_pdf_snapshot

TWO_WORKERS = ("--direct_running_mode=multi_processing", "--direct_num_workers=2")
DOC2JSON = "expected/doc2json_pdf_f2235cd"

JATS = b"""<?xml version="1.0"?>
<article article-type="research-article"><front><article-meta>
<article-id pub-id-type="pmc">PMC4242</article-id>
<title-group><article-title>Coronavirus in cells</article-title></title-group>
</article-meta></front><body><sec><title>Intro</title><p>Cells were infected [<xref ref-type="bibr" rid="r1">1</xref>].</p></sec></body>
<back><ref-list><ref id="r1"><element-citation><article-title>Old work</article-title><year>2003</year></element-citation></ref></ref-list></back>
</article>"""


def document_line(folder, path: str, data: bytes, doc_type: str, sha1: str | None = None, **ids) -> str:
    (folder / path).parent.mkdir(parents=True, exist_ok=True)
    (folder / path).write_bytes(data)
    return json.dumps({"path": path, "sha1": sha1 or hashlib.sha1(data).hexdigest(), "type": doc_type, "source": "PMC",
                       "ids": ids, "license": "cc-by", "url": "https://example.org/x"})


def run(tmp_path, lines, cache_dir=None, name="run"):
    numbered = list(enumerate(lines, start=1))
    return run_and_collect(tmp_path / name, lambda p: (lambda r: {"parsed": r.parsed, "dead": r[DEAD_LETTERS]})(
        p | beam.Create(numbered) | ParseDocuments(str(tmp_path / "snap"), None, cache_dir)))


def test_parses_jats_and_sends_every_bad_document_to_dead_letters(tmp_path):
    snap = tmp_path / "snap"
    lines = [
        document_line(snap, "documents/pmc/PMC4242.xml", JATS, "jats", pmcid="PMC4242"),
        document_line(snap, "documents/pmc/PMC1.xml", b"<article><front>", "jats"),
        document_line(snap, "documents/pdf/x.pdf", b"<html>503 Service Unavailable</html>", "pdf"),
        document_line(snap, "documents/pdf/y.pdf", b"%PDF-1.4 tampered", "pdf", sha1="0" * 40),
        "{not json",
        json.dumps({"path": "documents/pdf/z.pdf"}),
    ]
    out = run(tmp_path, lines)
    (doc,) = out["parsed"]
    assert doc.json_path == "document_parses/pmc_json/PMC4242.xml.json" and doc.ids == {"pmcid": "PMC4242"}
    paper = json.loads(doc.paper_json)
    assert paper["body_text"][0]["cite_spans"][0]["ref_id"] == "BIBREF0"
    reasons = sorted((d["input"], d["reason"]) for d in out["dead"])
    assert reasons == [
        ("documents.jsonl:5", "invalid_document_line"),
        ("documents.jsonl:6", "invalid_document_line"),
        ("documents/pdf/x.pdf", "not_pdf"),
        ("documents/pdf/y.pdf", "snapshot_error"),
        ("documents/pmc/PMC1.xml", "not_xml"),
    ]


def test_a_cached_parse_is_reused_for_the_same_bytes(tmp_path):
    snap, cache = tmp_path / "snap", tmp_path / "cache"
    lines = [document_line(snap, "documents/pmc/PMC4242.xml", JATS, "jats")]
    first = run(tmp_path, lines, str(cache), "first")
    cached = list(cache.rglob("*.json"))
    assert len(cached) == 1
    entry = json.loads(cached[0].read_text())
    entry["paper"]["metadata"]["title"] = "FROM THE CACHE"
    cached[0].write_text(json.dumps(entry))
    second = run(tmp_path, lines, str(cache), "second")
    assert json.loads(second["parsed"][0].paper_json)["metadata"]["title"] == "FROM THE CACHE"
    assert json.loads(first["parsed"][0].paper_json)["metadata"]["title"] == "Coronavirus in cells"


def run_with_grobid(tmp_path, name, snapshot, lines, url, cache):
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
        first = run_with_grobid(tmp_path, "first", snapshot, lines, server.url, cache)
        # 4 papers + 1 unusable PDF + 2 retried faults; the HTML page is never sent.
        assert server.stats["requests"] == 7 and server.stats["served"] == 4
        second = run_with_grobid(tmp_path, "second", snapshot, lines, server.url, cache)
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
