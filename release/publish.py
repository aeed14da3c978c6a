"""Publish a release folder to a store: verified uploads, a release index, a stable latest.

Layout under the store prefix:

    <date>/<file>                                  each top-level release file
    historical_releases/cord-19_<date>.tar.gz      one tarball holding `<date>/` with those files
    historical_releases/cord-19_<date>.checksums.json  its size, md5, sha1, sha256 and stored ETag
    releases.json, historical_releases.html        index of every historical tarball (the page links each
                                                   release's <date>/report.html too)
    latest/<file>, latest.json                     the newest release

Order of work, so that a reader never sees a partial release: the dated files are
uploaded (manifest.json last) and each is verified against its checksum, while the
historical tarball is written straight into a multipart upload (no local copy),
verified, and its checksums stored beside it; then the index is rewritten; only then
are the files copied to `latest/` (each verified) and `latest.json`, the single switch
readers should follow, is rewritten to name the new date. Objects already holding the
right bytes are skipped, so a re-run is cheap and an interrupted run resumes. A different release already
stored under the same date is refused unless `force` is set.
"""
import calendar
import datetime
import gzip
import html
import json
import logging
import tarfile
from collections.abc import Set as AbstractSet
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from release.errors import ChecksumMismatchError, NotAReleaseError, ReleaseConflictError, ReleaseError
from release.folders import ByteSink
from release.layout import (
    HISTORICAL_FOLDER,
    LATEST_FOLDER,
    LATEST_JSON,
    MANIFEST,
    METADATA_CSV,
    RELEASES_HTML,
    RELEASES_JSON,
    REPORT,
    TARBALL,
    historical_checksums_name,
    historical_tarball_date,
    historical_tarball_name,
    read_manifest,
)
from release.storage import (
    HASH_CHUNK_BYTES,
    ChecksumAccumulator,
    Checksums,
    ObjectStat,
    Storage,
    Upload,
    file_checksums,
    join_key,
    stored_object_matches,
    verify_object,
)
from schemas.files import sha256_file

logger = logging.getLogger(__name__)

REQUIRED_FILES = (METADATA_CSV, TARBALL, MANIFEST)
# Level 0 (stored deflate blocks, still a valid .tar.gz): almost every byte of a historical
# tarball is already compressed (document_parses.tar.gz is gzip -9, metadata.parquet zstd);
# deflating them again gains next to nothing and costs ~20 MB/s of CPU.
HISTORICAL_GZIP_LEVEL = 0
UPLOAD_ATTEMPTS = 2
LATEST_COPY_CONCURRENCY = 4


@dataclass(frozen=True)
class PublishResult:
    """What one publish did: every object of the release's set (dated files, historical tarball and its
    checksums, releases.json, historical_releases.html) is either uploaded or skipped (already there)."""

    release_date: str
    uploaded: tuple[str, ...]
    skipped: tuple[str, ...]
    uploaded_bytes: int
    latest_date: str

    def line(self) -> str:
        """`published <date>: 13 files: 3 uploaded (N bytes), 10 already there; latest is <date>`."""
        total = len(self.uploaded) + len(self.skipped)
        return (f"published {self.release_date}: {total} files: {len(self.uploaded)} uploaded "
                f"({self.uploaded_bytes:,} bytes), {len(self.skipped)} already there; latest is {self.latest_date}")


@dataclass(frozen=True)
class LocalRelease:
    """A release folder as publish sees it: its date and its top-level files."""

    folder: Path
    release_date: str
    manifest_sha256: str
    names: tuple[str, ...]  # top-level files, manifest.json last
    sha256: dict[str, str]  # expected sha256 of every name


def read_local_release(release_dir: Path) -> LocalRelease:
    """Read and check the manifest of a release folder; NotAReleaseError when it is not one."""
    release_dir = Path(release_dir)
    manifest = read_manifest(release_dir)
    top_level = sorted(name for name in manifest["files"] if "/" not in name and name != MANIFEST)
    names = tuple(top_level) + (MANIFEST,)
    for name in REQUIRED_FILES:
        if name not in names:
            raise NotAReleaseError(f"{release_dir}: the manifest lists no {name}")
    for name in names:
        if not (release_dir / name).is_file():
            raise NotAReleaseError(f"{release_dir}: {name} is missing")
    sha256 = {name: manifest["files"][name]["sha256"] for name in top_level}
    sha256[MANIFEST] = sha256_file(release_dir / MANIFEST)
    return LocalRelease(release_dir, manifest["release_date"], sha256[MANIFEST], names, sha256)


