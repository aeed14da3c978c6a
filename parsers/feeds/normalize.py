"""Normal forms for identifiers, dates, author names and licences.

Every feed parser (and dedup) uses these so that the same paper gets the same
identifiers whatever source it came from. Identifier normalisers return None for
a value that is not an identifier of that kind; `normalize_date` returns "" for a
value that holds no date.
"""
import datetime
import re
from urllib.parse import unquote

from schemas import LICENSES

_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/|(?:dx\.)?doi\.org/)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{3,9}(?:\.\d+)*/\S+$")
_PMCID = re.compile(r"^(?:PMC)?\s*(\d+)(?:\.\d+)?$", re.IGNORECASE)
_PMID = re.compile(r"^(?:PMID:?\s*)?(\d+)(?:\.0+)?$", re.IGNORECASE)
_ARXIV_PREFIX = re.compile(r"^(?:arxiv:\s*|https?://(?:export\.)?arxiv\.org/(?:abs|pdf)/)", re.IGNORECASE)
_ARXIV_NEW = re.compile(r"^(\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?$")
_ARXIV_OLD = re.compile(r"^([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?$", re.IGNORECASE)
_COVIDENCE = re.compile(r"^(?:covidence\s*)?#?\s*(\d+)$", re.IGNORECASE)


def normalize_doi(value: str | None) -> str | None:
    """A bare lower-case DOI ("10.x/y"), without doi.org URL or "doi:" prefix."""
    if not value:
        return None
    text = value.strip()
    while _DOI_PREFIX.match(text):  # also "doi:https://doi.org/10..."
        text = unquote(_DOI_PREFIX.sub("", text, count=1)).strip()
    text = text.strip().rstrip(".").lower()
    return text if _DOI.match(text) else None


def normalize_pmcid(value: str | int | None) -> str | None:
    """"PMC" + digits, from "PMC123", "pmc123", "123" or a versioned "PMC123.1"."""
    if value is None:
        return None
    match = _PMCID.match(str(value).strip())
    if not match or int(match.group(1)) == 0:
        return None
    return f"PMC{int(match.group(1))}"


def normalize_pmid(value: str | int | None) -> str | None:
    """A PubMed id as digits, from "123", 123, "123.0" (spreadsheet) or "PMID: 123"."""
    if value is None:
        return None
    match = _PMID.match(str(value).strip())
    if not match or int(match.group(1)) == 0:
        return None
    return str(int(match.group(1)))


def normalize_arxiv_id(value: str | None) -> str | None:
    """An arXiv id without version or URL: "2004.10706", "hep-th/9901001"."""
    if not value:
        return None
    text = _ARXIV_PREFIX.sub("", value.strip())
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        match = pattern.match(text)
        if match:
            return match.group(1)
    return None


def normalize_covidence_id(value: str | int | None) -> str | None:
    """A WHO Covidence id as "#digits", from "#8973", "8973" or 8973."""
    if value is None:
        return None
    match = _COVIDENCE.match(str(value).strip())
    return f"#{int(match.group(1))}" if match else None


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
    except ValueError:  # no such day (2020-02-30): keep the month
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
        numbers = [int(p) for p in parts if isinstance(p, int) or (isinstance(p, str) and p.isdigit())]
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


def make_author(given: str, last: str, suffix: str = "") -> dict:
    """An author dict from given names ("J Michael", or initials "JSM") and a family name."""
    given_parts = given.split()
    if len(given_parts) == 1 and _INITIALS.match(given_parts[0]) and len(given_parts[0]) > 1:
        given_parts = list(given_parts[0])
    return {
        "first": given_parts[0] if given_parts else "",
        "middle": given_parts[1:],
        "last": " ".join(last.split()),
        "suffix": suffix.strip(),
    }


def _split_suffix(words: list[str]) -> tuple[list[str], str]:
    if len(words) > 1 and words[-1].lower().rstrip(",") in _SUFFIXES:
        return words[:-1], words[-1].rstrip(",")
    return words, ""


def split_author_name(name: str) -> dict:
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


# Article-type labels of PubMed, Europe PMC, Crossref and JATS, most specific first.
_ARTICLE_TYPES = (
    ("correction", ("published erratum", "erratum", "correction", "correction-forward")),
    ("retraction", ("retraction of publication", "retraction notice", "retraction")),
    ("table-of-contents", ("table of contents", "table-of-contents", "index")),
    ("editorial", ("editorial",)),
    ("news", ("news", "newspaper article")),
    ("letter", ("letter",)),
    ("comment", ("comment", "commentary", "article-commentary")),
    ("review-article", ("review", "review-article", "systematic review", "meta-analysis")),
    ("preprint", ("preprint", "posted-content")),
    ("research-article", ("journal article", "journal-article", "research-article", "proceedings-article")),
)


def normalize_article_type(labels: list[str]) -> str:
    """One article type ("research-article", "correction", ...) from a source's type labels.

    The most specific known label wins (an erratum tagged "Journal Article" too is a
    correction); unknown labels alone give the first one, lower-cased and hyphenated.
    """
    lowered = [" ".join(label.lower().split()) for label in labels if label and label.strip()]
    for article_type, names in _ARTICLE_TYPES:
        if any(label in names for label in lowered):
            return article_type
    return lowered[0].replace(" ", "-") if lowered else ""
