"""PMC feeds to source records: efetch `pmc-articleset` XML and the OA file list CSV.

An efetch db=pmc response holds whole JATS `<article>`s; the record comes from the
front matter and points at the article's JATS for download. The OA file list
(`oa_file_list.csv`: File, Article Citation, Accession ID, Last Updated, PMID,
License) gives ids, citation and licence, and the package or PDF to download.
"""
import io
import re
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from parsers.errors import check_not_lfs_or_empty
from parsers.feeds.csvfile import read_csv_feed
from parsers.feeds.errors import FeedError, FeedRecordError, OnError, convert_item
from parsers.feeds.normalize import normalize_article_type
from parsers.feeds.record import (
    doi_url,
    element_text,
    europepmc_jats_url,
    make_record,
    pmc_url,
    pubmed_url,
)
from parsers.normalize import make_author, normalize_date, normalize_license
from parsers.xmlsafe import iterparse_safe
from schemas.identifiers import normalize_doi, normalize_pmcid, normalize_pmid
from schemas.records import DocumentLink, PersonName, SourceRecord

SOURCE = "PMC"
OA_FILE_BASE_URL = "https://ftp.ncbi.nlm.nih.gov/pub/pmc/"
OA_LIST_HEADER = ("File", "Article Citation", "Accession ID")
OA_LIST_KEY_PATTERN = re.compile(r"PMC\d+")  # how the OA file list writes an Accession ID
ARTICLESET_TAGS = ("pmc-articleset", "article")
_MARKUP_STARTS = (b"<", b"\xff\xfe", b"\xfe\xff", b"\x00<")  # "<" in UTF-8 or UTF-16 (with or without a BOM)
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_PUB_DATE_PREFERENCE = ("epub", "ppub", "collection", "pub", "")
_CITATION_DATE = re.compile(r"\.\s+(\d{4}(?:\s+[A-Za-z]{3}(?:\s+\d{1,2})?)?)")


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _find_local(element: etree._Element, path: str) -> etree._Element | None:
    """Like find() on a slash path, ignoring namespaces (JATS 1.2 license refs are namespaced)."""
    current = [element]
    for step in path.split("/"):
        current = [child for node in current for child in node if _local(child.tag) == step]
        if not current:
            return None
    return current[0]


def _jats_license(article_meta: etree._Element) -> str:
    permissions = article_meta.find("permissions")
    if permissions is None:
        return "unk"
    for license_element in permissions.iter("{*}license"):
        for candidate in (license_element.get(XLINK_HREF), license_element.get("license-type")):
            value = normalize_license(candidate)
            if value != "unk":
                return value
        ref = _find_local(license_element, "license_ref")
        if ref is not None and normalize_license(ref.text) != "unk":
            return normalize_license(ref.text)
        text = element_text(license_element).lower()
        if "covid-19 resource centre" in text or "covid-19 resource center" in text:
            return "els-covid"
        match = re.search(r"creativecommons\.org/\S+", text)
        if match:
            return normalize_license(match.group(0))
    return "unk"


def _jats_pub_date(article_meta: etree._Element) -> str:
    dates: dict[str, str] = {}
    for pub_date in article_meta.iterfind("pub-date"):
        kind = pub_date.get("pub-type") or pub_date.get("date-type") or ""
        iso = pub_date.get("iso-8601-date")
        year = (pub_date.findtext("year") or "").strip()
        value = normalize_date(iso) if iso else ""
        if not value and year:
            month = (pub_date.findtext("month") or "").strip()
            day = (pub_date.findtext("day") or "").strip()
            value = normalize_date("-".join(p for p in (year, month, day) if p))
        if value:
            dates.setdefault(kind, value)
    for kind in _PUB_DATE_PREFERENCE:
        if kind in dates:
            return dates[kind]
    return min(dates.values()) if dates else ""


def _jats_authors(article_meta: etree._Element) -> list[PersonName]:
    authors = []
    for contrib in article_meta.iterfind("contrib-group/contrib"):
        if contrib.get("contrib-type", "author") != "author":
            continue
        name = contrib.find("name")
        if name is None:
            name = contrib.find("name-alternatives/name")
        if name is not None:
            authors.append(
                make_author(
                    element_text(name.find("given-names")),
                    element_text(name.find("surname")),
                    element_text(name.find("suffix")),
                )
            )
            continue
        collab = element_text(contrib.find("collab"))
        if collab:
            authors.append(make_author("", collab))
    return authors


def _section_text(node: etree._Element) -> str:
    """Text of an abstract or abstract section; a section's title leads ("Background: ...")."""
    parts = []
    title = ""
    for child in node:
        name = _local(child.tag)
        if name == "title":
            title = element_text(child)
        elif name == "sec":
            parts.append(_section_text(child))
        else:
            parts.append(element_text(child))
    body = " ".join(p for p in parts if p)
    if node.tag == "sec" and title:
        return f"{title}: {body}" if body else title
    return body


def _jats_abstract(article_meta: etree._Element) -> str:
    """The main abstract (not a teaser or graphical abstract); section titles stay inline."""
    for abstract in article_meta.iterfind("abstract"):
        if abstract.get("abstract-type") in (None, "", "structured", "summary"):
            return _section_text(abstract)
    return ""


