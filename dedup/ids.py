"""Clustering identifiers: normal forms, keys and conflicts.

Two entries share a paper when they share any of the identifiers in
`CLUSTER_ID_FIELDS`; they conflict when both have a value for one of those fields
and the values differ (same DOI but different PMIDs: two papers).
"""
from collections.abc import Callable, Mapping

from schemas.identifiers import (
    normalize_arxiv_id,
    normalize_covidence_id,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
)

CLUSTER_ID_FIELDS: tuple[str, ...] = ("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id")
# Identifiers that are one source's own record ids: two of its records holding different
# values may still be one paper that the source lists twice (dedup/cluster.py).
SOURCE_RECORD_ID_FIELDS: frozenset[str] = frozenset({"who_covidence_id"})

# mag_id and s2_id are plain integers, like PMIDs (and like them arrive as "123.0").
_NORMALIZERS: dict[str, Callable[[str], str | None]] = {
    "doi": normalize_doi,
    "pmcid": normalize_pmcid,
    "pubmed_id": normalize_pmid,
    "arxiv_id": normalize_arxiv_id,
    "who_covidence_id": normalize_covidence_id,
    "mag_id": normalize_pmid,
    "s2_id": normalize_pmid,
}


def normalize_identifier(field: str, value: object) -> str | None:
    """The normal form of identifier `field` (None when empty).

    Source records arrive already normalised by the feed parsers; a value the
    normaliser does not recognise (later WHO exports' "#covidwho-1576239", a DOI of
    an unusual shape) is kept as given (DOIs lower-cased: they are case-insensitive)
    rather than silently dropped.
    """
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    return _NORMALIZERS[field](text) or (text.lower() if field == "doi" else text)


def cluster_ids(ids: Mapping[str, object]) -> dict[str, str]:
    """The clustering identifiers of `ids` that are present, in normal form."""
    found = {}
    for field in CLUSTER_ID_FIELDS:
        value = normalize_identifier(field, ids.get(field))
        if value is not None:
            found[field] = value
    return found


def identifier_keys(ids: Mapping[str, object]) -> list[str]:
    """Sorted keys like "doi:10.1/x", "pmcid:PMC123" for the clustering identifiers present."""
    return sorted(f"{field}:{value}" for field, value in cluster_ids(ids).items())


def conflicting_fields(left: Mapping[str, str], right: Mapping[str, str]) -> list[str]:
    """Fields where both identifier maps have a value and the values differ."""
    return [field for field in CLUSTER_ID_FIELDS if field in left and field in right and left[field] != right[field]]
