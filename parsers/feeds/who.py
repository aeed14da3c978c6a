"""The WHO COVID-19 database CSV export to source records.

Columns: Title, Authors, Abstract, Published Year, Published Month, Journal, Volume,
Issue, Pages, Accession Number, DOI, Ref, Covidence #, Study, Notes, Tags. Dates are
often year-only, DOIs often missing; the Covidence id ("#8973") is the record's identity.
The file is read by parsers/feeds/csvfile.py: a row with an unterminated quote, bytes
that are not UTF-8 or an oversized field is reported, and the rows around it are kept.
"""
import io
import re
from collections.abc import Iterator
from typing import BinaryIO

from parsers.errors import check_not_lfs_or_empty
from parsers.feeds.csvfile import read_csv_feed
from parsers.feeds.errors import FeedError, FeedRecordError, OnError, convert_item
from parsers.feeds.record import doi_url, make_record
from parsers.normalize import normalize_date, split_author_name
from schemas.identifiers import normalize_covidence_id, normalize_doi
from schemas.records import PersonName, SourceRecord

SOURCE = "WHO"
REQUIRED_COLUMNS = ("Title", "Authors", "Covidence #")
KEY_COLUMN = "Covidence #"
KEY_PATTERN = re.compile(r"#\d+")  # how the export writes a Covidence id


def split_authors(text: str) -> list[PersonName]:
    """Authors of a WHO row: "Last, First; Last, First", or "First Last, First Last"."""
    text = text.strip()
    if not text:
        return []
    if ";" in text:
        names = text.split(";")
    elif text.count(",") > 1 or (text.count(",") == 1 and all(" " in part.strip() for part in text.split(","))):
        names = text.split(",")
    else:
        names = [text]
    return [split_author_name(name) for name in names if name.strip()]


def _publish_time(row: dict) -> str:
    year = (row.get("Published Year") or "").strip()
    month = (row.get("Published Month") or "").strip()
    return normalize_date(f"{year} {month}".strip()) if year else ""


def row_to_record(row: dict) -> SourceRecord:
    """One export row to a source record."""
    covidence_id = normalize_covidence_id(row.get("Covidence #"))
    if not covidence_id:
        raise FeedRecordError(f"row without a Covidence id: {row.get('Covidence #')!r}")
    doi = normalize_doi(row.get("DOI"))
    return make_record(
        source=SOURCE,
        source_id=covidence_id,
        ids={"who_covidence_id": covidence_id, "doi": doi},
        title=row.get("Title") or "",
        abstract=row.get("Abstract") or "",
        authors=split_authors(row.get("Authors") or ""),
        publish_time=_publish_time(row),
        journal=row.get("Journal") or "",
        license="unk",
        urls=[doi_url(doi)],
    )


def _check_header(header: list[str]) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise FeedError(f"not a WHO COVID-19 database export: missing columns {missing}")


def iter_stream(stream: BinaryIO, on_error: OnError = None) -> Iterator[SourceRecord]:
    """Stream records from a WHO export file object."""
    for row in read_csv_feed(stream, "WHO COVID-19 database export", _check_header, KEY_COLUMN, KEY_PATTERN, on_error):
        record = convert_item(row_to_record, row.values, row.item, on_error)
        if record is not None:
            yield record


def parse(data: bytes, on_error: OnError = None) -> list[SourceRecord]:
    """All records of one WHO export."""
    check_not_lfs_or_empty(data)
    return list(iter_stream(io.BytesIO(data), on_error))
