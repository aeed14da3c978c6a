"""The compact per-record view that blocking and fuzzy scoring work on.

A `MatchFeatures` holds only what matching needs. Words and names are interned
(shared between records), so a record costs about 500 bytes here and a million
records fit in memory where the full source records would not.
"""
import sys
from typing import NamedTuple

from dedup.errors import InvalidRecordError
from dedup.titles import fold_text, is_generic_title, name_key, notice_prefix, numeral_signature, title_words

# Authors beyond this many are ignored when comparing author lists (consortium papers).
MAX_AUTHORS_COMPARED = 20


class MatchFeatures(NamedTuple):
    """Matching view of one source record."""

    words: tuple[str, ...]  # title_words of the title
    generic: bool  # generic or too short: never fuzzy-merged
    notice: str  # "correctionto", "retraction", ... or ""
    numerals: str  # numbers and Roman numerals of the title, space-separated
    surnames: tuple[str, ...]  # name_key of each author's last name, in order
    given_names: tuple[str, ...]  # name_key of each author's first name (2+ letters), in order
    year: int  # 0 when unknown
    article_type: str
    journal: str  # compact form of the journal name ("" when unknown)

    @property
    def compact(self) -> str:
        """The compact title (titles.compact_title)."""
        return "".join(self.words)


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
    words = tuple(map(sys.intern, title_words(record.get("title") or "")))
    compact = "".join(words)
    authors = (record.get("authors") or [])[:MAX_AUTHORS_COMPARED]
    # name_key is cached, so equal names already share one string object
    given_names = (name_key(author.get("first") or "") for author in authors)
    return MatchFeatures(
        words=words,
        generic=is_generic_title(compact),
        notice=notice_prefix(compact),
        numerals=sys.intern(numeral_signature(compact, words)),
        surnames=tuple(filter(None, (name_key(author.get("last") or "") for author in authors))),
        given_names=tuple(name for name in given_names if len(name) > 1),
        year=publish_year(record.get("publish_time") or ""),
        article_type=sys.intern(fold_text(record.get("article_type") or "").strip()),
        journal=sys.intern("".join(title_words(record.get("journal") or ""))),
    )
