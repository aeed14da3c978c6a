"""Reading a release folder we did not write: names stay inside; links, devices and FIFOs are never opened."""
import os
import stat
from pathlib import Path

import pytest

from release.errors import UnsafePathError
from release.safe_paths import (
    DEVICE,
    FIFO,
    FILE,
    FOLDER,
    HARD_LINK,
    MISSING,
    SYMLINK,
    entry_kind,
    file_stat,
    open_release_file,
    parse_file_name,
    read_release_bytes,
    relative_name,
    walk_release,
)
from tests.support.hostile_archives import make_fifo


@pytest.mark.parametrize("raw, expected", [
    ("metadata.csv", "metadata.csv"),
    ("./document_parses/pdf_json/a.json", "document_parses/pdf_json/a.json"),
    ("document_parses//pmc_json/./PMC1.xml.json", "document_parses/pmc_json/PMC1.xml.json"),
])
def test_relative_names_are_normalised(raw: str, expected: str) -> None:
    assert relative_name(raw) == expected


@pytest.mark.parametrize("raw", [
    "document_parses/../../../x.json", "../x", "/etc/passwd", "C:/x", "a\\b", "a\x00b", "", ".",
])
def test_names_that_could_leave_the_root_are_refused(raw: str) -> None:
    with pytest.raises(UnsafePathError):
        relative_name(raw)


def test_parse_file_names_must_be_under_document_parses() -> None:
    assert parse_file_name(" document_parses/pdf_json/a.json") == "document_parses/pdf_json/a.json"
    for raw in ("document_parses/../../../x.json", "/etc/passwd", "metadata.csv"):
        with pytest.raises(UnsafePathError):
            parse_file_name(raw)


@pytest.fixture
def release_with_hostile_entries(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.json").write_text("secret")
    root = tmp_path / "release"
    (root / "document_parses/pdf_json").mkdir(parents=True)
    (root / "metadata.csv").write_text("header\n")
    (root / "document_parses/pdf_json/link.json").symlink_to(outside / "secret.json")
    os.link(outside / "secret.json", root / "document_parses/pdf_json/hard.json")
    make_fifo(root / "document_parses/pdf_json/fifo.json")
    (root / "linked_folder").symlink_to(outside, target_is_directory=True)
    return root


def test_walk_names_each_entry_without_following_links(release_with_hostile_entries: Path) -> None:
    assert dict(walk_release(release_with_hostile_entries)) == {
        "document_parses": FOLDER,
        "document_parses/pdf_json": FOLDER,
        "document_parses/pdf_json/fifo.json": FIFO,
        "document_parses/pdf_json/hard.json": HARD_LINK,
        "document_parses/pdf_json/link.json": SYMLINK,
        "linked_folder": SYMLINK,
        "metadata.csv": FILE,
    }


@pytest.mark.parametrize("name", [
    "document_parses/pdf_json/link.json",  # a symbolic link to a file outside
    "document_parses/pdf_json/hard.json",  # a second name of a file outside
    "document_parses/pdf_json/fifo.json",  # opening it would block forever
    "linked_folder/secret.json",  # through a symlinked folder
    "document_parses",  # a folder
    "../outside/secret.json",
])
def test_only_regular_files_inside_are_opened(release_with_hostile_entries: Path, name: str) -> None:
    with pytest.raises(UnsafePathError):
        open_release_file(release_with_hostile_entries, name)
    with pytest.raises(UnsafePathError):
        file_stat(release_with_hostile_entries, name)


def test_regular_and_missing_files(release_with_hostile_entries: Path) -> None:
    root = release_with_hostile_entries
    assert read_release_bytes(root, "metadata.csv") == b"header\n"
    assert file_stat(root, "metadata.csv").st_size == 7
    assert file_stat(root, "document_parses/pdf_json/missing.json") is None
    assert entry_kind(root, "nothing") == MISSING
    with pytest.raises(FileNotFoundError):
        open_release_file(root, "nothing.csv")


def test_a_device_is_named_and_never_opened(tmp_path: Path) -> None:
    try:
        os.mknod(tmp_path / "zero.json", 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # a character device: /dev/zero
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    assert entry_kind(tmp_path, "zero.json") == DEVICE
    with pytest.raises(UnsafePathError, match="device"):
        read_release_bytes(tmp_path, "zero.json")
