"""The references section of a PDF: entries split and merged, and read into bib entries.

Each entry gives what can be recovered: authors, year, title, venue, DOI and arXiv id,
in the common layouts: author-year ("Mora, J. (2005a) Title. Venue", "Iz Beltagy,
Kyle Lo, and Arman Cohan. 2019. Title. In Venue"), numbered ("[3] Smith J, Doe A.
Title. Journal. 2009;373:1-8.") and quoted titles. parsers.pdf.citations links the
body's markers to them.
"""
import re
import unicodedata
from dataclasses import dataclass, field

from parsers.pdf.layout import Box, Line, join_lines, join_texts
from schemas.records import BibEntry, PersonName, bib_entry, grobid_bib_id, person_name

_HANGING_INDENT_PT = 3.0
_REF_LABEL = re.compile(r"^\s*(\[(\d{1,4})\]|(\d{1,3})\.\s)")  # "[12]" or "12. " (not a year)
REF_LABEL_FIRST = re.compile(r"^\[1\]\s")
BRACKET_LABEL = re.compile(r"^\[\d{1,4}\]\s")


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
    entries: list[str] = []
    current: list[Line] = []
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
    entry starts (and an unlabelled entry is not over before its year)."""
    labelled = any(_REF_LABEL.match(entry) for entry in entries)
    merged: list[str] = []
    last_label = 0
    for entry in entries:
        if labelled:
            label = _REF_LABEL.match(entry)
            number = int(label.group(2) or label.group(3)) if label else 0
            # the next number, or a few on for a bracketed list ("379. [astro-ph]" is a page range's end)
            new_entry = label is not None and (number == last_label + 1 or (
                bool(label.group(2)) and last_label < number <= last_label + 3))
            last_label = number if new_entry else last_label
        else:
            new_entry = _starts_unlabelled_entry(entry) and not (merged and not _YEAR.search(merged[-1]))
        if merged and not new_entry:
            merged[-1] = join_texts([merged[-1], entry])
        else:
            merged.append(entry)
    return merged


_YEAR = re.compile(r"(?<![\w.:/\-])(1[89]\d\d|20\d\d)([a-z])?(?![\w\-]|\.\d)")
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+[^\s\"<>.,;)])", re.IGNORECASE)
_ARXIV = re.compile(r"arXiv:\s*(\d{4}\.\d{4,5}|[a-z\-]+/\d{7})", re.IGNORECASE)
_QUOTED = re.compile(r"^[\"\u201c\u00ab]\s*([^\"\u201d\u00bb]{5,300}?)\s*[\"\u201d\u00bb]")
_QUOTED_ANYWHERE = re.compile(r"[\"\u201c]([^\"\u201d]{10,300})[\"\u201d]")
_STOP = re.compile(r"\.\s+")
_SENTENCE_BREAK = re.compile(r"(?<=[^\s.][^\s.A-Z])[.?!]\s+|(?<=[?!])\s+")
_EDITORS = re.compile(r"\((?:eds?\.?|editors?|editora?s?|comp(?:iladore?s?|s?\.)|coords?\.?)\)", re.IGNORECASE)
_AUTHOR_SHARE = 0.85  # an author list before the year takes up at most this share of the entry


@dataclass
class References:
    """The bib entries of a paper, with what citation markers are linked by."""

    bib_entries: dict[str, BibEntry] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)  # printed number -> key ("[3]", "3.")
    by_name_year: dict[tuple[str, int], list[tuple[str, str]]] = field(default_factory=dict)  # -> (key, "a")
    texts: dict[str, str] = field(default_factory=dict)  # key -> the entry as printed

    def lookup(self, surname: str, year: int, letter: str, marker: str) -> str | None:
        """The key of the entry a marker cites by its first author's (folded) surname
        and the year: the only one, else the one of that year letter ("2005b"), else
        the one whose second author the marker names; None when none or no one."""
        candidates = self.by_name_year.get((surname, year)) or self._printed_with(surname, year)
        if len(candidates) == 1:
            return candidates[0][0]
        if letter:
            lettered = [key for key, suffix in candidates if suffix == letter]
            if len(lettered) == 1:
                return lettered[0]
        named = fold_name(marker).split()
        second = [key for key, _ in candidates if _second_author(self.bib_entries[key]) in named]
        return second[0] if len(second) == 1 else None

    def _printed_with(self, surname: str, year: int) -> list[tuple[str, str]]:
        """Entries of that year whose first words hold the surname (authors not read apart)."""
        found = []
        for key, entry in self.bib_entries.items():
            if entry["year"] == year and surname in fold_name(self.texts[key][:80]).split():
                found.append((key, ""))
        return found


def _second_author(entry: BibEntry) -> str:
    return fold_name(entry["authors"][1]["last"]) if len(entry["authors"]) > 1 else ""


def fold_name(name: str) -> str:
    """A surname as citations are matched: lower case, without accents or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return re.sub(r"[\W_]+", " ", "".join(c for c in decomposed if not unicodedata.combining(c))).strip()


