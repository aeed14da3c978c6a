"""The formats of a release's paper embeddings, written in parts and assembled streaming.

A release holds, one row per metadata.csv row and in its order (by cord_uid):

- `cord_19_embeddings.tar.gz`: one headerless CSV, `cord_19_embeddings_<date>.csv`, as
  CORD-19 shipped it: `cord_uid` then one float per dimension, each float32 printed as
  Python prints the double it widens to (`-2.939983606338501`), rows separated by a
  newline and no newline after the last row (the real file's bytes).
- `cord_19_embeddings.parquet`: `cord_uid`, `text_sha256` (of the embedded title and
  abstract: what the next build compares to reuse a vector) and `embedding`, a
  fixed-size list of float32.

Papers are spread over parts by ranges of cord_uid (`part_number` grows with the
cord_uid), so the parts in number order hold the rows in release order. A worker writes
each part twice: the part's CSV rows, cut into chunks of about ROWS_PER_CHUNK rows by
their cord_uids (`csv_chunks`) and each chunk compressed as one gzip member, and its rows
(cord_uid, text_sha256, vector) as an Arrow IPC stream. The final step writes the
tarball by concatenating gzip members (the tar header, each part, a newline between
parts, the tar padding and end) and the Parquet file one part at a time, a row group
per part: memory holds one part's vectors, never the release's. The next build reads
the previous vectors of a part from its row group (`PreviousVectors`). The Parquet
file's metadata also records where each part's CSV member sits in the tarball (offset,
length, CRC-32), so that the next build copies the members of a part whose rows are all
unchanged instead of formatting and compressing them again, and in a part with changed
rows takes the unchanged rows' text and the unchanged chunks' members from them.
"""
import bisect
import gzip
import hashlib
import io
import json
import string
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from release.folders import ByteSink, Folder
from release.tarball import COMPRESS_LEVEL, member_header, padded, write_end_of_archive
from schemas.files import BLOCK_SIZE

# Two-character cord_uid prefixes bound the parts: part n holds the uids between boundary n-1 and n.
_ALPHABET = string.digits + string.ascii_lowercase
PART_BOUNDARIES = tuple(first + second for first in _ALPHABET for second in _ALPHABET)[1:]
PARQUET_BATCH_ROWS = 4096
DTYPE = np.dtype("<f4")
MAX_FLOAT_REPR = len(repr(-2.2250738585072014e-308))  # 24: the longest repr of a double
ROWS_PER_CHUNK = 16
# What a part's CSV member depends on besides its rows: a member of another format is never copied.
# 2: offsets from the end of the header member; 3: a part's CSV is gzip members of chunks of rows (`csv_chunks`)
CSV_MEMBER_FORMAT = f"csv-rows-3/chunks-{ROWS_PER_CHUNK}/gzip-{COMPRESS_LEVEL}"
CSV_MEMBERS_KEY = b"cord19_csv_members"


def part_number(cord_uid: str) -> int:
    """The part of a cord_uid; it never decreases as cord_uids grow, so parts in order are rows in order."""
    return bisect.bisect_right(PART_BOUNDARIES, cord_uid)


def text_sha256(title: str, abstract: str) -> str:
    """The digest of what is embedded of a paper: a paper whose digest is unchanged keeps its vector."""
    return hashlib.sha256(json.dumps([title, abstract], ensure_ascii=False).encode("utf-8")).hexdigest()


def csv_row(cord_uid: str, vector: np.ndarray) -> str:
    """One row of the CSV: the cord_uid, then each float32 as the repr of its double (the reference of csv_rows)."""
    values = cast(list[float], vector.astype(np.float64).tolist())
    return cord_uid + "," + ",".join(map(repr, values))


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, type=pa.large_string())


