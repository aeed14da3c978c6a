"""document_parses.tar.gz, built in pieces that many workers can compress at once.

The tarball holds the same tar stream a serial `tarfile` run over the sorted
`document_parses/` tree would write (PAX headers, fixed mtimes, owners and modes,
directories before their files, names sorted). That stream is cut into fragments;
each fragment is compressed on its own into one gzip member, and the members are
concatenated in order, ending with a member that holds tar's end-of-archive blocks.
A file of concatenated gzip members is a valid .tar.gz that every gzip and tar reader
opens (RFC 1952 allows several members), and because each fragment's bytes depend only
on its entries and the compression level, the tarball is byte-identical whichever
worker compresses which fragment.

Level 6 is the measured choice (benchmarks/bench_gzip_levels.py on real parses): about
2% larger than level 9 at 2.3 times its speed; level 1 is 2.7 times faster again but
25% larger.
"""
import gzip
import tarfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

COMPRESS_LEVEL = 6
BLOCK = tarfile.BLOCKSIZE  # 512
RECORD = tarfile.RECORDSIZE  # 20 blocks: tar pads the archive to whole records
FRAGMENT_BYTES = 64 << 20  # raw tar bytes per fragment (about what one worker compresses in a second or two)
COPY_BLOCK = 1 << 20


@dataclass(frozen=True)
class TarEntry:
    """One member of the tarball: a directory (size None) or a file of `size` bytes."""

    arcname: str
    size: int | None = None

    @property
    def is_dir(self) -> bool:
        return self.size is None


def tree_entries(root: str, directories: Sequence[str], files: Iterable[tuple[str, int]]) -> list[TarEntry]:
    """The members of `root/` in the order a sorted walk of the tree gives.

    `directories` are the sub-folders of `root` that always exist (even when empty);
    `files` are (path relative to `root`'s parent, size), e.g. ("document_parses/pdf_json/x.json", 12).
    Files sit directly in one of `directories`.
    """
    by_folder: dict[str, list[tuple[str, int]]] = {name: [] for name in directories}
    for path, size in files:
        folder, _, name = path[len(root) + 1:].rpartition("/")
        if folder not in by_folder:
            raise ValueError(f"{path}: not inside one of {root}/{{{', '.join(directories)}}}")
        by_folder[folder].append((path, size))
    entries = [TarEntry(root)]
    for folder in sorted(by_folder):
        entries.append(TarEntry(f"{root}/{folder}"))
        entries.extend(TarEntry(path, size) for path, size in sorted(by_folder[folder], key=lambda item: item[0]))
    return entries


def plan_fragments(entries: Sequence[TarEntry], fragment_bytes: int = FRAGMENT_BYTES) -> list[list[TarEntry]]:
    """Cut the entries into consecutive fragments of about `fragment_bytes` raw tar bytes each."""
    fragments: list[list[TarEntry]] = [[]]
    size = 0
    for entry in entries:
        if size >= fragment_bytes:
            fragments.append([])
            size = 0
        fragments[-1].append(entry)
        size += BLOCK + padded(entry.size or 0)
    return fragments


def padded(size: int) -> int:
    """`size` rounded up to whole tar blocks."""
    return -(-size // BLOCK) * BLOCK


def member_header(entry: TarEntry) -> bytes:
    """The tar header block(s) of one entry, as `tarfile` writes them in PAX format."""
    info = tarfile.TarInfo(entry.arcname)
    info.type = tarfile.DIRTYPE if entry.is_dir else tarfile.REGTYPE
    info.mode = 0o755 if entry.is_dir else 0o644
    info.size = 0 if entry.is_dir else int(entry.size or 0)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def iter_fragment_chunks(entries: Sequence[TarEntry], open_file: Callable[[str], BinaryIO]) -> Iterator[bytes]:
    """The raw tar bytes of a fragment, in pieces (file contents read through `open_file(arcname)`)."""
    for entry in entries:
        yield member_header(entry)
        if entry.is_dir:
            continue
        remaining = int(entry.size or 0)
        with open_file(entry.arcname) as handle:
            while remaining:
                block = handle.read(min(COPY_BLOCK, remaining))
                if not block:
                    raise OSError(f"{entry.arcname}: shorter than the {entry.size} bytes it was listed with")
                remaining -= len(block)
                yield block
        tail = padded(int(entry.size or 0)) - int(entry.size or 0)
        if tail:
            yield b"\0" * tail


def write_fragment(out: BinaryIO, entries: Sequence[TarEntry], open_file: Callable[[str], BinaryIO],
                   level: int = COMPRESS_LEVEL) -> int:
    """Write one fragment as a gzip member to `out`; return its raw (uncompressed) tar length."""
    raw_length = 0
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=level) as zipped:
        for chunk in iter_fragment_chunks(entries, open_file):
            zipped.write(chunk)
            raw_length += len(chunk)
    return raw_length


def write_end_of_archive(out: BinaryIO, raw_length: int, level: int = COMPRESS_LEVEL) -> None:
    """The last gzip member: tar's two zero blocks, then zeros up to a whole record, as `tarfile` ends."""
    end = 2 * BLOCK
    tail = (-(raw_length + end)) % RECORD
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=level) as zipped:
        zipped.write(b"\0" * (end + tail))