def read_references(entries: list[str]) -> References:
    """bib entries from raw reference strings, with what citations are linked by."""
    found = References()
    for n, raw in enumerate(entries):
        key = f"BIBREF{n}"
        label = _REF_LABEL.match(raw)
        if label:
            found.labels[int(label.group(2) or label.group(3))] = key
            raw = raw[label.end():].strip()
        authors, year, suffix, title, venue = _read_entry(raw)
        other_ids = {}
        doi = _DOI.search(raw)
        if doi:
            other_ids["DOI"] = [doi.group(1)]
        arxiv = _ARXIV.search(raw)
        if arxiv:
            other_ids["arXiv"] = [arxiv.group(1)]
        venue, volume, issue, pages = _volume_and_pages(venue)
        found.bib_entries[key] = bib_entry(grobid_bib_id(n), title=title, authors=authors, year=year, venue=venue,
                                           volume=volume, issn=issue, pages=pages, other_ids=other_ids)
        found.texts[key] = raw
        if authors and year is not None:
            found.by_name_year.setdefault((fold_name(authors[0]["last"]), year), []).append((key, suffix))
    return found


def _read_entry(raw: str) -> tuple[list[PersonName], int | None, str, str, str]:
    """(authors, year, year suffix, title, venue) of one reference."""
    year = _YEAR.search(raw)
    year_value, suffix = (int(year.group(1)), year.group(2) or "") if year else (None, "")
    if year and _looks_like_author_list(raw[: year.start()], len(raw)):  # "Mora, J. (2005a) Title. Venue"
        title, venue = _title_and_venue(raw[year.end():].lstrip(" )].,:;"))
        return _names(raw[: year.start()].rstrip(" ([")), year_value, suffix, title, venue
    quoted = _QUOTED_ANYWHERE.search(raw)
    if quoted and _looks_like_author_list(raw[: quoted.start()], len(raw)):  # 'A. Smith, "Title," Venue'
        venue = raw[quoted.end():].strip(" ,.;")
        return _names(raw[: quoted.start()]), year_value, suffix, quoted.group(1).strip(" ,."), venue
    for stop in _STOP.finditer(raw):  # "Smith J, Doe A. Title. Journal. 2009;373:1-8."
        before = raw[: stop.start()]
        if len(before.split()) >= 2 and _looks_like_author_list(before, len(raw)):
            title, venue = _title_and_venue(raw[stop.end():])
            return _names(before), year_value, suffix, title, venue
    title, venue = _title_and_venue(raw)
    return [], year_value, suffix, title, venue


def _title_and_venue(rest: str) -> tuple[str, str]:
    """The title (quoted, else the first sentence) and the venue after it."""
    quoted = _QUOTED.match(rest)
    if quoted:
        title, after = quoted.group(1), rest[quoted.end():]
    else:
        parts = _SENTENCE_BREAK.split(rest, maxsplit=1)
        title, after = parts[0], (parts[1] if len(parts) > 1 else "")
    venue = re.sub(r"^(in|en|em|dans)\s*:?\s+", "", after.strip(" ,.;:"), flags=re.IGNORECASE)
    return title.strip(" ,.;:"), venue.strip(" .")


# "2018;56:99-104", ", 20(16):2597-604", " (86):47-62", " 11:492-492"
_VOLUME_PAGES = re.compile(
    r"(?:[\s,;.]\s*(?:(?:19|20)\d\d[a-z]?\s*;\s*)?)(?P<volume>\d{1,4})?\s*(?:\((?P<issue>\d{1,4})\))?\s*:\s*"
    r"(?P<pages>\d+(?:\s*[-\u2013]\s*\d+)?)"
)
_IDENTIFIER_TEXT = re.compile(r"[\s,.;]*(?:doi:\s*|https?://(?:dx\.)?doi\.org/|arXiv:\s*)\S+", re.IGNORECASE)
_TRAILING_YEAR = re.compile(r"[\s,.;]*\(?(?:19|20)\d\d[a-z]?\)?[\s,.;]*$")