def _float_reprs(values: np.ndarray) -> pa.Array:
    """repr() of each double, in C: Arrow prints the same shortest round-trip digits as Python; where its notation
    differs we fix it: a whole number lacks `.0`; Python alone prints below 1e-4 (its switch to exponents), from
    1e6 (Arrow writes big whole numbers with exponents) and inf or nan. Embeddings hardly ever hold those."""
    strings = pc.cast(pa.array(values, type=pa.float64()), pa.large_string())
    magnitude = np.abs(values)
    python_only = ~np.isfinite(values) | (magnitude >= 1e6) | ((magnitude < 1e-4) & (values != 0))
    whole = (values == np.trunc(values)) & ~python_only
    if whole.any():
        strings = pc.if_else(pa.array(whole), pc.binary_join_element_wise(strings, _large(".0"), _large("")), strings)
    if python_only.any():
        fixed = [repr(value) for value in cast(list[float], values[python_only].tolist())]
        strings = pc.replace_with_mask(strings, pa.array(python_only), pa.array(fixed, type=pa.large_string()))
    return strings


def csv_lines(cord_uids: list[str], vectors: np.ndarray) -> list[str]:
    """The CSV row of each row of a (rows x dimensions) float32 matrix: the same text as `csv_row`, formatted a part
    at a time by Arrow instead of float by float."""
    if not cord_uids:
        return []
    rows, width = vectors.shape
    strings = _float_reprs(np.ascontiguousarray(vectors, dtype=DTYPE).astype(np.float64).reshape(-1))
    offsets = pa.array(np.arange(0, rows * width + 1, width, dtype=np.int64), type=pa.int64())
    floats = pc.binary_join(pa.LargeListArray.from_arrays(offsets, strings), _large(","))
    lines = pc.binary_join_element_wise(pa.array(cord_uids, type=pa.large_string()), floats, _large(","))
    return cast(list[str], lines.to_pylist())


def csv_rows(cord_uids: list[str], vectors: np.ndarray) -> str:
    """The CSV rows of a (rows x dimensions) float32 matrix, joined by newlines."""
    return "\n".join(csv_lines(cord_uids, vectors))


@dataclass(frozen=True)
class EmbeddingPart:
    """What a worker wrote for one part (what the final step is told of it)."""

    number: int
    csv_member: str  # the part's CSV rows: its chunks, a gzip member each (`part_files`)
    csv_length: int  # the rows' uncompressed bytes
    vectors: str  # the part's rows as an Arrow IPC stream (`part_vectors`)
    rows: int
    embedded: int  # vectors computed by this build
    reused: int  # vectors taken from the previous release
    dimensions: int
    rows_sha256: str  # of its rows' cord_uids and text digests (`rows_sha256`)


@dataclass(frozen=True)
class CsvMember:
    """Where one part's CSV member sits in a release's cord_19_embeddings.tar.gz."""

    offset: int  # from the end of the first gzip member (the tar header, which names the date)
    length: int  # compressed bytes
    raw_length: int  # the rows' uncompressed bytes
    crc32: int  # of the compressed bytes
    rows_sha256: str  # of the rows it holds


def rows_sha256(rows: Iterable[tuple]) -> str:
    """The digest of a part's rows' (cord_uid, text digest) pairs, in order: with the same model, equal digests mean
    equal vectors and so an equal CSV member."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"{row[0]}\t{row[1]}\n".encode("utf-8"))
    return digest.hexdigest()


def part_vectors(rows: list[tuple[str, str, bytes]]) -> bytes:
    """One part's sorted (cord_uid, digest, vector) rows as an Arrow IPC stream of the Parquet file's schema."""
    table = _table(rows, len(rows[0][2]) // DTYPE.itemsize if rows else 0)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def read_part_vectors(handle: IO[bytes]) -> pa.Table:
    """A part's rows, as `part_vectors` wrote them."""
    with pa.ipc.open_stream(handle) as reader:
        return reader.read_all()


@dataclass(frozen=True)
class PartFiles:
    """What a worker writes of one part: its CSV members and its rows for the Parquet file."""

    csv_member: bytes  # the part's chunks, each one gzip member, concatenated
    csv_length: int  # the rows' uncompressed bytes
    vectors: bytes  # `part_vectors`
    reused_chunks: int  # gzip members taken as they were from the previous release


def ends_chunk(cord_uid: str) -> bool:
    """Whether a CSV chunk ends after this row: chosen by the cord_uid alone (one in ROWS_PER_CHUNK on average),
    so a changed, new or retired paper changes only its own chunk."""
    return zlib.crc32(cord_uid.encode("utf-8")) % ROWS_PER_CHUNK == 0


