"""Checks of a metadata.csv (ours or CORD-19's) and of a CORD-19 embeddings CSV.

Every row is checked against the metadata-row schema; across rows, a cord_uid must
not repeat and a DOI or PMCID must not belong to two papers (two cord_uids); in a
release, every parse path a row names must stay inside document_parses/ and be one of
the release's parse files. A DOI or PMCID on two papers that the release's dedup report
explains (an `id_conflict` on that identifier: the records share it but another
identifier tells them apart, e.g. two WHO rows with one DOI and two Covidence numbers)
is counted, not reported.
"""
import csv
import re
import sys
from collections.abc import Container
from dataclasses import dataclass, field
from typing import TextIO

from release.errors import UnsafePathError
from release.problems import Problem
from release.safe_paths import parse_file_name
from release.writer import split_multi
from schemas import METADATA_COLUMNS, schema_errors
from schemas.identifiers import normalize_doi, normalize_pmcid

METADATA = "metadata.csv"  # the category of every metadata CSV's problems
EMBEDDINGS = "embeddings csv"
CORD_UID = re.compile(r"^[a-z0-9]{8}$")
PARSE_COLUMNS = ("pdf_json_files", "pmc_json_files")
# Identifiers that name one paper: two rows with different cord_uids must not share one.
# Normal forms as dedup keys them ("doi:10.1/x", "pmcid:PMC1"); a DOI is case-insensitive.
UNIQUE_IDENTIFIERS = {
    "doi": lambda raw: normalize_doi(raw) or raw.lower(),
    "pmcid": lambda raw: normalize_pmcid(raw) or raw,
}


def is_metadata_header(first_line: str) -> bool:
    return first_line.strip().split(",") == list(METADATA_COLUMNS)


def is_embeddings_line(first_line: str) -> bool:
    return bool(CORD_UID.match(first_line.split(",", 1)[0]))


@dataclass
class MetadataFindings:
    """What checking a metadata CSV found."""

    problems: list[Problem] = field(default_factory=list)
    rows: int = 0
    kept_apart: int = 0  # rows sharing a DOI or PMCID with another paper, explained by the dedup report


@dataclass
class _Seen:
    """First line and cord_uid of each cord_uid and identifier value met so far."""

    uids: dict[str, int] = field(default_factory=dict)
    identifiers: dict[str, tuple[int, str]] = field(default_factory=dict)


def check_metadata_csv(handle: TextIO, label: str, parse_names: Container[str] | None,
                       kept_apart: Container[str] = ()) -> MetadataFindings:
    """Check a metadata CSV.

    `parse_names`: the release's parse files (names such as document_parses/pdf_json/x.json)
    that the rows' paths must name; None for a metadata.csv outside a release.
    `kept_apart`: identifier keys ("doi:10.1/x") of the dedup report's id_conflicts.
    """
    found = MetadataFindings()
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(handle)
    header = next(reader, None)
    if header != list(METADATA_COLUMNS):
        found.problems.append(Problem(METADATA, label,
                                      f"header is {header!r}, expected the 19 CORD-19 columns in order"))
        return found
    seen = _Seen()
    for line_number, values in enumerate(reader, start=2):
        found.rows += 1
        if len(values) != len(METADATA_COLUMNS):
            found.problems.append(Problem(METADATA, f"{label}: line {line_number}",
                                          f"{len(values)} fields, expected {len(METADATA_COLUMNS)}"))
            continue
        row = dict(zip(METADATA_COLUMNS, values))
        where = f"{label}: line {line_number} (cord_uid {row['cord_uid'] or '?'})"
        found.problems.extend(Problem(METADATA, where, message) for message in schema_errors("metadata_row", row))
        _check_repeats(row, line_number, where, seen, kept_apart, found)
        if parse_names is not None:
            found.problems.extend(_parse_path_problems(row, where, parse_names))
    return found


def _check_repeats(row: dict[str, str], line_number: int, where: str, seen: _Seen, kept_apart: Container[str],
                   found: MetadataFindings) -> None:
    """A repeated cord_uid, and a DOI or PMCID already on a row of another cord_uid."""
    uid = row["cord_uid"]
    if uid in seen.uids:
        found.problems.append(Problem(METADATA, where, f"cord_uid {uid!r} repeats line {seen.uids[uid]}"))
        return
    seen.uids[uid] = line_number
    for column, normalize in UNIQUE_IDENTIFIERS.items():
        raw = row[column].strip()
        if not raw:
            continue
        key = f"{column}:{normalize(raw)}"
        first = seen.identifiers.setdefault(key, (line_number, uid))
        if first[1] == uid:
            continue
        if key in kept_apart:
            found.kept_apart += 1
        else:
            found.problems.append(Problem(METADATA, where,
                                          f"{column} {raw!r} is also on line {first[0]} (cord_uid {first[1]!r})"))


def _parse_path_problems(row: dict[str, str], where: str, parse_names: Container[str]) -> list[Problem]:
    problems = []
    for column in PARSE_COLUMNS:
        for relative in split_multi(row[column]):
            try:
                name = parse_file_name(relative)
            except UnsafePathError as exc:
                problems.append(Problem(METADATA, where, f"{column}: {exc}: not a parse file of the release"))
                continue
            if name not in parse_names:
                problems.append(Problem(METADATA, where, f"{column} names {relative!r}, which is not in the release"))
    return problems


def check_embeddings_csv(handle: TextIO, label: str) -> list[Problem]:
    """cord_19_embeddings: no header, `cord_uid` then the same number of floats on every line."""
    problems: list[Problem] = []
    width = None
    for line_number, values in enumerate(csv.reader(handle), start=1):
        where = f"{label}: line {line_number}"
        if not values:
            problems.append(Problem(EMBEDDINGS, where, "an empty line"))
            continue
        if not CORD_UID.match(values[0]):
            problems.append(Problem(EMBEDDINGS, where, f"{values[0]!r} is not a cord_uid"))
        width = width or len(values)
        if len(values) != width:
            problems.append(Problem(EMBEDDINGS, where, f"{len(values) - 1} dimensions, line 1 has {width - 1}"))
        try:
            [float(value) for value in values[1:]]
        except ValueError:
            problems.append(Problem(EMBEDDINGS, where, "a dimension is not a number"))
    return problems
