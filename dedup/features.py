"""The compact per-record view that blocking and fuzzy scoring work on.

A `MatchFeatures` holds only what matching needs (a few hundred bytes), so that a
million records fit in memory even where the full source records would not.
"""
from typing import NamedTuple

from dedup.errors import InvalidRecordError
from dedup.titles import compact_title, is_generic_title, name_key, notice_prefix, numeral_signature, title_words

# Authors beyond this many are ignored when comparing author lists (consortium papers).
MAX_AUTHORS_COMPARED = 20


class MatchFeatures(NamedTuple):
    """Matching view of one source record."""

    compact: str  # compact_title of the title
    words: tuple[str, ...]  # title_words of the title
    generic: bool  # generic or too short: never fuzzy-merged
    notice: str  # "correctionto", "retraction", ... or ""
    numerals: tuple[str, ...]  # numbers and Roman numerals of the title
    surnames: tuple[str, ...]  # name_key of each author's last name, in order
    given_names: tuple[str, ...]  # name_key of each author's first name, in order
    year: int  # 0 when unknown
    article_type: str


def record_label(record: dict) -> str:
    """"source:source_id", how reports name a record."""
    return f"{record['source']}:{record['source_id']}"


def record_sort_key(record: dict) -> tuple[str, str]:
    """The canonical order of source records."""
    try:
        return (record["source"], record["source_id"])
    except (KeyError, TypeError) as exc:
        raise InvalidRecordError(f"a source record needs 'source' and 'source_id': {exc}") from exc


def publish_year(publish_time: str) -> int:
    """The year of a "YYYY[-MM[-DD]]" date, 0 when there is none."""
    head = (publish_time or "")[:4]
    return int(head) if len(head) == 4 and head.isdigit() else 0


def match_features(record: dict) -> MatchFeatures:
    """The matching view of a source record."""
    title = record.get("title") or ""
    compact = compact_title(title)
    words = tuple(title_words(title))
    authors = (record.get("authors") or [])[:MAX_AUTHORS_COMPARED]
    surnames = tuple(key for key in (name_key(a.get("last") or "") for a in authors) if key)
    given_names = tuple(key for key in (name_key(a.get("first") or "") for a in authors) if len(key) > 1)
    return MatchFeatures(
        compact=compact,
        words=words,
        generic=is_generic_title(compact),
        notice=notice_prefix(compact),
        numerals=numeral_signature(compact, words),
        surnames=surnames,
        given_names=given_names,
        year=publish_year(record.get("publish_time") or ""),
        article_type=(record.get("article_type") or "").strip().lower(),
    )
