"""Where a release SOURCE is: the one resolution that `load` and `validate` share.

A SOURCE is any form we publish, or a CORD-19 release:

- a release folder (`<date>/` holding metadata.csv, with document_parses/ or
  document_parses.tar.gz or both), or a folder holding exactly one such `<date>/`;
- a release tarball (`cord-19_<date>.tar.gz` holding `<date>/`), extracted safely;
- a store: `<store>/<date>/`, `<store>/latest/` and the store root itself, which are
  followed through `<store>/latest.json` (the single switch publish moves last, so a
  reader never mixes two releases), locally or as `s3://bucket/prefix/...`; the s3://
  key of a release tarball.

`open_release_source` makes the source readable on local disk for the duration of a
block and yields the folder holding the release's top-level files. Folders are read in
place; everything a source names (latest.json's date, the dated folder, the release
files) is checked with release.safe_paths before it is opened.
"""
import contextlib
import json
import logging
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from release.errors import NotAReleaseError, ReleaseNotFoundError, UnsafePathError
from release.layout import LATEST_FOLDER, LATEST_JSON, MANIFEST, METADATA_CSV, RELEASE_TARBALL_SUFFIXES
from release.safe_paths import FILE, FOLDER, MISSING, entry_kind, list_folder, read_release_bytes
from release.safe_tar import DEFAULT_LIMITS, ArchiveLimits, extract_tarball_safely

logger = logging.getLogger(__name__)

RELEASE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ReleaseSource:
    """A release made readable on local disk."""

    folder: Path  # holds metadata.csv, manifest.json, document_parses.tar.gz ... (as far as the release has them)
    description: str  # the source as given, and where it led


def is_tarball_name(name: str) -> bool:
    return name.endswith(RELEASE_TARBALL_SUFFIXES)


def latest_date(pointer: bytes, where: str) -> str:
    """The release date a latest.json names; NotAReleaseError when it names no date (e.g. a path)."""
    try:
        date = json.loads(pointer).get("release_date")
    except (ValueError, AttributeError) as exc:
        raise NotAReleaseError(f"{where} is not a latest.json pointer: {exc}") from exc
    if not isinstance(date, str) or not RELEASE_DATE.match(date):
        raise NotAReleaseError(f"{where} names no release date (release_date {date!r})")
    return date


def find_release_folder(path: Path) -> tuple[Path, str] | None:
    """The release folder a local folder is, or leads to, and how it got there; None when it holds no release."""
    store = path if entry_kind(path, LATEST_JSON) != MISSING else None
    if store is None and path.name == LATEST_FOLDER and entry_kind(path.parent, LATEST_JSON) != MISSING:
        store = path.parent
    if store is not None:
        date = latest_date(read_release_bytes(store, LATEST_JSON), str(store / LATEST_JSON))
        kind = entry_kind(store, date)
        if kind == MISSING:
            raise ReleaseNotFoundError(f"{store / LATEST_JSON} names {date}, which {store} does not hold")
        if kind != FOLDER:
            raise UnsafePathError(f"{date} in {store} is a {kind}: not followed")
        return store / date, f"{path} -> {store / date} (through {LATEST_JSON})"
    if entry_kind(path, METADATA_CSV) != MISSING or entry_kind(path, MANIFEST) != MISSING:
        return path, str(path)
    children = [name for name, kind in list_folder(path)
                if kind == FOLDER and entry_kind(path / name, METADATA_CSV) != MISSING]
    if len(children) == 1:
        return path / children[0], f"{path} -> {path / children[0]}"
    return None


def _local_release(path: Path, where: str) -> tuple[Path, str]:
    found = find_release_folder(path)
    if found is None:
        raise NotAReleaseError(f"{where} holds no release ({METADATA_CSV} in it or in one folder below it)")
    return found


def _extracted_release(tarball: Path | str, scratch: Path, limits: ArchiveLimits) -> Path:
    root = scratch / "release"
    extract_tarball_safely(tarball, root, limits)
    return _local_release(root, str(tarball))[0]


@contextlib.contextmanager
def open_release_source(source: str | Path, names: Sequence[str] | None = None, endpoint_url: str | None = None,
                        work_dir: Path | None = None,
                        limits: ArchiveLimits = DEFAULT_LIMITS) -> Iterator[ReleaseSource]:
    """Make the release at `source` readable on local disk for the duration of the block (see the module docstring).

    `names`: the top-level files fetched from a store (None: every one the release has);
    local folders are read in place, tarballs are extracted into a temporary folder
    (under `work_dir` when given). ReleaseNotFoundError when the source names nothing.
    """
    text = str(source)
    if text.startswith("s3://"):
        with tempfile.TemporaryDirectory(dir=work_dir, prefix="cord19-release-") as scratch:
            yield _open_stored(text, names, endpoint_url, Path(scratch), limits)
        return
    path = Path(source).resolve()  # the source as named may be a link: the user's choice
    kind = entry_kind(path.parent, path.name) if path.name else FOLDER
    if kind == MISSING:
        raise ReleaseNotFoundError(f"{source} does not exist")
    if kind == FOLDER:
        yield ReleaseSource(*_local_release(path, str(source)))
    elif kind == FILE and is_tarball_name(path.name):
        with tempfile.TemporaryDirectory(dir=work_dir, prefix="cord19-release-") as scratch:
            yield ReleaseSource(_extracted_release(path, Path(scratch), limits), f"{source} (extracted)")
    else:
        raise NotAReleaseError(f"{source} is neither a release folder, a release tarball nor an s3:// URL")


def _open_stored(url: str, names: Sequence[str] | None, endpoint_url: str | None, scratch: Path,
                 limits: ArchiveLimits) -> ReleaseSource:
    """Download the release at an s3:// URL (or a tarball key) into `scratch`."""
    # Imported here: boto3 loads only when a source is on a store.
    from release.fetch import fetch_release_files
    from release.storage import join_key, open_store

    storage, key = open_store(url, endpoint_url=endpoint_url)
    if is_tarball_name(key):
        local = scratch / PurePosixPath(key).name
        if storage.stat(key) is None:
            raise ReleaseNotFoundError(f"{url} does not exist")
        storage.download_file(key, local)
        return ReleaseSource(_extracted_release(local, scratch, limits), f"{url} (downloaded and extracted)")
    release_key, description = key, url
    parent, _, last = key.rpartition("/")
    store_key = key if storage.stat(join_key(key, LATEST_JSON)) is not None else None
    if store_key is None and last == LATEST_FOLDER:
        store_key = parent
        if storage.stat(join_key(parent, LATEST_JSON)) is None:
            raise ReleaseNotFoundError(f"{storage.description}/{join_key(parent, LATEST_JSON)} does not exist")
    if store_key is not None:
        pointer_key = join_key(store_key, LATEST_JSON)
        release_key = join_key(store_key, latest_date(storage.read_bytes(pointer_key), pointer_key))
        description = f"{url} -> {storage.description}/{release_key} (through {LATEST_JSON})"
    if not release_key:
        raise ReleaseNotFoundError(f"{url} names no release (no {LATEST_JSON} there)")
    if names is None:
        folder_prefix = release_key + "/"
        names = sorted({name for name in (k[len(folder_prefix):] for k in storage.list_keys(folder_prefix))
                        if name and "/" not in name})
    folder = scratch / "download" / PurePosixPath(release_key).name
    fetch_release_files(storage, release_key, names, folder)
    return ReleaseSource(folder, description)
