"""Check a release (folder or tarball), or loose CORD-19 files, against the contract.

`validate_path(path)` returns a list of readable problems, empty when clean. It checks
metadata.csv against the metadata-row schema (header, ids, paths that must exist),
every full-text JSON against its schema and the span/ref invariants, the manifest's
sizes, checksums and counts, the dead letters and the tarball's contents. It also runs
on loose real CORD-19 files (a metadata.csv, parse JSON files) and reports their defects.
"""
import csv
import hashlib
import json
import logging
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from schemas.invariants import paper_problems
from release.errors import NotAReleaseError, ReleaseError
from release.safe_tar import extract_tarball_safely, iter_tarball_files
from release.layout import (
    DEAD_LETTERS,
    DOCUMENT_PARSES,
    MANIFEST,
    METADATA_CSV,
    PDF_JSON,
    PDF_JSON_DIR,
    PDF_JSON_SUFFIX,
    PMC_JSON,
    PMC_JSON_DIR,
    PMC_JSON_SUFFIX,
    RELEASE_TARBALL_SUFFIXES,
    TARBALL,
)
from release.writer import list_release_files, split_multi
from schemas import METADATA_COLUMNS, schema_errors
from schemas.files import sha256_file

logger = logging.getLogger(__name__)

PDF_SHA1_LENGTH = 40
CORD_UID = re.compile(r"^[a-z0-9]{8}$")


def validate_path(path: Path) -> list[str]:
    """Validate a release folder, a release tarball, a folder of loose files, or one file."""
    if not path.exists():
        raise NotAReleaseError(f"{path} does not exist")
    if path.is_file() and path.name.endswith(RELEASE_TARBALL_SUFFIXES):
        return validate_tarball(path)
    if path.is_dir() and ((path / METADATA_CSV).is_file() or (path / MANIFEST).is_file()):
        return validate_release_dir(path)
    if path.is_dir():
        return validate_loose_files(path)
    return validate_file(path, path.name)


def validate_tarball(path: Path) -> list[str]:
    """Extract a release tarball safely into a temporary folder and validate what it holds."""
    with tempfile.TemporaryDirectory(prefix="cord19-validate-") as scratch:
        root = Path(scratch)
        extract_tarball_safely(path, root)
        candidates = [root] + sorted(p for p in root.iterdir() if p.is_dir())
        for candidate in candidates:
            if (candidate / METADATA_CSV).is_file():
                return validate_release_dir(candidate)
        return validate_loose_files(root)


def validate_loose_files(folder: Path) -> list[str]:
    """Validate every metadata CSV and full-text JSON below `folder` (not a whole release)."""
    problems: list[str] = []
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".csv", ".json"))
    if not files:
        raise NotAReleaseError(f"{folder} holds neither a release nor CORD-19 csv/json files")
    for file in files:
        problems.extend(validate_file(file, file.relative_to(folder).as_posix()))
    return problems


