"""A folder of release files, wherever it lives: the interface the release code reads and writes through.

Release code (the final assembly, reading the previous release) sees a release folder
only as a `Folder`: named files it can open, create and test for. `LocalFolder` is a
folder on this machine; the build hands the same code a folder on any filesystem Beam
knows (local, s3://, gs://), see pipeline/stages/files.py.
"""
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol

from schemas.files import atomic_output


class ByteSink(Protocol):
    """Anything bytes can be written to (a file, a HashingWriter, a store's upload stream)."""

    def write(self, data: bytes, /) -> int:
        """Write `data`; return how many bytes were written."""


class Folder(Protocol):
    """Named files under one root (names are `/`-separated relative paths)."""

    def open(self, name: str) -> AbstractContextManager[BinaryIO]:
        """The file's bytes; FileNotFoundError when it does not exist."""

    def create(self, name: str) -> AbstractContextManager[BinaryIO]:
        """A new file (replacing one of that name) that is complete when the block ends."""

    def exists(self, name: str) -> bool:
        """Whether the file exists."""


class LocalFolder:
    """A `Folder` on the local disk."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalFolder({str(self.root)!r})"

    def open(self, name: str) -> AbstractContextManager[BinaryIO]:
        return (self.root / name).open("rb")

    def create(self, name: str) -> AbstractContextManager[BinaryIO]:
        return atomic_output(self.root / name)

    def exists(self, name: str) -> bool:
        return (self.root / name).is_file()
