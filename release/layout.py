"""The one owner of a release's layout: its file names, parse paths, manifest and store keys.

A release folder `<out_dir>/<YYYY-MM-DD>/` holds the files named below; it is assembled
in `<out_dir>/.staging-<date>/` and moved into place at the end. Everything that reads
or writes a release (writer, validate, publish, load, the build, the nightly run) takes
these names from here; `read_manifest` and `read_previous_release` are the one way to
read a release's manifest and what a build takes from the release before it.
"""
import csv
import datetime
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from release.errors import ManifestError, ReleaseError
from release.folders import Folder
from schemas import schema_errors

# Files of a release folder.
METADATA_CSV = "metadata.csv"
METADATA_PARQUET = "metadata.parquet"
DOCUMENT_PARSES = "document_parses"
PDF_JSON = "pdf_json"  # the folder of parses made from PDFs
PMC_JSON = "pmc_json"  # the folder of parses made from PMC JATS XML
PDF_JSON_DIR = f"{DOCUMENT_PARSES}/{PDF_JSON}"
PMC_JSON_DIR = f"{DOCUMENT_PARSES}/{PMC_JSON}"
TARBALL = "document_parses.tar.gz"
CHANGELOG = "changelog"
MANIFEST = "manifest.json"
REGISTRY = "cord_uid_registry.json"
DEAD_LETTERS = "dead_letters.jsonl"
DEDUP_REPORT = "dedup_report.jsonl"
REPORT = "report.html"  # the release drawn as charts, self-contained (release/report.py)
EMBEDDINGS_TARBALL = "cord_19_embeddings.tar.gz"  # one headerless CSV, as CORD-19 (release/embeddings.py)
EMBEDDINGS_PARQUET = "cord_19_embeddings.parquet"  # cord_uid, text_sha256, embedding (fixed-size float32 list)

STAGING_PREFIX = ".staging-"
# Inside a staging folder, what the workers write for the final assembly; never part of a release.
WORK_FOLDER = "_work"
PARSE_CANDIDATES = f"{WORK_FOLDER}/parses"  # <cache key>.json and .member.gz: each parse and its tarball member
PARTS_FOLDER = f"{WORK_FOLDER}/parts"
METADATA_PARTS = f"{PARTS_FOLDER}/metadata"  # <n>.jsonl: sorted `<cord_uid>\t<row JSON>` lines
DEAD_LETTER_PARTS = f"{PARTS_FOLDER}/dead_letters"  # <n>.jsonl: sorted dead-letter lines
DEDUP_REPORT_PARTS = f"{PARTS_FOLDER}/dedup_report"  # <n>.jsonl: sorted report lines
PARSE_FILES_PART = f"{PARTS_FOLDER}/parse_files.tsv"  # sorted `<path>\t<size>\t<sha256>` of every parse file
TARBALL_PARTS = f"{PARTS_FOLDER}/tarball"  # <n>.gz: one gzip member of document_parses.tar.gz each
EMBEDDING_PARTS = f"{PARTS_FOLDER}/embeddings"  # <n>.csv.gz (CSV rows, one gzip member) and <n>.arrow (its rows)
CORD_UID_CHANGES = f"{WORK_FOLDER}/cord_uid_changes.json"  # merged, split and retired cord_uids
PDF_JSON_SUFFIX = ".json"
PMC_JSON_SUFFIX = ".xml.json"
# What a whole release (or a CORD-19 release) packed in one file may be called.
RELEASE_TARBALL_SUFFIXES = (".tar.gz", ".tgz", ".tar")

# Keys of a store a release is published to (see release/publish.py), under its prefix.
HISTORICAL_FOLDER = "historical_releases"  # cord-19_<date>.tar.gz and cord-19_<date>.checksums.json
HISTORICAL_PREFIX = "cord-19_"
HISTORICAL_SUFFIX = ".tar.gz"
HISTORICAL_CHECKSUMS_SUFFIX = ".checksums.json"
RELEASES_JSON = "releases.json"
RELEASES_HTML = "historical_releases.html"
LATEST_FOLDER = "latest"
LATEST_JSON = "latest.json"


def release_folder(out_dir: Path, release_date: str) -> Path:
    """`<out_dir>/<date>/`: where a finished release lives."""
    return Path(out_dir) / release_date


def staging_folder(out_dir: Path, release_date: str) -> Path:
    """`<out_dir>/.staging-<date>/`: where a release is assembled before it is moved into place."""
    return Path(out_dir) / f"{STAGING_PREFIX}{release_date}"


def part_name(folder: str, number: int, suffix: str = ".jsonl") -> str:
    """The name of part `number` of a parts folder (zero-padded, so names sort in number order)."""
    return f"{folder}/{number:06d}{suffix}"


def candidate_name(cache_key: str) -> str:
    """Where a parse is written where it is made, before it is placed at its release path."""
    return f"{PARSE_CANDIDATES}/{cache_key}.json"


def member_candidate_name(cache_key: str) -> str:
    """Where the compressed tarball member of a parse is written where it is made (release/tarball.py)."""
    return f"{PARSE_CANDIDATES}/{cache_key}.member.gz"


