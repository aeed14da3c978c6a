"""ParseDocuments: JATS and PDFs from a snapshot, written where they are parsed; cache reuse that never
changes a parse; every failure as a dead letter; a document that is not what the snapshot lists stops the
stage; with GROBID (the loopback test server) on two worker processes."""
import hashlib
import json

import pytest

from parsers.documents import DEFAULT_LIMITS, InputLimits
from pipeline.stages import DEAD_LETTERS
from pipeline.stages.parse_documents import ParseDocuments, ParseSettings
from tests.support.beam_helpers import run_and_collect
from tests.support.grobid_server import GrobidTestServer, pdf_variants
from tests.support.pdf_snapshot import write_document_list, write_pdf_snapshot

TWO_WORKERS = ("--direct_running_mode=multi_processing", "--direct_num_workers=2")
DOC2JSON = "expected/doc2json_pdf_f2235cd"
VERSIONS = {"pmc_json": "jats-test", "pdf_json": "pdf-test"}

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


def run(tmp_path, lines, cache=None, name="run", grobid_url=None, beam_args=(), grobid_concurrency=4, snapshot=None,
        limits=DEFAULT_LIMITS):
    """Run the stage on a snapshot holding `lines`; the outputs, and the staging folder it wrote to."""
    snapshot = snapshot or tmp_path / "snap"
    if lines is not None:
        write_document_list(snapshot, lines)
    staging = tmp_path / f"staging-{name}"
    settings = ParseSettings(snapshot=str(snapshot), staging=str(staging), cache=str(cache) if cache else None,
                             versions=VERSIONS, limits=limits)

    def build(p):
        outputs = p | ParseDocuments(settings, grobid_url, grobid_concurrency)
        return {"parsed": outputs["parsed"], "dead": outputs[DEAD_LETTERS]}

    return run_and_collect(tmp_path / name, build, beam_args=beam_args), staging


def parse_of(staging, ref) -> dict:
    data = (staging / ref.candidate).read_bytes()
    assert len(data) == ref.size and hashlib.sha256(data).hexdigest() == ref.sha256
    return json.loads(data)


def test_parses_jats_and_sends_every_bad_document_to_dead_letters(tmp_path):
    snap = tmp_path / "snap"
    lines = [
        document_line(snap, "documents/pmc/PMC4242.xml", JATS, "jats", pmcid="PMC4242"),
        document_line(snap, "documents/pmc/PMC1.xml", b"<article><front>", "jats"),
        document_line(snap, "documents/pdf/x.pdf", b"<html>503 Service Unavailable</html>", "pdf"),
        "{not json",
        json.dumps({"path": "documents/pdf/z.pdf"}),
        json.dumps({"path": "../../etc/passwd", "sha1": "0" * 40, "type": "pdf", "source": "PMC", "ids": {},
                    "license": "cc-by", "url": ""}),
    ]
    out, staging = run(tmp_path, lines)
    (doc,) = out["parsed"]
    assert doc.json_path == "document_parses/pmc_json/PMC4242.xml.json" and doc.ids == {"pmcid": "PMC4242"}
    assert parse_of(staging, doc)["body_text"][0]["cite_spans"][0]["ref_id"] == "BIBREF0"
    reasons = sorted((d["input"], d["reason"]) for d in out["dead"])
    assert reasons == [
        ("documents.jsonl:4", "invalid_document_line"),
        ("documents.jsonl:5", "invalid_document_line"),
        ("documents.jsonl:6", "invalid_document_line"),
        ("documents/pdf/x.pdf", "not_pdf"),
        ("documents/pmc/PMC1.xml", "not_xml"),
    ]


def test_a_document_over_its_size_limit_is_a_dead_letter_and_is_not_read(tmp_path):
    snap = tmp_path / "snap"
    lines = [document_line(snap, "documents/pmc/PMC4242.xml", JATS, "jats"),
             document_line(snap, "documents/pdf/big.pdf", b"%PDF-1.4 " + b"x" * 5000, "pdf", sha1="0" * 40)]
    out, _ = run(tmp_path, lines, limits=InputLimits(xml_bytes=len(JATS) - 1, pdf_bytes=1000))
    assert out["parsed"] == []
    assert sorted((d["input"], d["reason"]) for d in out["dead"]) == [
        ("documents/pdf/big.pdf", "input_too_large"), ("documents/pmc/PMC4242.xml", "input_too_large")]