def validate_file(path: Path, label: str) -> list[str]:
    """Validate one metadata CSV or full-text JSON file on its own."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            first_line = handle.readline().strip()
        if first_line.split(",") == list(METADATA_COLUMNS):
            problems, _ = check_metadata_csv(path, label, release_dir=None)
            return problems
        if CORD_UID.match(first_line.split(",", 1)[0]):
            return check_embeddings_csv(path, label)
        return [f"{label}: neither a metadata.csv (19 CORD-19 columns) nor an embeddings csv"]
    if path.suffix == ".json":
        paper = load_json(path, label)
        if isinstance(paper, str):
            return [paper]
        variant = PDF_JSON if looks_like_sha1(str(paper.get("paper_id", ""))) else PMC_JSON
        return check_paper(paper, variant, label)
    raise NotAReleaseError(f"{label}: cannot validate this kind of file (expected .csv, .json or a tarball)")


def check_embeddings_csv(path: Path, label: str) -> list[str]:
    """cord_19_embeddings: no header, `cord_uid` then the same number of floats on every line."""
    problems: list[str] = []
    width = None
    with path.open(encoding="utf-8", newline="") as handle:
        for line_number, values in enumerate(csv.reader(handle), start=1):
            where = f"{label}: line {line_number}"
            if not CORD_UID.match(values[0]):
                problems.append(f"{where}: {values[0]!r} is not a cord_uid")
            width = width or len(values)
            if len(values) != width:
                problems.append(f"{where}: {len(values) - 1} dimensions, line 1 has {width - 1}")
            try:
                [float(value) for value in values[1:]]
            except ValueError:
                problems.append(f"{where}: a dimension is not a number")
    return problems


def validate_release_dir(release_dir: Path) -> list[str]:
    """All checks on a release folder."""
    problems: list[str] = []
    csv_path = release_dir / METADATA_CSV
    row_count = 0
    if csv_path.is_file():
        csv_problems, row_count = check_metadata_csv(csv_path, METADATA_CSV, release_dir)
        problems.extend(csv_problems)
    else:
        problems.append(f"{METADATA_CSV}: missing")
    problems.extend(check_parse_folder(release_dir, PDF_JSON_DIR, PDF_JSON))
    problems.extend(check_parse_folder(release_dir, PMC_JSON_DIR, PMC_JSON))
    dead_letter_count = 0
    if (release_dir / DEAD_LETTERS).is_file():
        dead_problems, dead_letter_count = check_dead_letters(release_dir / DEAD_LETTERS)
        problems.extend(dead_problems)
    if (release_dir / TARBALL).is_file():
        problems.extend(check_tarball_matches_tree(release_dir))
    if (release_dir / MANIFEST).is_file():
        problems.extend(check_manifest(release_dir, row_count, dead_letter_count))
    else:
        problems.append(f"{MANIFEST}: missing")
    return problems


def check_metadata_csv(path: Path, label: str, release_dir: Path | None) -> tuple[list[str], int]:
    """Schema of every row, unique cord_uids, and (in a release) that every listed parse file exists."""
    problems: list[str] = []
    seen_uids: dict[str, int] = {}
    count = 0
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header != list(METADATA_COLUMNS):
            problems.append(f"{label}: header is {header!r}, expected the 19 CORD-19 columns in order")
            return problems, 0
        for line_number, values in enumerate(reader, start=2):
            count += 1
            where = f"{label}: line {line_number}"
            if len(values) != len(METADATA_COLUMNS):
                problems.append(f"{where}: {len(values)} fields, expected {len(METADATA_COLUMNS)}")
                continue
            row = dict(zip(METADATA_COLUMNS, values))
            where = f"{where} (cord_uid {row['cord_uid'] or '?'})"
            problems.extend(f"{where}: {message}" for message in schema_errors("metadata_row", row))
            if row["cord_uid"] in seen_uids:
                problems.append(f"{where}: cord_uid repeats line {seen_uids[row['cord_uid']]}")
            seen_uids.setdefault(row["cord_uid"], line_number)
            if release_dir is not None:
                for column in ("pdf_json_files", "pmc_json_files"):
                    for relative in split_multi(row[column]):
                        if not (release_dir / relative).is_file():
                            problems.append(f"{where}: {column} names {relative}, which is not in the release")
    return problems, count


def check_parse_folder(release_dir: Path, folder: str, variant: str) -> list[str]:
    problems: list[str] = []
    directory = release_dir / folder
    if not directory.is_dir():
        return [f"{folder}: missing"]
    for path in sorted(directory.iterdir()):
        label = f"{folder}/{path.name}"
        paper = load_json(path, label)
        if isinstance(paper, str):
            problems.append(paper)
            continue
        problems.extend(check_paper(paper, variant, label))
        suffix = PDF_JSON_SUFFIX if variant == PDF_JSON else PMC_JSON_SUFFIX
        expected_name = f"{paper.get('paper_id')}{suffix}"
        if path.name != expected_name:
            problems.append(f"{label}: file name does not match paper_id {paper.get('paper_id')!r}")
    return problems


def load_json(path: Path, label: str) -> dict | str:
    """The parsed JSON object, or a problem message."""
    try:
        value = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        return f"{label}: not valid JSON ({exc})"
    if not isinstance(value, dict):
        return f"{label}: not a JSON object"
    return value


def check_paper(paper: dict, variant: str, label: str) -> list[str]:
    """Schema and invariants of one full-text paper."""
    problems = [f"{label}: {message}" for message in schema_errors(variant, paper)]
    problems.extend(f"{label}: {message}" for message in paper_problems(paper))
    return problems


def looks_like_sha1(value: str) -> bool:
    return len(value) == PDF_SHA1_LENGTH and all(c in "0123456789abcdef" for c in value)


def check_dead_letters(path: Path) -> tuple[list[str], int]:
    problems: list[str] = []
    count = 0
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        count += 1
        where = f"{DEAD_LETTERS}: line {line_number}"
        try:
            record = json.loads(line)
        except ValueError as exc:
            problems.append(f"{where}: not valid JSON ({exc})")
            continue
        problems.extend(f"{where}: {message}" for message in schema_errors("dead_letter", record))
    return problems, count


def check_tarball_matches_tree(release_dir: Path) -> list[str]:
    """document_parses.tar.gz holds exactly the files of document_parses/, byte for byte."""
    tree = {
        path.relative_to(release_dir).as_posix(): path
        for path in (release_dir / DOCUMENT_PARSES).rglob("*")
        if path.is_file()
    }
    problems: list[str] = []
    in_tarball: set[str] = set()
    try:
        for name, data in iter_tarball_files(release_dir / TARBALL):
            in_tarball.add(name)
            if name not in tree:
                problems.append(f"{TARBALL}: {name} is not in {DOCUMENT_PARSES}/")
            elif hashlib.sha256(data).hexdigest() != sha256_file(tree[name]):
                problems.append(f"{TARBALL}: {name} differs from {DOCUMENT_PARSES}/")
    except ReleaseError as exc:
        return [f"{TARBALL}: unreadable ({exc})"]
    problems.extend(f"{TARBALL}: {name} is missing" for name in sorted(set(tree) - in_tarball))
    return problems


def check_manifest(release_dir: Path, row_count: int, dead_letter_count: int) -> list[str]:
    """Every file listed with the right size and sha256, nothing unlisted, counts right."""
    manifest = load_json(release_dir / MANIFEST, MANIFEST)
    if isinstance(manifest, str):
        return [manifest]
    problems = [f"{MANIFEST}: {message}" for message in schema_errors("manifest", manifest)]
    if problems:
        return problems
    listed = manifest["files"]
    present = list_release_files(release_dir)
    for name in present:
        if name not in listed:
            problems.append(f"{MANIFEST}: {name} is in the release but not in the manifest")
    for name, expected in sorted(listed.items()):
        path = release_dir / name
        if not path.is_file():
            problems.append(f"{MANIFEST}: lists {name}, which is missing")
            continue
        size = path.stat().st_size
        if size != expected["size"]:
            problems.append(f"{MANIFEST}: {name} has {size} bytes, manifest says {expected['size']}")
        elif sha256_file(path) != expected["sha256"]:
            problems.append(f"{MANIFEST}: {name} sha256 does not match the manifest (file changed or corrupt)")
    counts = manifest["counts"]
    actual = {
        "metadata_rows": row_count,
        "pdf_json": count_files(release_dir / PDF_JSON_DIR),
        "pmc_json": count_files(release_dir / PMC_JSON_DIR),
        "dead_letters": dead_letter_count,
    }
    for key, value in actual.items():
        if counts.get(key) != value:
            problems.append(f"{MANIFEST}: counts.{key} is {counts.get(key)}, the release has {value}")
    return problems


def count_files(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if p.is_file()) if folder.is_dir() else 0


def iter_problem_summary(problems: list[str], limit: int) -> Iterator[str]:
    """The first `limit` problems, then a count of the rest."""
    yield from problems[:limit]
    if len(problems) > limit:
        yield f"... and {len(problems) - limit} more problems"
