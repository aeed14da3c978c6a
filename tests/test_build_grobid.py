"""`cord19 build --grobid-url`: PDFs through a GROBID server, what happens when it is down, and
`--grobid-concurrency`."""
import json
import socket

import pytest

from pipeline.cli import main
from pipeline.snapshot import bundled_sample_snapshot
from release.validate import validate_path
from tests.support.grobid_server import GrobidTestServer

DATE = "2026-03-01"
TWO_WORKERS = ("--direct_running_mode=multi_processing", "--direct_num_workers=2")
DOC2JSON = "expected/doc2json_pdf_f2235cd"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def sample_pdfs() -> list[bytes]:
    folder = bundled_sample_snapshot() / "documents" / "pdf"
    return [path.read_bytes() for path in sorted(folder.glob("*.pdf"))]


def test_build_parses_pdfs_through_grobid(corpus_dir, tmp_path):
    tei = (corpus_dir / "expected/doc2json_pdf_f2235cd/f2235cd28c171f9f3b6a8bcebe246159c464980c.tei.xml").read_bytes()
    with GrobidTestServer() as server:
        shas = [server.add_document(pdf, tei) for pdf in sample_pdfs() if pdf.startswith(b"%PDF")]
        args = ["build", "--out", str(tmp_path), "--release-date", DATE, "--grobid-url", server.url,
                "--direct_running_mode=multi_processing", "--direct_num_workers=2"]
        assert main(args) == 0
    release = tmp_path / DATE
    assert validate_path(release) == []
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["parser_versions"]["pdf_json"].startswith("tei")
    parsed = {p.stem for p in (release / "document_parses/pdf_json").glob("*.json")}
    assert parsed and parsed <= set(shas)
    paper = json.loads((release / f"document_parses/pdf_json/{sorted(parsed)[0]}.json").read_text())
    assert len(paper["bib_entries"]) > 10  # the TEI's bibliography, not a pdfminer guess


def test_build_stops_with_one_line_when_grobid_is_down(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path), "--release-date", DATE, "--grobid-url", closed_port_url()]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cord19 build: error:") and "Traceback" not in err
    assert not (tmp_path / DATE).exists()


def test_build_falls_back_to_pdfminer_when_asked(tmp_path):
    args = ["build", "--out", str(tmp_path), "--release-date", DATE, "--grobid-url", closed_port_url(),
            "--on-grobid-down", "fallback"]
    assert main(args) == 0
    manifest = json.loads((tmp_path / DATE / "manifest.json").read_text())
    assert manifest["counts"]["pdf_json"] > 0
    assert not manifest["parser_versions"]["pdf_json"].startswith("tei")


def test_build_takes_the_grobid_concurrency_per_machine(tmp_path, corpus_dir):
    tei = (corpus_dir / DOC2JSON / "f2235cd28c171f9f3b6a8bcebe246159c464980c.tei.xml").read_bytes()
    pdfs = sample_pdfs()
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
