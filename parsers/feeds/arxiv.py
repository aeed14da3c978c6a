"""arXiv API Atom responses (old and current formats) to source records.

The API reports a bad query with an Atom feed whose single entry has an
`.../api/errors#...` id; that becomes FeedApiError. An empty result is a feed
without entries: zero records.
"""

from lxml import etree

from parsers.feeds.errors import FeedApiError, FeedError, FeedRecordError, OnError, convert_items
from parsers.feeds.record import doi_url, element_text, make_record
from parsers.normalize import split_author_name
from parsers.xmlsafe import parse_xml_bytes
from schemas.identifiers import normalize_arxiv_id, normalize_doi
from schemas.records import SourceRecord

SOURCE = "ArXiv"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


def parse_feed_root(data: bytes) -> etree._Element:
    """The Atom `<feed>` root of a response; FeedApiError for arXiv's error feed."""
    root = parse_xml_bytes(data)
    if root.tag != f"{ATOM}feed":
        raise FeedError(f"not an Atom feed (root element {root.tag!r})")
    for entry in root.iterfind(f"{ATOM}entry"):
        entry_id = entry.findtext(f"{ATOM}id") or ""
        if "/api/errors" in entry_id:
            message = element_text(entry.find(f"{ATOM}summary")) or entry_id
            raise FeedApiError(f"arXiv API error: {message[:500]}")
    return root


def total_results(root: etree._Element) -> int:
    """opensearch:totalResults of a feed (0 when absent)."""
    text = root.findtext(f"{OPENSEARCH}totalResults") or "0"
    return int(text.strip() or 0)


def entry_to_record(entry: etree._Element) -> SourceRecord:
    """One Atom `<entry>` to a source record."""
    entry_id = entry.findtext(f"{ATOM}id") or ""
    arxiv_id = normalize_arxiv_id(entry_id)
    if not arxiv_id:
        raise FeedRecordError(f"entry without an arXiv id: {entry_id!r}")
    doi = normalize_doi(entry.findtext(f"{ARXIV}doi"))
    pdf_url = ""
    page_url = ""
    for link in entry.iterfind(f"{ATOM}link"):
        if link.get("title") == "pdf" or link.get("type") == "application/pdf":
            pdf_url = link.get("href") or ""
        elif link.get("rel") == "alternate":
            page_url = link.get("href") or ""
    authors = [
        split_author_name(element_text(author.find(f"{ATOM}name"))) for author in entry.iterfind(f"{ATOM}author")
    ]
    return make_record(
        source=SOURCE,
        source_id=arxiv_id,
        ids={"arxiv_id": arxiv_id, "doi": doi},
        title=element_text(entry.find(f"{ATOM}title")),
        abstract=element_text(entry.find(f"{ATOM}summary")),
        authors=authors,
        publish_time=entry.findtext(f"{ATOM}published") or "",
        journal="ArXiv",
        license="arxiv",
        urls=[page_url or f"https://arxiv.org/abs/{arxiv_id}", doi_url(doi)],
        documents=[{"type": "pdf", "url": pdf_url}] if pdf_url else [],
        article_type="preprint",
    )


def parse(data: bytes, on_error: OnError = None) -> list[SourceRecord]:
    """All records of one arXiv API response."""
    root = parse_feed_root(data)
    return list(convert_items(root.iterfind(f"{ATOM}entry"), entry_to_record, "entry", on_error))
