"""The front matter of a PDF: title, authors with affiliations and e-mail addresses, abstract.

The title is the largest type in the top part of page 1; author names are the
name-only lines under it (superscript marks removed, conservatively), with the
affiliation their marks point to and the e-mail address that holds their name. A long
page-1 block in its own type size before any heading is the abstract when no
"Abstract" label says where it is.
"""
import re
import unicodedata

from parsers.pdf.blocks import CAPTION_LABEL, KNOWN_HEADINGS, NUMBERED_HEADING
from parsers.pdf.layout import RAISED_RUN, Box, join_lines, join_texts, word_count
from schemas.records import Affiliation, Author, affiliation, author, person_name

_TITLE_MAX_LINES = 6
_SECTION_NAME_ONLY = re.compile(
    r"^((\d{1,2}(\.\d{1,2})*\.?|[IVX]{1,5}\.)\s*)?(abstract|summary|introduction|background|keywords?|"
    r"contents|preface|foreword)\s*[:.]?$",
    re.IGNORECASE,
)


def _could_be_title(box: Box, body_size: float) -> bool:
    text = join_lines(box.lines)
    return (
        box.lines[0].top <= 0.6
        and len(box.lines) <= _TITLE_MAX_LINES
        and len(text) >= 8
        and len(text.split()) >= 2
        and box.lines[0].size >= body_size
        and not ("@" in text or "http" in text or _SECTION_NAME_ONLY.match(text) or NUMBERED_HEADING.match(text))
        and not CAPTION_LABEL.match(text)
    )


def find_title(boxes: list[Box], info_title: str, body_size: float) -> tuple[str, list[int]]:
    """The title and its box indexes: the largest type in the top part of page 1,
    continued by the boxes right after it set in the same type (a title broken
    across boxes). Section names, numbered headings, captions, e-mail addresses and
    URLs are not titles; without a candidate the PDF's Info title is used."""
    candidates = {}
    for index, box in enumerate(boxes):
        if box.page != 0:
            break
        if _could_be_title(box, body_size):
            candidates[index] = box.lines[0].size
    if not candidates:
        return info_title, []
    largest = max(candidates.values())
    first = min(index for index, size in candidates.items() if size == largest)
    chosen = [first]
    lines = len(boxes[first].lines)
    following = first + 1
    while candidates.get(following) == largest and lines + len(boxes[following].lines) <= _TITLE_MAX_LINES:
        chosen.append(following)
        lines += len(boxes[following].lines)
        following += 1
    return join_lines([line for index in chosen for line in boxes[index].lines]), chosen