def historical_key(prefix: str, release_date: str) -> str:
    return join_key(prefix, HISTORICAL_FOLDER, historical_tarball_name(release_date))


def historical_checksums_key(prefix: str, release_date: str) -> str:
    """The small JSON object beside a historical tarball holding its verified size and digests."""
    return join_key(prefix, HISTORICAL_FOLDER, historical_checksums_name(release_date))


def tarball_size_bound(release: LocalRelease) -> int:
    """An upper bound on the size of the historical tarball (fixes its part size before it is written).

    Each member adds at most three 512-byte header blocks (pax extended header and its
    data, the header) and 511 bytes of padding; tar ends with two zero blocks and pads
    to 10 KiB; gzip adds its header and trailer and 5 bytes per stored block (zlib's
    are about 64 KiB; 16 KiB is assumed to stay on the safe side).
    """
    sizes = [(release.folder / name).stat().st_size for name in release.names]
    members = len(sizes) + 1
    data = sum(sizes) + members * 4 * 512 + 10 * 1024
    return data + 5 * (data // 16384 + 1) + 64


def write_historical_tarball(release: LocalRelease, out: ByteSink) -> None:
    """Write `cord-19_<date>.tar.gz` (holding `<date>/<file>`) to `out`, deterministically."""
    mtime = calendar.timegm(datetime.date.fromisoformat(release.release_date).timetuple())
    stream = cast(BinaryIO, out)  # GzipFile only writes to it
    with gzip.GzipFile(filename="", mode="wb", fileobj=stream, compresslevel=HISTORICAL_GZIP_LEVEL, mtime=0) as zipped:
        with tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.copybufsize = HASH_CHUNK_BYTES  # type: ignore[attr-defined]  # an init argument typeshed leaves out
            tar.addfile(_tar_info(release.release_date, tarfile.DIRTYPE, 0o755, 0, mtime))
            for name in release.names:
                path = release.folder / name
                info = _tar_info(f"{release.release_date}/{name}", tarfile.REGTYPE, 0o644, path.stat().st_size, mtime)
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)


