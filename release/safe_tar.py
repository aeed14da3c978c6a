"""The one reader of tarballs we did not write: release tarballs, document_parses.tar.gz, PMC packages.

Every member is checked before a byte of it is used: only regular files and
directories are accepted, with relative names free of `..` components (see
`release.safe_paths.relative_name`). Anything else (an absolute path, a `..`, a
symlink or hard link, a device or FIFO, a duplicate file, an oversized extended
header) refuses the whole archive with UnsafeArchiveError.

The gzip layer is read here, not by tarfile: a .tar.gz may hold several concatenated
gzip members (release/tarball.py writes one per fragment), and each member's trailer
(CRC-32 and length) is verified, up to the last byte of the file, so a cut or
corrupted tarball is refused with CorruptArchiveError even when the tar stream inside
looks complete.

Budgets (`ArchiveLimits`): an archive may expand to at most `max_expansion` times its
own size plus `slack_bytes`. Real parse JSON compresses about 5:1 (gzip -6 on the
corpus's CORD-19 parses; historical tarballs of already compressed files about 1:1),
while deflate reaches about 1000:1 on repeated bytes, so the default 50 leaves ten
times the real ratio and still refuses a bomb: a 1.6 MB tarball may give at most
about 112 MB, not 1.5 GiB. The slack covers small archives, whose tar headers and zero
padding compress far better than their contents. A member whose header declares more
bytes than the rest of the budget is refused before any of it is read; the bytes
actually decompressed are counted too. `iter_tarball_files` holds each file in memory
and refuses one over `max_file_bytes` (callers that know their files are small, like
validate's parse files, pass less); `extract_tarball_safely` streams to disk.
Files are written by this module from the member's bytes; no tar metadata (owner,
mode, times) is applied.
"""
import logging
import os
import shutil
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from release.errors import CorruptArchiveError, UnsafeArchiveError, UnsafePathError
from release.safe_paths import relative_name

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
READ_CHUNK_BYTES = 1024 * 1024
# tarfile reads a PAX or GNU long-name header into memory whole, before the member it
# describes is seen; real ones are well under a kilobyte.
MAX_EXTENDED_HEADER_BYTES = 1024 * 1024
_EXTENDED_HEADER_TYPES = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE, tarfile.XGLTYPE,
                          tarfile.SOLARIS_XHDTYPE)

# What a truncated or non-tar stream raises from the tarfile and zlib layers.
_CORRUPT_STREAM_ERRORS = (tarfile.TarError, EOFError, zlib.error)


@dataclass(frozen=True)
class ArchiveLimits:
    """How far an archive may expand, and how much of it may be held in memory (see the module docstring)."""

    max_expansion: float = 50.0  # uncompressed bytes per byte of the archive file
    slack_bytes: int = 32 * 1024**2  # allowed on top of max_expansion x the archive's size
    max_members: int = 5_000_000
    max_file_bytes: int = 2 * 1024**3  # one file read into memory by iter_tarball_files

    def budget(self, archive_bytes: int) -> int:
        """The most bytes an archive of `archive_bytes` may expand to."""
        return int(self.max_expansion * archive_bytes) + self.slack_bytes


DEFAULT_LIMITS = ArchiveLimits()


class _Expansion:
    """Counts decompressed bytes against the archive's budget."""

    def __init__(self, archive_bytes: int, limits: ArchiveLimits) -> None:
        self.archive_bytes = archive_bytes
        self.limits = limits
        self.budget = limits.budget(archive_bytes)
        self.used = 0

    def refusal(self) -> UnsafeArchiveError:
        return UnsafeArchiveError(
            f"the archive expands to more than {self.budget} bytes ({self.limits.max_expansion:g} times its "
            f"{self.archive_bytes} bytes plus {self.limits.slack_bytes}): refused as a likely decompression bomb "
            "(raise --max-expansion if it is genuine)"
        )

    def charge(self, size: int) -> None:
        self.used += size
        if self.used > self.budget:
            raise self.refusal()

    def check_declared(self, name: str, size: int) -> None:
        """A member declaring more bytes than the budget has left is refused before it is read."""
        if self.used + size > self.budget:
            logger.warning("member %r declares %d bytes", name, size)
            raise self.refusal()