def _volume_and_pages(venue: str) -> tuple[str, str, str, str]:
    """(venue, volume, issue, pages) from what follows the title: "Rhinol Rep. 2018;56:99-104"
    gives ("Rhinol Rep", "56", "", "99--104"). The issue goes to `issn` and a page range is
    written "from--to", as in CORD-19's pdf_json files."""
    venue = _IDENTIFIER_TEXT.sub("", venue).strip(" ,.;")  # DOI and arXiv ids go to other_ids
    found = _VOLUME_PAGES.search(venue)
    if found is None or not (found.group("volume") or found.group("issue")):
        return _TRAILING_YEAR.sub("", venue).strip(" ,.;:"), "", "", ""
    name = _TRAILING_YEAR.sub("", venue[: found.start()]).strip(" ,.;:")
    pages = re.sub(r"\s*[-\u2010-\u2015]+\s*", "--", re.sub(r"\s+", " ", found.group("pages")).strip())
    return name, found.group("volume") or "", found.group("issue") or "", pages


_INITIALS = re.compile(r"^(?:[A-Z]\.?[-\u2010]?){1,4}$")
_NAME_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "du", "la", "le", "ter", "ten",
                   "bin", "al", "el"}
_SEPARATORS = re.compile(r"\s*;\s*|\s*,?\s+(?:and|y|&|e|und|et)\s+|\s*,\s*")


def _looks_like_author_list(text: str, entry_length: int) -> bool:
    """Names (capitalised words and initials, separated by commas or "and"), short
    against the whole entry; organisations in capitals ("CEPAL") count."""
    text = _EDITORS.sub("", text).strip(" ,.([")
    if not text or len(text) > _AUTHOR_SHARE * entry_length or any(c.isdigit() for c in text):
        return False
    words = [w for w in re.split(r"[\s,;]+", text.replace("et al.", "")) if w]
    named = [w for w in words if w[:1].isupper() or w.lower() in _NAME_PARTICLES or w.lower() in ("and", "y", "&")]
    return len(named) >= 0.8 * len(words) and len(words) <= 150


def _names(text: str) -> list[PersonName]:
    """People from an author list: "Mora, J. y Sumpsi, JM.", "Iz Beltagy, Kyle Lo, and
    Arman Cohan", "Smith J, Doe A", "CEPAL"."""
    text = _EDITORS.sub("", text).replace("et al.", "").replace("et al", "").strip(" ,.")
    parts = [p.strip(" .") for p in _SEPARATORS.split(text) if p and p.strip(" .")]
    people: list[PersonName] = []
    index = 0
    while index < len(parts):
        tokens = parts[index].split()
        following = parts[index + 1] if index + 1 < len(parts) else ""
        if following and _INITIALS.match(following.replace(" ", "")) and not _INITIALS.match(parts[index]):
            people.append(_person(following.replace(".", " ").split(), [], " ".join(tokens)))  # "Mora, J."
            index += 2
            continue
        if len(tokens) > 1 and _INITIALS.match(tokens[-1]) and not _INITIALS.match(tokens[0]):
            people.append(_person(list(tokens[-1].replace(".", "")), [], " ".join(tokens[:-1])))  # "Smith JA"
        elif len(tokens) > 1:
            last_start = len(tokens) - 1
            while last_start > 1 and tokens[last_start - 1].lower() in _NAME_PARTICLES:
                last_start -= 1
            people.append(_person(tokens[:1], tokens[1:last_start], " ".join(tokens[last_start:])))
        elif tokens:
            people.append(person_name("", [], tokens[0], ""))  # an organisation, or a surname alone
        index += 1
    return people


def _person(given: list[str], middle: list[str], last: str) -> PersonName:
    given = [g.strip(".") for g in given if g.strip(".")]
    return person_name(given[0] if given else "", given[1:] + [m.strip(".") if len(m) <= 2 else m for m in middle],
                       last, "")
