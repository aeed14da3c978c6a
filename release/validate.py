"""Check a release, in any form we publish, or loose CORD-19 files, against the contract.

`validate_source(source)` reads SOURCE the way `load` does (release.source: a release
folder, a release tarball, a store's `<date>/`, `latest/` or root through latest.json,
s3:// too) and returns a Report: problems (grouped by kind when printed, see
release.problems) and notes. A folder that holds no release is read as loose CORD-19
files (metadata CSVs, parse JSON, an embeddings CSV), and so is a single such file.

On a release folder it checks: metadata.csv (release.validate_metadata: schema, repeated
cord_uids, a DOI or PMCID on two papers, every parse path inside the release and
present); every parse file against its schema and the span/ref invariants, read from
document_parses/ or, when the folder has only document_parses.tar.gz (a store's
`<date>/` and `latest/`, a historical tarball, CORD-19 itself), from inside the
tarball; that the tarball holds exactly document_parses/ when both are there; the dead
letters; and the manifest's sizes, checksums and counts. A release without a
manifest.json (a real CORD-19 release) gets a note, not a problem.
Nothing is followed or opened that is not a regular file inside the release
(release.safe_paths): a symbolic or hard link, a device or FIFO is a problem and is
never read, a path in metadata.csv or manifest.json that would leave the release is a
problem and is never opened, and tarballs are read with release.safe_tar.
"""
import csv
import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path

from release.errors import CorruptArchiveError, ReleaseNotFoundError, UnsafeArchiveError, UnsafePathError
from release.layout import (
    DEAD_LETTERS,
    DEDUP_REPORT,
    DOCUMENT_PARSES,
    MANIFEST,
    METADATA_CSV,
    PDF_JSON,
    PDF_JSON_DIR,
    PDF_JSON_SUFFIX,
    PMC_JSON,
    PMC_JSON_DIR,
    PMC_JSON_SUFFIX,
    TARBALL,
)
from release.problems import Problem, Report
from release.safe_paths import (
    FILE,
    FOLDER,
    MISSING,
    entry_kind,
    file_stat,
    open_release_file,
    relative_name,
    walk_release,
)
from release.safe_tar import DEFAULT_LIMITS, ArchiveLimits, iter_tarball_files
from release.source import find_release_folder, is_tarball_name, open_release_source
from release.validate_metadata import (
    MetadataFindings,
    check_embeddings_csv,
    check_metadata_csv,
    is_embeddings_line,
    is_metadata_header,
)
from schemas import schema_errors
from schemas.files import sha256_file
from schemas.invariants import paper_problems

logger = logging.getLogger(__name__)

PDF_SHA1 = re.compile(r"^[0-9a-f]{40}$")
# A parse file is read into memory to be checked; real ones are at most a few MB.
MAX_PARSE_FILE_BYTES = 256 * 1024**2
RELEASE = "release"  # the category of problems with the release's files themselves
NO_MANIFEST_NOTE = (f"no {MANIFEST}: not a release written by cord19-pipeline (a CORD-19 release?), "
                    "so file sizes, checksums and counts are not checked")
TARBALL_ONLY_NOTE = f"no {DOCUMENT_PARSES}/ folder: the parse files were checked inside {TARBALL}"
_PARSE_FOLDERS = {PDF_JSON_DIR: (PDF_JSON, PDF_JSON_SUFFIX), PMC_JSON_DIR: (PMC_JSON, PMC_JSON_SUFFIX)}


@dataclass(frozen=True)
class _Digest:
    size: int
    sha256: str


def _digest(data: bytes) -> _Digest:
    return _Digest(len(data), hashlib.sha256(data).hexdigest())


def validate_source(source: str | Path, endpoint_url: str | None = None, work_dir: Path | None = None,
                    limits: ArchiveLimits = DEFAULT_LIMITS) -> Report:
    """Validate a release in any form (see the module docstring), loose CORD-19 files, or one such file.

    ReleaseNotFoundError when `source` names nothing validate can read.
    """
    text = str(source)
    if not text.startswith("s3://"):
        path = Path(source).resolve()
        kind = entry_kind(path.parent, path.name) if path.name else FOLDER
        if kind == MISSING:
            raise ReleaseNotFoundError(f"{source} does not exist")
        if kind == FOLDER and find_release_folder(path) is None:
            return validate_loose_files(path)
        if kind == FILE and not is_tarball_name(path.name):
            return Report(text, validate_file(path.parent, path.name, path.name))
        if kind not in (FILE, FOLDER):
            raise ReleaseNotFoundError(f"{source} is a {kind}, not a file or folder validate reads")
    with open_release_source(source, None, endpoint_url, work_dir, limits) as release:
        report = check_release_folder(release.folder, limits)
        report.source = release.description
        return report


