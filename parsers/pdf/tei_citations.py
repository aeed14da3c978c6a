"""GROBID's citation and figure/table markers (`<ref>`) as cite and ref spans.

The rule is the JATS parser's (parsers/jats/body.py): one span per citation marker as
printed, never overlapping another span of the paragraph. Markers that GROBID split
across several `<ref>` elements (`[14,` + `15]`, `(Smith, 2001;` + `Jones, 2002)`) give
one span per cited item without the brackets and separators (`14`, `15`); a marker
holding several numbers gives one span per number; a range (`[3-5]`, `[18]-[22]`) gives
spans for its two printed ends only. A `ref_id` is only ever set when it names an entry
that exists. parsers.pdf.tei finds the markers; `Linker` links them.
"""
import collections
import re
import unicodedata
from dataclasses import dataclass, field

from schemas.records import Paragraph, Span, paragraph, span

_NUMERIC_MARKER = re.compile(r"^\d{1,4}(?:\s*[-\u2010-\u2015,;]\s*\d{1,4})*$")
_NUMBER = re.compile(r"\d{1,4}")
_BRACKETED_NUMBERS = re.compile(r"\[(\d{1,4}(?:\s*[-\u2010-\u2015,;]\s*\d{1,4})*)\]\s*$")
YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_SURNAME = re.compile(r"[^\W\d_][\w'\-]+", re.UNICODE)
_BRACKETS = {"(": ")", "[": "]", "{": "}"}
_EDGE_JUNK = " ,;:\u00a0"
_TRIM_EDGES = set(_EDGE_JUNK) | set("()[]{}")


@dataclass
class Marker:
    """A `<ref>` inside a paragraph: where its text sits and what it points to."""

    kind: str  # "bibr", "figure" or "table"
    start: int
    end: int
    targets: list[str]


@dataclass
class Block:
    """A paragraph's plain text with the raw reference markers found in it."""

    text: str
    section: str
    markers: list[Marker] = field(default_factory=list)


def label_number(text: str) -> str:
    """The figure/table number in a caption or reference ('Fig. 3a' -> '3')."""
    match = re.search(r"\d+|\b[IVX]+\b", text)
    return match.group(0) if match else ""


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past separators and unbalanced or wrapping brackets."""
    if start < end and text[start] not in _TRIM_EDGES and text[end - 1] not in _TRIM_EDGES:
        return start, end
    while start < end:
        before = (start, end)
        while start < end and text[start] in _EDGE_JUNK:
            start += 1
        while start < end and text[end - 1] in _EDGE_JUNK:
            end -= 1
        inner = text[start:end]
        if inner[:1] in _BRACKETS:
            closer = _BRACKETS[inner[0]]
            if closer not in inner:
                start += 1
            elif inner.endswith(closer) and inner.count(inner[0]) == 1 and inner.count(closer) == 1:
                start += 1
                end -= 1
        inner = text[start:end]
        if inner[-1:] in _BRACKETS.values():
            opener = {v: k for k, v in _BRACKETS.items()}[inner[-1]]
            if opener not in inner:
                end -= 1
        if (start, end) == before:
            break
    return start, end


def _fold(text: str) -> str:
    """Lower-case, accent-free form used to compare surnames."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


