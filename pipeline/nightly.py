"""`cord19 nightly`: ingest, build on the previous release, validate, publish; one line of summary.

Plain orchestration over the library calls, in this order:

1. take the lock `<work_dir>/nightly.lock` (a second run exits with EXIT_LOCKED);
2. ingest the configured sources into `<work_dir>/snapshots/<date>/` (resumes a run
   interrupted earlier the same day), or use the configured `snapshot`;
3. fetch the newest complete release before `<date>` from the store (its manifest.json
   is uploaded last, so a dated folder with one is complete) into
   `<work_dir>/previous/<date>/`, checked against its manifest; when the parse cache
   has nothing for the current PDF parser version, seed it with that release's pdf_json
   parses (a pdf_json file is named by the SHA-1 of its PDF);
4. build with that release as `--previous` and `<work_dir>/parse_cache` (parses keyed by
   document SHA-1 and parser version, and GROBID's TEI cache), so only new or changed
   documents are parsed;
5. validate the release; an invalid release is never published;
6. publish it (latest moves only when everything is verified);
7. remove all but the newest `keep_runs` dated folders from `<work_dir>/snapshots/`,
   `releases/` and `previous/`, so the work folder does not grow night after night
   (the parse cache stays: it is what makes the next night cheap).

Exit codes: EXIT_OK; EXIT_PARTIAL when the release was published but failed inputs
(dead letters other than the ignored reasons, over all inputs) exceed the threshold or
some source pages could not be fetched; EXIT_FAILURE when nothing was published.
"""
import datetime
import fcntl
import json
import logging
import os
import shutil
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from parsers.errors import ParseError
from parsers.grobid import DEFAULT_CONCURRENCY as GROBID_DEFAULT_CONCURRENCY
from pipeline.ingest import IngestError, Progress, default_sources_file, ingest, load_sources
from pipeline.parse_cache import PARSES, parse_cache_key, seed_entry
from pipeline.snapshot import SnapshotError, count_documents
from release.errors import LockHeldError, ReleaseError
from release.fetch import fetch_release_files
from release.layout import DEAD_LETTERS, MANIFEST, PREVIOUS_RELEASE_FILES, TARBALL, pdf_sha1_of_path, read_manifest
from release.publish import publish_release
from release.safe_tar import iter_tarball_files
from release.storage import Storage, join_key, open_store
from release.validate import validate_release_dir
from schemas.records import FILTERED_REASONS

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_PARTIAL = 3
EXIT_LOCKED = 4

LOCK_FILE = "nightly.lock"
DATED_WORK_FOLDERS = ("snapshots", "releases", "previous")  # under work_dir, one <date>/ per run

# Failures a nightly run reports instead of crashing on (anything else propagates).
STEP_ERRORS = (IngestError, ReleaseError, ParseError, SnapshotError, OSError, ValueError)


class NightlyConfigError(ValueError):
    """A nightly config file that is missing, not TOML, or holds a bad setting."""


@dataclass(frozen=True)
class NightlyConfig:
    """Settings of the `[nightly]` table; relative paths are taken from the config file's folder."""

    work_dir: Path
    store: str
    endpoint_url: str | None = None
    sources: Path | None = None
    snapshot: Path | None = None
    grobid_url: str | None = None
    grobid_concurrency: int = GROBID_DEFAULT_CONCURRENCY  # requests in flight per worker machine
    max_dead_letter_fraction: float = 0.05
    ignored_dead_letter_reasons: tuple[str, ...] = FILTERED_REASONS
    beam_args: tuple[str, ...] = ()
    keep_runs: int = 3