class _GzipMembers:
    """A forward-only reader of the bytes of one or more concatenated gzip members.

    zlib parses each member's header and checks its trailer (CRC-32 and length); NUL
    padding between or after members is skipped (as gzip does); anything else after a
    member, or a file that ends inside one, is a CorruptArchiveError.
    """

    def __init__(self, raw: BinaryIO, expansion: _Expansion) -> None:
        self._raw = raw
        self._expansion = expansion
        self._inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        self._carry = b""  # compressed bytes read but not yet given to zlib
        self._finished = False

    def read(self, size: int = -1) -> bytes:
        wanted = READ_CHUNK_BYTES if size is None or size < 0 else size
        while not self._finished:
            if self._inflate.eof:
                self._next_member()
                continue
            data = self._inflate.unconsumed_tail or self._take_input()
            try:
                out = self._inflate.decompress(data, wanted)  # b"" at the end of the file: what zlib still holds
            except zlib.error as exc:
                raise CorruptArchiveError(f"corrupt gzip member: {exc}") from exc
            if out:
                self._expansion.charge(len(out))
                return out
            if not data and not self._inflate.eof:
                raise CorruptArchiveError("the gzip stream ends inside a member (truncated: no CRC and length trailer)")
        return b""

    def drain(self) -> None:
        """Read to the end of the file, so that every remaining member's trailer is checked."""
        while self.read(READ_CHUNK_BYTES):
            pass

    def _take_input(self) -> bytes:
        data, self._carry = self._carry or self._raw.read(READ_CHUNK_BYTES), b""
        return data

    def _next_member(self) -> None:
        """After a member's trailer: start the next member, or finish at the end of the file."""
        rest = self._inflate.unused_data + self._carry
        while True:
            rest = rest.lstrip(b"\0")
            if len(rest) >= len(GZIP_MAGIC):
                break
            more = self._raw.read(READ_CHUNK_BYTES)
            if not more:
                if rest:
                    raise CorruptArchiveError("stray bytes after the last gzip member")
                self._finished = True
                return
            rest += more
        if not rest.startswith(GZIP_MAGIC):
            raise CorruptArchiveError("bytes after a gzip member that are not another gzip member")
        self._inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        self._carry = rest


