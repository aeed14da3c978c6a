"""bioRxiv / medRxiv `details` API JSON to source records.

A response is `{"messages": [...], "collection": [...]}`; a bare list of collection
items (as some mirrors store them) is read too. Each item is one version of a
preprint; the record links the version's PDF.
"""

from parsers.feeds.errors import FeedApiError, FeedError, FeedRecordError, OnError, convert_items
from parsers.feeds.record import doi_url, id_field, load_json_payload, make_record, strip_markup, text_field
from parsers.normalize import normalize_license, split_author_name
from schemas.identifiers import normalize_doi
from schemas.records import SourceRecord

SERVERS = {
    "biorxiv": ("BioRxiv", "bioRxiv", "https://www.biorxiv.org"),
    "medrxiv": ("MedRxiv", "medRxiv", "https://www.medrxiv.org"),
}


def collection_items(payload) -> list:
    """The `collection` list of a details response (or the bare list itself)."""
    if isinstance(payload, list):
        return payload
    if not isinstance(payload, dict):
        raise FeedError("a bioRxiv/medRxiv response must be a JSON object or list")
    collection = payload.get("collection")
    if collection is None:
        messages = payload.get("messages")
        first = messages[0] if isinstance(messages, list) and messages else {}
        status = first.get("status", "") if isinstance(first, dict) else ""
        raise FeedApiError(f"bioRxiv/medRxiv response without a collection (status: {str(status)[:200]!r})")
    if not isinstance(collection, list):
        raise FeedError("the bioRxiv/medRxiv collection is not a list")
    return collection


def item_to_record(item, server: str) -> SourceRecord:
    """One collection item to a source record; `server` is "biorxiv" or "medrxiv"."""
    if not isinstance(item, dict):
        raise FeedRecordError("collection item is not an object")
    source, journal, site = SERVERS[server]
    doi = normalize_doi(text_field(item, "doi"))
    if not doi:
        raise FeedRecordError(f"collection item without a valid DOI: {item.get('doi')!r}")
    version = id_field(item, "version").strip() or "1"
    authors = [split_author_name(name) for name in text_field(item, "authors").split(";") if name.strip()]
    license_value = normalize_license(text_field(item, "license"))
    if license_value in ("unk", "no-cc"):
        license_value = server
    page_url = text_field(item, "link_page") or f"{site}/content/{doi}v{version}"
    pdf_url = text_field(item, "link_pdf") or f"{site}/content/{doi}v{version}.full.pdf"
    return make_record(
        source=source,
        source_id=f"{doi}v{version}",
        ids={"doi": doi},
        title=strip_markup(text_field(item, "title")),
        abstract=strip_markup(text_field(item, "abstract")),
        authors=authors,
        publish_time=text_field(item, "date"),
        journal=journal,
        license=license_value,
        urls=[doi_url(doi), page_url],
        documents=[{"type": "pdf", "url": pdf_url}],
        article_type="preprint",
    )


def parse(data: bytes, server: str, on_error: OnError = None) -> list[SourceRecord]:
    """All records of one details response of `server` ("biorxiv" or "medrxiv")."""
    items = collection_items(load_json_payload(data))
    return list(convert_items(items, lambda item: item_to_record(item, server), "collection item", on_error))
