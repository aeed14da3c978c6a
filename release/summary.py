"""The short human summary of a built release, read from the release itself.

Everything but the parse-cache hits (a counter of the run) comes from the release's
manifest.json and dead_letters.jsonl, so the summary says what the release holds.
Dead letters are told apart: inputs that failed, and records the scope filter left out
on purpose (schemas.records.FILTERED_REASONS).
"""
import json
from collections import Counter
from dataclasses import dataclass

from release.folders import Folder
from release.layout import DEAD_LETTERS, MANIFEST, parse_manifest
from schemas.records import FILTERED_REASONS


@dataclass(frozen=True)
class BuildSummary:
    """What a build made, in numbers."""

    location: str  # the release folder or store URL
    release_date: str
    papers: int
    source_records: int
    pmc_json: int
    pdf_json: int
    failed: dict[str, int]  # dead letters of failed inputs, by reason
    filtered: dict[str, int]  # records left out by the scope filter, by reason
    cache_hits: int | None  # parses taken from the parse cache; None when no cache was given

    @property
    def merged(self) -> int:
        """Source records that joined another record's paper."""
        return self.source_records - self.papers


def read_build_summary(folder: Folder, location: str, cache_hits: int | None) -> BuildSummary:
    """The summary of the release in `folder` (found at `location`)."""
    with folder.open(MANIFEST) as handle:
        manifest = parse_manifest(handle.read(), f"{location}/{MANIFEST}")
    with folder.open(DEAD_LETTERS) as handle:
        reasons = Counter(json.loads(line)["reason"] for line in handle.read().decode("utf-8").splitlines() if line)
    counts = manifest["counts"]
    return BuildSummary(
        location=location, release_date=manifest["release_date"], papers=counts["metadata_rows"],
        source_records=counts["source_records"], pmc_json=counts["pmc_json"], pdf_json=counts["pdf_json"],
        failed={reason: n for reason, n in sorted(reasons.items()) if reason not in FILTERED_REASONS},
        filtered={reason: n for reason, n in sorted(reasons.items()) if reason in FILTERED_REASONS},
        cache_hits=cache_hits,
    )


def by_reason(counts: dict[str, int]) -> str:
    """`3 (not_pdf 1, not_xml 2)`, or `0`."""
    total = sum(counts.values())
    if not total:
        return "0"
    return f"{total} ({', '.join(f'{reason} {n}' for reason, n in counts.items())})"


def summary_lines(summary: BuildSummary) -> list[str]:
    """The summary as a few lines for a person."""
    dead_letters = sum(summary.failed.values()) + sum(summary.filtered.values())
    cache = "not used" if summary.cache_hits is None else f"{summary.cache_hits} parses reused"
    return [
        f"release {summary.release_date}: {summary.location}",
        f"papers: {summary.papers} from {summary.source_records} source records "
        f"({summary.merged} merged as duplicates)",
        f"full texts: {summary.pmc_json} pmc_json, {summary.pdf_json} pdf_json",
        f"failed inputs: {by_reason(summary.failed)}",
        f"filtered records: {by_reason(summary.filtered)}",
        f"dead letters: {dead_letters} in {summary.location}/{DEAD_LETTERS}",
        f"parse cache: {cache}",
    ]