@pytest.mark.parametrize("fault, message", [
    ("tampered", "snapshot integrity: documents/pdf/y.pdf: SHA-1 differs from documents.jsonl"),
    ("missing", "snapshot integrity: documents/pdf/y.pdf: listed in documents.jsonl but missing"),
])
def test_a_document_that_is_not_what_the_snapshot_lists_stops_the_stage(tmp_path, fault, message):
    snap = tmp_path / "snap"
    line = document_line(snap, "documents/pdf/y.pdf", b"%PDF-1.4 a document", "pdf",
                         sha1="0" * 40 if fault == "tampered" else None)
    if fault == "missing":
        (snap / "documents/pdf/y.pdf").unlink()
    with pytest.raises(Exception, match=message):
        run(tmp_path, [line])


def test_a_cached_parse_is_reused_byte_for_byte(tmp_path):
    snap, cache = tmp_path / "snap", tmp_path / "cache"
    lines = [document_line(snap, "documents/pmc/PMC4242.xml", JATS, "jats")]
    first, first_staging = run(tmp_path, lines, cache, "first")
    cached = [path for path in cache.rglob("*.json") if not path.name.endswith(".ref.json")]
    assert len(cached) == 1
    cached[0].write_bytes(cached[0].read_bytes().replace(b"Coronavirus in cells", b"FROM THE CACHE!!!!!!"))
    second, second_staging = run(tmp_path, lines, cache, "second")  # trusted: copied, not read again
    assert json.loads((second_staging / second["parsed"][0].candidate).read_bytes())["metadata"]["title"] == (
        "FROM THE CACHE!!!!!!")
    assert parse_of(first_staging, first["parsed"][0])["metadata"]["title"] == "Coronavirus in cells"


def test_identical_bytes_under_different_names_keep_their_own_parses_with_or_without_a_cache(tmp_path):
    snap, cache = tmp_path / "snap", tmp_path / "cache"
    no_pmcid = JATS.replace(b'<article-id pub-id-type="pmc">PMC4242</article-id>', b"")
    lines = [document_line(snap, f"documents/pmc/{name}.xml", no_pmcid, "jats", doi=f"10.1/{name}")
             for name in ("first-copy", "second-copy")]
    results = {}
    for name, cache_folder in (("none", None), ("cold", cache), ("warm", cache)):
        out, staging = run(tmp_path, lines, cache_folder, name)
        results[name] = sorted((ref.json_path, (staging / ref.candidate).read_bytes()) for ref in out["parsed"])
    assert [path for path, _ in results["none"]] == [
        "document_parses/pmc_json/first-copy.xml.json", "document_parses/pmc_json/second-copy.xml.json"]
    assert results["none"] == results["cold"] == results["warm"]


def test_parse_stage_with_grobid_on_two_workers(tmp_path, corpus_dir):
    pdf = (corpus_dir / DOC2JSON / "5cd28c171f9f3b6a8bcebe246159c464980c.pdf").read_bytes()
    tei = (corpus_dir / DOC2JSON / "f2235cd28c171f9f3b6a8bcebe246159c464980c.tei.xml").read_bytes()
    variants = pdf_variants(pdf, 4)
    documents = {f"paper{n}": data for n, data in enumerate(variants)}
    documents["unknown"] = (corpus_dir / "pdf" / "grobid_two_pages.pdf").read_bytes()
    documents["html"] = b"<!DOCTYPE html><html><body>Download limit reached</body></html>"
    snapshot, cache = tmp_path / "snapshot", tmp_path / "cache"
    write_pdf_snapshot(snapshot, documents)
    with GrobidTestServer() as server:
        for data in variants:
            server.add_document(data, tei)
        server.latency_s = 0.05
        server.inject(["503", "drop"])
        first = run(tmp_path, None, cache, "first", server.url, TWO_WORKERS, snapshot=snapshot)
        # 4 papers + 1 unusable PDF + 2 retried faults; the HTML page is never sent.
        assert server.stats["requests"] == 7 and server.stats["served"] == 4
        second = run(tmp_path, None, cache, "second", server.url, TWO_WORKERS, snapshot=snapshot)
        assert server.stats["requests"] == 7  # the rerun sent nothing
    for outputs, staging in (first, second):
        parsed = sorted(outputs["parsed"], key=lambda doc: doc.sha1)
        assert [doc.sha1 for doc in parsed] == sorted(hashlib.sha1(v).hexdigest() for v in variants)
        for doc in parsed:
            paper = parse_of(staging, doc)
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
    write_pdf_snapshot(snapshot, {f"paper{n}": data for n, data in enumerate(variants)})
    with GrobidTestServer() as server:  # no capacity: it would serve everything sent at once
        for data in variants:
            server.add_document(data, tei)
        server.latency_s = 0.2
        outputs, _ = run(tmp_path, None, None, "run", server.url, TWO_WORKERS, grobid_concurrency=2, snapshot=snapshot)
    assert len(outputs["parsed"]) == 12 and outputs["dead"] == []
    assert server.stats["served"] == 12 and server.max_in_flight == 2
