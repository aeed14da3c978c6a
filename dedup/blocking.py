"""Blocking: which pairs of records are worth scoring.

Each record gets several keys so that one typo does not hide a match:
- "t:" the whole compact title (catches titles that differ only in formatting);
- "p:" first author's surname + the first `AFFIX_CHARS` characters of the compact title;
- "s:" first author's surname + the last `AFFIX_CHARS` characters;
- "e:" / "o:" the title's words at even / odd positions (titles of at least
  `MIN_WORDS_FOR_HALVES` words).
A typo in the title leaves "p:" or "s:" and one of "e:"/"o:"; a typo in the surname
leaves "t:", "e:" and "o:"; both together still leave one of "e:"/"o:".
Records sharing a key form a block; blocks larger than `MAX_BLOCK_SIZE` are generic
("Editorial", "Introduction", the same short title by one prolific author) and are
reported instead of compared.
"""
from collections.abc import Iterable, Iterator, Sequence

from dedup.features import MatchFeatures

AFFIX_CHARS = 24
MIN_WORDS_FOR_HALVES = 6
# The largest block compared pair by pair. A real paper appears in at most ~8 sources,
# so every block of its own keys is far below this; larger blocks are generic titles.
MAX_BLOCK_SIZE = 32


def blocking_keys(features: MatchFeatures) -> list[str]:
    """The block keys of one record (only "t:" for generic titles, none without a title)."""
    compact = features.compact
    if not compact:
        return []
    if features.generic:
        return [f"t:{compact}"]
    surname = features.surnames[0] if features.surnames else ""
    keys = [f"t:{compact}", f"p:{surname}|{compact[:AFFIX_CHARS]}", f"s:{surname}|{compact[-AFFIX_CHARS:]}"]
    words = features.words
    if len(words) >= MIN_WORDS_FOR_HALVES:
        keys += ["e:" + " ".join(words[0::2]), "o:" + " ".join(words[1::2])]
    return keys


def build_blocks(features: Sequence[MatchFeatures]) -> dict[str, list[int]]:
    """Block key -> record indices (ascending), for keys shared by at least two records."""
    first_holder: dict[str, int] = {}
    blocks: dict[str, list[int]] = {}
    for index, record_features in enumerate(features):
        for key in blocking_keys(record_features):
            holder = first_holder.setdefault(key, index)
            if holder == index:
                continue
            block = blocks.get(key)
            if block is None:
                blocks[key] = [holder, index]
            elif block[-1] != index:
                block.append(index)
    return blocks


def iter_block_pairs(blocks: dict[str, list[int]], oversized: list[tuple[str, int]]) -> Iterator[tuple[int, int]]:
    """Pairs (i < j) inside every block of at most MAX_BLOCK_SIZE; larger blocks go to `oversized`."""
    for key in sorted(blocks):
        members = blocks[key]
        if len(members) > MAX_BLOCK_SIZE:
            oversized.append((key, len(members)))
            continue
        for position, left in enumerate(members):
            for right in members[position + 1:]:
                yield left, right


def unique_pairs(pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each pair once, sorted."""
    return sorted(set(pairs))