def validate_path(path: str | Path) -> list[Problem]:
    """The problems of the release, loose files or file at a local `path` (notes left out)."""
    return validate_source(path).problems


def validate_release_dir(release_dir: Path) -> list[Problem]:
    """The problems of one release folder, as it is (no store or latest.json is followed)."""
    return check_release_folder(release_dir).problems


def check_release_folder(folder: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> Report:
    """Every check on a release folder (see the module docstring)."""
    report = Report(str(folder))
    entries = dict(walk_release(folder))
    report.problems.extend(Problem(RELEASE, name, f"a {kind}: not followed or read")
                           for name, kind in entries.items() if kind not in (FILE, FOLDER))
    parses = _check_parses(folder, entries, limits, report)
    row_count = _check_metadata(folder, entries, parses, report)
    dead_letter_count = _check_dead_letters(folder, entries, report)
    if entries.get(MANIFEST) == FILE:
        counts = {
            "metadata_rows": row_count,
            "pdf_json": sum(1 for name in parses if name.startswith(PDF_JSON_DIR + "/")),
            "pmc_json": sum(1 for name in parses if name.startswith(PMC_JSON_DIR + "/")),
            "dead_letters": dead_letter_count,
        }
        report.problems.extend(check_manifest(folder, entries, parses, counts))
    elif MANIFEST not in entries:
        report.notes.append(NO_MANIFEST_NOTE)
    return report


def _check_parses(folder: Path, entries: dict[str, str], limits: ArchiveLimits, report: Report) -> dict[str, _Digest]:
    """The release's parse files (size and sha256 by name), each checked, from the folder or the tarball."""
    tree: dict[str, _Digest] | None = None
    if entries.get(DOCUMENT_PARSES) == FOLDER:
        tree = {}
        for name, kind in entries.items():
            if kind == FILE and name.startswith(DOCUMENT_PARSES + "/"):
                data = _read_checked_size(folder, name, report)
                if data is not None:
                    tree[name] = _digest(data)
                    report.problems.extend(check_parse_file(name, name, data))
    if entries.get(TARBALL) == FILE:
        packed = _check_tarball(folder, tree, limits, report)
        if tree is None:
            report.notes.append(TARBALL_ONLY_NOTE)
            return packed
    if tree is None:
        if DOCUMENT_PARSES not in entries and TARBALL not in entries:
            report.problems.append(Problem(RELEASE, DOCUMENT_PARSES, f"missing, and so is {TARBALL}"))
        return {}
    return tree


def _read_checked_size(folder: Path, name: str, report: Report) -> bytes | None:
    """The bytes of a parse file, None (and a problem) when it is too large to check in memory."""
    status = file_stat(folder, name)
    if status is not None and status.st_size > MAX_PARSE_FILE_BYTES:
        report.problems.append(Problem(RELEASE, name, f"{status.st_size} bytes, over the {MAX_PARSE_FILE_BYTES} "
                                                      "a parse file may have: not checked"))
        return None
    with open_release_file(folder, name) as handle:
        return handle.read()


def _check_tarball(folder: Path, tree: dict[str, _Digest] | None, limits: ArchiveLimits,
                   report: Report) -> dict[str, _Digest]:
    """Read document_parses.tar.gz: its files match `tree` (when the folder has one) or are checked themselves."""
    packed: dict[str, _Digest] = {}
    try:
        with open_release_file(folder, TARBALL) as handle:
            for name, data in iter_tarball_files(handle, replace(limits, max_file_bytes=MAX_PARSE_FILE_BYTES)):
                where = f"{TARBALL}: {name}"
                packed[name] = _digest(data)
                if not name.startswith(DOCUMENT_PARSES + "/"):
                    report.problems.append(Problem(TARBALL, where, f"outside {DOCUMENT_PARSES}/"))
                elif tree is None:
                    report.problems.extend(check_parse_file(where, name, data))
                elif name not in tree:
                    report.problems.append(Problem(TARBALL, where, f"not in {DOCUMENT_PARSES}/"))
                elif tree[name] != packed[name]:
                    report.problems.append(Problem(TARBALL, where, f"differs from {DOCUMENT_PARSES}/"))
    except (UnsafeArchiveError, CorruptArchiveError) as exc:
        report.problems.append(Problem(TARBALL, TARBALL, f"refused: {exc}"))
    if tree is not None:
        report.problems.extend(Problem(TARBALL, f"{TARBALL}: {name}", "missing (it is in the folder)")
                               for name in sorted(set(tree) - set(packed)))
    return packed


def check_parse_file(where: str, name: str, data: bytes) -> list[Problem]:
    """A file of document_parses/: in pdf_json/ or pmc_json/, valid JSON of that schema, named by its paper_id."""
    folder_name, _, file_name = name.rpartition("/")
    if folder_name not in _PARSE_FOLDERS:
        return [Problem(RELEASE, where, f"not a file of {PDF_JSON_DIR}/ or {PMC_JSON_DIR}/")]
    variant, suffix = _PARSE_FOLDERS[folder_name]
    paper = load_json(data, variant, where)
    if isinstance(paper, Problem):
        return [paper]
    problems = check_paper(paper, variant, where)
    if file_name != f"{paper.get('paper_id')}{suffix}":
        problems.append(Problem(variant, where, f"file name does not match paper_id {paper.get('paper_id')!r}"))
    return problems


def load_json(data: bytes, category: str, where: str) -> dict | Problem:
    """The JSON object in `data`, or the problem it has."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return Problem(category, where, f"not valid JSON ({exc})")
    if not isinstance(value, dict):
        return Problem(category, where, "not a JSON object")
    return value


def check_paper(paper: dict, variant: str, where: str) -> list[Problem]:
    """Schema and invariants of one full-text paper."""
    problems = [Problem(variant, where, message) for message in schema_errors(variant, paper)]
    problems.extend(Problem(variant, where, message) for message in paper_problems(paper))
    return problems


def _check_metadata(folder: Path, entries: dict[str, str], parses: dict[str, _Digest], report: Report) -> int:
    """Check metadata.csv (its parse paths against `parses`); return its number of rows."""
    kind = entries.get(METADATA_CSV, MISSING)
    if kind == MISSING:
        report.problems.append(Problem(RELEASE, METADATA_CSV, "missing"))
    if kind != FILE:
        return 0
    found = _read_csv(folder, METADATA_CSV, METADATA_CSV, parses, _kept_apart_keys(folder, entries, report))
    report.problems.extend(found.problems)
    if found.kept_apart:
        report.notes.append(f"{found.kept_apart} rows share a DOI or PMCID with another paper, each kept apart "
                            f"on purpose (an id_conflict in {DEDUP_REPORT})")
    return found.rows


def _kept_apart_keys(folder: Path, entries: dict[str, str], report: Report) -> set[str]:
    """The identifier keys of the dedup report's id_conflicts: shared by papers kept apart on purpose."""
    if entries.get(DEDUP_REPORT) != FILE:
        return set()
    keys = set()
    with open_release_file(folder, DEDUP_REPORT) as handle:
        for line_number, line in enumerate(handle, start=1):
            entry = load_json(line, DEDUP_REPORT, f"{DEDUP_REPORT}: line {line_number}")
            if isinstance(entry, Problem):
                report.problems.append(entry)
            elif entry.get("kind") == "id_conflict" and isinstance(entry.get("key"), str):
                keys.add(entry["key"])
    return keys


def _read_csv(folder: Path, name: str, label: str, parse_names: dict | None,
              kept_apart: set[str] | None = None) -> MetadataFindings:
    """Check a metadata CSV, an embeddings CSV (outside a release), or say it is neither."""
    try:
        with io.TextIOWrapper(open_release_file(folder, name), encoding="utf-8", newline="") as handle:
            first_line = handle.readline()
            handle.seek(0)
            if parse_names is not None or is_metadata_header(first_line):
                return check_metadata_csv(handle, label, parse_names, kept_apart or set())
            if is_embeddings_line(first_line):
                return MetadataFindings(check_embeddings_csv(handle, label))
            return MetadataFindings([Problem("csv", label, "neither a metadata.csv (the 19 CORD-19 columns) "
                                                           "nor an embeddings csv")])
    except (UnicodeDecodeError, csv.Error) as exc:
        return MetadataFindings([Problem("csv", label, f"unreadable: {exc}")])


def _check_dead_letters(folder: Path, entries: dict[str, str], report: Report) -> int:
    """Check each line of dead_letters.jsonl against the dead-letter schema; return the number of lines."""
    if entries.get(DEAD_LETTERS) != FILE:
        return 0
    count = 0
    with open_release_file(folder, DEAD_LETTERS) as handle:
        for line_number, line in enumerate(handle, start=1):
            count += 1
            record = load_json(line, DEAD_LETTERS, f"{DEAD_LETTERS}: line {line_number}")
            if isinstance(record, Problem):
                report.problems.append(record)
                continue
            report.problems.extend(Problem(DEAD_LETTERS, f"{DEAD_LETTERS}: line {line_number}", message)
                                   for message in schema_errors("dead_letter", record))
    return count


def check_manifest(folder: Path, entries: dict[str, str], parses: dict[str, _Digest],
                   counts: dict[str, int]) -> list[Problem]:
    """Every file listed with the right size and sha256, nothing unlisted, the counts right."""
    with open_release_file(folder, MANIFEST) as handle:
        manifest = load_json(handle.read(), MANIFEST, MANIFEST)
    if isinstance(manifest, Problem):
        return [manifest]
    problems = [Problem(MANIFEST, MANIFEST, message) for message in schema_errors("manifest", manifest)]
    if problems:
        return problems
    listed = manifest["files"]
    present = {name for name, kind in entries.items() if kind == FILE and name != MANIFEST} | set(parses)
    problems.extend(Problem(MANIFEST, f"{MANIFEST}: {name}", "in the release but not in the manifest")
                    for name in sorted(present - set(listed)))
    parses_in_folder = entries.get(DOCUMENT_PARSES) == FOLDER
    for name, expected in sorted(listed.items()):
        problems.extend(_listed_file_problems(folder, name, expected, parses, parses_in_folder))
    for key, value in counts.items():
        if manifest["counts"].get(key) != value:
            problems.append(Problem(MANIFEST, MANIFEST, f"counts.{key} is {manifest['counts'].get(key)}, "
                                                        f"the release has {value}"))
    return problems


def _listed_file_problems(folder: Path, name: str, expected: dict, parses: dict[str, _Digest],
                          parses_in_folder: bool) -> list[Problem]:
    """A manifest entry against the file it names; a name that would leave the release is never opened."""
    where = f"{MANIFEST}: {name}"
    try:
        normalised = relative_name(name)
    except UnsafePathError as exc:
        return [Problem(MANIFEST, where, f"{exc}: a path outside the release, not read")]
    if normalised in parses:
        found = parses[normalised]
    elif normalised.startswith(DOCUMENT_PARSES + "/") and not parses_in_folder:
        return [Problem(MANIFEST, where, "listed, but missing")]
    else:
        try:
            status = file_stat(folder, normalised)
        except UnsafePathError as exc:
            return [Problem(MANIFEST, where, str(exc))]
        if status is None:
            return [Problem(MANIFEST, where, "listed, but missing")]
        found = _Digest(status.st_size, "")  # hashed only when the size is right
    if found.size != expected["size"]:
        return [Problem(MANIFEST, where, f"{found.size} bytes, the manifest says {expected['size']}")]
    if (found.sha256 or sha256_file(folder / normalised)) != expected["sha256"]:
        return [Problem(MANIFEST, where, "sha256 does not match the manifest (file changed or corrupt)")]
    return []


def validate_loose_files(folder: Path) -> Report:
    """Validate every metadata CSV, embeddings CSV and full-text JSON below `folder` (not a whole release)."""
    report = Report(str(folder))
    entries = list(walk_release(folder))
    report.problems.extend(Problem(RELEASE, name, f"a {kind}: not followed or read")
                           for name, kind in entries if kind not in (FILE, FOLDER))
    files = [name for name, kind in entries if kind == FILE and name.endswith((".csv", ".json"))]
    if not files and not report.problems:
        raise ReleaseNotFoundError(f"{folder} holds neither a release nor CORD-19 csv/json files")
    for name in files:
        report.problems.extend(validate_file(folder, name, name))
    return report


def validate_file(folder: Path, name: str, label: str) -> list[Problem]:
    """Validate one metadata CSV, embeddings CSV or full-text JSON file on its own."""
    if name.endswith(".csv"):
        return _read_csv(folder, name, label, None).problems
    if name.endswith(".json"):
        with open_release_file(folder, name) as handle:
            data = handle.read()
        paper = load_json(data, "json", label)
        if isinstance(paper, Problem):
            return [paper]
        variant = PDF_JSON if PDF_SHA1.match(str(paper.get("paper_id", ""))) else PMC_JSON
        return check_paper(paper, variant, label)
    raise ReleaseNotFoundError(f"{label}: cannot validate this kind of file (expected .csv, .json or a tarball)")

