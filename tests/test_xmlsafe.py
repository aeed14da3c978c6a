"""parsers.xmlsafe and the document checks of parsers.documents on the hostile inputs of issue #15.

The unsafe-XML check asks the parser for the internal DTD subset, so it does not depend
on where the DOCTYPE sits or on the encoding; kind detection reads the root element
whatever the prolog; documents over a size limit are refused as input_too_large.
"""
import io
import json

import pytest

from parsers.documents import DEFAULT_LIMITS, InputLimits, InputTooLargeError, detect_kind, input_kind, parse_document
from parsers.errors import NotXmlError, ParseError, UnsafeXmlError
from parsers.feeds import iter_feed_records, parse_feed_bytes
from parsers.feeds.errors import FeedError
from parsers.jats import parse_jats
from parsers.pdf.tei import tei_to_pdf_json
from parsers.xmlsafe import iterparse_safe, parse_xml_bytes, root_name
from pipeline.cli import main
from pipeline.commands.parse import DEFAULT_MAX_PDF_MB, DEFAULT_MAX_XML_MB, MiB
from tests.support.hostile_inputs import (
    big_jats,
    external_entity_xml,
    tei_with_long_prolog,
    utf16le_external_entity_xml,
)

ENTITY_KINDS = [
    b'<!ENTITY ext SYSTEM "file:///etc/hostname">',
    b'<!ENTITY internal "expanded">',
    b'<!ENTITY % remote SYSTEM "http://127.0.0.1:9/p.dtd">',
]


@pytest.mark.parametrize("data", [
    external_entity_xml(comment_bytes=0),
    external_entity_xml(comment_bytes=70_000),
    utf16le_external_entity_xml(),
    external_entity_xml(comment_bytes=70_000).decode("utf-8").replace("UTF-8", "UTF-16").encode("utf-16"),
], ids=["plain", "after-a-70KB-comment", "utf16le-without-bom", "utf16-with-bom"])
def test_an_external_entity_is_refused_wherever_the_doctype_sits_and_whatever_the_encoding(data):
    with pytest.raises(UnsafeXmlError) as caught:
        parse_jats(data)
    assert caught.value.reason == "unsafe_xml"
    with pytest.raises(UnsafeXmlError):
        parse_document(input_kind(data), data, "x", None)


@pytest.mark.parametrize("entity", ENTITY_KINDS)
def test_every_kind_of_entity_declaration_is_refused(entity):
    data = b"<!DOCTYPE article [" + b"<!-- " + b"x" * 70_000 + b" -->" + entity + b"]><article><front/></article>"
    with pytest.raises(UnsafeXmlError):
        parse_xml_bytes(data)


def test_entity_loops_and_amplification_are_unsafe_not_merely_broken():
    loop = b'<!DOCTYPE a [<!ENTITY a "&b;"><!ENTITY b "&a;">]><a>&a;</a>'
    laughs = b'<!DOCTYPE a [<!ENTITY l0 "lol">' + b"".join(
        b'<!ENTITY l%d "%s">' % (n, b"&l%d;" % (n - 1) * 10) for n in range(1, 10)) + b"]><a>&l9;</a>"
    for data in (loop, laughs):
        with pytest.raises(UnsafeXmlError):
            parse_xml_bytes(data)
        with pytest.raises(UnsafeXmlError):
            list(iterparse_safe(io.BytesIO(data), tag="zzz"))


def test_doctypes_without_entities_are_fine():
    for data in (b'<!DOCTYPE article PUBLIC "-//NLM//DTD JATS//EN" "http://127.0.0.1:9/jats.dtd"><article/>',
                 b"<!DOCTYPE article [<!ELEMENT article ANY>]><article/>"):
        assert parse_xml_bytes(data).tag == "article"
    assert parse_xml_bytes('<?xml version="1.0" encoding="UTF-16"?><article/>'.encode("utf-16-le")).tag == "article"


def test_utf16_without_a_declaration_or_bom_is_not_xml():
    data = external_entity_xml(comment_bytes=0).decode("utf-8").split("?>", 1)[1].encode("utf-16-le")
    with pytest.raises(NotXmlError):
        parse_xml_bytes(data)


