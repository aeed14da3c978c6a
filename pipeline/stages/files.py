"""Every file the build reads or writes, through Beam's FileSystems.

Local paths, `s3://` (Beam's AWS filesystem over boto3; `--s3_endpoint_url`, or
AWS_ENDPOINT_URL, for S3-compatible stores) and `gs://` go through the same calls, so
workers need nothing but the store the snapshot and the output live on. Not every way
of starting a worker hands it the pipeline's options (an SDK worker pool does not), so
the store's settings (`store_flags`) travel with the transforms that touch files: each
such DoFn is a `StoreDoFn`, which configures FileSystems in its worker at setup. Files are
always read and written as raw bytes (FileSystems would otherwise gunzip or gzip a name
ending in .gz). A file created here appears whole or not at all: on an object store a
PUT is atomic; on a local disk the bytes go to a temporary name that is renamed at the end.
"""
import hashlib
import io
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import apache_beam as beam
from apache_beam.io.filesystem import BeamIOError, CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, S3Options

RAW = CompressionTypes.UNCOMPRESSED
BLOCK_SIZE = 1 << 20


def store_flags(options: PipelineOptions) -> tuple[str, ...]:
    """The Beam flags that say how to reach the stores (Beam's S3Options that are set)."""
    s3 = options.view_as(S3Options).get_all_options(drop_default=True, retain_unknown_options=False)
    return tuple(f"--{name}={value}" for name, value in sorted(s3.items())
                 if name.startswith("s3_") and value not in (None, False))


def configure(flags: tuple[str, ...]) -> None:
    """Make this process's FileSystems reach the stores as `flags` say (see `store_flags`)."""
    if flags:
        FileSystems.set_options(PipelineOptions(list(flags)))


class StoreDoFn(beam.DoFn):
    """A DoFn that reads or writes files: FileSystems is configured from the store flags at setup."""

    def __init__(self, store: tuple[str, ...]):
        self.store = store

    def setup(self):
        configure(self.store)


def is_local(path: str) -> bool:
    """Whether `path` is on this machine's filesystem (no scheme, or file://)."""
    return FileSystems.get_scheme(path) in (None, "file")


def resolve(path: str | os.PathLike[str]) -> str:
    """A path as the launcher means it: local paths made absolute (workers have other working folders)."""
    text = os.fspath(path)
    return os.path.abspath(text) if is_local(text) else text.rstrip("/")


def join(base: str, *names: str) -> str:
    """`base/name/...` on base's filesystem (names are `/`-separated relative paths)."""
    return FileSystems.join(base, *(part for name in names for part in name.split("/")))


def exists(path: str) -> bool:
    return FileSystems.exists(path)


def open_read(path: str) -> BinaryIO:
    """The raw bytes of a file; FileNotFoundError when it does not exist."""
    try:
        return FileSystems.open(path, compression_type=RAW)
    except BeamIOError as exc:
        raise FileNotFoundError(f"{path}: cannot be opened ({exc})") from exc


def _is_plain_local(path: str) -> bool:
    """A local path without a scheme: the os module can take it as it is."""
    return FileSystems.get_scheme(path) is None


def size(path: str) -> int:
    """A file's size in bytes, from the store's listing (FileNotFoundError when it does not exist)."""
    if _is_plain_local(path):
        return os.stat(path).st_size
    try:
        (result,) = FileSystems.match([path])
    except BeamIOError as exc:
        raise FileNotFoundError(f"{path}: cannot be listed ({exc})") from exc
    for entry in result.metadata_list:
        if entry.path == path or os.path.abspath(entry.path) == os.path.abspath(path):
            return entry.size_in_bytes
    raise FileNotFoundError(f"{path}: no such file")


def read_bytes(path: str) -> bytes:
    with open_read(path) as handle:
        return handle.read()