def csv_chunks(cord_uids: list[str], lines: list[str]) -> list[str]:
    """A part's CSV rows cut into chunks (`ends_chunk`), each chunk's rows joined by newlines and every chunk but the
    first led by the newline that separates it from the one before: joined, they are the part's rows."""
    chunks: list[list[str]] = [[]]
    for uid, line in zip(cord_uids, lines):
        chunks[-1].append(line)
        if ends_chunk(uid):
            chunks.append([])
    filled = [chunk for chunk in chunks if chunk]
    return [("\n" if index else "") + "\n".join(chunk) for index, chunk in enumerate(filled)]


def part_files(rows: list[tuple[str, str, bytes]], known_lines: Mapping[str, str] | None = None,
               known_chunks: Mapping[str, bytes] | None = None) -> PartFiles:
    """The files of one part's sorted (cord_uid, digest, vector) rows. `known_lines`: CSV rows already formatted
    for some cord_uids (from the previous release, for vectors it gave), taken as they are, the other rows
    formatted; `known_chunks`: gzip members of chunk texts (the previous release's), taken for a chunk of the same
    text instead of compressing it again."""
    lines, chunks = known_lines or {}, known_chunks or {}
    missing = [row for row in rows if row[0] not in lines]
    formatted: dict[str, str] = {}
    if missing:
        matrix = np.frombuffer(b"".join(data for _, _, data in missing), dtype=DTYPE).reshape(len(missing), -1)
        formatted = dict(zip((uid for uid, _, _ in missing), csv_lines([uid for uid, _, _ in missing], matrix)))
    uids = [uid for uid, _, _ in rows]
    members, length, reused = [], 0, 0
    for text in csv_chunks(uids, [lines[uid] if uid in lines else formatted[uid] for uid in uids]):
        data = text.encode("utf-8")
        length += len(data)
        member = chunks.get(text)
        reused += member is not None
        members.append(member if member is not None else gzip.compress(data, compresslevel=COMPRESS_LEVEL, mtime=0))
    return PartFiles(b"".join(members), length, part_vectors(rows), reused)


