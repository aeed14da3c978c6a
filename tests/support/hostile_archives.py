"""Hostile tarballs and release folders, built for the tests of safe_tar, validate and load.

Every one is a real bad input: a file any gzip and tar reader opens (or a folder any
program walks), not a mock of one. `write_gzip_members` writes a good tarball the way
release/tarball.py does, as concatenated gzip members.
"""
import gzip
import io
import os
import tarfile
from pathlib import Path

MIB = 1024 * 1024
BOMB_MEMBER_BYTES = 1536 * MIB  # 1.5 GiB


def tar_member(name: str, data: bytes | None = None, kind: bytes = tarfile.REGTYPE, link: str = "") -> tuple:
    """(TarInfo, data) of one member: a file of `data`, or a link, device or FIFO."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if data is not None and kind == tarfile.REGTYPE else 0
    return info, data if kind == tarfile.REGTYPE else None


def write_tarball(path: Path, members: list[tuple], mode: str = "w:gz") -> Path:
    """A tarball of (TarInfo, data) members, written by tarfile itself."""
    with tarfile.open(path, mode) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def tar_bytes(members: list[tuple]) -> bytes:
    """An uncompressed tar stream of (TarInfo, data) members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def write_gzip_members(path: Path, stream: bytes, piece_bytes: int = 700) -> Path:
    """`stream` gzipped as concatenated members of `piece_bytes` each (RFC 1952), cut anywhere, even in a header."""
    with open(path, "wb") as out:
        for start in range(0, len(stream), piece_bytes):
            out.write(gzip.compress(stream[start:start + piece_bytes], mtime=0))
    return path


def write_gzip_bomb(path: Path, member_name: str, member_bytes: int = BOMB_MEMBER_BYTES) -> Path:
    """A .tar.gz of about 1.6 MB holding one member of `member_bytes` zero bytes (1.5 GiB by default).

    Written as concatenated gzip members, one per MiB of the tar stream (each ~1 KB),
    which every gzip reader expands back into the whole tar stream; it takes a
    hundredth of a second to write, where one deflate stream of 1.5 GiB takes seconds.
    """
    header = tarfile.TarInfo(member_name)
    header.size = member_bytes
    zeros = gzip.compress(b"\0" * MIB, 9, mtime=0)
    with open(path, "wb") as out:
        out.write(gzip.compress(header.tobuf(tarfile.PAX_FORMAT) + b"\0" * MIB, 9, mtime=0))
        for _ in range(member_bytes // MIB - 1):
            out.write(zeros)
        out.write(gzip.compress(b"\0" * tarfile.RECORDSIZE, 9, mtime=0))
    return path


def cut_gzip_trailer(path: Path) -> Path:
    """Drop the last gzip member's trailer (its CRC-32 and length, 8 bytes): the tar stream inside stays whole."""
    data = path.read_bytes()
    path.write_bytes(data[:-8])
    return path


def flip_gzip_crc(path: Path) -> Path:
    """Change one bit of the last gzip member's CRC-32."""
    data = bytearray(path.read_bytes())
    data[-8] ^= 0x01
    path.write_bytes(bytes(data))
    return path


def make_fifo(path: Path) -> Path:
    """A named pipe no one writes to: opening it for reading would block forever."""
    os.mkfifo(path)
    return path
