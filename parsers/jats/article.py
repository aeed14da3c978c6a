"""`parse_jats`: one JATS article's bytes to its pmc_json paper (see parsers/jats/__init__.py)."""
import hashlib
import logging
import re
from dataclasses import dataclass

from lxml import etree

from parsers.errors import ParseError
from parsers.jats.back import funding_paragraphs, read_back_matter, read_bibliography, read_floats
from parsers.jats.body import BodyContext, Links, walk_block, walk_children
from parsers.jats.front import read_abstract, read_front
from parsers.jats.html import holds_escaped_html, html_paragraphs
from parsers.jats.math import flatten_formulas
from parsers.jats.text import local_name, strip_inline_markup
from parsers.xmlsafe import parse_xml_bytes
from schemas.records import Paper, Paragraph, paper

logger = logging.getLogger(__name__)

PARSER_VERSION = "jats-2.0"

_LATIN1_DECLARATION = re.compile(
    rb"""^\s*<\?xml[^>]*encoding=["'](?:iso-8859-1|latin-?1)["'][^>]*\?>""", re.IGNORECASE)
_C1_BYTES = re.compile(rb"[\x80-\x9f]")
_C1_CHARS = re.compile("[\x80-\x9f]")
_CP1252_FOR_C1 = {
    chr(code): bytes([code]).decode("cp1252") for code in range(0x80, 0xA0)
    if code not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


class NotJatsError(ParseError):
    """Well-formed XML that is not a JATS article."""

    reason = "not_jats"


class MultipleArticlesError(ParseError):
    """A <pmc-articleset> holding more than one article (one paper per input is expected)."""

    reason = "multiple_articles"


@dataclass(frozen=True)
class JatsParse:
    """One parsed article: the pmc_json paper and what metadata.csv needs beside it."""

    paper: Paper
    abstract: str
    article_type: str
    ids: dict
    journal: str = ""
    publish_time: str = ""
    license: str = "unk"


def parse_jats(data: bytes, fallback_paper_id: str = "") -> JatsParse:
    """Convert JATS XML bytes to a pmc_json paper.

    paper_id is the PMCID when the article has one, else `fallback_paper_id`, else the
    SHA-1 of `data` (so the paper is always valid). Raises EmptyInputError,
    GitLfsPointerError, NotXmlError, UnsafeXmlError or NotJatsError /
    MultipleArticlesError (all ParseError) for inputs that are not one JATS article.
    """
    article = find_article(parse_xml_bytes(repair_cp1252_declared_latin1(data)))
    front = article.find("front")
    flatten_formulas(article)
    meta = read_front(front)
    article_meta = front.find("article-meta")
    abstract = read_abstract(article_meta)
    strip_inline_markup(article)
    bib_entries, bib_ids, bib_labels = read_bibliography(article)
    ref_entries, float_ids = read_floats(article)
    ctx = BodyContext(Links(bib_ids, bib_labels, float_ids, len(bib_entries)))
    body_text = read_body(article, ctx)
    back_matter = read_back_matter(article, funding_paragraphs(article_meta), ctx)
    paper_id = meta.ids["pmcid"] or fallback_paper_id or hashlib.sha1(data).hexdigest()
    return JatsParse(
        paper=paper(paper_id, meta.title, meta.authors, body_text, bib_entries, ref_entries, back_matter),
        abstract=abstract,
        article_type=(article.get("article-type") or "").strip().lower(),
        ids=meta.ids,
        journal=meta.journal,
        publish_time=meta.publish_time,
        license=meta.license,
    )


def repair_cp1252_declared_latin1(data: bytes) -> bytes:
    """Re-encode a file declared ISO-8859-1 that really is Windows-1252 as UTF-8.

    Bytes 0x80-0x9F are invisible control characters in ISO-8859-1 but quotes and
    dashes in Windows-1252, which is what such files (e.g. SciELO exports) really hold.
    Other files are returned unchanged.
    """
    declaration = _LATIN1_DECLARATION.match(data)
    if declaration is None or not _C1_BYTES.search(data):
        return data
    logger.debug("input declared ISO-8859-1 holds Windows-1252 characters; re-encoded as UTF-8")
    text = _C1_CHARS.sub(lambda match: _CP1252_FOR_C1.get(match.group(0), match.group(0)),
                         data[declaration.end():].decode("latin-1"))
    return b'<?xml version="1.0" encoding="UTF-8"?>' + text.encode("utf-8")


def read_body(article: etree._Element, ctx: BodyContext) -> list[Paragraph]:
    """Paragraphs of every <body> of the article (SciELO splits it in several parts), with
    the boxed texts of <floats-group> where they are first cited, else at the end."""
    paragraphs: list[Paragraph] = []
    html_section = ""
    for floats in article.findall("floats-group"):
        ctx.floating_boxes.update((box.get("id") or f"#{n}", box) for n, box in enumerate(floats.iter("boxed-text")))
    for body in article.findall("body"):
        if holds_escaped_html(body):
            html_section = html_paragraphs(body.text, html_section, paragraphs)
        else:
            walk_children(body, "", ctx, paragraphs)
    for box in list(ctx.floating_boxes.values()):
        walk_block(box, "", ctx, paragraphs)
    ctx.floating_boxes.clear()
    return paragraphs


def find_article(root: etree._Element) -> etree._Element:
    """The <article> element: the root itself, or the only article of a <pmc-articleset>."""
    name = local_name(root)
    if name == "pmc-articleset":
        articles = root.findall("article")
        if not articles:
            raise NotJatsError("the <pmc-articleset> holds no <article> (an efetch error or empty answer?)")
        if len(articles) > 1:
            raise MultipleArticlesError(f"the <pmc-articleset> holds {len(articles)} articles, expected one")
        root, name = articles[0], "article"
    if root.tag != "article":
        if name == "article":
            raise NotJatsError(f"the <article> is in namespace {root.tag[1:].partition('}')[0]!r}; "
                               "JATS elements have no namespace")
        raise NotJatsError(f"the root element is <{name}>, not a JATS <article>")
    if root.find("front") is None:
        raise NotJatsError("the <article> has no <front>, so it is not a JATS article")
    return root
