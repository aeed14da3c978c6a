"""parsers.documents: kind detection by content, parser versions, parse_document, the GROBID-down decision."""
import hashlib
import logging
import socket

import pytest

from parsers.documents import (
    UnknownInputKindError,
    detect_kind,
    input_kind,
    parse_document,
    parser_version,
    parser_versions,
    use_grobid,
)
from parsers.errors import EmptyInputError, GitLfsPointerError
from parsers.grobid import GrobidClient, GrobidDownError
from parsers.jats import PARSER_VERSION as JATS_VERSION
from parsers.pdf.fallback import PARSER_VERSION as PDFMINER_VERSION
from parsers.pdf.tei import PARSER_VERSION as TEI_VERSION
from tests.support.grobid_server import GrobidTestServer

SMALL_ARTICLE = (b'<?xml version="1.0"?><article><front><article-meta>'
                 b'<article-id pub-id-type="pmc">PMC42</article-id></article-meta></front>'
                 b"<body><p>Hello.</p></body></article>")
SMALL_TEI = (b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt>'
             b'<title type="main">A title</title></titleStmt></fileDesc></teiHeader>'
             b"<text><body><div><p>Some text.</p></div></body></text></TEI>")


@pytest.mark.parametrize("data, kind", [
    (SMALL_ARTICLE, "jats"),
    (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- c --><!DOCTYPE article PUBLIC "-//NLM//DTD JATS//EN" "a.dtd">'
     b"\n<article/>", "jats"),
    (b"<!DOCTYPE pmc-articleset><pmc-articleset><article/></pmc-articleset>", "jats"),
    (b'<?xml version="1.0"?><TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/></TEI>', "tei"),
    (b"<tei:TEI xmlns:tei='http://www.tei-c.org/ns/1.0'/>", "tei"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf"),
    (b"<html><body/></html>", "unknown"),
    (b"just text", "unknown"),
    (b"", "unknown"),
])
def test_detect_kind(data, kind):
    assert detect_kind(data) == kind


def test_input_kind_takes_other_markup_as_jats_and_refuses_the_rest():
    assert input_kind(SMALL_TEI) == "tei"
    assert input_kind(b"  <html><body/></html>") == "jats"  # the JATS parser then says "not_jats"
    with pytest.raises(UnknownInputKindError) as exc:
        input_kind(b"just text")
    assert exc.value.reason == "unknown_input_kind"
    with pytest.raises(EmptyInputError):
        input_kind(b" \n")
    with pytest.raises(GitLfsPointerError):
        input_kind(b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 1\n")


def test_parser_versions():
    assert parser_version("jats", grobid_version="0.8.0") == JATS_VERSION
    assert parser_version("pdf") == PDFMINER_VERSION
    assert parser_version("pdf", grobid_version="0.8.0") == f"{TEI_VERSION}+grobid-0.8.0"
    assert parser_version("tei") == TEI_VERSION
    assert parser_versions() == {"pmc_json": JATS_VERSION, "pdf_json": PDFMINER_VERSION}
    assert parser_versions("0.8.0") == {"pmc_json": JATS_VERSION, "pdf_json": f"{TEI_VERSION}+grobid-0.8.0"}
    with pytest.raises(ValueError):
        parser_version("html")


def test_parse_document_of_each_kind(corpus_dir):
    paper, ids = parse_document("jats", SMALL_ARTICLE, "fallback", None)
    assert (paper["paper_id"], ids) == ("PMC42", {"pmcid": "PMC42"})
    paper, ids = parse_document("jats", SMALL_ARTICLE.replace(b"PMC42", b""), "fallback", None)
    assert (paper["paper_id"], ids) == ("fallback", {})
    paper, ids = parse_document("tei", SMALL_TEI, "stem", None)
    assert (paper["paper_id"], paper["metadata"]["title"], ids) == ("stem", "A title", {})
    pdf = (corpus_dir / "pdf" / "grobid_two_pages.pdf").read_bytes()
    paper, ids = parse_document("pdf", pdf, "ignored", None)
    assert (paper["paper_id"], ids) == (hashlib.sha1(pdf).hexdigest(), {})
    with pytest.raises(ValueError):
        parse_document("html", b"<html/>", "x", None)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_use_grobid_when_it_answers_and_when_it_is_down(caplog):
    with GrobidTestServer() as server:
        assert use_grobid(GrobidClient(server.url), "fail") is True
        server.alive = False
        with pytest.raises(GrobidDownError):
            use_grobid(GrobidClient(server.url), "fail")
    with caplog.at_level(logging.WARNING, logger="parsers.documents"):
        assert use_grobid(GrobidClient(closed_port_url()), "fallback") is False
    assert "pdfminer.six instead" in caplog.text
    with pytest.raises(ValueError):
        use_grobid(GrobidClient(closed_port_url()), "retry")
