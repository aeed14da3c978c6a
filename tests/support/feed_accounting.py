"""The accounting invariant of the feed parsers: every record of a feed file is either
returned as a record or reported as an error.

`count_feed_records(kind, data)` counts the records a file holds without the feed
parsers, from its format alone: PubmedArticle / PubmedBookArticle start tags, Atom
entries, the articles of a PMC articleset, the items of a JSON response, the records of
a CSV file. `account(kind, data, folder)` reads the file the way the build does
(`iter_feed_records` on a file, errors through `on_error`) and `Accounting.problems()`
says where the invariant does not hold.

CSV records are counted by the rule the CSV reader documents (parsers/feeds/csvfile.py),
implemented here on bytes: a record starts on a non-blank line when the lines before it
close their quotes, or when the line is a whole row by itself (balanced quotes, the
header's width, a key in its key column), so a row swallowed by an unterminated quote
still counts.
"""
import csv
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from parsers.errors import ParseError
from parsers.feeds import iter_feed_records
from parsers.feeds.errors import FeedRecordError

# Per CSV feed kind: the key column and how the exporter writes a key.
CSV_KEYS = {"who": ("Covidence #", re.compile(r"#\d+")), "pmc": ("Accession ID", re.compile(r"PMC\d+"))}
_XML_RECORD_TAGS = {
    "pubmed": re.compile(rb"<Pubmed(?:Book)?Article[\s>/]"),
    "arxiv": re.compile(rb"<entry[\s>/]"),
    "pmc": re.compile(rb"<article[\s>/]"),
}


def _as_utf8_markup(data: bytes) -> bytes:
    """UTF-16 markup re-encoded as UTF-8 (so that tags can be counted on bytes)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:2] in (b"<\x00", b"\x00<"):
        encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-16-le" if data[0] == 0x3C else "utf-16-be")
        return data.decode(encoding, "replace").encode("utf-8")
    return data


def _json_items(kind: str, payload) -> int | None:
    if kind in ("biorxiv", "medrxiv"):
        if isinstance(payload, list):
            return len(payload)
        collection = payload.get("collection") if isinstance(payload, dict) else None
        return len(collection) if isinstance(collection, list) else None
    if kind == "crossref":
        if not isinstance(payload, dict) or not isinstance(payload.get("message"), dict):
            return None
        if payload.get("message-type") == "work":
            return 1
        items = payload["message"].get("items")
        return len(items) if payload.get("message-type") == "work-list" and isinstance(items, list) else None
    results = payload.get("resultList") if isinstance(payload, dict) else None
    results = results.get("result") if isinstance(results, dict) else None
    return len(results) if isinstance(results, list) else None


def _whole_row(line: bytes, width: int, key_index: int, key: re.Pattern) -> bool:
    if line.count(b'"') % 2:
        return False
    try:
        fields = next(csv.reader([line.decode("utf-8", "replace")]), [])
    except csv.Error:
        return False
    return len(fields) == width and key.fullmatch(fields[key_index]) is not None


def count_csv_records(data: bytes, key_column: str, key: re.Pattern) -> int | None:
    """The records of a CSV file after its header (None when the header lacks `key_column`)."""
    lines = data.split(b"\n")
    header_end, quotes = 0, 0
    for header_end, line in enumerate(lines, start=1):
        quotes += line.count(b'"')
        if quotes % 2 == 0 and line.strip():
            break
    header_text = b"\n".join(lines[:header_end]).decode("utf-8", "replace").lstrip("\ufeff")
    header = next(csv.reader(io.StringIO(header_text, newline="")), [])
    if key_column not in header:
        return None
    width, key_index = len(header), header.index(key_column)
    records, open_quote = 0, False
    for line in lines[header_end:]:
        if open_quote and not _whole_row(line, width, key_index, key):
            quotes += line.count(b'"')
            open_quote = quotes % 2 == 1
            continue
        if not line.strip():
            open_quote = False
            continue
        records += 1
        quotes = line.count(b'"')
        open_quote = quotes % 2 == 1
    return records


def count_feed_records(kind: str, data: bytes) -> int | None:
    """How many records the feed file `data` holds; None when its format cannot be read at all."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return None
    if kind == "pmc" and not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"<", b"\x00<", b"<\x00", b"\xff\xfe", b"\xfe\xff")):
        return count_csv_records(data, *CSV_KEYS["pmc"])
    if kind == "who":
        return count_csv_records(data, *CSV_KEYS["who"])
    if kind in _XML_RECORD_TAGS:
        return len(_XML_RECORD_TAGS[kind].findall(_as_utf8_markup(data)))
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return _json_items(kind, payload)


@dataclass
class Accounting:
    """What reading one feed file gave, against what it holds."""

    kind: str
    expected: int | None
    records: list[dict] = field(default_factory=list)
    errors: list[FeedRecordError] = field(default_factory=list)
    file_error: ParseError | None = None

    @property
    def accounted(self) -> int:
        return len(self.records) + len(self.errors)

    def problems(self) -> list[str]:
        """Where the invariant fails: records + record errors == the count, unless the file was refused."""
        if self.file_error is None and self.expected is None:
            return [f"{self.kind}: {self.accounted} items read from a file that cannot be counted"]
        if self.file_error is None and self.accounted != self.expected:
            return [f"{self.kind}: {len(self.records)} records + {len(self.errors)} errors != {self.expected} in the file"]
        if self.file_error is not None and self.expected is not None and self.accounted > self.expected:
            return [f"{self.kind}: {self.accounted} items from a file of {self.expected} before {self.file_error!r}"]
        return []


def account(kind: str, data: bytes, folder: Path) -> Accounting:
    """Read `data` as a feed file of `kind` the way the build does, and count what it holds.

    A file-level ParseError is recorded (the file is refused); any other exception propagates.
    """
    path = folder / f"feed-{kind}.dat"
    path.write_bytes(data)
    result = Accounting(kind, count_feed_records(kind, data))
    try:
        for record in iter_feed_records(kind, str(path), on_error=result.errors.append):
            result.records.append(record)
    except ParseError as exc:
        result.file_error = exc
    return result
