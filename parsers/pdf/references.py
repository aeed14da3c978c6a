"""The references section of a PDF: entries split and merged, read into bib entries, and linked.

Entries go to `bib_entries` with what can be recovered (year, title, DOI, arXiv id),
and numeric markers like `[3]` in the body are linked to them.
"""
import re

from parsers.pdf.layout import Box, join_lines, join_texts
from schemas.records import BibEntry, Span, bib_entry, span

_HANGING_INDENT_PT = 3.0
_REF_LABEL = re.compile(r"^\s*(\[(\d{1,4})\]|(\d{1,3})\.\s)")  # "[12]" or "12. " (not a year)
REF_LABEL_FIRST = re.compile(r"^\[1\]\s")


def split_references(box: Box) -> list[str]:
    """Reference entries in a box: split at "[n]" / "n." labels, else at the lines a
    hanging indent sets apart, else one entry per box."""
    if any(_REF_LABEL.match(line.text) for line in box.lines):
        starts = [bool(_REF_LABEL.match(line.text)) for line in box.lines]
    else:
        margin = min(line.left for line in box.lines)
        if not any(line.left > margin + _HANGING_INDENT_PT for line in box.lines):
            return [join_lines(box.lines)]
        starts = [line.left <= margin + 1.0 for line in box.lines]
    entries, current = [], []
    for line, starts_entry in zip(box.lines, starts):
        if starts_entry and current:
            entries.append(join_lines(current))
            current = []
        current.append(line)
    if current:
        entries.append(join_lines(current))
    return entries


# How an unlabelled reference starts: "Surname, X", "Surname X, ..." or an
# organisation in capitals followed soon by a year ("CEPAL (2000)").
_ENTRY_START = re.compile(
    r"^([^\W\d_][\w'\u2019\-]+(\s+[^\W\d_][\w'\u2019\-]+){0,3},\s*[^\W\d_]"
    r"|[A-Z][A-Z&\-]{1,}\b.{0,80}?\b(1[89]|20)\d\d)"
)


def _starts_unlabelled_entry(text: str) -> bool:
    """Looks like the start of a reference, or at least not like a piece of one."""
    if _ENTRY_START.match(text):
        return True
    return text[:1].isupper() and len(text) >= 30 and bool(_YEAR.search(text))


def merge_reference_lines(entries: list[str]) -> list[str]:
    """Glue a fragment (cut off by a column or page break, or split by the layout) to
    the previous entry: labelled lists by their "[n]" / "n." labels, others by how an
    entry starts."""
    if any(_REF_LABEL.match(entry) for entry in entries):
        starts = _REF_LABEL.match
    else:
        starts = _starts_unlabelled_entry
    merged: list[str] = []
    for entry in entries:
        if merged and not starts(entry):
            merged[-1] = join_texts([merged[-1], entry])
        else:
            merged.append(entry)
    return merged


_YEAR = re.compile(r"(?<![\w.:/])(1[89]\d\d|20\d\d)[a-z]?(?!\w|\.\d)")
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+[^\s\"<>.,;)])", re.IGNORECASE)
_ARXIV = re.compile(r"arXiv:\s*(\d{4}\.\d{4,5}|[a-z\-]+/\d{7})", re.IGNORECASE)
_QUOTED = re.compile(r"[\"\u201c]([^\"\u201d]{10,300})[\"\u201d]")


def read_bib_entries(entries: list[str]) -> tuple[dict[str, BibEntry], dict[int, str]]:
    """bib_entries from raw reference strings, and printed label -> BIBREF key."""
    bib: dict[str, BibEntry] = {}
    labels: dict[int, str] = {}
    for n, raw in enumerate(entries):
        key = f"BIBREF{n}"
        label = _REF_LABEL.match(raw)
        if label:
            labels[int(label.group(2) or label.group(3))] = key
            raw = raw[label.end():].strip()
        year = _YEAR.search(raw)
        other_ids = {}
        doi = _DOI.search(raw)
        if doi:
            other_ids["DOI"] = [doi.group(1)]
        arxiv = _ARXIV.search(raw)
        if arxiv:
            other_ids["arXiv"] = [arxiv.group(1)]
        bib[key] = bib_entry(key, title=_reference_title(raw, year), year=int(year.group(1)) if year else None,
                             other_ids=other_ids)
    return bib, labels


def _reference_title(raw: str, year: re.Match | None) -> str:
    """A quoted title; else the sentence after a leading year (author-year styles);
    else the first sentence that is not an author list; else the whole entry."""
    quoted = _QUOTED.search(raw)
    if quoted:
        return quoted.group(1).strip(" ,.")
    if year and year.start() < 0.4 * len(raw):
        after = raw[year.end():].lstrip(" ).,:;")
        sentence = re.split(r"(?<=[a-z0-9?!])\.\s", after, maxsplit=1)[0].strip(" .")
        if len(sentence) >= 10:
            return sentence
    for sentence in re.split(r"\.\s+", raw):
        words = sentence.split()
        if len(words) >= 3 and not _looks_like_authors(words):
            return sentence.strip(" .")
    return raw


def _looks_like_authors(words: list[str]) -> bool:
    initials = sum(1 for word in words if re.fullmatch(r"[A-Z]{1,3}[.,]?", word))
    return initials * 3 >= len(words) or "et al" in " ".join(words)


_CITE_GROUP = re.compile(r"\[(\d{1,4}(?:\s*[,\u2013\-]\s*\d{1,4})*)\]")


def numeric_cite_spans(text: str, labels: dict[int, str]) -> list[Span]:
    """Spans for "[3]", "[3, 5]" and "[3-5]" markers whose numbers label a reference."""
    if not labels:
        return []
    spans = []
    for group in _CITE_GROUP.finditer(text):
        numbers = list(re.finditer(r"\d{1,4}", group.group(0)))
        for i, number in enumerate(numbers):
            value = int(number.group(0))
            start, end = group.start() + number.start(), group.start() + number.end()
            between = group.group(0)[numbers[i - 1].end() : number.start()] if i else ""
            if i and re.fullmatch(r"\s*[\u2013\-]\s*", between):
                first = int(numbers[i - 1].group(0))
                range_start = group.start() + numbers[i - 1].start()
                for middle in range(first + 1, min(value, first + 50)):
                    spans.append(span(range_start, end, text[range_start:end], labels.get(middle)))
            spans.append(span(start, end, text[start:end], labels.get(value)))
    return spans
