"""Crossref works API JSON (single work or work list) to source records.

This is the publisher feed: the `source` is the publisher's CORD-19 name when the
Crossref member (or DOI prefix) is Elsevier or Springer Nature, else "Crossref".
JATS-tagged abstracts are reduced to plain text.
"""
import re

from parsers.feeds.errors import FeedApiError, FeedError, FeedRecordError, OnError, convert_items
from parsers.feeds.normalize import normalize_article_type
from parsers.feeds.record import (
    doi_url,
    id_field,
    load_json_payload,
    make_record,
    objects_in,
    strings_in,
    strip_markup,
    text_field,
)
from parsers.normalize import make_author, normalize_date, normalize_license
from schemas.identifiers import normalize_doi
from schemas.records import DocumentLink, PersonName, SourceRecord

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


def publisher_source(member: str, doi: str) -> str:
    """CORD-19 source name for a Crossref member id / DOI prefix."""
    by_member = PUBLISHER_SOURCES_BY_MEMBER.get(member)
    if by_member:
        return by_member
    return PUBLISHER_SOURCES_BY_PREFIX.get(doi.split("/", 1)[0], DEFAULT_SOURCE)


def _license(work: dict) -> str:
    ranked = sorted(objects_in(work, "license"), key=lambda entry: text_field(entry, "content-version") != "vor")
    for entry in ranked:
        value = normalize_license(text_field(entry, "URL"))
        if value != "unk":
            return value
    return "unk"


def _first(work: dict, key: str) -> str:
    """The first of a list of strings (Crossref's title, container-title), or the string itself."""
    values = strings_in(work, key)
    return values[0] if values else ""


def _authors(work: dict) -> list[PersonName]:
    authors = []
    for author in objects_in(work, "author"):
        family, name = text_field(author, "family"), text_field(author, "name")
        if family:
            authors.append(make_author(text_field(author, "given"), family, text_field(author, "suffix")))
        elif name:
            authors.append(make_author("", name))
    return authors


def _pdf_documents(work: dict) -> list[DocumentLink]:
    """The PDF links (similarity-checking links serve Crossref's plagiarism service, not readers)."""
    return [
        {"type": "pdf", "url": text_field(link, "URL")}
        for link in objects_in(work, "link")
        if text_field(link, "content-type") == "application/pdf" and text_field(link, "URL")
        and text_field(link, "intended-application") != "similarity-checking"
    ]


def item_to_record(work) -> SourceRecord:
    """One Crossref work to a source record."""
    if not isinstance(work, dict):
        raise FeedRecordError("work item is not an object")
    doi = normalize_doi(text_field(work, "DOI"))
    if not doi:
        raise FeedRecordError(f"work without a valid DOI: {work.get('DOI')!r}")
    publish_time = ""
    for field in _DATE_FIELDS:
        publish_time = normalize_date(work.get(field))
        if publish_time:
            break
    abstract = _ABSTRACT_HEADING.sub(" ", text_field(work, "abstract"))
    return make_record(
        source=publisher_source(id_field(work, "member"), doi),
        source_id=doi,
        ids={"doi": doi},
        title=strip_markup(_first(work, "title")),
        abstract=strip_markup(abstract),
        authors=_authors(work),
        publish_time=publish_time,
        journal=strip_markup(_first(work, "container-title")),
        license=_license(work),
        urls=[doi_url(doi)],
        documents=_pdf_documents(work),
        article_type=normalize_article_type([text_field(work, "type")]),
    )


def parse(data: bytes, on_error: OnError = None) -> list[SourceRecord]:
    """All records of one Crossref works response."""
    return list(convert_items(work_items(load_json_payload(data)), item_to_record, "work", on_error))