def article_to_record(article: etree._Element) -> SourceRecord:
    """One JATS `<article>` (from a pmc-articleset) to a source record."""
    article_meta = article.find("front/article-meta")
    if article_meta is None:
        raise FeedRecordError("JATS article without front/article-meta")
    article_ids: dict[str, str] = {}
    for node in article_meta.iterfind("article-id"):
        article_ids.setdefault(node.get("pub-id-type") or "", (node.text or "").strip())
    pmcid = normalize_pmcid(article_ids.get("pmc") or article_ids.get("pmcid"))
    if not pmcid:
        raise FeedRecordError("JATS article without a PMC id")
    pmid = normalize_pmid(article_ids.get("pmid"))
    doi = normalize_doi(article_ids.get("doi"))
    journal_meta = article.find("front/journal-meta")
    journal = ""
    if journal_meta is not None:
        journal = element_text(journal_meta.find("journal-title-group/journal-title")) or element_text(
            journal_meta.find("journal-title")
        )
    license_value = _jats_license(article_meta)
    return make_record(
        source=SOURCE,
        source_id=pmcid,
        ids={"pmcid": pmcid, "pubmed_id": pmid, "doi": doi},
        title=element_text(article_meta.find("title-group/article-title")),
        abstract=_jats_abstract(article_meta),
        authors=_jats_authors(article_meta),
        publish_time=_jats_pub_date(article_meta),
        journal=journal,
        license=license_value,
        urls=[doi_url(doi), pmc_url(pmcid), pubmed_url(pmid)],
        documents=[{"type": "jats", "url": europepmc_jats_url(pmcid)}],
        article_type=normalize_article_type([article.get("article-type") or ""]),
    )


def _iter_articleset(stream: BinaryIO, on_error: OnError) -> Iterator[SourceRecord]:
    """Records of a pmc-articleset (or a lone article); FeedError when the root is neither."""
    index = 0
    root_seen = False
    try:
        for event, element in iterparse_safe(stream, tag=ARTICLESET_TAGS, events=("start", "end")):
            parent = element.getparent()
            if not root_seen:
                if parent is not None:  # the first pmc-articleset or article element is not the root
                    raise FeedError(f"not a PMC articleset (root element {element.getroottree().getroot().tag!r})")
                root_seen = True
            if event == "start" or element.tag != "article":
                continue
            if parent is not None and _local(parent.tag) != "pmc-articleset":
                continue  # an article inside an article (e.g. a response), not one of the set
            index += 1
            record = convert_item(article_to_record, element, f"article #{index}", on_error)
            element.clear()
            if record is not None:
                yield record
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"PMC XML is not well-formed after {index} articles: {exc}") from exc
    if not root_seen:
        raise FeedError("not a PMC articleset (no pmc-articleset or article element)")


def oa_row_to_record(row: dict) -> SourceRecord:
    """One row of the PMC OA file list to a source record with its download link."""
    pmcid = normalize_pmcid(row.get("Accession ID"))
    if not pmcid:
        raise FeedRecordError(f"OA file list row without a PMC id: {row.get('Accession ID')!r}")
    pmid = normalize_pmid(row.get("PMID"))
    citation = (row.get("Article Citation") or "").strip()
    journal, _, _rest = citation.partition(". ")
    date_match = _CITATION_DATE.search(citation)
    file_path = (row.get("File") or "").strip()
    documents: list[DocumentLink] = []
    if file_path:
        url = OA_FILE_BASE_URL + file_path.lstrip("/")
        doc_type = "pdf" if file_path.lower().endswith(".pdf") else "jats"
        documents.append({"type": doc_type, "url": url})
    return make_record(
        source=SOURCE,
        source_id=pmcid,
        ids={"pmcid": pmcid, "pubmed_id": pmid},
        journal=journal,
        publish_time=normalize_date(date_match.group(1)) if date_match else "",
        license=normalize_license(row.get("License")),
        urls=[pmc_url(pmcid), pubmed_url(pmid)],
        documents=documents,
    )


def _check_oa_list_header(header: list[str]) -> None:
    if tuple(header[:3]) != OA_LIST_HEADER:
        raise FeedError(f"not a PMC OA file list: header {header[:10]!r}")


def _iter_oa_list(stream: BinaryIO, on_error: OnError) -> Iterator[SourceRecord]:
    for row in read_csv_feed(stream, "PMC OA file list", _check_oa_list_header, "Accession ID", OA_LIST_KEY_PATTERN,
                             on_error):
        record = convert_item(oa_row_to_record, row.values, row.item, on_error)
        if record is not None:
            yield record


def iter_stream(stream: BinaryIO, on_error: OnError = None) -> Iterator[SourceRecord]:
    """Records of a PMC feed file: sniffs articleset XML versus the OA file list CSV."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)  # type: ignore[type-var]
    head = buffered.peek(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FeedError("the PMC feed file is empty")
    if head.startswith(_MARKUP_STARTS):
        return _iter_articleset(buffered, on_error)
    return _iter_oa_list(buffered, on_error)


def parse(data: bytes, on_error: OnError = None) -> list[SourceRecord]:
    """All records of one PMC response (articleset XML or OA file list CSV)."""
    check_not_lfs_or_empty(data)
    return list(iter_stream(io.BytesIO(data), on_error))