def load_nightly_config(path: Path) -> NightlyConfig:
    """Read and check a nightly config file."""
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("nightly")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise NightlyConfigError(f"{path}: {exc}") from exc
    if not isinstance(table, dict):
        raise NightlyConfigError(f"{path}: no [nightly] table")
    known = set(NightlyConfig.__dataclass_fields__)
    unknown = sorted(set(table) - known)
    if unknown:
        raise NightlyConfigError(f"{path}: unknown settings {', '.join(unknown)}")
    for required in ("work_dir", "store"):
        if not isinstance(table.get(required), str) or not table[required]:
            raise NightlyConfigError(f"{path}: '{required}' must be a non-empty string")
    base = Path(path).resolve().parent

    def local_path(key: str) -> Path | None:
        value = table.get(key)
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            raise NightlyConfigError(f"{path}: '{key}' must be a path")
        return base / value

    fraction = table.get("max_dead_letter_fraction", 0.05)
    if not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
        raise NightlyConfigError(f"{path}: 'max_dead_letter_fraction' must be a number from 0 to 1")
    counts: dict[str, int] = {}
    for key in ("keep_runs", "grobid_concurrency"):
        value = table.get(key, getattr(NightlyConfig, key))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise NightlyConfigError(f"{path}: '{key}' must be a whole number of at least 1")
        counts[key] = value
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("ignored_dead_letter_reasons", "beam_args"):
        value = table.get(key, list(getattr(NightlyConfig, key)))
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise NightlyConfigError(f"{path}: '{key}' must be a list of strings")
        lists[key] = tuple(value)
    store = table["store"] if table["store"].startswith("s3://") else str(base / table["store"])
    return NightlyConfig(
        work_dir=base / table["work_dir"],  # a non-empty string, checked above
        store=store,
        endpoint_url=table.get("endpoint_url") or None,
        sources=local_path("sources"),
        snapshot=local_path("snapshot"),
        grobid_url=table.get("grobid_url") or None,
        max_dead_letter_fraction=float(fraction),
        keep_runs=counts["keep_runs"],
        grobid_concurrency=counts["grobid_concurrency"],
        ignored_dead_letter_reasons=lists["ignored_dead_letter_reasons"],
        beam_args=lists["beam_args"],
    )


