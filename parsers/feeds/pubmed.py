"""PubMed / MEDLINE XML (E-utilities efetch responses and baseline files) to source records.

Both are a `PubmedArticleSet` of `PubmedArticle` (and a few Bookshelf
`PubmedBookArticle`) elements; the same code reads every
DTD era (2018-2025 efetch, baseline). Files are streamed with iterparse and every
finished article is cleared, so memory stays flat on a 30,000-article baseline file.
"""
import io
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from parsers.errors import check_not_lfs_or_empty
from parsers.feeds.errors import FeedError, FeedRecordError, OnError, convert_item
from parsers.feeds.normalize import normalize_article_type
from parsers.feeds.record import doi_url, element_text, make_record, pmc_url, pubmed_url
from parsers.normalize import make_author, normalize_date
from parsers.xmlsafe import iterparse_safe
from schemas.identifiers import normalize_doi, normalize_pmcid, normalize_pmid
from schemas.records import PersonName, SourceRecord

SOURCE = "Medline"
SET_TAG = "PubmedArticleSet"
ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")


def _pub_date(article: etree._Element) -> str:
    """The journal issue date (Year/Month/Day or MedlineDate), else the electronic date."""
    pub_date = article.find("Journal/JournalIssue/PubDate")
    if pub_date is not None:
        medline_date = pub_date.findtext("MedlineDate")
        if medline_date:
            return normalize_date(medline_date)
        year = pub_date.findtext("Year")
        if year:
            parts = [year.strip(), (pub_date.findtext("Month") or "").strip(), (pub_date.findtext("Day") or "").strip()]
            return normalize_date(" ".join(p for p in parts if p))
    article_date = article.find("ArticleDate")
    if article_date is not None:
        return normalize_date(
            "-".join(article_date.findtext(tag) or "" for tag in ("Year", "Month", "Day")).strip("-")
        )
    return ""


def _authors(article: etree._Element) -> list[PersonName]:
    """Authors of an Article or BookDocument (a book's editor list is left out)."""
    authors = []
    for author in article.iterfind("AuthorList/Author"):
        if author.getparent().get("Type") == "editors":
            continue
        last = author.findtext("LastName")
        if last:
            given = author.findtext("ForeName") or " ".join(author.findtext("Initials") or "")
            authors.append(make_author(given, last, author.findtext("Suffix") or ""))
            continue
        collective = element_text(author.find("CollectiveName"))
        if collective:
            authors.append(make_author("", collective))
    return authors


def _abstract(article: etree._Element) -> str:
    """Abstract paragraphs joined; structured-abstract labels stay inline ("METHODS: ...")."""
    parts = []
    for text in article.iterfind("Abstract/AbstractText"):
        body = element_text(text)
        label = text.get("Label")
        if label and body:
            parts.append(f"{label}: {body}")
        elif body:
            parts.append(body)
    return " ".join(parts)


def book_to_record(element: etree._Element) -> SourceRecord:
    """One `PubmedBookArticle` element (an NCBI Bookshelf chapter or book) to a source record."""
    document = element.find("BookDocument")
    if document is None:
        raise FeedRecordError("PubmedBookArticle without BookDocument")
    pmid = normalize_pmid(document.findtext("PMID"))
    if not pmid:
        raise FeedRecordError("PubmedBookArticle without a valid PMID")
    book_title = element_text(document.find("Book/BookTitle"))
    pub_date = document.find("Book/PubDate")
    date_parts = (
        [(pub_date.findtext(tag) or "").strip() for tag in ("Year", "Month", "Day")] if pub_date is not None else []
    )
    return make_record(
        source=SOURCE,
        source_id=pmid,
        ids={"pubmed_id": pmid},
        title=element_text(document.find("ArticleTitle")) or book_title,
        abstract=_abstract(document),
        authors=_authors(document),
        publish_time=normalize_date(" ".join(p for p in date_parts if p)),
        journal=book_title,
        license="unk",
        urls=[pubmed_url(pmid)],
        article_type=(
            normalize_article_type([node.text or "" for node in document.iterfind("PublicationType")]) or "book"
        ),
    )


def article_to_record(element: etree._Element) -> SourceRecord:
    """One `PubmedArticle` element to a source record."""
    citation = element.find("MedlineCitation")
    if citation is None:
        raise FeedRecordError("PubmedArticle without MedlineCitation")
    pmid = normalize_pmid(citation.findtext("PMID"))
    if not pmid:
        raise FeedRecordError("PubmedArticle without a valid PMID")
    article = citation.find("Article")
    if article is None:
        raise FeedRecordError(f"PubmedArticle {pmid} without Article")
    article_ids = {
        (node.get("IdType") or "").lower(): (node.text or "").strip()
        for node in element.iterfind("PubmedData/ArticleIdList/ArticleId")
    }
    doi = normalize_doi(article_ids.get("doi"))
    if not doi:
        for location in article.iterfind("ELocationID"):
            if location.get("EIdType") == "doi":
                doi = normalize_doi(location.text)
                break
    pmcid = normalize_pmcid(article_ids.get("pmc"))
    title = element_text(article.find("ArticleTitle")) or element_text(article.find("VernacularTitle"))
    journal = element_text(article.find("Journal/Title")) or (citation.findtext("MedlineJournalInfo/MedlineTA") or "")
    return make_record(
        source=SOURCE,
        source_id=pmid,
        ids={"pubmed_id": pmid, "doi": doi, "pmcid": pmcid},
        title=title,
        abstract=_abstract(article),
        authors=_authors(article),
        publish_time=_pub_date(article),
        journal=journal,
        license="unk",
        urls=[doi_url(doi), pubmed_url(pmid), pmc_url(pmcid)],
        article_type=normalize_article_type(
            [node.text or "" for node in article.iterfind("PublicationTypeList/PublicationType")]
        ),
    )


def _to_record(element: etree._Element) -> SourceRecord:
    return article_to_record(element) if element.tag == "PubmedArticle" else book_to_record(element)


def _check_root(first: etree._Element) -> None:
    """FeedError unless the first PubMed element read is the document's root."""
    if first.getparent() is not None:
        root = first.getroottree().getroot()
        raise FeedError(f"not a PubMed XML response (root element {root.tag!r})")


def iter_stream(stream: BinaryIO, on_error: OnError = None) -> Iterator[SourceRecord]:
    """Stream records from a PubmedArticleSet file object, clearing each finished article.

    FeedError when the file is not well-formed or its root is not a PubmedArticleSet
    (or a lone PubmedArticle): the parser, not a byte prefix, reads the root.
    """
    index = 0
    root_seen = False
    try:
        for event, element in iterparse_safe(stream, tag=(SET_TAG,) + ARTICLE_TAGS, events=("start", "end")):
            if not root_seen:
                _check_root(element)
                root_seen = True
            if event == "start" or element.tag == SET_TAG:
                continue
            index += 1
            record = convert_item(_to_record, element, f"{element.tag} #{index}", on_error)
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
            if record is not None:
                yield record
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"PubMed XML is not well-formed after {index} articles: {exc}") from exc
    if not root_seen:
        raise FeedError("not a PubMed XML response (no PubmedArticleSet)")


def parse(data: bytes, on_error: OnError = None) -> list[SourceRecord]:
    """All records of one PubMed XML response."""
    check_not_lfs_or_empty(data)
    return list(iter_stream(io.BytesIO(data), on_error))
