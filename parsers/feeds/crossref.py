"""Crossref works API JSON (single work or work list) to source records.

This is the publisher feed: the `source` is the publisher's CORD-19 name when the
Crossref member (or DOI prefix) is Elsevier or Springer Nature, else "Crossref".
JATS-tagged abstracts are reduced to plain text.
"""
import re

from parsers.feeds.errors import FeedApiError, FeedError, FeedRecordError, OnError, handle_bad_item
from parsers.feeds.normalize import normalize_article_type
from parsers.feeds.record import doi_url, load_json_payload, make_record, strip_markup
from parsers.normalize import make_author, normalize_date, normalize_license
from schemas.identifiers import normalize_doi

DEFAULT_SOURCE = "Crossref"
PUBLISHER_SOURCES_BY_MEMBER = {"78": "Elsevier", "297": "Springer Nature", "339": "Springer Nature"}
PUBLISHER_SOURCES_BY_PREFIX = {
    "10.1016": "Elsevier",
    "10.1007": "Springer Nature",
    "10.1038": "Springer Nature",
    "10.1186": "Springer Nature",
}
_DATE_FIELDS = ("issued", "published", "published-print", "published-online", "created")
_ABSTRACT_HEADING = re.compile(r"<(?:jats:)?title>\s*abstract\s*</(?:jats:)?title>", re.IGNORECASE)


def work_items(payload) -> list:
    """The works of a response: one for `work`, the items for `work-list`."""
    if not isinstance(payload, dict):
        raise FeedError("a Crossref response must be a JSON object")
    if payload.get("status") not in (None, "ok"):
        raise FeedApiError(f"Crossref error response: {str(payload.get('message'))[:200]}")
    message = payload.get("message")
    if not isinstance(message, dict):
        raise FeedError("Crossref response without a message object")
    message_type = payload.get("message-type")
    if message_type == "work":
        return [message]
    if message_type == "work-list":
        items = message.get("items")
        if not isinstance(items, list):
            raise FeedError("Crossref work-list without items")
        return items
    raise FeedError(f"unsupported Crossref message-type {message_type!r}")


def publisher_source(member, doi: str) -> str:
    """CORD-19 source name for a Crossref member id / DOI prefix."""
    by_member = PUBLISHER_SOURCES_BY_MEMBER.get(str(member or ""))
    if by_member:
        return by_member
    return PUBLISHER_SOURCES_BY_PREFIX.get(doi.split("/", 1)[0], DEFAULT_SOURCE)


def _license(work: dict) -> str:
    licenses = work.get("license") or []
    ranked = sorted(licenses, key=lambda entry: entry.get("content-version") != "vor")
    for entry in ranked:
        value = normalize_license(entry.get("URL"))
        if value != "unk":
            return value
    return "unk"


def _first(values) -> str:
    if isinstance(values, list):
        return str(values[0]) if values else ""
    return str(values or "")


def item_to_record(work) -> dict:
    """One Crossref work to a source record."""
    if not isinstance(work, dict):
        raise FeedRecordError("work item is not an object")
    doi = normalize_doi(work.get("DOI"))
    if not doi:
        raise FeedRecordError(f"work without a valid DOI: {work.get('DOI')!r}")
    authors = []
    for author in work.get("author") or []:
        if author.get("family"):
            authors.append(make_author(author.get("given") or "", author["family"], author.get("suffix") or ""))
        elif author.get("name"):
            authors.append(make_author("", author["name"]))
    publish_time = ""
    for field in _DATE_FIELDS:
        publish_time = normalize_date(work.get(field))
        if publish_time:
            break
    documents = [  # similarity-checking links serve Crossref's plagiarism service, not readers
        {"type": "pdf", "url": link["URL"]}
        for link in work.get("link") or []
        if link.get("content-type") == "application/pdf" and link.get("URL")
        and link.get("intended-application") != "similarity-checking"
    ]
    abstract = _ABSTRACT_HEADING.sub(" ", work.get("abstract") or "")
    return make_record(
        source=publisher_source(work.get("member"), doi),
        source_id=doi,
        ids={"doi": doi},
        title=strip_markup(_first(work.get("title"))),
        abstract=strip_markup(abstract),
        authors=authors,
        publish_time=publish_time,
        journal=strip_markup(_first(work.get("container-title"))),
        license=_license(work),
        urls=[doi_url(doi)],
        documents=documents,
        article_type=normalize_article_type([work.get("type") or ""]),
    )


def parse(data: bytes, on_error: OnError = None) -> list[dict]:
    """All records of one Crossref works response."""
    payload = load_json_payload(data)
    records = []
    for index, work in enumerate(work_items(payload), start=1):
        try:
            records.append(item_to_record(work))
        except FeedRecordError as exc:
            handle_bad_item(exc, f"work #{index}", on_error)
    return records
