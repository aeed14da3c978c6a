"""Paths of a release we did not write: names checked to stay inside, files read without following links.

A release folder, and every name its metadata.csv or manifest.json holds, comes from
someone else. `relative_name` is the one check of such a name (tar members too):
relative, no `..`, no NUL or backslash. `walk_release` lists a folder's entries
without following links or opening anything. `file_stat` and `open_release_file`
accept a name only when every folder on the way from the release root is a real
folder and the last component a regular file with one name: a symbolic link, hard
link, device, FIFO or socket is an UnsafePathError, so nothing outside the release is
opened or measured, and a FIFO is never opened (nothing blocks). The root itself is
the caller's choice and may be reached through a link.
"""
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from release.errors import UnsafePathError
from release.layout import DOCUMENT_PARSES

FILE = "file"
FOLDER = "folder"
SYMLINK = "symbolic link"
HARD_LINK = "hard link"  # a regular file with more than one name: it may be a file outside the release
FIFO = "FIFO"
DEVICE = "device"
SOCKET = "socket"
MISSING = "missing"
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def relative_name(raw: str, allow_root: bool = False) -> str:
    """`raw` as a normalised relative `/` path ("." parts dropped); UnsafePathError when it could leave its root.

    "" (the root itself, e.g. a tar member "./") is accepted only with `allow_root`.
    """
    if "\x00" in raw or "\\" in raw:
        raise UnsafePathError(f"{raw!r} holds a NUL or a backslash")
    path = PurePosixPath(raw)
    if path.is_absolute() or (len(raw) > 1 and raw[1] == ":"):
        raise UnsafePathError(f"{raw!r} is an absolute path")
    parts = [part for part in path.parts if part != "."]
    if ".." in parts:
        raise UnsafePathError(f"{raw!r} climbs out with '..'")
    if not parts and not allow_root:
        raise UnsafePathError(f"{raw!r} is an empty name")
    return "/".join(parts)


def parse_file_name(value: str) -> str:
    """A parse path of metadata.csv (`document_parses/pdf_json/<sha1>.json`) as a release name.

    UnsafePathError when it could leave the release or is not under document_parses/.
    """
    name = relative_name(value.strip())
    if not name.startswith(DOCUMENT_PARSES + "/"):
        raise UnsafePathError(f"{value!r} is not under {DOCUMENT_PARSES}/")
    return name


def kind_of(status: os.stat_result) -> str:
    """What an lstat result describes, in words used by messages."""
    mode = status.st_mode
    if stat.S_ISLNK(mode):
        return SYMLINK
    if stat.S_ISDIR(mode):
        return FOLDER
    if stat.S_ISREG(mode):
        return HARD_LINK if status.st_nlink > 1 else FILE
    if stat.S_ISFIFO(mode):
        return FIFO
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return DEVICE
    return SOCKET


def list_folder(root: Path) -> list[tuple[str, str]]:
    """(name, kind) of each entry directly in `root`, sorted by name, without following links."""
    with os.scandir(root) as scan:
        return sorted((entry.name, kind_of(entry.stat(follow_symlinks=False))) for entry in scan)


def walk_release(root: Path) -> Iterator[tuple[str, str]]:
    """(relative name, kind) of every entry under `root`, sorted; only real folders are entered."""
    for name, kind in list_folder(root):
        yield name, kind
        if kind == FOLDER:
            for inner_name, inner_kind in walk_release(root / name):
                yield f"{name}/{inner_name}", inner_kind


def entry_kind(root: Path, name: str) -> str:
    """The kind of `root/name` (MISSING when absent), never following a link; UnsafePathError as `file_stat`."""
    status = _lstat_inside(root, name)
    return MISSING if status is None else kind_of(status)


def file_stat(root: Path, name: str) -> os.stat_result | None:
    """The lstat of the regular file `root/name`, None when it does not exist.

    UnsafePathError when `name` could leave the root, a folder on the way is a link or
    not a folder, or the entry is anything but a regular file with one name.
    """
    status = _lstat_inside(root, name)
    if status is None:
        return None
    kind = kind_of(status)
    if kind != FILE:
        raise UnsafePathError(f"{name!r} is a {kind}, not a regular file: not read")
    return status


def open_release_file(root: Path, name: str) -> BinaryIO:
    """Open the regular file `root/name` for reading (see `file_stat`); FileNotFoundError when absent."""
    expected = file_stat(root, name)
    if expected is None:
        raise FileNotFoundError(f"{name!r} is not in {root}")
    try:
        descriptor = os.open(Path(root, name), _OPEN_FLAGS)
    except OSError as exc:
        raise UnsafePathError(f"{name!r} changed while it was opened: {exc.strerror}") from exc
    opened = os.fstat(descriptor)
    if (opened.st_dev, opened.st_ino) != (expected.st_dev, expected.st_ino) or kind_of(opened) != FILE:
        os.close(descriptor)
        raise UnsafePathError(f"{name!r} changed while it was opened: not read")
    return os.fdopen(descriptor, "rb")


def read_release_bytes(root: Path, name: str) -> bytes:
    """The bytes of the regular file `root/name` (see `open_release_file`)."""
    with open_release_file(root, name) as handle:
        return handle.read()


def _lstat_inside(root: Path, name: str) -> os.stat_result | None:
    """The lstat of `root/name` after checking the name and each folder on the way; None when absent."""
    parts = relative_name(name).split("/")
    path = Path(root)
    for depth, part in enumerate(parts):
        path = path / part
        try:
            status = os.lstat(path)
        except FileNotFoundError:
            return None
        if depth < len(parts) - 1 and kind_of(status) != FOLDER:
            raise UnsafePathError(f"{'/'.join(parts[:depth + 1])!r} (on the way to {name!r}) is a "
                                  f"{kind_of(status)}: not followed")
    return status
