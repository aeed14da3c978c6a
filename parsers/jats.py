"""PMC JATS XML to a CORD-19 pmc_json paper, plus the abstract and identifiers for metadata.

`parse_jats(data)` follows JATS's own split: parsers.jats_front reads <front> (title,
authors, affiliations, emails, ids, journal, date, licence, abstract),
parsers.jats_body turns <body> into paragraphs with exact cite and ref spans, and
parsers.jats_back reads the bibliography, figures, tables and back matter.
The XML is parsed with parsers.xmlsafe (no network, no DTD, no entity expansion).
"""
import hashlib
import logging
from dataclasses import dataclass

from lxml import etree

from parsers.errors import ParseError
from parsers.jats_back import funding_paragraphs, read_back_matter, read_bibliography, read_floats
from parsers.jats_body import BodyContext, Links, walk_children
from parsers.jats_front import read_abstract, read_front
from parsers.jats_math import flatten_formulas
from parsers.jats_text import local_name
from parsers.xmlsafe import parse_xml_bytes

logger = logging.getLogger(__name__)

PARSER_VERSION = "jats-1.0"


class NotJatsError(ParseError):
    """Well-formed XML that is not a JATS article."""

    reason = "not_jats"


class MultipleArticlesError(ParseError):
    """A <pmc-articleset> holding more than one article (one paper per input is expected)."""

    reason = "multiple_articles"


@dataclass(frozen=True)
class JatsParse:
    """One parsed article: the pmc_json paper and what metadata.csv needs beside it."""

    paper: dict
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
    article = find_article(parse_xml_bytes(data))
    front = article.find("front")
    flatten_formulas(article)
    meta = read_front(front)
    article_meta = front.find("article-meta")
    bib_entries, bib_ids, bib_labels = read_bibliography(article)
    ref_entries, float_ids = read_floats(article)
    ctx = BodyContext(Links(bib_ids, bib_labels, float_ids, len(bib_entries)))
    body_text: list[dict] = []
    body = article.find("body")
    if body is not None:
        walk_children(body, "", ctx, body_text)
    back_matter = read_back_matter(article, funding_paragraphs(article_meta), ctx)
    paper_id = meta.ids["pmcid"] or fallback_paper_id or hashlib.sha1(data).hexdigest()
    paper = {
        "paper_id": paper_id,
        "metadata": {"title": meta.title, "authors": meta.authors},
        "body_text": body_text,
        "bib_entries": bib_entries,
        "ref_entries": ref_entries,
        "back_matter": back_matter,
    }
    return JatsParse(
        paper=paper,
        abstract=read_abstract(article_meta),
        article_type=(article.get("article-type") or "").strip().lower(),
        ids=meta.ids,
        journal=meta.journal,
        publish_time=meta.publish_time,
        license=meta.license,
    )


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
        raise NotJatsError(f"the root element is <{name}>, not a JATS <article>")
    if root.find("front") is None:
        raise NotJatsError("the <article> has no <front>, so it is not a JATS article")
    return root
