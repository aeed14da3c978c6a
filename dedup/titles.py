"""Title and author-name normal forms for fuzzy matching.

`compact_title` removes everything that differs between two sources' renderings of
one title: markup (`<i>`, `<sub>`), HTML entities, case, accents, Unicode
compatibility forms, Greek letters (α -> alpha), "&" for "and", punctuation and spaces (letters
of every script are kept, so Chinese or Cyrillic titles still have a compact form). Removing
the spaces too makes chemical notations agree (`(99m)Tc` and `99mTc` both give
"99mtc") and repairs words glued together by PDF extraction ("ofOryza").
"""
import functools
import html
import re
import unicodedata

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:_-]*(?:\s[^<>]*)?/?>")
_NOT_WORD = re.compile(r"[\W_]+")
_NOT_LETTER = re.compile(r"[\W\d_]+")
_DIGITS = re.compile(r"\d+")
# Roman numerals that mark a part of a series; "i", "v" and "x" are left out (they
# are also letters: "type I", "X-ray").
_ROMAN_NUMERALS = frozenset({"ii", "iii", "iv", "vi", "vii", "viii", "ix"})

_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu",
    "ν": "nu", "ξ": "xi", "ο": "omicron", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "sigma",
    "τ": "tau", "υ": "upsilon", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
}
_GREEK_TABLE = str.maketrans(_GREEK)

# Titles that name a kind of item, not a paper: they are never fuzzy-merged.
GENERIC_TITLES = frozenset(
    {
        "abstracts", "acknowledgement", "acknowledgements", "acknowledgment", "acknowledgments",
        "announcement", "announcements", "backmatter", "bookreview", "bookreviews", "comment",
        "commentary", "contents", "contributors", "correction", "corrections", "corrigendum",
        "covid19", "coronavirus", "editorial", "editorialboard", "editorialcomment", "editorsnote",
        "erratum", "errata", "expressionofconcern", "foreword", "frontmatter", "inbrief",
        "index", "indexes", "inthisissue", "introduction", "issueinformation", "letter",
        "lettertotheeditor", "letterstotheeditor", "masthead", "news", "newsinbrief", "notice",
        "obituary", "preface", "reply", "response", "retraction", "retractionnotice",
        "reviewers", "tableofcontents", "thankyoutoreviewers", "untitled",
    }
)
# A title shorter than this (compact characters) is treated as generic.
MIN_SPECIFIC_TITLE_CHARS = 20

# Notices about another paper carry its title after one of these openings; a notice
# and the paper it is about must never be merged.
NOTICE_PREFIXES = (
    "addendum", "authorsreply", "commenton", "commentaryon", "correctionto", "correction",
    "corrigendum", "erratum", "expressionofconcern", "inresponseto", "replyto", "reply",
    "responseto", "retractionnote", "retractionof", "retraction", "withdrawn",
)


def fold_text(text: str) -> str:
    """Lower-case text without markup, entities or accents, Greek letters spelled out."""
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text).casefold().translate(_GREEK_TABLE)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def title_words(title: str) -> list[str]:
    """The folded words of a title (runs of letters and digits, any script)."""
    return [word for word in _NOT_WORD.split(fold_text(title).replace("&", " and ")) if word]


def compact_title(title: str) -> str:
    """The matching form of a title: its folded words joined without spaces."""
    return "".join(title_words(title))


def is_generic_title(compact: str) -> bool:
    """True for titles that name an item type ("Editorial") or are too short to identify a paper."""
    return len(compact) < MIN_SPECIFIC_TITLE_CHARS or compact in GENERIC_TITLES


def notice_prefix(compact: str) -> str:
    """The notice opening of a title ("correctionto", "retraction", ...) or ""."""
    if not compact.startswith(NOTICE_PREFIXES):
        return ""
    for prefix in NOTICE_PREFIXES:
        if compact.startswith(prefix):
            return prefix
    return ""


def numeral_signature(compact: str, words: list[str] | tuple[str, ...]) -> str:
    """Digit runs of the compact title, then its Roman numerals: parts of a series differ here."""
    return " ".join(_DIGITS.findall(compact) + [word for word in words if word in _ROMAN_NUMERALS])


@functools.lru_cache(maxsize=1 << 16)  # names repeat a lot: a cache hit is 10x cheaper
def name_key(name: str) -> str:
    """An author name part in matching form: folded, letters only."""
    return _NOT_LETTER.sub("", fold_text(name))