@contextmanager
def nightly_lock(work_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on `<work_dir>/nightly.lock`; LockHeldError when another run has it."""
    work_dir.mkdir(parents=True, exist_ok=True)
    with open(work_dir / LOCK_FILE, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise LockHeldError(f"another nightly run holds {work_dir / LOCK_FILE}") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prune_work_dir(work_dir: Path, keep_runs: int) -> list[Path]:
    """Remove all but the newest `keep_runs` dated folders of each of DATED_WORK_FOLDERS; return the removed ones."""
    removed = []
    for name in DATED_WORK_FOLDERS:
        folder = work_dir / name
        if not folder.is_dir():
            continue
        dated = sorted(path for path in folder.iterdir() if path.is_dir() and _is_date(path.name))
        for old in dated[:-keep_runs]:
            shutil.rmtree(old)
            removed.append(old)
    return removed


def previous_release_date(storage: Storage, prefix: str, release_date: str) -> str | None:
    """The newest complete release (one with manifest.json) dated before `release_date`."""
    dates = []
    folder = join_key(prefix) + "/" if prefix else ""
    for key in storage.list_keys(folder):
        parts = key[len(folder):].split("/")
        if len(parts) == 2 and parts[1] == MANIFEST and _is_date(parts[0]) and parts[0] < release_date:
            dates.append(parts[0])
    return max(dates) if dates else None


def _is_date(text: str) -> bool:
    try:
        return datetime.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def seed_parse_cache(previous_dir: Path, cache_dir: Path) -> int:
    """Put the previous release's pdf_json parses into the parse cache; return how many.

    Each is keyed under the parser and schema versions that release's manifest names, so
    a build under the same versions reuses it and any other build never sees it.
    """
    manifest = read_manifest(previous_dir)
    parser_version = manifest.get("parser_versions", {}).get("pdf_json")
    schema_version = manifest.get("schema_versions", {}).get("pdf_json")
    if not parser_version or not schema_version:
        return 0
    seeded = 0
    for name, data in iter_tarball_files(previous_dir / TARBALL):
        sha1 = pdf_sha1_of_path(name)
        if sha1 is None:
            continue
        seed_entry(cache_dir, parse_cache_key("pdf", parser_version, schema_version, sha1, sha1), data, sha1, name)
        seeded += 1
    return seeded


def _has_cached_parses(cache_dir: Path) -> bool:
    folder = cache_dir / PARSES
    return folder.is_dir() and any(folder.iterdir())


@dataclass
class NightlyResult:
    """What one nightly run did; `line()` is its one-line summary."""

    release_date: str
    status: str = "failed"  # ok | partial | failed | locked
    exit_code: int = EXIT_FAILURE
    step: str = ""
    error: str = ""
    previous_date: str | None = None
    seeded_parses: int = 0
    counts: dict = field(default_factory=dict)
    failed_inputs: int = 0
    inputs: int = 0
    ingest_failures: int = 0
    published_objects: int = 0
    published_bytes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        timing = " ".join(f"{step} {value:.1f}s" for step, value in self.seconds.items())
        if self.status in ("failed", "locked"):
            return f"nightly {self.release_date} {self.status} at {self.step}: {self.error} ({timing})"
        fraction = self.failed_inputs / self.inputs if self.inputs else 0.0
        return (
            f"nightly {self.release_date} {self.status}: {self.counts.get('metadata_rows', 0)} papers "
            f"({self.counts.get('pdf_json', 0)} pdf_json, {self.counts.get('pmc_json', 0)} pmc_json), "
            f"failed inputs {self.failed_inputs}/{self.inputs} ({fraction:.1%}), ingest failures "
            f"{self.ingest_failures}, previous {self.previous_date or 'none'}, seeded parses {self.seeded_parses}, "
            f"published {self.published_objects} objects ({self.published_bytes} bytes); {timing}"
        )


def count_failed_inputs(release_dir: Path, snapshot_dir: Path, ignored_reasons: tuple[str, ...]) -> tuple[int, int]:
    """(dead letters not of an ignored reason, inputs = source records + documents)."""
    manifest = read_manifest(release_dir)
    failed = 0
    for line in (release_dir / DEAD_LETTERS).read_text(encoding="utf-8").splitlines():
        if line and json.loads(line)["reason"] not in ignored_reasons:
            failed += 1
    return failed, manifest["counts"].get("source_records", 0) + count_documents(snapshot_dir)


@contextmanager
def _step(result: NightlyResult, name: str) -> Iterator[None]:
    """Time one step and remember it as the current one (the one named when it fails)."""
    result.step = name
    logger.info("nightly %s: %s", result.release_date, name)
    start = time.perf_counter()
    try:
        yield
    finally:
        result.seconds[name] = time.perf_counter() - start


def run_nightly(config: NightlyConfig, release_date: str) -> NightlyResult:
    """One nightly run for `release_date` (see the module docstring); never raises an expected error."""
    result = NightlyResult(release_date)
    try:
        with nightly_lock(config.work_dir):
            _run_locked(config, release_date, result)
    except LockHeldError as exc:
        result.status, result.exit_code, result.step, result.error = "locked", EXIT_LOCKED, "lock", str(exc)
    except STEP_ERRORS as exc:
        result.status, result.exit_code = "failed", EXIT_FAILURE
        result.error = f"{type(exc).__name__}: {exc}"
    return result


def _run_locked(config: NightlyConfig, release_date: str, result: NightlyResult) -> None:
    from pipeline.build import run_build  # Beam is slow to import; only the build needs it

    work = config.work_dir
    storage, prefix = open_store(config.store, endpoint_url=config.endpoint_url)
    snapshot_dir = config.snapshot or work / "snapshots" / release_date
    if config.snapshot is None:
        with _step(result, "ingest"):
            sources = load_sources(config.sources or default_sources_file())
            summary = ingest(sources, snapshot_dir, progress=Progress())
            result.ingest_failures = len(summary.failures)
    cache_dir = work / "parse_cache"
    with _step(result, "fetch_previous"):
        result.previous_date = previous_release_date(storage, prefix, release_date)
        previous_dir = None
        if result.previous_date is not None:
            seed = not _has_cached_parses(cache_dir)
            names = PREVIOUS_RELEASE_FILES + ((TARBALL,) if seed else ())
            previous_dir = work / "previous" / result.previous_date
            fetch_release_files(storage, join_key(prefix, result.previous_date), names, previous_dir)
            if seed:
                result.seeded_parses = seed_parse_cache(previous_dir, cache_dir)
    with _step(result, "build"):
        release_dir = Path(run_build(snapshot_dir, work / "releases", release_date, previous_dir=previous_dir,
                                grobid_url=config.grobid_url, grobid_concurrency=config.grobid_concurrency,
                                     beam_args=list(config.beam_args), parse_cache_dir=cache_dir,
                                     force=True).release)  # a rerun of the day rebuilds it
    with _step(result, "validate"):
        problems = validate_release_dir(release_dir)
        if problems:
            raise ReleaseError(f"{len(problems)} problems, first: {problems[0]}")
        result.counts = read_manifest(release_dir)["counts"]
        if not result.counts["metadata_rows"]:
            raise ReleaseError("the release has no papers; not published")
        result.failed_inputs, result.inputs = count_failed_inputs(release_dir, snapshot_dir,
                                                                  config.ignored_dead_letter_reasons)
    with _step(result, "publish"):
        published = publish_release(release_dir, storage, prefix)
        result.published_objects, result.published_bytes = len(published.uploaded), published.uploaded_bytes
    removed = prune_work_dir(work, config.keep_runs)
    if removed:
        logger.info("removed %d old dated folders from %s", len(removed), work)
    over = result.inputs and result.failed_inputs / result.inputs > config.max_dead_letter_fraction
    if over or result.ingest_failures:
        result.status, result.exit_code = "partial", EXIT_PARTIAL
    else:
        result.status, result.exit_code = "ok", EXIT_OK
    result.step = "done"
