"""Citation markers in a PDF's text, as cite spans linked to its bib entries, and
references to its figures and tables ("Figure 2", "Table 1") as ref spans.

Two kinds of marker are found:
- numeric, in brackets: "[3]", "[3, 5]", "[3-5]", or raised ("infection.1,3-5") in a
  paper without bracketed markers (when the references are numbered); each printed
  number is one span linked to the entry it labels, so the spans never overlap; the
  entries a range stands for in between ("4" in "3-5") get no span of their own, as
  in doc2json's parses;
- author-year: "(Gascó, 2004; CEPAL, 2000)", "(Stallings y Peres, 2000:256)",
  "Devlin et al. (2019)", "(Wu et al., 2019a,b)"; one span per cited work, linked by
  the first author's surname and the year (and its letter) to the entry.
A parenthesised "Name, year" that names no entry gets a span with a null ref_id; other
name-and-year pairs ("SciBERT (2019)") count only when they name an entry.
"""
import re

from parsers.pdf.blocks import CAPTION_LABEL, TABLE_LABELS
from parsers.pdf.layout import without_raised_marks
from parsers.pdf.references import References, fold_name
from schemas.records import Paragraph, RefEntry, Span, span

_CITE_GROUP = re.compile(r"\[(\d{1,4}(?:\s*[,;\u2013\-]\s*\d{1,4})*)\]")
_NUMBER = re.compile(r"\d{1,4}")
_REF_MARKER = re.compile(
    r"\b(fig(?:ure)?s?\.?|tables?|tablas?|cuadros?|gr[aá]ficos?)\s*(\d+|[IVX]+\b)(?:[a-z]\b)?", re.IGNORECASE
)
_RAISED_NUMBERS = re.compile(r"\s*\d{1,3}(?:\s*[,\u2013\-]\s*\d{1,3})*\s*")

_UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f"
_PARTICLE = r"(?:(?:de|van|von|der|den|del|da|di|dos|du|la|le|ten|ter)\s+)"
_SURNAME = rf"{_PARTICLE}*[{_UPPER}][\w'\u2019\-]*[\w]"
_INITIAL = rf"(?:,?\s+(?:[{_UPPER}]\.\s?)+)"
_NAME = rf"{_SURNAME}{_INITIAL}?"
_AUTHORS = rf"{_NAME}(?:(?:,\s*|,?\s+(?:and|y|&|e|und)\s+){_NAME}){{0,3}}(?:,?\s+et\s+al\.?)?"
_YEAR = r"(?:1[89]|20)\d\d"
_PAGES = r"(?:\s*:\s*\d+(?:\s*[\u2013\-]\s*\d+)?)?"
# "Mora, 2003", "Stallings y Peres, 2000:256", "Devlin et al. (2019)", "Wu et al., 2019a"
_AUTHOR_YEAR = re.compile(
    rf"(?P<authors>{_AUTHORS})(?:,?\s*(?P<open>\()\s*|,\s*|\s+)(?P<year>{_YEAR})(?P<letter>[a-z])?(?![\w\-/]){_PAGES}"
)
# more years of the same authors: ", 2003", ",b"
_MORE_YEARS = re.compile(rf"\s*,\s*(?:(?P<year>{_YEAR})(?P<letter>[a-z])?|(?P<only_letter>[a-z]))(?![\w\-/])")
_COMMA_BEFORE_YEAR = re.compile(rf",\s*{_YEAR}")
_FIRST_SURNAME = re.compile(rf"{_PARTICLE}*[{_UPPER}][\w'\u2019\-]*[\w]")


def link_citations(paragraphs: list[Paragraph], references: References) -> None:
    """Set the cite spans of paragraphs whose text still has its raised runs bracketed
    (⁽ ⁾, see parsers.pdf.layout.Line.marked); the brackets are taken out. Raised
    numbers are citations only in a paper with numbered references and no bracketed
    markers (superscript styles), and not after a digit (an exponent)."""
    raised_runs = []
    for paragraph in paragraphs:
        paragraph["text"], runs = without_raised_marks(paragraph["text"])
        raised_runs.append(runs)
    bracketed = any(numeric_cite_spans(p["text"], references.labels) for p in paragraphs)
    superscripts = bool(references.labels) and not bracketed
    for paragraph, runs in zip(paragraphs, raised_runs):
        paragraph["cite_spans"] = cite_spans(paragraph["text"], references, runs if superscripts else [])