_MIN_ABSTRACT_WORDS = 30
_MAX_AUTHORS = 100
# Footnote and affiliation marks after names: digits, asterisks, daggers, section signs.
_AUTHOR_MARKS = re.compile(r"[\d*\u2020\u2021\u2217\u00a7\u00b6#\u2022]+")
# Marks between names set side by side without commas ("Arman Cohan†∗ Sergey Feldman†"):
# a comma is put after them.
_MARKS_BEFORE_NAME = re.compile(
    r"((?<=[^\W\d_])(?:\d{1,2}(?:,\d{1,2})*|[*\u2020\u2021\u2217\u00a7\u00b6]+)|\u207e)(\s+)(?=[A-Z])"
)
_NAME_SEPARATORS = re.compile(r"\s*(?:,|;|&|\band\b)\s*")
_NOT_A_NAME = re.compile(
    r"@|https?:|\b(univ|institut|department|dept|school|college|laborator|hospital|cent(er|re)|faculty|"
    r"academy|inc|ltd|gmbh|street|road|avenue|abstract|keywords?|journal|vol|doi|received|accepted)",
    re.IGNORECASE,
)
# Marks after a name: raised runs ("⁽1,2⁾"), or digits and footnote symbols on the line.
_FOLLOWING_MARKS = re.compile(r"(\s*,?\s*(\u207d[^\u207e]*\u207e|[\d*\u2020\u2021\u2217\u00a7\u00b6#]))+")
_MARK = re.compile(r"\d+|[^\d\s,\u207d\u207e]")
_NAME_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['\u2019.\-])*$")  # "Mei-Ling", "O'Neil", "J.", not "Note:"
_NAME_SUFFIXES = {"Jr", "Jr.", "Sr", "Sr.", "II", "III", "IV"}
_NAME_PARTICLES = {
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "du", "la", "le", "ter", "ten", "bin",
}


def author_names(box: Box) -> list[tuple[Author, list[str]]]:
    """The authors in a front-matter block with the marks after each name ("1", "*"),
    or [] when it is not a list of names.

    Conservative: a block counts only when every comma/"and"-separated part, with
    superscript and footnote marks removed, looks like a name (2 to 4 capitalised
    words, name particles and a suffix allowed); affiliations, addresses and dates
    are refused.
    """
    marked = _MARKS_BEFORE_NAME.sub(r"\1,\2", join_texts(line.marked for line in box.lines))
    text = RAISED_RUN.sub(" ", marked)
    if _NOT_A_NAME.search(text) or KNOWN_HEADINGS.match(text):
        return []
    parts = [p for p in _NAME_SEPARATORS.split(text) if p.strip()]
    names = [_AUTHOR_MARKS.sub(" ", p).split() for p in parts]
    # A part that is only marks or numbers ("Mai 30, 18") is a date or a count, not a name list.
    if not names or not all(_looks_like_name(tokens) for tokens in names):
        return []
    authors: list[tuple[Author, list[str]]] = []
    position = 0
    for tokens in names:
        found = marked.find(tokens[-1], position)
        position = found + len(tokens[-1]) if found >= 0 else position
        marks = _FOLLOWING_MARKS.match(marked, position) if found >= 0 else None
        suffix = tokens.pop() if tokens[-1] in _NAME_SUFFIXES else ""
        last_start = len(tokens) - 1
        while last_start > 1 and tokens[last_start - 1] in _NAME_PARTICLES:
            last_start -= 1  # "van der Berg" is one surname
        name = person_name(tokens[0], tokens[1:last_start], " ".join(tokens[last_start:]), suffix)
        authors.append((author(name, {}, ""), _MARK.findall(marks.group(0)) if marks else []))
    return authors


def _looks_like_name(tokens: list[str]) -> bool:
    words = [t for t in tokens if t not in _NAME_PARTICLES and t not in _NAME_SUFFIXES]
    return (
        2 <= len(words) <= 4
        and tokens[0] in words
        and tokens[-1] not in _NAME_PARTICLES
        and all(t[:1].isupper() and _NAME_WORD.match(t) for t in words)
    )


_MAX_AFFILIATION_WORDS = 30
_AFFILIATION_WORDS = re.compile(
    r"\b(universi[td]|institut|departm|departam|dept|division|school|college|laborator|hospital|cent(er|re|ro)|"
    r"facult|academy|clinic|foundation|ministry|programa?)",
    re.IGNORECASE,
)
_INSTITUTION_WORDS = re.compile(
    r"\b(universi[td]|institut|school|college|hospital|cent(er|re|ro)|facult|academy|clinic|foundation|ministry|"
    r"inc|ltd|gmbh|corporation)",
    re.IGNORECASE,
)
_LABORATORY_WORDS = re.compile(
    r"\b(departm|departam|dept|division|laborator|lab\b|unit\b|programa?\b|group\b)", re.IGNORECASE
)
# An affiliation's leading mark: a raised run ("⁽1⁾"), or a number, letter or symbol before it.
_LEADING_MARK = re.compile(
    r"^(\u207d\s*([^\u207e\s]+)\s*\u207e|(\d{1,2}|[a-z]|[*\u2020\u2021\u2217\u00a7])(?=\s*[A-Z]))\s*"
)
_EMAIL = re.compile(r"(\{[^{}@]+\}|[\w.+\-]+)@([\w\-]+(?:\.[\w\-]+)+)")
_IN_BRACKETS_EMAIL = re.compile(r"\(?\s*\S+@\S+?\s*\)?(?=[\s,;]|$)")


def is_affiliation_box(box: Box, text: str, body_size: float) -> bool:
    """An institution, a department or an e-mail address: short (or a list of marked
    entries), in a type of its own or not ending like a sentence."""
    short = word_count(text) <= _MAX_AFFILIATION_WORDS or any(_LEADING_MARK.match(line.marked) for line in box.lines)
    set_apart = abs(box.lines[0].size - body_size) >= 0.5 or not text.endswith(".")
    return bool(_AFFILIATION_WORDS.search(text) or "@" in text) and short and set_apart


def with_affiliations_and_emails(authors: list[tuple[Author, list[str]]], boxes: list[Box]) -> list[Author]:
    """The authors with the affiliation their marks point to (or the only affiliation
    printed) and the e-mail address whose user part holds their name."""
    affiliations = _affiliations(boxes)
    emails = [email for box in boxes for email in _emails(join_lines(box.lines))]
    people = []
    for person, marks in authors[:_MAX_AUTHORS]:
        text = next((affiliations[mark] for mark in marks if mark in affiliations), None)
        if text is None and list(affiliations) == [""]:
            text = affiliations[""]
        if text:
            person["affiliation"] = _affiliation_parts(text)
        matching = [email for email in emails if _email_names(person) & _email_user_words(email)]
        if len(matching) == 1:
            person["email"] = matching[0]
        people.append(person)
    return people


def _affiliations(boxes: list[Box]) -> dict[str, str]:
    """Affiliation texts by their leading mark ("1", "a", "*"); an unmarked one under "".
    Lines without a mark continue the affiliation above them."""
    found: dict[str, list[str]] = {}
    for box in boxes:
        current = None
        for line in box.lines:
            text = _IN_BRACKETS_EMAIL.sub("", line.marked).strip(" ,;")
            mark = _LEADING_MARK.match(text)
            if mark:
                current = found.setdefault(mark.group(2) or mark.group(3), [])
                text = text[mark.end():]
            elif current is None:
                current = found.setdefault("", [])
            if text and _EMAIL.search(text) is None:
                current.append(text)
    return {mark: ", ".join(lines) for mark, lines in found.items() if lines}


def _affiliation_parts(text: str) -> Affiliation:
    """{laboratory, institution, location} from "Department of X, Y University, City, Country"."""
    parts = [part.strip(" .") for part in text.split(",") if part.strip(" .")]
    laboratory = [part for part in parts if _LABORATORY_WORDS.search(part) and not _INSTITUTION_WORDS.search(part)]
    institution = [part for part in parts if _INSTITUTION_WORDS.search(part)]
    institution = institution or [part for part in parts if part not in laboratory][:1]
    named = [n for n, part in enumerate(parts) if part in laboratory or part in institution]
    place = parts[max(named, default=0) + 1:]
    location = {}
    if place and _is_place_name(place[-1]):
        location["country"] = place[-1]
        if len(place) >= 2 and _is_place_name(place[-2]):
            location["settlement"] = place[-2]
    return affiliation(", ".join(laboratory), ", ".join(institution), location)


def _is_place_name(part: str) -> bool:
    """A city or country name: no digits (post codes, streets), not a code like "NY"."""
    return not any(c.isdigit() for c in part) and not (part.isupper() and len(part) <= 3)


def _emails(text: str) -> list[str]:
    """E-mail addresses, "{ann,bob}@x.org" expanded to one per user."""
    found = []
    for users, domain in _EMAIL.findall(text):
        for user in users.strip("{}").split(","):
            if user.strip():
                found.append(f"{user.strip()}@{domain}")
    return found


def _email_names(person: Author) -> set[str]:
    return {_ascii_lower(name) for name in [person["first"], person["last"]] if len(name) > 1}


def _email_user_words(email: str) -> set[str]:
    return set(re.split(r"[._\-+]", _ascii_lower(email.split("@")[0])))


def _ascii_lower(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def unlabelled_abstract(front: list[tuple[Box, str]], body_size: float) -> str:
    """An abstract without an "Abstract" label: the first long block on page 1, before
    any heading, set in a type size other than the body's (smaller, as in most
    journal and preprint styles, or larger)."""
    for box, text in front:
        if box.page == 0 and word_count(text) >= _MIN_ABSTRACT_WORDS and abs(box.lines[0].size - body_size) >= 0.5:
            return text
    return ""
