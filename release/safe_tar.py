"""Safe reading and extraction of release tarballs.

A release tarball comes from a store we do not control, so every member is checked
before a byte is written: only regular files and directories are accepted, with
relative names free of `..` components, and within size bounds. Anything else (an
absolute path, a `..`, a symlink or hard link, a device, a duplicate file, an
oversized member, extended header or archive) refuses the whole archive with
UnsafeArchiveError.
Files are written by this module from the member's bytes; no tar metadata (owner,
mode, times) is applied.
"""
import gzip
import logging
import shutil
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from release.errors import CorruptArchiveError, UnsafeArchiveError

logger = logging.getLogger(__name__)

DEFAULT_MAX_MEMBER_BYTES = 2 * 1024**3
DEFAULT_MAX_TOTAL_BYTES = 64 * 1024**3
DEFAULT_MAX_MEMBERS = 5_000_000
_COPY_CHUNK_BYTES = 1024 * 1024
# tarfile reads a PAX or GNU long-name header into memory whole, before the member it
# describes is seen; real ones are well under a kilobyte.
MAX_EXTENDED_HEADER_BYTES = 1024 * 1024

# What a truncated or non-tar stream raises from the tarfile / gzip / zlib layers.
_CORRUPT_STREAM_ERRORS = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)


class _Budget:
    """Counts members and bytes against the archive's bounds."""

    def __init__(self, max_member_bytes: int, max_total_bytes: int, max_members: int) -> None:
        self.max_member_bytes = max_member_bytes
        self.max_total_bytes = max_total_bytes
        self.max_members = max_members
        self.members = 0
        self.total_bytes = 0
        self.file_names: set[str] = set()

    def charge(self, name: str, member: tarfile.TarInfo) -> None:
        self.members += 1
        if self.members > self.max_members:
            raise UnsafeArchiveError(f"more than {self.max_members} members")
        if member.isfile():
            if name in self.file_names:
                raise UnsafeArchiveError(f"duplicate member {name!r}")
            self.file_names.add(name)
            if member.size > self.max_member_bytes:
                raise UnsafeArchiveError(
                    f"member {name!r} is {member.size} bytes, over the {self.max_member_bytes} limit"
                )
            self.total_bytes += member.size
            if self.total_bytes > self.max_total_bytes:
                raise UnsafeArchiveError(f"archive holds more than {self.max_total_bytes} bytes")


class _BoundedTarInfo(tarfile.TarInfo):
    """A TarInfo that refuses an extended header too large to read into memory."""

    def _proc_member(self, archive: tarfile.TarFile) -> tarfile.TarInfo:
        extended = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE, tarfile.XGLTYPE,
                    tarfile.SOLARIS_XHDTYPE)
        if self.type in extended and self.size > MAX_EXTENDED_HEADER_BYTES:
            raise UnsafeArchiveError(f"an extended tar header of {self.size} bytes")
        return super()._proc_member(archive)


def safe_member_name(member: tarfile.TarInfo) -> str:
    """The member's normalised relative name ("" for the archive root), or UnsafeArchiveError."""
    raw = member.name
    if member.issym() or member.islnk():
        raise UnsafeArchiveError(f"link member {raw!r} -> {member.linkname!r}")
    if not (member.isfile() or member.isdir()):
        raise UnsafeArchiveError(f"member {raw!r} is not a regular file or directory")
    if "\x00" in raw or "\\" in raw:
        raise UnsafeArchiveError(f"member name {raw!r} holds a NUL or a backslash")
    path = PurePosixPath(raw)
    if path.is_absolute() or (len(raw) > 1 and raw[1] == ":"):
        raise UnsafeArchiveError(f"absolute member path {raw!r}")
    parts = [part for part in path.parts if part != "."]
    if ".." in parts:
        raise UnsafeArchiveError(f"member path {raw!r} climbs out with '..'")
    name = "/".join(parts)
    if not name and member.isfile():
        raise UnsafeArchiveError(f"file member with an empty name {raw!r}")
    return name


def _open_stream(source: str | Path | BinaryIO) -> tarfile.TarFile:
    """Open a tar or tar.gz for one forward pass (no seeking, constant memory)."""
    try:
        if isinstance(source, (str, Path)):
            return tarfile.open(str(source), mode="r|*", tarinfo=_BoundedTarInfo)
        return tarfile.open(fileobj=source, mode="r|*", tarinfo=_BoundedTarInfo)
    except tarfile.TarError as exc:
        raise CorruptArchiveError(f"not a readable tar archive: {exc}") from exc


def iter_tarball_files(
    source: str | Path | BinaryIO,
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> Iterator[tuple[str, bytes]]:
    """Yield (relative name, bytes) of every regular file, in archive order, checking each member.

    The archive is read in one streaming pass; an unsafe member raises UnsafeArchiveError
    when it is reached (earlier files have already been yielded).
    """
    budget = _Budget(max_member_bytes, max_total_bytes, max_members)
    with _open_stream(source) as archive:
        try:
            for member in archive:
                name = safe_member_name(member)
                budget.charge(name, member)
                if member.isfile():
                    handle = archive.extractfile(member)
                    yield name, handle.read() if handle is not None else b""
        except _CORRUPT_STREAM_ERRORS as exc:
            raise CorruptArchiveError(f"truncated or corrupt tar archive: {exc}") from exc


def _inside(root: Path, target: Path) -> bool:
    """True when `target` resolves to a path under `root` (guards against symlinked folders)."""
    return target.resolve().is_relative_to(root)


def _extract_all(archive: tarfile.TarFile, root: Path, budget: _Budget, written: list[Path]) -> None:
    for member in archive:
        name = safe_member_name(member)
        budget.charge(name, member)
        if not name:
            continue
        target = root / name
        if not _inside(root, target.parent if member.isfile() else target):
            raise UnsafeArchiveError(f"member {name!r} would be written outside {root}")
        folder = target if member.isdir() else target.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise UnsafeArchiveError(f"member {name!r} needs a folder where a file was extracted") from exc
        if member.isdir():
            continue
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise UnsafeArchiveError(f"member {name!r} would replace a link or folder at {target}")
        handle = archive.extractfile(member)
        written.append(target)
        with open(target, "wb") as out:
            if handle is not None:
                shutil.copyfileobj(handle, out, _COPY_CHUNK_BYTES)


def extract_tarball_safely(
    path: str | Path,
    dest_dir: str | Path,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> list[str]:
    """Extract the tar or tar.gz at `path` under `dest_dir`; return the sorted relative file names.

    On an unsafe member (UnsafeArchiveError) or a corrupt stream (CorruptArchiveError)
    every file written so far is removed again before the error propagates.
    """
    root = Path(dest_dir)
    root.mkdir(parents=True, exist_ok=True)
    root = root.resolve()
    budget = _Budget(max_member_bytes, max_total_bytes, max_members)
    written: list[Path] = []
    try:
        with _open_stream(path) as archive:
            try:
                _extract_all(archive, root, budget, written)
            except _CORRUPT_STREAM_ERRORS as exc:
                raise CorruptArchiveError(f"truncated or corrupt tar archive {path}: {exc}") from exc
    except (UnsafeArchiveError, CorruptArchiveError):
        for target in written:
            target.unlink(missing_ok=True)
        logger.warning("refused tarball %s; removed %d extracted files", path, len(written))
        raise
    return sorted(str(target.relative_to(root)) for target in written)