def test_streamed_feeds_refuse_entity_declarations(tmp_path, corpus_dir):
    data = (corpus_dir / "feeds/pubmed/biopython_pubmed1.xml").read_bytes()
    doctype_end = data.index(b".dtd\">") + len(b".dtd\"")
    hostile = data[:doctype_end] + b' [<!-- ' + b"x" * 70_000 + b' --><!ENTITY ext SYSTEM "file:///etc/hostname">]' + data[doctype_end:]
    hostile = hostile.replace(b"<ArticleTitle>", b"<ArticleTitle>&ext;", 1)
    path = tmp_path / "pubmed.xml"
    path.write_bytes(hostile)
    with pytest.raises(FeedError) as caught:
        list(iter_feed_records("pubmed", str(path)))
    assert caught.value.reason == "unsafe_xml"
    arxiv = (corpus_dir / "feeds/arxiv/arxivpy2016_id_list_1111.2011v2.atom.xml").read_bytes()
    with pytest.raises(FeedError) as caught:
        parse_feed_bytes("arxiv", b'<!DOCTYPE feed [<!ENTITY e "x">]>' + arxiv[arxiv.index(b"<feed"):])
    assert caught.value.reason == "unsafe_xml"


# ---------------------------------------------------------------- kind detection


def test_a_tei_file_with_a_long_prolog_is_tei():
    data = tei_with_long_prolog(6000)
    assert data.index(b"<TEI") > 4096
    assert detect_kind(data) == "tei"
    assert tei_to_pdf_json(data, "a" * 40)["metadata"]["title"] == "A long prolog"
    paper, _ = parse_document(input_kind(data), data, "a" * 40, None)
    assert paper["metadata"]["title"] == "A long prolog"


@pytest.mark.parametrize("data, kind", [
    (tei_with_long_prolog(200_000), "tei"),
    (tei_with_long_prolog(10).decode("utf-8").replace("UTF-8", "UTF-16").encode("utf-16"), "tei"),
    (b"<?xml version='1.0'?>\n<!-- " + b"c" * 100_000 + b" -->\n<!DOCTYPE article SYSTEM 'x.dtd'><article/>", "jats"),
    (b"<article><p>cut off", "jats"),
    (b"<article x='1' x='2'/>", "unknown"),  # broken before its root: input_kind still gives the JATS parser
    (b"<foo:TEI/>", "tei"),
    (b"%PDF-1.4", "pdf"),
    (b"\x00\x01binary", "unknown"),
])
def test_detect_kind_reads_the_root_element_whatever_the_prolog(data, kind):
    assert detect_kind(data) == kind


def test_root_name():
    assert root_name(b'<?xml version="1.0"?><!-- x --><tei:TEI xmlns:tei="http://www.tei-c.org/ns/1.0"/>') == "TEI"
    assert root_name(b"no markup") is None
    assert root_name(b"") is None


# ---------------------------------------------------------------- input size limits


def test_inputs_over_their_size_limit_are_refused_before_parsing():
    limits = InputLimits(xml_bytes=1000, pdf_bytes=2000)
    article = big_jats(100)
    assert len(article) > 1000
    with pytest.raises(InputTooLargeError) as caught:
        parse_document("jats", article, "x", None, limits)
    assert caught.value.reason == "input_too_large" and isinstance(caught.value, ParseError)
    with pytest.raises(InputTooLargeError):
        parse_document("tei", tei_with_long_prolog(2000), "a" * 40, None, limits)
    with pytest.raises(InputTooLargeError, match="pdf input is 2,001 bytes"):
        parse_document("pdf", b"%PDF-1.4" + b" " * 1993, "x", None, limits)
    assert parse_document("jats", article, "x", None)[0]["paper_id"] == "PMC1"  # the default lets it through


def test_the_default_limits_and_the_cli_defaults_agree():
    assert DEFAULT_LIMITS == InputLimits(xml_bytes=DEFAULT_MAX_XML_MB * MiB, pdf_bytes=DEFAULT_MAX_PDF_MB * MiB)


def test_cord19_parse_limits_are_flags(tmp_path):
    big = tmp_path / "big.xml"
    big.write_bytes(big_jats(30_000))  # about 1.4 MB
    huge = tmp_path / "huge.xml"
    huge.write_bytes(big_jats(60_000))
    out = tmp_path / "out"
    assert main(["parse", str(big), str(huge), "--out", str(out), "--max-xml-mb", "1", "--max-pdf-mb", "2"]) == 1
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert [(f["input"].rsplit("/", 1)[1], f["reason"]) for f in failures] == [
        ("big.xml", "input_too_large"), ("huge.xml", "input_too_large")]
    assert "over the limit of 1,048,576 bytes" in failures[0]["message"]
    assert "over the largest size limit of 2,097,152 bytes" in failures[1]["message"]  # refused unread
    assert main(["parse", str(big), "--out", str(out)]) == 0
    with pytest.raises(SystemExit):
        main(["parse", str(big), "--out", str(out), "--max-xml-mb", "0"])
