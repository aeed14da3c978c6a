"""Normal forms shared by the full-text and feed parsers: dates, author names, licences.

`normalize_date` returns "" for a value that holds no date; `make_author` and
`split_author_name` give a name as {first, middle, last, suffix}; `normalize_license`
maps a licence name, code or URL to a contract value. Identifiers have their normal
forms in schemas/identifiers.py.
"""
import datetime
import re

from schemas import LICENSES
from schemas.records import PersonName, person_name

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO_DATE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?:[T ]\d{1,2}:\d{2}.*)?$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
_MONTH_YEAR = re.compile(r"^([A-Za-z]+)\.?,?\s+(?:(\d{1,2}),?\s+)?(\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})\s+([A-Za-z]+|\d{1,2}\b)\.?(?:\s+(\d{1,2}))?")


def _format_date(year: int, month: int | None = None, day: int | None = None) -> str:
    """"YYYY", "YYYY-MM" or "YYYY-MM-DD", dropping parts that are out of range."""
    if not 1000 <= year <= 2999:
        return ""
    if not month or not 1 <= month <= 12:
        return f"{year:04d}"
    try:
        return datetime.date(year, month, day).isoformat() if day else f"{year:04d}-{month:02d}"
    except (ValueError, OverflowError):  # no such day (2020-02-30, or a day of 40 digits): keep the month
        return f"{year:04d}-{month:02d}"


def _month_number(text: str | None) -> int | None:
    if not text:
        return None
    if text.isdigit():
        return int(text)
    return _MONTHS.get(text.lower())


def normalize_date(value) -> str:
    """A date as "YYYY-MM-DD", "YYYY-MM" or "YYYY" ("" when there is none).

    Accepts ISO dates and date-times, "YYYY/MM/DD", PubMed dates and MedlineDate
    ranges ("2020 Mar-Apr", "1998 Dec-1999 Jan", "2000 Spring": the start counts),
    "24 May 2003", "May 2003", a bare year (str or int), and Crossref date-parts
    ([[2020, 3, 1]], [2020, 3] or {"date-parts": ...}).
    """
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, dict):
        return normalize_date(value.get("date-parts"))
    if isinstance(value, (list, tuple)):
        parts = value[0] if value and isinstance(value[0], (list, tuple)) else value
        numbers = [int(p) for p in parts if (isinstance(p, int) and not isinstance(p, bool))
                   or (isinstance(p, str) and p.isascii() and p.isdigit() and len(p) <= 9)]
        return _format_date(*numbers[:3]) if numbers else ""
    if isinstance(value, int):
        return _format_date(value)
    text = str(value).strip()
    match = _ISO_DATE.match(text)
    if match:
        year, month, day = match.groups()
        return _format_date(int(year), int(month) if month else None, int(day) if day else None)
    match = _DAY_MONTH_YEAR.match(text)
    if match:
        day, month, year = match.groups()
        return _format_date(int(year), _month_number(month), int(day))
    match = _MONTH_YEAR.match(text)
    if match:
        month, day, year = match.groups()
        return _format_date(int(year), _month_number(month), int(day) if day else None)
    match = _YEAR_FIRST.match(text)
    if match:
        year, month, day = match.groups()
        month_number = _month_number(month)
        return _format_date(int(year), month_number, int(day) if day and month_number else None)
    match = re.match(r"^(\d{4})\b", text)
    return _format_date(int(match.group(1))) if match else ""


_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v", "2nd", "3rd"}
_PARTICLES = {
    "al", "bin", "da", "das", "de", "del", "della", "der", "di", "dos", "du", "el",
    "ibn", "la", "le", "st", "st.", "ten", "ter", "van", "von",
}
_INITIALS = re.compile(r"^[A-Z\u00c0-\u00de]{1,4}$")
_FOOTNOTE_MARK = re.compile(r"(?<=[^\W\d])\d+\b")  # "Li1" -> "Li" (affiliation marks)


