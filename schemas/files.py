"""The one atomic write and the one file checksum every package uses.

`schemas` is the package every other package may import, so these small helpers
live here rather than being written again in each package.
"""
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

BLOCK_SIZE = 1 << 20


@contextmanager
def atomic_output(path: str | os.PathLike[str], prefix: str = ".", fsync: bool = False) -> Iterator[BinaryIO]:
    """A binary file that appears at `path` only when the block ends without error.

    The bytes go to a temporary file beside `path` (named `<prefix><name>.<random>`),
    which is renamed onto `path` at the end, so a reader never sees half a file and
    several writers of the same path never mix their bytes. With `fsync` the bytes
    are on disk before the rename (state that must survive a crash, e.g. a resumable
    ingest's progress).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f"{prefix}{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            if fsync:
                out.flush()
                os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, fsync: bool = False) -> None:
    """Write `data` to `path` atomically (see `atomic_output`)."""
    with atomic_output(path, fsync=fsync) as out:
        out.write(data)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The hex SHA-256 of a file, read in blocks."""
    with open(path, "rb") as handle:
        return sha256_stream(handle)[1]


def sha256_stream(handle: BinaryIO) -> tuple[int, str]:
    """(size, hex SHA-256) of what is left to read in a binary stream (a local file, a store's object)."""
    digest, size = hashlib.sha256(), 0
    while block := handle.read(BLOCK_SIZE):
        digest.update(block)
        size += len(block)
    return size, digest.hexdigest()
