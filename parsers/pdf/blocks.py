"""What a text block of a PDF is: a section heading, a figure or table caption, a formula fragment.

Numbered or set-apart short lines are section headings; "References", "Acknowledgements",
"Appendix" and their kin are recognised by name.
"""
import re

from parsers.pdf.layout import Box, join_lines

NUMBERED_HEADING = re.compile(r"^((\d{1,2}(\.\d{1,2})*\.?)|([IVX]{1,5}\.))\s+\S")
NUMBERED_PREFIX = re.compile(r"^(\d{1,2}(\.\d{1,2})*\.?|[IVX]{1,5}\.)\s+")
KNOWN_HEADINGS = re.compile(
    r"^((\d{1,2}(\.\d{1,2})*\.?|[IVX]{1,5}\.)\s*)?(introduction|background|related work|methods?|materials and methods|"
    r"results|discussion|conclusions?|acknowledge?ments?|appendix|references|bibliography|literature cited|"
    r"abstract|summary|experiments?|evaluation|limitations|future work)\b.{0,40}$",
    re.IGNORECASE,
)
REFERENCES_HEADING = re.compile(
    r"^((\d{1,2}|[IVX]{1,5})\.?\s*)?(references|bibliography|literature cited|works cited|reference list|"
    r"referencias|bibliograf[ií]a)\s*:?$",
    re.IGNORECASE,
)
BACK_HEADING = re.compile(
    r"^((\d{1,2}|[A-Z])\.?\s*)?(acknowledge?ments?|appendix|appendices|funding|"
    r"(supplementary|supporting)\s+(materials?|data|information))\b",
    re.IGNORECASE,
)
KEYWORDS = re.compile(r"^(key\s*words?|index terms)\s*[:.\u2014\-]", re.IGNORECASE)
ABSTRACT_START = re.compile(r"^(abstract|summary)\s*[:.\-\u2014]?\s*", re.IGNORECASE)
CAPTION_LABEL = re.compile(
    r"^(fig\.?|figure|table|tabla|cuadro|gr[aá]fico|chart|plate)\s*(\d+|[IVX]+)[a-z]?\b\s*([.:|]?)", re.IGNORECASE
)
TABLE_LABELS = ("table", "tabla", "cuadro")
# How a note under a figure or table starts: "Source: ...", "Fuente: ...", "Note: ...", "a/ ...", "* ..."
NOTE_START = re.compile(
    r"^(sources?|fuentes?|fontes?|notes?|notas?|data|adapted|reproduced|abbreviations?|[a-z]/|[*\u2020\u2021])",
    re.IGNORECASE,
)
_EQUATION_CHARS = set("=+\u2212\u00d7\u2211\u222b")
_WORD = re.compile(r"[^\W\d_]{3,}")


def is_caption(box: Box, text: str) -> bool:
    """'Figure 2: ...' or 'Table 1.' anywhere, or a short block that is just a label."""
    match = CAPTION_LABEL.match(text)
    return match is not None and (bool(match.group(3)) or (len(box.lines) <= 2 and len(text) < 150))


def is_table_caption(box: Box) -> bool:
    text = join_lines(box.lines)
    return is_caption(box, text) and text.lower().startswith(TABLE_LABELS)


def is_heading(box: Box, body_size: float) -> bool:
    """A section heading: a short block set apart (larger, bold or capitals) or numbered;
    a numbered bold heading may run over three lines."""
    if box.lines[0].size < 0.85 * body_size:
        return False  # smaller type: affiliations, footnotes, table cells
    text = join_lines(box.lines)
    long_numbered = bool(NUMBERED_HEADING.match(text)) and all(line.bold for line in box.lines)
    if len(box.lines) > (3 if long_numbered else 2) or not (2 <= len(text) <= (160 if long_numbered else 120)):
        return False
    if not _WORD.search(text) or _EQUATION_CHARS & set(text):
        return False
    if "http" in text or "@" in text:
        return False
    if KNOWN_HEADINGS.match(text):
        return True
    if text.endswith((".", ",", ";")) and not NUMBERED_HEADING.match(text):
        return False
    if len(text.split()) > (25 if long_numbered else 14):
        return False
    starts_upper = text.lstrip("0123456789. ")[:1].isupper()
    if text[-1:].isdigit() or not starts_upper:
        return False  # a trailing digit is a footnote mark, a page or a value
    if NUMBERED_HEADING.match(text):
        return True
    size = box.lines[0].size
    larger = size > body_size * 1.15
    set_apart = size >= body_size * 0.95 and (
        all(line.bold for line in box.lines) or (text.isupper() and len(text) > 3)
    )
    return larger or set_apart


_EQUATION_NUMBER = re.compile(r"^\(\d{1,3}[a-z]?\)$")
_WORD_CHAR = re.compile(r"[^\W_]")


def is_fragment(text: str) -> bool:
    """An equation number like "(4)", or a block without a letter or digit."""
    return bool(_EQUATION_NUMBER.match(text)) or not _WORD_CHAR.search(text)


_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")
_NUMBER_TOKEN = re.compile(r"^[(\[]?[-+\u2212]?[\d.,%]*\d[\d.,%]*[)\]]?$")
_MIN_WORDS = 4
# A sentence's end: a stop after a letter or a closing bracket or quote ("2." and ". . ." are not)
_ENDS_SENTENCE = re.compile(r"(?:[^\W\d_]|[)\]\"\u201d'])[.!?][\"\u201d')]*$")


def is_furniture(text: str) -> bool:
    """Not running text: a few words without a final stop (chart labels, formula pieces,
    a table's stray cells), or a row of numbers."""
    tokens = text.split()
    numbers = sum(1 for token in tokens if _NUMBER_TOKEN.match(token))
    if len(tokens) >= 3 and 2 * numbers >= len(tokens):
        return True
    return len(_LETTER_WORD.findall(text)) < _MIN_WORDS and not _ENDS_SENTENCE.search(text)
