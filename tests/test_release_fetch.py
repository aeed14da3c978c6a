"""Fetching files of a stored release, checked against its manifest (a local store here)."""
from pathlib import Path

import pytest

from release.errors import ChecksumMismatchError, ManifestError, NotAReleaseError
from release.fetch import fetch_release_files
from release.layout import CHANGELOG, MANIFEST, METADATA_CSV, TARBALL
from release.publish import publish_release
from release.storage import LocalStorage
from tests.support.release_fixtures import write_small_release

DATE = "2026-01-02"


def published(tmp_path: Path) -> tuple[Path, LocalStorage]:
    release_dir = write_small_release(tmp_path / "out", DATE)
    storage = LocalStorage(tmp_path / "store")
    publish_release(release_dir, storage, "p")
    return release_dir, storage


def test_fetches_the_named_files_and_the_manifest(tmp_path):
    release_dir, storage = published(tmp_path)
    folder = tmp_path / "fetched"
    manifest = fetch_release_files(storage, f"p/{DATE}", (MANIFEST, METADATA_CSV, CHANGELOG, "not-listed"), folder)
    assert manifest["release_date"] == DATE
    assert sorted(p.name for p in folder.iterdir()) == sorted([MANIFEST, METADATA_CSV, CHANGELOG])
    for name in (MANIFEST, METADATA_CSV, CHANGELOG):
        assert (folder / name).read_bytes() == (release_dir / name).read_bytes()


def test_a_file_already_fetched_is_kept_and_a_bad_one_is_fetched_again(tmp_path):
    release_dir, storage = published(tmp_path)
    folder = tmp_path / "fetched"
    fetch_release_files(storage, f"p/{DATE}", (METADATA_CSV, TARBALL), folder)
    storage.delete(f"p/{DATE}/{TARBALL}")  # a kept file is not asked for again
    (folder / METADATA_CSV).write_bytes(b"half a file")
    fetch_release_files(storage, f"p/{DATE}", (METADATA_CSV, TARBALL), folder)
    assert (folder / METADATA_CSV).read_bytes() == (release_dir / METADATA_CSV).read_bytes()
    assert (folder / TARBALL).read_bytes() == (release_dir / TARBALL).read_bytes()


def test_a_stored_file_that_differs_from_the_manifest_is_refused_and_not_kept(tmp_path):
    _, storage = published(tmp_path)
    storage.write_bytes(f"p/{DATE}/{METADATA_CSV}", b"cord_uid\nswapped\n")
    folder = tmp_path / "fetched"
    with pytest.raises(ChecksumMismatchError, match="does not match the release manifest"):
        fetch_release_files(storage, f"p/{DATE}", (METADATA_CSV,), folder)
    assert not (folder / METADATA_CSV).exists()


def test_without_a_manifest_the_stored_files_are_fetched_unchecked(tmp_path):
    storage = LocalStorage(tmp_path / "store")
    storage.write_bytes("cord19/metadata.csv", b"cord_uid\nabcd1234\n")
    folder = tmp_path / "fetched"
    assert fetch_release_files(storage, "cord19", (METADATA_CSV, TARBALL), folder) is None
    assert [p.name for p in folder.iterdir()] == [METADATA_CSV]


def test_a_key_without_a_release_or_with_a_broken_manifest_is_refused(tmp_path):
    storage = LocalStorage(tmp_path / "store")
    with pytest.raises(NotAReleaseError, match="holds no release"):
        fetch_release_files(storage, "nothing", (METADATA_CSV,), tmp_path / "a")
    storage.write_bytes(f"broken/{MANIFEST}", b"{}")
    with pytest.raises(ManifestError, match="breaks the manifest schema"):
        fetch_release_files(storage, "broken", (METADATA_CSV,), tmp_path / "b")