class _BoundedTarInfo(tarfile.TarInfo):
    """A TarInfo that refuses an extended header too large to read into memory."""

    def _proc_member(self, archive: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in _EXTENDED_HEADER_TYPES and self.size > MAX_EXTENDED_HEADER_BYTES:
            raise UnsafeArchiveError(f"an extended tar header of {self.size} bytes")
        return super()._proc_member(archive)  # type: ignore[misc]  # private in tarfile, so not in typeshed


def safe_member_name(member: tarfile.TarInfo) -> str:
    """The member's normalised relative name ("" for the archive root), or UnsafeArchiveError."""
    raw = member.name
    if member.issym() or member.islnk():
        raise UnsafeArchiveError(f"link member {raw!r} -> {member.linkname!r}")
    if member.ischr() or member.isblk():
        raise UnsafeArchiveError(f"device member {raw!r}")
    if member.isfifo():
        raise UnsafeArchiveError(f"FIFO member {raw!r}")
    if not (member.isfile() or member.isdir()):
        raise UnsafeArchiveError(f"member {raw!r} is not a regular file or directory")
    try:
        return relative_name(raw, allow_root=member.isdir())
    except UnsafePathError as exc:
        raise UnsafeArchiveError(f"member {exc}") from exc


class _Members:
    """The checked members of one archive, read in one forward pass (constant memory)."""

    def __init__(self, handle: BinaryIO, archive_bytes: int, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.expansion = _Expansion(archive_bytes, limits)
        self.gzip: _GzipMembers | None = None
        stream: BinaryIO | _GzipMembers = handle
        if handle.read(len(GZIP_MAGIC)) == GZIP_MAGIC:
            self.gzip = stream = _GzipMembers(handle, self.expansion)
        handle.seek(0)
        try:
            # "r|" reads forward only: read() is all tarfile needs of the stream (typeshed asks for more)
            self.tar = tarfile.open(fileobj=stream, mode="r|", tarinfo=_BoundedTarInfo)  # type: ignore[call-overload]
        except _CORRUPT_STREAM_ERRORS as exc:
            raise CorruptArchiveError(f"not a readable tar archive: {exc}") from exc
        self.members = 0
        self.file_names: set[str] = set()

    def __iter__(self) -> Iterator[tuple[str, tarfile.TarInfo]]:
        """(name, member) of each member, checked; at the end the rest of the file is read and checked."""
        try:
            for member in self.tar:
                name = safe_member_name(member)
                self._charge(name, member)
                yield name, member
            if self.gzip is not None:
                self.gzip.drain()
        except _CORRUPT_STREAM_ERRORS as exc:
            raise CorruptArchiveError(f"truncated or corrupt tar archive: {exc}") from exc

    def _charge(self, name: str, member: tarfile.TarInfo) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise UnsafeArchiveError(f"more than {self.limits.max_members} members")
        if member.isfile():
            if name in self.file_names:
                raise UnsafeArchiveError(f"duplicate member {name!r}")
            self.file_names.add(name)
            self.expansion.check_declared(name, member.size)

    def open(self, member: tarfile.TarInfo) -> BinaryIO:
        handle = self.tar.extractfile(member)
        if handle is None:
            raise CorruptArchiveError(f"member {member.name!r} has no data")
        return handle


def _open_source(source: str | Path | BinaryIO) -> tuple[BinaryIO, int, bool]:
    """The archive's file object, its size in bytes, and whether it was opened here (to close)."""
    if isinstance(source, (str, Path)):
        handle = open(source, "rb")
        return handle, os.fstat(handle.fileno()).st_size, True
    size = source.seek(0, os.SEEK_END)
    source.seek(0)
    return source, size, False


def iter_tarball_files(
    source: str | Path | BinaryIO, limits: ArchiveLimits = DEFAULT_LIMITS
) -> Iterator[tuple[str, bytes]]:
    """Yield (relative name, bytes) of every regular file, in archive order, checking each member.

    The archive is read in one streaming pass; an unsafe member raises
    UnsafeArchiveError when it is reached, and a bad gzip trailer raises
    CorruptArchiveError after the last file: earlier files have already been yielded,
    so a caller that must not use a part of a bad archive collects them first.
    """
    handle, size, owned = _open_source(source)
    try:
        members = _Members(handle, size, limits)
        for name, member in members:
            if not member.isfile():
                continue
            if member.size > limits.max_file_bytes:
                raise UnsafeArchiveError(
                    f"member {name!r} is {member.size} bytes, over the {limits.max_file_bytes} read into memory"
                )
            yield name, members.open(member).read()
    finally:
        if owned:
            handle.close()


def _inside(root: Path, target: Path) -> bool:
    """True when `target` resolves to a path under `root` (guards against symlinked folders)."""
    return target.resolve().is_relative_to(root)


def _extract_member(members: _Members, member: tarfile.TarInfo, name: str, root: Path, written: list[Path]) -> None:
    target = root / name
    if not _inside(root, target.parent if member.isfile() else target):
        raise UnsafeArchiveError(f"member {name!r} would be written outside {root}")
    folder = target if member.isdir() else target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise UnsafeArchiveError(f"member {name!r} needs a folder where a file was extracted") from exc
    if member.isdir():
        return
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise UnsafeArchiveError(f"member {name!r} would replace a link or folder at {target}")
    written.append(target)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(descriptor, "wb") as out:
        shutil.copyfileobj(members.open(member), out, READ_CHUNK_BYTES)


def extract_tarball_safely(source: str | Path | BinaryIO, dest_dir: str | Path,
                           limits: ArchiveLimits = DEFAULT_LIMITS) -> list[str]:
    """Extract the tar or tar.gz at `source` under `dest_dir`; return the sorted relative file names.

    On an unsafe member (UnsafeArchiveError) or a corrupt stream, a bad gzip trailer
    included (CorruptArchiveError), every file written so far is removed again before
    the error propagates.
    """
    root = Path(dest_dir)
    root.mkdir(parents=True, exist_ok=True)
    root = root.resolve()
    written: list[Path] = []
    handle, size, owned = _open_source(source)
    try:
        members = _Members(handle, size, limits)
        for name, member in members:
            if name:
                _extract_member(members, member, name, root, written)
    except (UnsafeArchiveError, CorruptArchiveError):
        for target in written:
            target.unlink(missing_ok=True)
        logger.warning("refused tarball %s; removed %d extracted files", getattr(handle, "name", "?"), len(written))
        raise
    finally:
        if owned:
            handle.close()
    return sorted(str(target.relative_to(root)) for target in written)
