"""Blocking: which pairs of records are worth scoring.

Each record gets several keys so that one typo does not hide a match:
- "t:" the whole compact title (catches titles that differ only in formatting);
- "p:" first author's surname + the first `AFFIX_CHARS` characters of the compact title
  (`SHORT_AFFIX_CHARS` for short titles, so that prefix and suffix do not overlap);
- "s:" first author's surname + the last `AFFIX_CHARS` (or `SHORT_AFFIX_CHARS`) characters;
- "e:" / "o:" the title's words at even / odd positions (titles of at least
  `MIN_WORDS_FOR_HALVES` words).
A typo in the title leaves "p:" or "s:" and one of "e:"/"o:"; a typo in the surname
leaves "t:", "e:" and "o:"; both together still leave one of "e:"/"o:".
Records sharing a key form a block; blocks larger than `MAX_BLOCK_SIZE` are generic
("Editorial", "Introduction", the same short title by one prolific author) and are
reported instead of compared. Generic titles get only their "t:" key: they are never
scored, but their blocks are still counted and reported.
"""
from collections.abc import Iterator, Sequence

from dedup.features import MatchFeatures

KEY_KINDS = ("t", "p", "s", "e", "o")
AFFIX_CHARS = 24
SHORT_AFFIX_CHARS = 10  # for titles shorter than 2 * AFFIX_CHARS, so prefix and suffix do not overlap
MIN_WORDS_FOR_HALVES = 6
# The largest block compared pair by pair. A real paper appears in at most ~8 sources,
# so every block of its own keys is far below this; larger blocks are generic titles.
MAX_BLOCK_SIZE = 32


def blocking_key(features: MatchFeatures, kind: str) -> str | None:
    """The record's block key of one kind ("t", "p", "s", "e", "o"), None when it has none."""
    words = features.words
    if not words or (features.generic and kind != "t"):
        return None
    if kind == "t":
        return "t:" + "".join(words)
    if kind in ("p", "s"):
        compact = "".join(words)
        surname = features.surnames[0] if features.surnames else ""
        length = AFFIX_CHARS if len(compact) >= 2 * AFFIX_CHARS else SHORT_AFFIX_CHARS
        affix = compact[:length] if kind == "p" else compact[-length:]
        return f"{kind}:{surname}|{affix}"
    if len(words) < MIN_WORDS_FOR_HALVES:
        return None
    return f"{kind}:" + " ".join(words[0::2] if kind == "e" else words[1::2])


def blocking_keys(features: MatchFeatures) -> list[str]:
    """All block keys of one record."""
    return [key for key in (blocking_key(features, kind) for kind in KEY_KINDS) if key is not None]


def iter_blocks(features: Sequence[MatchFeatures]) -> Iterator[tuple[str, list[int]]]:
    """(key, record indices ascending) for every key shared by at least two records.

    One key kind at a time, so only one kind's keys are in memory at once.
    """
    for kind in KEY_KINDS:
        first_holder: dict[str, int] = {}
        shared: dict[str, list[int]] = {}
        for index, record_features in enumerate(features):
            key = blocking_key(record_features, kind)
            if key is None:
                continue
            holder = first_holder.setdefault(key, index)
            if holder != index:
                shared.setdefault(key, [holder]).append(index)
        del first_holder
        for key in sorted(shared):
            yield key, shared[key]


def iter_block_pairs(features: Sequence[MatchFeatures], oversized: list[tuple[str, int]]) -> Iterator[tuple[int, int]]:
    """Pairs (i < j) inside every block of at most MAX_BLOCK_SIZE; larger blocks go to `oversized`."""
    for key, members in iter_blocks(features):
        if len(members) > MAX_BLOCK_SIZE:
            oversized.append((key, len(members)))
            continue
        for position, left in enumerate(members):
            for right in members[position + 1:]:
                yield left, right
