"""The feed faults of issue #15, each made from a real feed file (corpus or sample snapshot).

Every builder takes the real file's bytes and returns the faulty bytes; `FEED_FAULTS`
maps a fault's name to (feed kind, the real file it starts from, builder, how many
records of the file become record errors). Shared by tests/test_feed_faults.py and the
build-level fuzz suite (which can drop these files into a snapshot).
"""
import csv
import io
import json
from collections.abc import Callable

from parsers.feeds.record import MAX_FIELD_CHARS

WHO_EXPORT = "who/who_covid19_database_2020-03-18_first150.csv"
BIORXIV_DETAILS = "biorxiv/biorxiv_details_2013-01-01_2013-11-07.json"
CROSSREF_WORK = "crossref/papis_test_1_multiple_authors.json"
CROSSREF_OTHER_WORK = "crossref/sandcrawler_crossref_api_work_s1047951103000064.json"
Builder = Callable[[bytes], bytes]


def _biorxiv_item_with(field: str, value) -> Builder:
    """A bioRxiv details response whose third item holds `value` at `field`."""
    def build(data: bytes) -> bytes:
        items = json.loads(data)
        items[2][field] = value
        return json.dumps(items).encode("utf-8")
    return build


def biorxiv_title_with_a_lone_surrogate(data: bytes) -> bytes:
    """The third item's title holds "\\ud800", written as a JSON escape (as an API would send it)."""
    items = json.loads(data)
    items[2]["title"] = "Speciation \ud800 and introgression"
    return json.dumps(items).encode("utf-8")


def crossref_work_list_with_author(bad_author) -> Callable[[bytes, bytes], bytes]:
    """A work-list of two real works; the first one's author list holds `bad_author` second."""
    def build(first: bytes, second: bytes) -> bytes:
        works = [json.loads(first)["message"], json.loads(second)["message"]]
        works[0]["author"].insert(1, bad_author)
        return json.dumps({"status": "ok", "message-type": "work-list",
                           "message": {"items": works, "total-results": 2}}).encode("utf-8")
    return build


def _who_lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def who_field_of(size: int, line: int = 6) -> Builder:
    """The WHO export with the Abstract of physical line `line` grown to `size` characters."""
    def build(data: bytes) -> bytes:
        lines = _who_lines(data)
        header = next(csv.reader([lines[0].decode("utf-8-sig")]))
        row = next(csv.reader([lines[line - 1].decode("utf-8")]))
        row[header.index("Abstract")] = ("Long abstract. " * (size // 15 + 1))[:size]
        text = io.StringIO()
        csv.writer(text, lineterminator="").writerow(row)
        lines[line - 1] = text.getvalue().encode("utf-8")
        return b"\n".join(lines)
    return build


def who_latin1_byte(data: bytes, line: int = 8) -> bytes:
    """The WHO export with one Latin-1 byte (an "é", 0xE9) in the title of physical line `line`."""
    lines = _who_lines(data)
    lines[line - 1] = lines[line - 1].replace(b"a", b"\xe9", 1)
    return b"\n".join(lines)


def who_unterminated_quote(data: bytes, line: int = 11) -> bytes:
    """The WHO export where physical line `line` loses its last quote (its last quoted field never closes).

    With the csv module alone, that field runs on into the next row, which disappears.
    """
    lines = _who_lines(data)
    row = lines[line - 1]
    last = row.rindex(b'"')
    lines[line - 1] = row[:last] + row[last + 1:]
    return b"\n".join(lines)


# name: (kind, real file under the corpus feeds folder, builder, records that become record errors)
FEED_FAULTS: dict[str, tuple[str, str, Builder, int]] = {
    "biorxiv doi is a number": ("biorxiv", BIORXIV_DETAILS, _biorxiv_item_with("doi", 10.1101), 1),
    "biorxiv title is an object": ("biorxiv", BIORXIV_DETAILS, _biorxiv_item_with("title", {"en": "A title"}), 1),
    "biorxiv abstract is a number": ("biorxiv", BIORXIV_DETAILS, _biorxiv_item_with("abstract", 42), 1),
    "biorxiv title holds a lone surrogate": ("biorxiv", BIORXIV_DETAILS, biorxiv_title_with_a_lone_surrogate, 0),
    "biorxiv abstract over the field limit": (
        "biorxiv", BIORXIV_DETAILS, _biorxiv_item_with("abstract", "x" * (MAX_FIELD_CHARS + 1)), 1),
    "who field over 131,072 bytes": ("who", WHO_EXPORT, who_field_of(200_000), 0),
    "who field over the field limit": ("who", WHO_EXPORT, who_field_of(MAX_FIELD_CHARS + 1), 1),
    "who latin-1 byte": ("who", WHO_EXPORT, who_latin1_byte, 1),
    "who unterminated quote": ("who", WHO_EXPORT, who_unterminated_quote, 1),
}
