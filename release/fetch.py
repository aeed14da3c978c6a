"""Fetch files of a release from a store, each checked against the release's manifest.

`cord19 load` fetches a stored release this way, and `cord19 nightly` the release
before the one it builds.
"""
from collections.abc import Iterable
from pathlib import Path

from release.errors import ChecksumMismatchError, ReleaseNotFoundError
from release.layout import MANIFEST, METADATA_CSV, parse_manifest
from release.storage import Storage, join_key
from schemas.files import atomic_write_bytes, sha256_file


def fetch_release_files(storage: Storage, release_key: str, names: Iterable[str], folder: Path) -> dict | None:
    """Download `names` of the release stored under `release_key` into `folder`; return its manifest.

    With a manifest.json (copied into `folder` too), every name it lists is fetched and
    must match the sha256 it records (ChecksumMismatchError otherwise); a file already in
    `folder` with that sha256 is not fetched again, and a name it does not list is
    skipped. Without one (a release not written by us), every name the store holds is
    fetched unchecked and None is returned. ReleaseNotFoundError when the store holds
    neither a manifest.json nor a metadata.csv under `release_key`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    manifest = _fetch_manifest(storage, release_key, folder)
    for name in names:
        if name == MANIFEST:
            continue
        key = join_key(release_key, name)
        if manifest is None:
            if storage.stat(key) is not None:
                storage.download_file(key, folder / name)
        elif name in manifest["files"]:
            _download_checked(storage, key, folder / name, manifest["files"][name]["sha256"])
    return manifest


def _fetch_manifest(storage: Storage, release_key: str, folder: Path) -> dict | None:
    """The stored release's manifest, also written to `folder`; None when it has none."""
    key = join_key(release_key, MANIFEST)
    if storage.stat(key) is None:
        if storage.stat(join_key(release_key, METADATA_CSV)) is None:
            raise ReleaseNotFoundError(f"{storage.description}/{release_key} holds no release ({METADATA_CSV} missing)")
        return None
    data = storage.read_bytes(key)
    manifest = parse_manifest(data, f"{storage.description}/{key}")
    atomic_write_bytes(folder / MANIFEST, data)
    return manifest


def _download_checked(storage: Storage, key: str, target: Path, sha256: str) -> None:
    """Download `key` to `target` unless it already holds `sha256`; the download must hold it."""
    if target.is_file() and sha256_file(target) == sha256:
        return
    storage.download_file(key, target)
    if sha256_file(target) != sha256:
        target.unlink()
        raise ChecksumMismatchError(f"{storage.description}/{key} does not match the release manifest")
