"""document_parses.tar.gz, made of one compressed member per file.

The tarball holds the same tar stream a serial `tarfile` run over the sorted
`document_parses/` tree would write (PAX headers, fixed mtimes, owners and modes,
directories before their files, names sorted). Each file's part of that stream (its
tar header, its bytes, the padding to a whole block) is compressed on its own into one
gzip member, where the file is parsed; the tarball is those members concatenated in
order, ending with a member that holds tar's end-of-archive blocks. A file of
concatenated gzip members is a valid .tar.gz that every gzip and tar reader opens (RFC
1952 allows several members). A member depends only on the file's release path and
bytes, so the parse cache keeps it beside the parse and a rebuild compresses nothing it
has compressed before; and the tarball is byte-identical whichever worker made which member.

Compressing each file on its own costs 2.2% in size against one stream over all of
them (measured on 600 real parses of 82 KB on average: deflate's window is 32 KB).
Level 6 is the measured choice (benchmarks/bench_gzip_levels.py on real parses): about
2% larger than level 9 at 2.3 times its speed; level 1 is 2.7 times faster again but
25% larger.
"""
import gzip
import tarfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from release.folders import ByteSink

COMPRESS_LEVEL = 6
BLOCK = tarfile.BLOCKSIZE  # 512
RECORD = tarfile.RECORDSIZE  # 20 blocks: tar pads the archive to whole records
FRAGMENT_ENTRIES = 2000  # members a worker concatenates into one fragment of the tarball
COPY_BLOCK = 1 << 20


@dataclass(frozen=True)
class TarEntry:
    """One member of the tarball: a directory (size None) or a file of `size` bytes.

    A file's compressed member is `member`."""

    arcname: str
    size: int | None = None
    member: str | None = None  # a name the fragment writer's opener resolves (e.g. a staging path)

    @property
    def is_dir(self) -> bool:
        return self.size is None


def padded(size: int) -> int:
    """`size` rounded up to whole tar blocks."""
    return -(-size // BLOCK) * BLOCK


def member_header(arcname: str, size: int | None) -> bytes:
    """The tar header block(s) of a directory (size None) or a file, as `tarfile` writes them in PAX format."""
    info = tarfile.TarInfo(arcname)
    info.type = tarfile.DIRTYPE if size is None else tarfile.REGTYPE
    info.mode = 0o755 if size is None else 0o644
    info.size = 0 if size is None else size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def raw_length(entry: TarEntry) -> int:
    """How many bytes of the (uncompressed) tar stream an entry takes."""
    return len(member_header(entry.arcname, entry.size)) + padded(entry.size or 0)


def file_member(arcname: str, content: bytes, level: int = COMPRESS_LEVEL) -> bytes:
    """The compressed member of one file: its tar header, its bytes and their padding."""
    tail = b"\0" * (padded(len(content)) - len(content))
    return gzip.compress(member_header(arcname, len(content)) + content + tail, compresslevel=level, mtime=0)


def directory_member(arcname: str, level: int = COMPRESS_LEVEL) -> bytes:
    return gzip.compress(member_header(arcname, None), compresslevel=level, mtime=0)


def tree_entries(root: str, directories: Sequence[str], files: Iterable[tuple[str, int, str]]) -> list[TarEntry]:
    """The members of `root/` in the order a sorted walk of the tree gives.

    `directories` are the sub-folders of `root` that always exist (even when empty);
    `files` are (path relative to `root`'s parent, size, member), e.g.
    ("document_parses/pdf_json/x.json", 12, "_work/parses/<key>.member.gz"). Files sit
    directly in one of `directories`.
    """
    by_folder: dict[str, list[TarEntry]] = {name: [] for name in directories}
    for path, size, member in files:
        folder = path[len(root) + 1:].rpartition("/")[0] if path.startswith(root + "/") else None
        if folder not in by_folder:
            raise ValueError(f"{path}: not inside one of {root}/{{{', '.join(directories)}}}")
        by_folder[folder].append(TarEntry(path, size, member))
    entries = [TarEntry(root)]
    for folder in sorted(by_folder):
        entries.append(TarEntry(f"{root}/{folder}"))
        entries.extend(sorted(by_folder[folder], key=lambda entry: entry.arcname))
    return entries


def plan_fragments(entries: Sequence[TarEntry], per_fragment: int = FRAGMENT_ENTRIES) -> list[list[TarEntry]]:
    """Cut the entries into consecutive fragments of `per_fragment` members each."""
    return [list(entries[start:start + per_fragment]) for start in range(0, max(len(entries), 1), per_fragment)]


def write_fragment(out: ByteSink, entries: Sequence[TarEntry], open_member: Callable[[str], BinaryIO],
                   level: int = COMPRESS_LEVEL) -> int:
    """Write the members of consecutive entries to `out`; return the raw tar bytes they stand for."""
    for entry in entries:
        if entry.is_dir:
            out.write(directory_member(entry.arcname, level))
            continue
        if entry.member is None:
            raise ValueError(f"{entry.arcname}: no compressed member to put in the tarball")
        with open_member(entry.member) as handle:
            while block := handle.read(COPY_BLOCK):
                out.write(block)
    return sum(raw_length(entry) for entry in entries)


def write_end_of_archive(out: ByteSink, raw_length_so_far: int, level: int = COMPRESS_LEVEL) -> None:
    """The last gzip member: tar's two zero blocks, then zeros up to a whole record, as `tarfile` ends."""
    end = 2 * BLOCK
    tail = (-(raw_length_so_far + end)) % RECORD
    out.write(gzip.compress(b"\0" * (end + tail), compresslevel=level, mtime=0))