@contextmanager
def create(path: str) -> Iterator[BinaryIO]:
    """A new file at `path` (replacing one of that name), complete only when the block ends without error."""
    if not is_local(path):
        with FileSystems.create(path, compression_type=RAW) as out:
            yield out
        return
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".{name}.{uuid.uuid4().hex}.part")
    try:
        with FileSystems.create(temporary, compression_type=RAW) as out:
            yield out
        FileSystems.rename([temporary], [path])
    except BaseException:
        if os.path.exists(temporary):
            FileSystems.delete([temporary])
        raise


def write_bytes(path: str, data: bytes) -> None:
    with create(path) as out:
        out.write(data)


def copy(source: str, destination: str) -> None:
    """Copy one file (server-side on an object store; on a local disk its bytes, not its metadata).

    Never a hard link: a release must not share an inode with the parse cache, or a cache
    file changed in place would change the release.
    """
    if is_local(destination):
        os.makedirs(os.path.dirname(destination), exist_ok=True)
    if _is_plain_local(source) and _is_plain_local(destination):
        shutil.copyfile(source, destination)
    else:
        FileSystems.copy([source], [destination])


def rename(source: str, destination: str) -> None:
    """Move one file (on an object store: a copy, then the source is deleted)."""
    if is_local(destination):
        os.makedirs(os.path.dirname(destination), exist_ok=True)
    FileSystems.rename([source], [destination])


def delete_tree(path: str) -> None:
    """Remove a folder (every object under a prefix) if it exists."""
    if exists(path):
        FileSystems.delete([path])
    elif not is_local(path):
        names = [entry.path for entry in list_files(path)]
        if names:
            FileSystems.delete(names)


def list_files(folder: str) -> list:
    """Every file under `folder`, recursively (FileMetadata: path, size_in_bytes), sorted by path."""
    pattern = join(folder, "**")
    try:
        (result,) = FileSystems.match([pattern])
    except BeamIOError:
        return []
    return sorted(result.metadata_list, key=lambda entry: entry.path)


class BeamFolder:
    """A release `Folder` (release/folders.py) rooted at a path on any filesystem Beam knows."""

    def __init__(self, root: str):
        self.root = root

    def __repr__(self) -> str:
        return self.root

    def path(self, name: str) -> str:
        return join(self.root, name)

    def open(self, name: str) -> BinaryIO:
        return open_read(self.path(name))

    def create(self, name: str):
        return create(self.path(name))

    def exists(self, name: str) -> bool:
        return exists(self.path(name))


class ChecksumMismatchError(OSError):
    """A file whose bytes do not have the checksum it was listed with."""


class _HashingReader(io.RawIOBase):
    """Hashes every byte read through it; closing it leaves the inner stream open."""

    def __init__(self, inner: BinaryIO, algorithm: str):
        super().__init__()
        self.inner = inner
        self.digest = hashlib.new(algorithm)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.inner.read(len(buffer))
        buffer[:len(data)] = data
        self.digest.update(data)
        return len(data)


def read_checked(path: str, expected: str, algorithm: str = "sha256") -> bytes:
    """A whole file's bytes; ChecksumMismatchError unless their digest is `expected`."""
    data = read_bytes(path)
    if hashlib.new(algorithm, data).hexdigest() != expected:
        raise ChecksumMismatchError(f"{path}: {algorithm} differs from the one it is listed with")
    return data


@contextmanager
def checked_stream(path: str, expected: str | None, algorithm: str = "sha256") -> Iterator[BinaryIO]:
    """A buffered stream of a file; at the end of the block, ChecksumMismatchError unless its digest is `expected`.

    Whatever the block did not read is read (and hashed) before the check. With
    `expected` None the file is only read.
    """
    with open_read(path) as raw:
        hashing = _HashingReader(raw, algorithm)
        stream = io.BufferedReader(hashing, buffer_size=BLOCK_SIZE)
        yield stream
        if expected is None:
            return
        while block := raw.read(BLOCK_SIZE):  # what the reader left (what it buffered is hashed already)
            hashing.digest.update(block)
        if hashing.digest.hexdigest() != expected:
            raise ChecksumMismatchError(f"{path}: {algorithm} differs from the one it is listed with")
