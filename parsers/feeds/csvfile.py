"""CSV feed files (the WHO export, the PMC OA file list), read so that no row is lost.

A file is cut into records before any record is parsed, so one bad row cannot take
its neighbours with it:

- A record starts on a non-blank physical line (lines end at "\\n") and goes on over the
  next lines while its quotes are unbalanced (a quoted field holding a newline, RFC 4180).
- While a quote is open, a line that is a whole row by itself (its quotes are balanced,
  it splits into as many fields as the header, and its key column holds a key written
  the exporter's way, e.g. "#8973" in the WHO export) starts a new record instead: the
  record before it had an unterminated quote and is reported, and the row it would have
  swallowed is kept. The last line of a real multi-line field never passes (it closes
  the field's quote, so its own quotes are unbalanced), and a middle line would have to
  be a whole CSV row with a key, which is not text.

Each record then becomes a `CsvRow`, or a FeedRecordError (via `on_error`) naming its
line(s) and why: an unterminated quote; a field count other than the header's; a field
over MAX_FIELD_CHARS characters (the csv module's own limit, 131,072, is raised so that
it never aborts the file) or a record over MAX_RECORD_BYTES; bytes that are not UTF-8.
Decision on encoding: the exports are UTF-8, and a row holding other bytes is reported,
not guessed at (Windows-1252 and Latin-1 read the same bytes differently, and a guess
would publish text nobody checked); the dead letter names the line and the byte. So
every record of a file is either returned or reported.
"""
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from parsers.feeds.errors import FeedError, FeedRecordError, OnError, handle_bad_item
from parsers.feeds.record import MAX_FIELD_CHARS

MAX_RECORD_BYTES = 16 * 1024 * 1024  # one record (all its lines); longer ones are skipped unread
_QUOTE = b'"'
_BOM = "\ufeff"


@dataclass(frozen=True)
class CsvRow:
    """One record of a CSV feed file: where it is (`item`: "line 12", "lines 12-14") and its values."""

    item: str
    values: dict[str, str]


@dataclass
class _Record:
    """The physical lines of one record (their bytes are dropped once it is too large)."""

    first: int
    last: int
    chunks: list[bytes] = field(default_factory=list)
    quotes: int = 0
    size: int = 0

    def add(self, number: int, data: bytes, quotes: int, size: int) -> None:
        self.last = number
        self.quotes += quotes
        self.size += size
        if self.size <= MAX_RECORD_BYTES:
            self.chunks.append(data)
        else:
            self.chunks = []

    @property
    def open(self) -> bool:
        return self.quotes % 2 == 1

    @property
    def item(self) -> str:
        return f"line {self.first}" if self.first == self.last else f"lines {self.first}-{self.last}"


def _physical_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes, int, int]]:
    """(number, bytes, quote count, size) of each line; a line over MAX_RECORD_BYTES is read
    in pieces and given as b"" (its quotes still counted, so records stay in step)."""
    number = 0
    while True:
        line = stream.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        number += 1
        quotes, size = line.count(_QUOTE), len(line)
        if size > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = stream.readline(MAX_RECORD_BYTES)
                quotes, size = quotes + line.count(_QUOTE), size + len(line)
            line = b""
        yield number, line, quotes, size


class _CsvFile:
    """Cuts a CSV byte stream into records and parses them (see the module docstring)."""

    def __init__(self, stream: BinaryIO, what: str, key_column: str, key_pattern: re.Pattern):
        self.what = what
        self.key_column = key_column
        self.key_pattern = key_pattern
        self.header: list[str] = []
        self.key_index = -1
        self.records = self._records(_physical_lines(stream))

    def read_header(self) -> list[str]:
        first = next(self.records, None)
        if first is None or first.open or not first.chunks:
            raise FeedError(f"not a {self.what}: no header row")
        try:
            text = b"".join(first.chunks).decode("utf-8").removeprefix(_BOM)
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise FeedError(f"not a {self.what}: unreadable header ({exc})") from exc
        self.header = rows[0] if len(rows) == 1 else []
        if self.key_column in self.header:
            self.key_index = self.header.index(self.key_column)
        return self.header

    def _starts_row(self, line: bytes) -> bool:
        """Whether `line` is a whole row by itself: balanced quotes, the header's width, a key."""
        if self.key_index < 0 or not line or line.count(_QUOTE) % 2:
            return False
        try:
            fields = next(csv.reader([line.decode("utf-8", "replace")]), [])
        except csv.Error:
            return False
        return len(fields) == len(self.header) and self.key_pattern.fullmatch(fields[self.key_index]) is not None

    def _records(self, lines: Iterator[tuple[int, bytes, int, int]]) -> Iterator[_Record]:
        record: _Record | None = None
        for number, data, quotes, size in lines:
            if record is not None and record.open and not self._starts_row(data):
                record.add(number, data, quotes, size)
            else:
                if record is not None:
                    yield record
                record = None
                if size > len(data) or data.strip():  # not a blank line (a line too long is not blank)
                    record = _Record(number, number)
                    record.add(number, data, quotes, size)
            if record is not None and not record.open:
                yield record
                record = None
        if record is not None:
            yield record

    def row(self, record: _Record) -> CsvRow:
        """The row of one record; FeedRecordError when it cannot be one."""
        if record.size > MAX_RECORD_BYTES:
            raise FeedRecordError(f"the record is {record.size:,} bytes long, over the limit of {MAX_RECORD_BYTES:,}")
        if record.open:
            raise FeedRecordError("an unterminated quote: a quoted field of this row is never closed")
        data = b"".join(record.chunks)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FeedRecordError(
                f"bytes that are not UTF-8 (0x{data[exc.start]:02x} at byte {exc.start} of the record): "
                "the row is not decoded by guesswork"
            ) from exc
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise FeedRecordError(f"not a CSV row: {exc}") from exc
        if len(rows) != 1:
            raise FeedRecordError(f"the record reads as {len(rows)} rows (stray quotes or carriage returns)")
        fields = rows[0]
        if len(fields) != len(self.header):
            raise FeedRecordError(f"{len(fields)} fields where the header has {len(self.header)}")
        for name, value in zip(self.header, fields):
            if len(value) > MAX_FIELD_CHARS:
                raise FeedRecordError(
                    f"{name!r} is {len(value):,} characters long, over the limit of {MAX_FIELD_CHARS:,}"
                )
        return CsvRow(record.item, dict(zip(self.header, fields)))


def read_csv_feed(stream: BinaryIO, what: str, check_header: Callable[[list[str]], None], key_column: str,
                  key_pattern: re.Pattern, on_error: OnError) -> Iterator[CsvRow]:
    """The rows of a CSV feed file; each record that cannot be a row goes to `on_error`.

    `check_header` raises FeedError for a header that is not the feed's; `key_column` and
    `key_pattern` say how a whole row is recognised (see the module docstring).
    """
    _allow_long_fields()
    reader = _CsvFile(stream, what, key_column, key_pattern)
    check_header(reader.read_header())
    for record in reader.records:
        try:
            yield reader.row(record)
        except FeedRecordError as exc:
            handle_bad_item(exc, record.item, on_error)


def _allow_long_fields() -> None:
    """Raise the csv module's field limit (131,072 characters by default) to what a record may hold.

    The limit is process-wide; it is only ever raised, so other readers are not affected.
    """
    if csv.field_size_limit() < MAX_RECORD_BYTES:
        csv.field_size_limit(MAX_RECORD_BYTES)