def make_author(given: str, last: str, suffix: str = "") -> PersonName:
    """A name from given names ("J Michael", or initials "JSM") and a family name."""
    given_parts = given.split()
    if len(given_parts) == 1 and _INITIALS.match(given_parts[0]) and len(given_parts[0]) > 1:
        given_parts = list(given_parts[0])
    return person_name(given_parts[0] if given_parts else "", given_parts[1:], " ".join(last.split()),
                       suffix.strip())


def _split_suffix(words: list[str]) -> tuple[list[str], str]:
    if len(words) > 1 and words[-1].lower().rstrip(",") in _SUFFIXES:
        return words[:-1], words[-1].rstrip(",")
    return words, ""


def split_author_name(name: str) -> PersonName:
    """Split one author name into {first, middle, last, suffix}.

    Understands "Last, First Middle[, Suffix]", "First Middle Last [Suffix]" (a
    family name may start with a particle: "Adrian Del Maestro") and the MEDLINE
    display form "Last FM" with trailing initials ("O'Neill AF", "Tay RYK").
    """
    text = " ".join(name.replace("\u00a0", " ").split()).strip(" ;,")
    text = _FOOTNOTE_MARK.sub("", text)
    if not text:
        return make_author("", "")
    if "," in text:
        last, _, rest = text.partition(",")
        rest_words, suffix = _split_suffix(rest.replace(",", " ").split())
        if not rest_words and suffix:
            rest_words, suffix = [suffix], ""
        return make_author(" ".join(rest_words), last, suffix)
    words, suffix = _split_suffix(text.split())
    if len(words) == 1:
        return make_author("", words[0], suffix)
    if _INITIALS.match(words[-1]) and not _INITIALS.match(words[0]):
        initials = words[-1]
        return make_author(" ".join(initials), " ".join(words[:-1]), suffix)
    last_start = len(words) - 1
    for index in range(1, len(words) - 1):
        if words[index].lower() in _PARTICLES:
            last_start = index
            break
    return make_author(" ".join(words[:last_start]), " ".join(words[last_start:]), suffix)


_CC_URL = re.compile(r"creativecommons\.org/(licenses|publicdomain)/([a-z\-]+)", re.IGNORECASE)
_CC_NAME = re.compile(r"^cc[\s_\-]?(0|by(?:[\s_\-](?:nc|sa|nd))*)\b", re.IGNORECASE)


def _cc_license(parts: str) -> str:
    """"by-nc-nd" (any separators) to the contract's "cc-by-nc-nd"."""
    words = [w for w in re.split(r"[\s_\-]+", parts.lower()) if w]
    if words == ["0"] or words == ["zero"]:
        return "cc0"
    ordered = ["by"] + [w for w in ("nc", "sa", "nd") if w in words]
    if ordered == ["by", "nc", "sa", "nd"]:
        ordered = ["by", "nc", "nd"]
    return "cc-" + "-".join(ordered)


def normalize_license(value: str | None, default: str = "unk") -> str:
    """Map a licence name, code or URL to one of the contract's values.

    Creative Commons URLs and names ("CC BY-NC 4.0", "cc_by_nc_nd"), PMC's
    "NO-CC CODE", arXiv's licence URLs, open-access colours ("gold") and the
    contract values themselves are recognised; anything else gives `default`.
    """
    if not value:
        return default
    text = " ".join(str(value).split())
    lowered = text.lower()
    if lowered in LICENSES:
        return lowered
    match = _CC_URL.search(text)
    if match:
        kind, code = match.groups()
        return "cc0" if kind.lower() == "publicdomain" else _cc_license(code)
    match = _CC_NAME.match(text)
    if match:
        return _cc_license(match.group(1))
    if lowered.replace("_", "-") in ("no-cc", "no-cc code", "no cc code", "cc-no", "cc no"):
        return "no-cc"
    if lowered in ("public domain", "pd", "publicdomain"):
        return "cc0"
    if "arxiv.org/licenses" in lowered:
        return "arxiv"
    if lowered in ("gold", "green", "bronze", "hybrid"):
        return f"{lowered}-oa"
    return default