def csv_length_bound(rows: Iterable[tuple[str, bytes]]) -> int:
    """The most bytes the CSV rows of these (cord_uid, float32 bytes) can take: a double's repr is at most 24
    characters, each after a comma, and a newline between rows."""
    return sum(len(uid) + 1 + len(vector) // DTYPE.itemsize * (MAX_FLOAT_REPR + 1) for uid, vector in rows)


def _inflate_member(read: Callable[[], bytes | memoryview], limit: int) -> tuple[bytes, int]:
    """(text, bytes read past its end) of the gzip member that `read()` (b"" at the end) gives block by block, its
    CRC-32 checked; ValueError when the input ends inside it or it holds more than `limit` bytes."""
    inflater, pieces, produced = zlib.decompressobj(wbits=31), [], 0
    while not inflater.eof:
        pending: bytes | memoryview = inflater.unconsumed_tail  # what the output bound held back
        if not pending:
            pending = read()
            if not pending:
                raise ValueError("the input ends inside a gzip member")
        pieces.append(inflater.decompress(pending, limit - produced + 1))
        produced += len(pieces[-1])
        if produced > limit:
            raise ValueError(f"a gzip member holds more than {limit} bytes")
    return b"".join(pieces), len(inflater.unused_data)


def member_chunks(member: bytes, raw_length: int) -> list[tuple[str, bytes]]:
    """(text, gzip member) of each chunk of a part's CSV member, in order; ValueError when its members do not hold
    exactly `raw_length` bytes or it ends inside one (each member's gzip CRC-32 is checked while inflating)."""
    view, position, produced, chunks = memoryview(member), 0, 0, []

    def read() -> memoryview:
        nonlocal position
        block = view[position:position + BLOCK_SIZE]
        position += len(block)
        return block

    while position < len(member):
        start = position
        text, past_end = _inflate_member(read, raw_length - produced)
        position -= past_end
        produced += len(text)
        chunks.append((text.decode("utf-8"), member[start:position]))
    if produced != raw_length:
        raise ValueError(f"it holds {produced} bytes, not {raw_length}")
    return chunks


def chunk_lines(chunks: list[tuple[str, bytes]]) -> dict[str, str]:
    """{cord_uid: its CSV row} of a part's chunks (`member_chunks`)."""
    text = "".join(chunk for chunk, _ in chunks)
    return {line[:line.index(",")] if "," in line else line: line for line in text.split("\n")} if text else {}


def csv_name(release_date: str) -> str:
    """The CSV's name inside the tarball, as CORD-19 named it."""
    return f"cord_19_embeddings_{release_date}.csv"


def write_tarball(out: ByteSink, folder: Folder, release_date: str,
                  parts: list[EmbeddingPart]) -> dict[int, CsvMember]:
    """cord_19_embeddings.tar.gz: the CSV's tar header, each part's member (a newline between parts), the end.
    Returns where each part's member was written."""
    filled = [part for part in sorted(parts, key=lambda part: part.number) if part.rows]
    length = sum(part.csv_length for part in filled) + max(len(filled) - 1, 0)
    header = member_header(csv_name(release_date), length)
    out.write(gzip.compress(header, compresslevel=COMPRESS_LEVEL, mtime=0))
    newline = gzip.compress(b"\n", compresslevel=COMPRESS_LEVEL, mtime=0)
    position, members = 0, {}  # offsets after the header member: the Parquet file must not depend on the date
    for index, part in enumerate(filled):
        if index:
            out.write(newline)
            position += len(newline)
        start, crc = position, 0
        with folder.open(part.csv_member) as member:
            while block := member.read(BLOCK_SIZE):
                out.write(block)
                position += len(block)
                crc = zlib.crc32(block, crc)
        members[part.number] = CsvMember(start, position - start, part.csv_length, crc, part.rows_sha256)
    if padded(length) > length:
        out.write(gzip.compress(b"\0" * (padded(length) - length), compresslevel=COMPRESS_LEVEL, mtime=0))
    write_end_of_archive(out, len(header) + padded(length))
    return members


def first_member_length(handle: IO[bytes], limit: int = 1 << 20) -> int:
    """The compressed length of a gzip file's first member (our tarballs' tar header), read from its start;
    ValueError when the file ends inside it or it holds more than `limit` bytes (no tar header does)."""
    consumed = 0

    def read() -> bytes:
        nonlocal consumed
        block = handle.read(BLOCK_SIZE)
        consumed += len(block)
        return block

    _, past_end = _inflate_member(read, limit)
    return consumed - past_end


def parquet_schema(dimensions: int) -> pa.Schema:
    return pa.schema([("cord_uid", pa.string()), ("text_sha256", pa.string()),
                      ("embedding", pa.list_(pa.float32(), dimensions))])


def _table(rows: list[tuple[str, str, bytes]], dimensions: int) -> pa.Table:
    flat = np.frombuffer(b"".join(data for _, _, data in rows), dtype=DTYPE)
    vectors = pa.FixedSizeListArray.from_arrays(pa.array(flat, type=pa.float32()), dimensions)
    return pa.Table.from_arrays([pa.array([row[0] for row in rows], type=pa.string()),
                                 pa.array([row[1] for row in rows], type=pa.string()), vectors],
                                schema=parquet_schema(dimensions))


def write_parquet(out: ByteSink, folder: Folder, parts: list[EmbeddingPart], dimensions: int,
                  members: dict[int, CsvMember]) -> None:
    """cord_19_embeddings.parquet from the parts' rows (`part_vectors`): one row group per part (a part of more than
    PARQUET_BATCH_ROWS rows takes several), so that the next build reads each part's vectors alone; `members`
    (where write_tarball put each part's CSV member) go into the file's metadata."""
    places = {"format": CSV_MEMBER_FORMAT,
              "parts": {str(number): [member.offset, member.length, member.raw_length, member.crc32,
                                      member.rows_sha256] for number, member in sorted(members.items())}}
    schema = parquet_schema(dimensions).with_metadata({CSV_MEMBERS_KEY: json.dumps(places, sort_keys=True)})
    writer = pq.ParquetWriter(out, schema, compression="zstd", use_dictionary=False, write_statistics=False)
    for part in sorted(parts, key=lambda part: part.number):
        with folder.open(part.vectors) as handle:
            table = read_part_vectors(handle)
        if table.num_rows:
            writer.write_table(table, row_group_size=PARQUET_BATCH_ROWS)
    writer.close()


def release_dimensions(parts: Iterable[EmbeddingPart], default: int | None) -> int:
    """The vectors' width: from the parts (all the same), else the model's known width, else 0."""
    widths = {part.dimensions for part in parts if part.rows}
    if len(widths) > 1:
        raise ValueError(f"vectors of several widths in one release: {sorted(widths)}")
    return widths.pop() if widths else (default or 0)


def previous_model_matches(manifest: dict, model_entry: dict) -> bool:
    """Whether the previous release's vectors come from the same model at the same revision."""
    previous = manifest.get("embeddings") or {}
    return (previous.get("model"), previous.get("revision")) == (model_entry["model"], model_entry["revision"])


def _csv_members(metadata: dict[bytes, bytes]) -> dict[int, CsvMember]:
    """The CSV members' places a Parquet file of this format records (none from an older writer)."""
    places = json.loads(metadata.get(CSV_MEMBERS_KEY, b"{}"))
    if places.get("format") != CSV_MEMBER_FORMAT:
        return {}
    return {int(number): CsvMember(*place) for number, place in places["parts"].items()}


class PreviousVectors:
    """A previous release's embeddings Parquet file, read one part at a time.

    Which row groups hold a part comes from the cord_uid column, read once. Files of this
    writer hold one part per row group; an older file (4096 rows a group) is read right,
    only with more decoding per part. `csv_members`: where each part's CSV member sits in
    the same release's tarball.
    """

    def __init__(self, handle: IO[bytes]):
        self.parquet = pq.ParquetFile(handle)
        self.csv_members = _csv_members(self.parquet.schema_arrow.metadata or {})
        uids = cast(list[str], self.parquet.read(columns=["cord_uid"]).column(0).to_pylist())
        self.groups: dict[int, list[int]] = {}
        start = 0
        for index in range(self.parquet.num_row_groups):
            end = start + self.parquet.metadata.row_group(index).num_rows
            for number in sorted({part_number(uid) for uid in uids[start:end]}):
                self.groups.setdefault(number, []).append(index)
            start = end

    def part(self, number: int) -> dict[tuple[str, str], bytes]:
        """{(cord_uid, text_sha256): float32 bytes} of the rows of part `number`."""
        found = {}
        for index in self.groups.get(number, []):
            for uid, digest, vector in self._row_group(index):
                if part_number(uid) == number:
                    found[(uid, digest)] = vector
        return found

    def _row_group(self, index: int) -> Iterator[tuple[str, str, bytes]]:
        table = self.parquet.read_row_group(index, columns=["cord_uid", "text_sha256", "embedding"])
        width = table.schema.field("embedding").type.list_size
        flat = table.column("embedding").combine_chunks().flatten().to_numpy(zero_copy_only=False).astype(DTYPE)
        for row, (uid, digest) in enumerate(zip(table.column("cord_uid").to_pylist(),
                                                table.column("text_sha256").to_pylist())):
            yield uid, digest, flat[row * width:(row + 1) * width].tobytes()


def iter_parquet_vectors(handle: IO[bytes]) -> Iterator[tuple[str, list[float]]]:
    """(cord_uid, vector as Python floats) of every row of an embeddings Parquet file, in file order."""
    parquet = pq.ParquetFile(handle)
    for batch in parquet.iter_batches(columns=["cord_uid", "embedding"], batch_size=1024):
        for uid, vector in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
            yield uid, vector


def iter_csv_vectors(text: io.TextIOBase) -> Iterator[tuple[str, list[float]]]:
    """(cord_uid, vector) of every row of a CORD-19 embeddings CSV (each row's every float)."""
    for line in text:
        fields = line.rstrip("\r\n").split(",")
        if fields[0]:
            yield fields[0], [float(value) for value in fields[1:]]