def paper_relative_path(kind: str, paper_id: str) -> str:
    """`document_parses/pdf_json/<sha1>.json` or `document_parses/pmc_json/<PMCID>.xml.json`."""
    if kind == "pdf":
        return f"{PDF_JSON_DIR}/{paper_id}{PDF_JSON_SUFFIX}"
    if kind == "jats":
        return f"{PMC_JSON_DIR}/{paper_id}{PMC_JSON_SUFFIX}"
    raise ReleaseError(f"unknown document kind {kind!r}")


def pdf_sha1_of_path(relative_path: str) -> str | None:
    """The PDF's SHA-1 of a `document_parses/pdf_json/<sha1>.json` path; None for any other path."""
    folder, _, name = relative_path.rpartition("/")
    if folder != PDF_JSON_DIR or not name.endswith(PDF_JSON_SUFFIX):
        return None
    return name[: -len(PDF_JSON_SUFFIX)]


def historical_tarball_name(release_date: str) -> str:
    """`cord-19_<date>.tar.gz`: the one-file copy of a release kept under historical_releases/."""
    return f"{HISTORICAL_PREFIX}{release_date}{HISTORICAL_SUFFIX}"


def historical_checksums_name(release_date: str) -> str:
    """`cord-19_<date>.checksums.json`: the verified size and digests of that tarball."""
    return f"{HISTORICAL_PREFIX}{release_date}{HISTORICAL_CHECKSUMS_SUFFIX}"


def historical_tarball_date(name: str) -> str | None:
    """The date of a `cord-19_<date>.tar.gz` name; None for any other name."""
    if not (name.startswith(HISTORICAL_PREFIX) and name.endswith(HISTORICAL_SUFFIX)):
        return None
    return name[len(HISTORICAL_PREFIX):-len(HISTORICAL_SUFFIX)]


def parse_manifest(data: bytes, where: str) -> dict:
    """The manifest in `data`; ManifestError (naming `where`) when it is not JSON or breaks the schema."""
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise ManifestError(f"{where} is not JSON: {exc}") from exc
    problems = schema_errors("manifest", manifest)
    if problems:
        raise ManifestError(f"{where} breaks the manifest schema: {problems[0]}")
    return manifest


def read_manifest(release_dir: Path) -> dict:
    """The manifest.json of a release folder; ManifestError when it is missing or invalid."""
    path = Path(release_dir) / MANIFEST
    if not path.is_file():
        raise ManifestError(f"{release_dir} has no {MANIFEST}")
    return parse_manifest(path.read_bytes(), str(path))


# The files of the release before that a build reads (what a nightly run fetches of it).
PREVIOUS_RELEASE_FILES = (MANIFEST, METADATA_CSV, CHANGELOG, REGISTRY, EMBEDDINGS_PARQUET)


@dataclass(frozen=True)
class PreviousRelease:
    """What the final step of a build takes from the release before it (the registry is read on its own)."""

    release_date: str | None
    changelog: str
    parse_files: frozenset[str]  # release paths of its parse files
    cord_uids: frozenset[str]


def check_previous_release(folder: Folder, release_date: str, folder_name: str | None = None) -> str | None:
    """The date of the release in `folder`; ReleaseError when it cannot be the one before `release_date`.

    It must be a release (a metadata.csv) dated before `release_date`: by its manifest,
    or, without one (a real CORD-19 release), by its folder name when that is a date
    (None when neither tells).
    """
    if not folder.exists(METADATA_CSV):
        raise ReleaseError(f"--previous {folder} is not a release folder (no {METADATA_CSV})")
    if folder.exists(MANIFEST):
        with folder.open(MANIFEST) as handle:
            previous_date = parse_manifest(handle.read(), f"{folder}/{MANIFEST}")["release_date"]
    else:
        previous_date = folder_name if folder_name and is_release_date(folder_name) else None
    if previous_date is not None and previous_date >= release_date:
        raise ReleaseError(f"--previous {folder} is the release of {previous_date}, not one before {release_date}")
    return previous_date


def is_release_date(name: str) -> bool:
    """Whether `name` is a YYYY-MM-DD date (the name of a release folder)."""
    try:
        return datetime.date.fromisoformat(name).isoformat() == name
    except ValueError:
        return False


def read_previous_release(folder: Folder) -> PreviousRelease:
    """The date, changelog, parse files and cord_uids of an earlier release."""
    if not folder.exists(METADATA_CSV):
        raise ReleaseError(f"--previous {folder} is not a release folder (no {METADATA_CSV})")
    manifest: dict = {}
    if folder.exists(MANIFEST):
        with folder.open(MANIFEST) as handle:
            manifest = parse_manifest(handle.read(), f"{folder}/{MANIFEST}")
    changelog = ""
    if folder.exists(CHANGELOG):
        with folder.open(CHANGELOG) as handle:
            changelog = handle.read().decode("utf-8")
    csv.field_size_limit(sys.maxsize)
    with folder.open(METADATA_CSV) as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        uids = frozenset(row["cord_uid"] for row in csv.DictReader(text))
    parse_files = frozenset(name for name in manifest.get("files", {}) if name.startswith(DOCUMENT_PARSES + "/"))
    return PreviousRelease(release_date=manifest.get("release_date"), changelog=changelog,
                           parse_files=parse_files, cord_uids=uids)