def link_ref_spans(paragraphs: list[Paragraph], ref_entries: dict[str, RefEntry]) -> None:
    """Set the ref spans of paragraphs: "Figure 2", "Fig. 3a", "Table 1", "Cuadro 2",
    linked to the entry whose caption has that label and number (null when none has)."""
    keys: dict[tuple[str, str], str] = {}
    for key, entry in ref_entries.items():
        label = CAPTION_LABEL.match(entry["text"])
        if label:
            keys.setdefault((entry["type"], label.group(2).upper()), key)
    for paragraph in paragraphs:
        text = paragraph["text"]
        spans = []
        for marker in _REF_MARKER.finditer(text):
            kind = "table" if marker.group(1).lower().startswith(TABLE_LABELS) else "figure"
            spans.append(_span(text, marker.start(), marker.end(), keys.get((kind, marker.group(2).upper()))))
        paragraph["ref_spans"] = spans


def cite_spans(text: str, references: References, raised: list[tuple[int, int]] | None = None) -> list[Span]:
    """The cite spans of a paragraph, sorted, never overlapping: bracketed numbers,
    the raised numbers `raised` (start, end) and author-year markers."""
    spans = numeric_cite_spans(text, references.labels) if references.labels else []
    spans += superscript_cite_spans(text, raised or [], references.labels)
    taken = [(s["start"], s["end"]) for s in spans]
    for found in author_year_spans(text, references):
        if not any(found["start"] < end and start < found["end"] for start, end in taken):
            spans.append(found)
    return sorted(spans, key=lambda s: (s["start"], s["end"]))


def numeric_cite_spans(text: str, labels: dict[int, str]) -> list[Span]:
    """Spans for "[3]", "[3, 5]" and "[3-5]": one per printed number that labels a reference."""
    spans = []
    for group in _CITE_GROUP.finditer(text):
        numbers = [int(number.group(0)) for number in _NUMBER.finditer(group.group(1))]
        if not any(number in labels for number in numbers):
            continue  # "[2]" in a text without such a reference: an equation or a footnote
        for number in _NUMBER.finditer(group.group(0)):
            start, end = group.start() + number.start(), group.start() + number.end()
            spans.append(span(start, end, text[start:end], labels.get(int(number.group(0)))))
    return spans


def superscript_cite_spans(text: str, raised: list[tuple[int, int]], labels: dict[int, str]) -> list[Span]:
    """Spans for raised numbers ("infection.1,3-5"): one per number, when one of them labels a reference."""
    spans = []
    for start, end in raised:
        if not _RAISED_NUMBERS.fullmatch(text[start:end]) or (start and text[start - 1].isdigit()):
            continue
        numbers = list(_NUMBER.finditer(text, start, end))
        if any(int(number.group(0)) in labels for number in numbers):
            spans += [_span(text, n.start(), n.end(), labels.get(int(n.group(0)))) for n in numbers]
    return spans


def author_year_spans(text: str, references: References) -> list[Span]:
    """Spans for author-year citations: inside parentheses, or "Name (year)" in the running text."""
    spans: list[Span] = []
    position = 0
    while True:
        match = _AUTHOR_YEAR.search(text, position)
        if match is None:
            return spans
        position = match.end()
        if not (match.group("open") or _inside_parentheses(text, match.start())):
            continue
        # the authors group starts with a surname (_AUTHORS starts with _SURNAME)
        surname = fold_name(_FIRST_SURNAME.match(match.group("authors")).group(0))  # type: ignore[union-attr]
        end = match.end() + (1 if match.group("open") and text[match.end():match.end() + 1] == ")" else 0)
        year, letter = int(match.group("year")), match.group("letter") or ""
        key = references.lookup(surname, year, letter, match.group(0))
        if key is None and not _COMMA_BEFORE_YEAR.search(match.group(0)):
            continue  # "SciBERT (2019)", "(NAACL-HLT 2018)": a name and a year, but no citation of ours
        spans.append(_span(text, match.start(), end, key))
        for more in _iter_more_years(text, match.end()):
            if more.group("year"):
                year, letter = int(more.group("year")), more.group("letter") or ""
            else:
                letter = more.group("only_letter")
            start = more.start("year") if more.group("year") else more.start("only_letter")
            spans.append(_span(text, start, more.end(), references.lookup(surname, year, letter, more.group(0))))
            position = more.end()


def _iter_more_years(text: str, position: int):
    while True:
        more = _MORE_YEARS.match(text, position)
        if more is None:
            return
        yield more
        position = more.end()


def _inside_parentheses(text: str, position: int) -> bool:
    """An open parenthesis before `position` in the same sentence that is not closed yet."""
    depth = 0
    for char in reversed(text[max(0, position - 300):position]):
        if char == ")":
            depth += 1
        elif char == "(":
            if depth == 0:
                return True
            depth -= 1
    return False


def _span(text: str, start: int, end: int, ref_id: str | None) -> Span:
    return span(start, end, text[start:end], ref_id)
