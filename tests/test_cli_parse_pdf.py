"""`cord19 parse` on PDFs (GROBID or pdfminer.six) and GROBID TEI files."""
import json
import shutil

import pytest

from schemas.invariants import paper_problems
from pipeline.cli import main
from schemas import schema_errors
from tests.grobid_server import GrobidTestServer, corpus_tei_by_sha1

PDF_SHA1 = "f2235cd28c171f9f3b6a8bcebe246159c464980c"


@pytest.fixture
def inputs(tmp_path, corpus_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(corpus_dir / "expected" / "doc2json_pdf_f2235cd" / "5cd28c171f9f3b6a8bcebe246159c464980c.pdf",
                    folder / "paper.pdf")
    shutil.copyfile(corpus_dir / "tei" / "grobidclient_0046d83a-edd6-4631-b57c-755cdcce8b7f.tei.xml",
                    folder / "fes.tei.xml")
    return folder


def read_paper(path):
    paper = json.loads(path.read_text(encoding="utf-8"))
    assert paper_problems(paper) == []
    return paper


def test_pdf_with_pdfminer_and_tei_file(tmp_path, inputs):
    out = tmp_path / "out"
    assert main(["parse", str(inputs), "--out", str(out)]) == 0
    pdf_paper = read_paper(out / "pdf_json" / f"{PDF_SHA1}.json")
    assert pdf_paper["paper_id"] == PDF_SHA1 and schema_errors("pdf_json", pdf_paper) == []
    assert pdf_paper["metadata"]["title"].startswith("Territorial Rural Development")
    tei_paper = read_paper(out / "pdf_json" / "fes.json")
    assert tei_paper["paper_id"] == "fes"  # the file stem (not a SHA-1 here, so not schema-valid)
    assert [e for e in schema_errors("pdf_json", tei_paper) if not e.startswith("paper_id")] == []
    assert tei_paper["metadata"]["title"].startswith("Multi-contact functional electrical stimulation")
    assert not (out / "failures.jsonl").exists()


def test_pdf_through_grobid_with_cache(tmp_path, inputs, corpus_dir):
    out, cache = tmp_path / "out", tmp_path / "tei-cache"
    with GrobidTestServer(corpus_tei_by_sha1(corpus_dir)) as server:
        args = ["parse", str(inputs / "paper.pdf"), "--out", str(out), "--grobid-url", server.url,
                "--grobid-cache", str(cache)]
        assert main(args) == 0
        assert main(args) == 0
        assert server.stats["requests"] == 1  # the rerun used the cache
    paper = read_paper(out / "pdf_json" / f"{PDF_SHA1}.json")
    assert len(paper["body_text"]) == 40 and len(paper["bib_entries"]) == 39  # GROBID's parse


def test_grobid_failures_are_failures_with_their_reason(tmp_path, inputs, corpus_dir):
    # The test server has no TEI for this PDF and answers like GROBID does for an unusable PDF.
    shutil.copyfile(corpus_dir / "pdf" / "grobid_two_pages.pdf", inputs / "unknown.pdf")
    out = tmp_path / "out"
    with GrobidTestServer(corpus_tei_by_sha1(corpus_dir)) as server:
        args = [str(inputs / "paper.pdf"), str(inputs / "unknown.pdf")]
        assert main(["parse", *args, "--out", str(out), "--grobid-url", server.url]) == 1
        assert server.stats["requests"] == 2  # a bad-input answer is not retried
    [failure] = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert failure["input"].endswith("unknown.pdf")
    assert (failure["error"], failure["reason"]) == ("GrobidBadInputError", "grobid_bad_input")
    assert (out / "pdf_json" / f"{PDF_SHA1}.json").exists()


def test_grobid_down_fails_by_default_and_can_fall_back(tmp_path, inputs, capsys):
    with GrobidTestServer() as server:
        server.alive = False
        args = ["parse", str(inputs / "paper.pdf"), "--out", str(tmp_path / "out"), "--grobid-url", server.url]
        assert main(args) == 1
        assert "is not alive" in capsys.readouterr().err
        assert not (tmp_path / "out" / "pdf_json").exists()
        assert main(args + ["--on-grobid-down", "fallback"]) == 0
        assert server.stats["requests"] == 0
    paper = read_paper(tmp_path / "out" / "pdf_json" / f"{PDF_SHA1}.json")
    assert paper["metadata"]["title"].startswith("Territorial Rural Development")  # pdfminer's parse