class Linker:
    """Turns raw markers into cite/ref spans whose ref_ids always resolve."""

    def __init__(self, bib_entries: dict, bib_keys: dict, ref_keys: dict, ref_labels: dict) -> None:
        self.bib_entries = bib_entries
        self.bib_keys = bib_keys
        self.ref_keys = ref_keys
        self.ref_labels = ref_labels
        self.number_to_key: dict[int, str] = {}
        self.numeric = False
        self.offset: int | None = None
        self.by_name_year: dict[tuple[str, int], list[str]] = collections.defaultdict(list)
        for key, entry in bib_entries.items():
            if entry["authors"] and entry["year"] is not None:
                surname = _fold(entry["authors"][0]["last"])
                self.by_name_year[(surname, entry["year"])].append(key)

    def learn_numbering(self, blocks: list[Block]) -> None:
        """Decide whether citations are numeric and learn number -> entry from linked ones."""
        numeric, other = 0, 0
        pairs: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
        for block in blocks:
            for marker in block.markers:
                if marker.kind != "bibr":
                    continue
                surface = block.text[marker.start : marker.end]
                key = self._bib_key(marker.targets[0]) if marker.targets else None
                if _NUMERIC_MARKER.match(surface):
                    numeric += 1
                    if key is not None:
                        first_number = _NUMBER.search(surface).group(0)  # type: ignore[union-attr]  # a numeric marker
                        pairs[int(first_number)][key] += 1
                elif surface:
                    other += 1
        self.numeric = numeric > other
        if not self.numeric:
            return
        self.number_to_key = {n: c.most_common(1)[0][0] for n, c in pairs.items()}
        offsets = collections.Counter(int(k[len("BIBREF"):]) - n for n, k in self.number_to_key.items())
        if offsets:
            self.offset = offsets.most_common(1)[0][0]

    def _bib_key(self, target: str) -> str | None:
        return self.bib_keys.get(target)

    def _key_for_number(self, number: int) -> str | None:
        if number in self.number_to_key:
            return self.number_to_key[number]
        if self.offset is None:
            return None
        key = f"BIBREF{number + self.offset}"
        return key if key in self.bib_entries else None

    def _key_for_name_year(self, surface: str) -> str | None:
        year = YEAR.search(surface)
        name = _SURNAME.search(surface)
        if not (year and name):
            return None
        keys = self.by_name_year.get((_fold(name.group(0)), int(year.group(1))), [])
        return keys[0] if len(keys) == 1 else None

    def paragraph(self, block: Block) -> Paragraph:
        cite_spans: list[Span] = []
        ref_spans: list[Span] = []
        for marker in block.markers:
            if marker.kind == "bibr":
                cite_spans.extend(self._cite_spans(block.text, marker))
            else:
                ref_spans.append(self._ref_span(block.text, marker))
        cite_spans.sort(key=lambda s: (s["start"], s["end"]))
        return paragraph(block.text, block.section, cite_spans, ref_spans)

    def _cite_spans(self, text: str, marker: Marker) -> list[Span]:
        """The spans of one citation marker: one per number of a numeric marker, else one."""
        start, end = marker.start, marker.end
        surface = text[start:end]
        bracketed = _BRACKETED_NUMBERS.search(surface) if self.numeric else None
        if bracketed and not _NUMERIC_MARKER.match(surface):
            start, end = start + bracketed.start(1), start + bracketed.end(1)
            surface = text[start:end]
        if self.numeric and _NUMERIC_MARKER.match(surface):
            return self._numeric_spans(text, start, end, marker.targets)
        key = self._bib_key(marker.targets[0]) if marker.targets else None
        if key is None:
            key = self._key_for_name_year(surface)
        return [_span(text, start, end, key)]

    def _numeric_spans(self, text: str, start: int, end: int, targets: list[str]) -> list[Span]:
        """One span per printed number, linked by the marker's own targets in order, else by
        the numbering learnt from the paper (a range's ends only: "3-5" gives 3 and 5)."""
        spans = []
        tokens = list(_NUMBER.finditer(text, start, end))
        targets = list(targets) if len(targets) == len(tokens) else list(targets[:1])
        for token in tokens:
            key = self._bib_key(targets.pop(0)) if targets else None
            if key is None:
                key = self._key_for_number(int(token.group(0)))
            spans.append(_span(text, token.start(), token.end(), key))
        return spans

    def _ref_span(self, text: str, marker: Marker) -> Span:
        start, end = marker.start, marker.end
        key = None
        for target in marker.targets:
            key = self.ref_keys.get(target)
            if key is not None:
                break
        if key is None:
            number = label_number(text[start:end])
            key = self.ref_labels.get((marker.kind, number.lower())) if number else None
        return _span(text, start, end, key)


def _span(text: str, start: int, end: int, ref_id: str | None) -> Span:
    return span(start, end, text[start:end], ref_id)