def upload_historical_tarball(storage: Storage, prefix: str, release: LocalRelease) -> int:
    """Stream the historical tarball into the store while it is written, verify it, then store its checksums.

    The digests are known only once the last byte is written, after the object's
    metadata is fixed, so they go into the checksums object beside it; that object is
    written only after the tarball is verified, which makes it the mark of a complete
    tarball. Returns the bytes sent.
    """
    key = historical_key(prefix, release.release_date)
    part_size = storage.part_size(tarball_size_bound(release))
    sent = 0
    for attempt in range(1, UPLOAD_ATTEMPTS + 1):
        accumulator = ChecksumAccumulator(part_size, index_digests=True)
        with storage.open_upload(key, part_size, {"manifest-sha256": release.manifest_sha256}) as upload:
            write_historical_tarball(release, _HashingWriter(upload, accumulator))
        checksums = accumulator.result()
        sent += checksums.size
        try:
            stored = verify_object(storage, key, checksums)
            break
        except ChecksumMismatchError as exc:
            logger.warning("attempt %d: %s; deleting it", attempt, exc)
            storage.delete(key)
    else:
        raise ChecksumMismatchError(f"{storage.description}/{key}: still corrupt after {UPLOAD_ATTEMPTS} uploads")
    record = {"file": f"{HISTORICAL_FOLDER}/{historical_tarball_name(release.release_date)}", "size": checksums.size,
              "md5": checksums.md5, "sha1": checksums.sha1, "sha256": checksums.sha256, "etag": stored.etag,
              "manifest_sha256": release.manifest_sha256}
    _write_small_verified(storage, historical_checksums_key(prefix, release.release_date),
                          (json.dumps(record, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return sent


class _HashingWriter:
    """A write-only stream that checksums what passes through it on its way to `out`."""

    def __init__(self, out: ByteSink, accumulator: ChecksumAccumulator) -> None:
        self.out = out
        self.accumulator = accumulator

    def write(self, data: bytes) -> int:
        self.accumulator.update(data)
        return self.out.write(data)

    def flush(self) -> None:
        """Nothing is buffered here (gzip calls flush when it closes)."""


def _tar_info(name: str, kind: bytes, mode: int, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.size = size
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _stored_state(storage: Storage, key: str, path: Path, sha256: str) -> tuple[str, Checksums | None]:
    """How the object at `key` compares with the local file, and the file's checksums when taken.

    'missing'; 'same' (it holds these bytes); 'corrupt' (recorded as this file but its
    bytes differ: upload again); 'different' (it holds another file).
    """
    found = storage.stat(key)
    if found is None:
        return "missing", None
    if found.metadata.get("sha256") != sha256:
        return "different", None
    checksums = file_checksums(path, storage.part_size(path.stat().st_size))
    if stored_object_matches(found, checksums):
        return "same", checksums
    return "corrupt", checksums


def _upload_verified(storage: Storage, files: list[tuple[str, Path, dict[str, str]]], pool: ThreadPoolExecutor,
                     expected: dict[str, Checksums] | None = None) -> tuple[int, dict[str, Checksums]]:
    """Upload (key, path, metadata) files, verify each, retry mismatches; return bytes sent and checksums by key.

    Without `expected`, each file's checksums are computed while it uploads, and its
    sha256 must equal the one in its metadata (the manifest's).
    """
    if not files:
        return 0, {}
    pending = list(files)
    sent = 0
    for attempt in range(1, UPLOAD_ATTEMPTS + 1):
        hashing = None
        if expected is None:
            hashing = pool.submit(lambda: {key: file_checksums(path, storage.part_size(path.stat().st_size))
                                           for key, path, _ in files})
        storage.upload_files(Upload(key, path, metadata) for key, path, metadata in pending)
        sent += sum(path.stat().st_size for _, path, _ in pending)
        if hashing is not None:
            expected = hashing.result()
            for key, path, metadata in files:
                if expected[key].sha256 != metadata["sha256"]:
                    storage.delete(key)
                    raise ReleaseError(f"{path} does not match the sha256 in its manifest")
        known: dict[str, Checksums] = expected or {}
        failed = []
        for key, path, metadata in pending:
            try:
                verify_object(storage, key, known[key])
            except ChecksumMismatchError as exc:
                logger.warning("attempt %d: %s; deleting it", attempt, exc)
                storage.delete(key)
                failed.append((key, path, metadata))
        if not failed:
            return sent, known
        pending = failed
    raise ChecksumMismatchError(f"still corrupt after {UPLOAD_ATTEMPTS} uploads: {', '.join(k for k, _, _ in pending)}")


def _write_small_verified(storage: Storage, key: str, data: bytes) -> bool:
    """Store a small object unless it already holds `data`; return True when written."""
    accumulator = ChecksumAccumulator(None)
    accumulator.update(data)
    checksums = accumulator.result()
    found = storage.stat(key)
    if found is not None and stored_object_matches(found, checksums):
        return False
    for attempt in range(1, UPLOAD_ATTEMPTS + 1):
        storage.write_bytes(key, data, {"sha256": checksums.sha256})
        try:
            verify_object(storage, key, checksums)
            return True
        except ChecksumMismatchError as exc:
            logger.warning("attempt %d: %s", attempt, exc)
    raise ChecksumMismatchError(f"{storage.description}/{key}: still corrupt after {UPLOAD_ATTEMPTS} writes")


def release_index(storage: Storage, prefix: str) -> list[dict]:
    """One entry per verified historical tarball in the store, newest first."""
    entries = []
    folder = join_key(prefix, HISTORICAL_FOLDER) + "/"
    for key in storage.list_keys(folder):
        date = historical_tarball_date(key[len(folder):])
        if date is None:
            continue
        found = storage.stat(key)
        record = _verified_tarball_record(storage, prefix, date, found) if found is not None else None
        if record is None:
            logger.warning("%s/%s: no verified checksums, left out of the index", storage.description, key)
            continue
        entries.append({"date": date, **{field: record[field] for field in ("file", "size", "md5", "sha1", "sha256")}})
    return sorted(entries, key=lambda entry: entry["date"], reverse=True)


def _verified_tarball_record(storage: Storage, prefix: str, release_date: str, found: ObjectStat) -> dict | None:
    """The checksums object of a historical tarball when it describes the stored one (`found`), else None."""
    checksums_key = historical_checksums_key(prefix, release_date)
    if storage.stat(checksums_key) is None:
        return None
    try:
        record = json.loads(storage.read_bytes(checksums_key))
    except ValueError:
        return None
    if not isinstance(record, dict) or (record.get("size"), record.get("etag")) != (found.size, found.etag):
        return None
    return record


def index_json_bytes(entries: list[dict]) -> bytes:
    return (json.dumps({"releases": entries}, indent=2, sort_keys=True) + "\n").encode("utf-8")


def index_html_bytes(entries: list[dict], reports: AbstractSet[str] = frozenset()) -> bytes:
    """historical_releases.html: a row per entry, linking its tarball and, for the dates in `reports`, its report."""
    rows = "\n".join(
        f'<tr><td>{html.escape(e["date"])}</td><td><a href="{html.escape(e["file"])}">'
        f'{html.escape(e["file"].rsplit("/", 1)[1])}</a></td><td>{_report_link(e["date"], reports)}</td>'
        f'<td>{e["size"]}</td>'
        f'<td><code>{e["md5"]}</code></td><td><code>{e["sha1"]}</code></td><td><code>{e["sha256"]}</code></td></tr>'
        for e in entries
    )
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>CORD-19 historical releases</title></head>\n"
        "<body><h1>Historical releases</h1>\n<p>The newest release is also at <a href=\"latest/\">latest/</a> "
        "(see <a href=\"latest.json\">latest.json</a>).</p>\n<table>\n"
        "<tr><th>date</th><th>file</th><th>report</th><th>size (bytes)</th>"
        "<th>md5</th><th>sha1</th><th>sha256</th></tr>\n"
        f"{rows}\n</table></body></html>\n"
    )
    return page.encode("utf-8")


def _report_link(release_date: str, reports: AbstractSet[str]) -> str:
    if release_date not in reports:
        return ""
    return f'<a href="{html.escape(release_date)}/{REPORT}">{REPORT}</a>'


def releases_with_report(storage: Storage, prefix: str, entries: list[dict]) -> set[str]:
    """The dates of `entries` whose `<date>/report.html` the store holds (releases written before it have none)."""
    return {entry["date"] for entry in entries if storage.stat(join_key(prefix, entry["date"], REPORT)) is not None}


def read_latest(storage: Storage, prefix: str) -> dict | None:
    """The store's latest.json, or None before the first publish."""
    key = join_key(prefix, LATEST_JSON)
    if storage.stat(key) is None:
        return None
    return json.loads(storage.read_bytes(key))


@dataclass
class _Plan:
    """What the store already holds of a release's dated files."""

    pending: list[str]  # names to upload
    skipped: list[str]  # names already stored intact
    conflicts: list[str]  # names holding another file, and stored names this release lacks
    checksums: dict[str, Checksums]  # of the skipped files (and corrupt ones)


def _plan_dated_files(storage: Storage, prefix: str, release: LocalRelease) -> _Plan:
    """Compare every dated file with what the store holds under `<date>/`."""
    plan = _Plan([], [], [], {})
    for name in release.names:
        state, checksums = _stored_state(storage, join_key(prefix, release.release_date, name),
                                         release.folder / name, release.sha256[name])
        (plan.skipped if state == "same" else plan.pending).append(name)
        if checksums is not None:
            plan.checksums[name] = checksums
        if state == "different":
            plan.conflicts.append(name)
    date_folder = join_key(prefix, release.release_date) + "/"
    for key in storage.list_keys(date_folder):
        if key[len(date_folder):] not in release.names:
            plan.conflicts.append(key[len(date_folder):])
    return plan


def _historical_state(storage: Storage, prefix: str, release: LocalRelease) -> str:
    """'missing', 'same' (verified, built from this manifest), 'unverified' or 'different'."""
    found = storage.stat(historical_key(prefix, release.release_date))
    if found is None:
        return "missing"
    if found.metadata.get("manifest-sha256") != release.manifest_sha256:
        return "different"
    verified = _verified_tarball_record(storage, prefix, release.release_date, found)
    return "same" if verified is not None else "unverified"


def move_latest(storage: Storage, prefix: str, release: LocalRelease, checksums: dict[str, Checksums]) -> str:
    """Point latest/ and latest.json at this release unless a newer one is already latest; return latest's date.

    `checksums` holds every dated file's checksums; each copy in latest/ is verified against them.
    """
    current = read_latest(storage, prefix)
    if current is not None and current["release_date"] > release.release_date:
        logger.info("latest stays at %s (newer than %s)", current["release_date"], release.release_date)
        return current["release_date"]
    latest_folder = join_key(prefix, LATEST_FOLDER)

    def copy_to_latest(name: str) -> None:
        source_key = join_key(prefix, release.release_date, name)
        latest_key = join_key(latest_folder, name)
        if storage.holds_copy(latest_key, checksums[name]):
            return
        storage.copy(source_key, latest_key)
        if not storage.holds_copy(latest_key, checksums[name]):
            storage.delete(latest_key)
            raise ChecksumMismatchError(f"{storage.description}/{latest_key}: the copy does not match {source_key}")

    with ThreadPoolExecutor(max_workers=LATEST_COPY_CONCURRENCY) as pool:
        for done in [pool.submit(copy_to_latest, name) for name in release.names]:
            done.result()
    for key in storage.list_keys(latest_folder + "/"):
        if key[len(latest_folder) + 1:] not in release.names:
            storage.delete(key)
    pointer = {
        "release_date": release.release_date,
        "path": f"{release.release_date}/",
        "manifest_sha256": release.manifest_sha256,
        "historical_tarball": f"{HISTORICAL_FOLDER}/{historical_tarball_name(release.release_date)}",
    }
    _write_small_verified(storage, join_key(prefix, LATEST_JSON),
                          (json.dumps(pointer, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return release.release_date


def publish_release(release_dir: Path, storage: Storage, prefix: str = "", force: bool = False) -> PublishResult:
    """Publish the release in `release_dir` under `prefix` in `storage` (see the module docstring)."""
    release = read_local_release(release_dir)
    date = release.release_date
    plan = _plan_dated_files(storage, prefix, release)
    pending, skipped, conflicts = plan.pending, plan.skipped, plan.conflicts
    checksums = dict(plan.checksums)
    tar_key = historical_key(prefix, date)
    tar_state = _historical_state(storage, prefix, release)
    if tar_state == "different":
        conflicts.append(tar_key)
    if conflicts and not force:
        raise ReleaseConflictError(
            f"{storage.description}/{join_key(prefix, date)} holds a different release ({', '.join(conflicts)}); "
            "use --force to replace it"
        )
    if conflicts:
        logger.warning("replacing a different release under %s (--force): %s", date, ", ".join(conflicts))
    date_folder = join_key(prefix, date) + "/"
    aborted = sum(storage.abort_unfinished_uploads(key) for key in (date_folder, tar_key))
    if aborted:
        logger.info("aborted %d unfinished uploads left by an interrupted publish", aborted)
    uploaded: list[str] = []
    skipped_keys = [join_key(prefix, date, name) for name in skipped]
    sent = 0

    def upload_dated(names: list[str]) -> int:
        files = [(date_folder + name, release.folder / name, {"sha256": release.sha256[name]}) for name in names]
        group_sent, group_checksums = _upload_verified(storage, files, pool)
        checksums.update({key[len(date_folder):]: value for key, value in group_checksums.items()})
        return group_sent

    # The historical tarball is written straight into the store while the dated files go up.
    with ThreadPoolExecutor(max_workers=2) as pool:
        tar_future = pool.submit(upload_historical_tarball, storage, prefix, release) if tar_state != "same" else None
        sent += upload_dated([name for name in pending if name != MANIFEST])
        for key in storage.list_keys(date_folder):
            if key[len(date_folder):] not in release.names:
                storage.delete(key)
        sent += upload_dated([name for name in pending if name == MANIFEST])
        uploaded += [date_folder + name for name in pending]
        if tar_future is not None:
            sent += tar_future.result()
            uploaded += [tar_key, historical_checksums_key(prefix, date)]
        else:
            skipped_keys += [tar_key, historical_checksums_key(prefix, date)]
    entries = release_index(storage, prefix)
    page = index_html_bytes(entries, releases_with_report(storage, prefix, entries))
    for name, data in ((RELEASES_JSON, index_json_bytes(entries)), (RELEASES_HTML, page)):
        written = _write_small_verified(storage, join_key(prefix, name), data)
        (uploaded if written else skipped_keys).append(join_key(prefix, name))
    latest_date = move_latest(storage, prefix, release, checksums)
    logger.debug("published %s to %s/%s: %d objects uploaded (%d bytes), %d already there; latest is %s",
                date, storage.description, prefix, len(uploaded), sent, len(skipped_keys), latest_date)
    return PublishResult(date, tuple(uploaded), tuple(skipped_keys), sent, latest_date)
