"""Fuzzy scoring of one candidate pair: is it the same paper?

A pair matches when all of these hold:
- neither title is generic (`titles.is_generic_title`): never merged on title alone;
- both titles are notices of the same kind or neither is ("Correction to: X" is not X);
- the titles carry the same numbers and Roman numerals ("Part 1" is not "Part 2");
- the years, when both are known, differ by at most `YEAR_TOLERANCE`;
- neither is a correction/retraction-type article unless both are of that type;
- the compact titles score at least `TITLE_MATCH_MIN` (rapidfuzz `fuzz.ratio`,
  normalised Indel similarity, 0-100);
- and the author lists agree: surname overlap at least `AUTHOR_MATCH_MIN`, or, when
  one side has no authors, a near-identical title (`TITLE_ONLY_MATCH_MIN`).
The journal names do not decide a match (sources abbreviate them differently); their
agreement is kept in the score to choose between equally good matches.

How the thresholds were chosen (benchmarks/bench_dedup.py, numbers from its runs):
- TITLE_MATCH_MIN = 92. On the labelled set from real CORD-19 rows every true pair
  scores 100 (case, punctuation, markup, entities and Unicode forms all normalise
  away). On 200,000 generated records, whose WHO titles carry one-character typos,
  the lowest true pair in a shared block scores 95.7 and 99 % score >= 99.3; the
  different papers with agreeing authors that score >= 80 there are all preprint and
  journal versions of one title (>= 99.3, kept apart by their DOIs), none falls between
  80 and 92. 92 keeps a margin under the typo case without reaching into rewritten
  titles. The near-identical
  different papers (series parts, notices, preprint and journal version) are kept
  apart by the rules above and by identifier conflicts, not by this number.
- AUTHOR_MATCH_MIN = 0.5: one source listing only the first authors, or spelling
  one name differently, still agrees; two author lists sharing under half of the
  shorter one do not.
- TITLE_ONLY_MATCH_MIN = 98: without authors only formatting differences and at most
  one typo per ~100 characters are accepted.
- YEAR_TOLERANCE = 1: online-first versus issue year, and WHO's year-only dates.

`score_same_source_duplicate` judges two records of one source that share a DOI but
carry different record ids of that source (the WHO export lists some papers twice,
under two Covidence ids): the shared DOI already says "one paper", so they only have
to agree on authors (AUTHOR_MATCH_MIN) and title, where the shorter title may be the
longer one without its subtitle: its `fuzz.ratio` against the longer title's start of
the same length is at least TITLE_MATCH_MIN (and it is at least
SAME_SOURCE_MIN_TITLE_LENGTH compact characters). A DOI given to two different papers
fails this and stays an identifier conflict.
"""
from typing import NamedTuple

from rapidfuzz import fuzz

from dedup.features import MatchFeatures

TITLE_MATCH_MIN = 92.0
TITLE_ONLY_MATCH_MIN = 98.0
AUTHOR_MATCH_MIN = 0.5
YEAR_TOLERANCE = 1
SAME_SOURCE_MIN_TITLE_LENGTH = 15
NOTICE_ARTICLE_TYPES = frozenset(
    {"correction", "erratum", "corrigendum", "retraction", "expression-of-concern", "reply", "addendum"}
)


class PairScore(NamedTuple):
    """Why two records were judged the same paper."""

    title: float  # fuzz.ratio of the compact titles
    authors: float  # surname overlap 0..1, -1 when a side has no authors
    year_gap: int  # -1 when a year is unknown
    journal: int  # journal_agreement
    rule: str  # "title+authors" or "title-only"


def author_overlap(left: MatchFeatures, right: MatchFeatures) -> float:
    """Share of the shorter author list found in the other (surnames; given names count
    too, for names written family-name first). -1.0 when a side has no authors."""
    left_surnames, right_surnames = set(left.surnames), set(right.surnames)
    if not left_surnames or not right_surnames:
        return -1.0
    left_names = left_surnames | set(left.given_names)
    right_names = right_surnames | set(right.given_names)
    shared = max(len(left_surnames & right_names), len(right_surnames & left_names))
    return min(1.0, shared / min(len(left_surnames), len(right_surnames)))


def journal_agreement(left: MatchFeatures, right: MatchFeatures) -> int:
    """1 when the journal names agree (one compact name contains the other: "lancet" and
    "lancetlondonengland"), -1 when both are known and differ, 0 when one is unknown.
    Only used to choose between equally good matches (a preprint and its journal version)."""
    if not left.journal or not right.journal:
        return 0
    return 1 if left.journal in right.journal or right.journal in left.journal else -1


def score_pair(left: MatchFeatures, right: MatchFeatures) -> PairScore | None:
    """The match evidence for two records, or None when they are not the same paper."""
    if left.generic or right.generic or left.notice != right.notice or left.numerals != right.numerals:
        return None
    year_gap = abs(left.year - right.year) if left.year and right.year else -1
    if year_gap > YEAR_TOLERANCE:
        return None
    if left.article_type != right.article_type and (
        left.article_type in NOTICE_ARTICLE_TYPES or right.article_type in NOTICE_ARTICLE_TYPES
    ):
        return None
    title = fuzz.ratio(left.compact, right.compact, score_cutoff=TITLE_MATCH_MIN)
    if not title:
        return None
    authors = author_overlap(left, right)
    if authors >= AUTHOR_MATCH_MIN:
        return PairScore(round(title, 2), round(authors, 3), year_gap, journal_agreement(left, right), "title+authors")
    if authors < 0 and title >= TITLE_ONLY_MATCH_MIN:
        return PairScore(round(title, 2), authors, year_gap, journal_agreement(left, right), "title-only")
    return None


def score_same_source_duplicate(left: MatchFeatures, right: MatchFeatures) -> PairScore | None:
    """The evidence that two records of one source sharing a DOI are one paper, or None."""
    authors = author_overlap(left, right)
    year_gap = abs(left.year - right.year) if left.year and right.year else -1
    if authors < AUTHOR_MATCH_MIN or year_gap > YEAR_TOLERANCE or left.notice != right.notice:
        return None
    shorter, longer = sorted((left.compact, right.compact), key=len)
    if len(shorter) < SAME_SOURCE_MIN_TITLE_LENGTH:
        return None
    title = fuzz.ratio(shorter, longer[: len(shorter)], score_cutoff=TITLE_MATCH_MIN)
    if not title:
        return None
    rule = "shared-doi+title+authors" if len(shorter) == len(longer) else "shared-doi+title-prefix+authors"
    return PairScore(round(title, 2), round(authors, 3), year_gap, journal_agreement(left, right), rule)
