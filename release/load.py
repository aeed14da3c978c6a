"""Read a release the way downstream users want it: one joined record per paper.

A source is any form release.source resolves: a release folder, a release tarball
(`cord-19_<date>.tar.gz` holding `<date>/`, as CORD-19 published them), a store's
`<date>/`, `latest/` or root (followed through `latest.json`, so it never mixes two
releases), locally or on `s3://`, or the key of a release tarball. Real CORD-19
releases read the same way.

Each record is the metadata row (the 19 columns, as strings) plus `full_text_source`
("pmc_json", "pdf_json" or None) and `full_text` (the parse), preferring the pmc_json
parse when both exist, as CORD-19 advised; with `embeddings=True`, also `embedding`
(the paper's vector, or None), read in step with metadata.csv from
cord_19_embeddings.parquet, or from the CSV inside cord_19_embeddings.tar.gz (a real
CORD-19 release). Tarballs are read with `release.safe_tar`
(no absolute paths, no `..`, no links or devices, bounded expansion, gzip trailers
checked); files of a folder are opened with `release.safe_paths` (a symbolic or hard
link, a device or FIFO refuses the release; a metadata path that would leave
document_parses/ is ignored with a warning); files fetched from a store are checked
against the release's manifest.json when it has one.
"""
import contextlib
import csv
import io
import json
import logging
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from release.embeddings import iter_csv_vectors, iter_parquet_vectors
from release.errors import NotAReleaseError, UnsafePathError
from release.layout import (
    DOCUMENT_PARSES,
    EMBEDDINGS_PARQUET,
    EMBEDDINGS_TARBALL,
    METADATA_CSV,
    PDF_JSON,
    PMC_JSON,
    TARBALL,
)
from release.safe_paths import FOLDER, MISSING, entry_kind, open_release_file, parse_file_name, read_release_bytes
from release.safe_tar import DEFAULT_LIMITS, ArchiveLimits, extract_tarball_safely
from release.source import open_release_source
from schemas import METADATA_COLUMNS
from schemas.files import atomic_output

logger = logging.getLogger(__name__)

FULL_TEXT_KINDS = (PMC_JSON, PDF_JSON)  # in order of preference
RECORD_COLUMNS = METADATA_COLUMNS + ("full_text_source", "full_text")
TABLE_BATCH_ROWS = 1000
LOAD_FILES = (METADATA_CSV, TARBALL)  # what is fetched of a release on a store
EMBEDDING_FILES = (EMBEDDINGS_PARQUET,)  # fetched too when records carry their vectors


@dataclass(frozen=True)
class OpenedRelease:
    """A release made readable on local disk: its folder and the folder above document_parses/."""

    folder: Path
    parses_root: Path | None


@dataclass
class LoadStats:
    """What a load found, for the one-line summary."""

    records: int = 0
    pmc_json: int = 0
    pdf_json: int = 0
    missing_files: int = 0


def _parses_root(folder: Path, scratch: Path, limits: ArchiveLimits) -> Path | None:
    """document_parses/ when the folder has it, else document_parses.tar.gz extracted into `scratch`."""
    kind = entry_kind(folder, DOCUMENT_PARSES)
    if kind == FOLDER:
        return folder
    if kind != MISSING:
        raise UnsafePathError(f"{DOCUMENT_PARSES} in {folder} is a {kind}: not followed")
    if entry_kind(folder, TARBALL) == MISSING:
        logger.warning("%s has no %s: records will have no full text", folder, DOCUMENT_PARSES)
        return None
    with open_release_file(folder, TARBALL) as tarball:
        extract_tarball_safely(tarball, scratch / "parses", limits)
    return scratch / "parses"


@contextlib.contextmanager
def open_release(source: str | Path, endpoint_url: str | None = None, work_dir: Path | None = None,
                 limits: ArchiveLimits = DEFAULT_LIMITS,
                 names: tuple[str, ...] = LOAD_FILES) -> Iterator[OpenedRelease]:
    """Make any kind of release source readable on local disk for the duration of the block."""
    with open_release_source(source, names, endpoint_url, work_dir, limits) as release:
        with tempfile.TemporaryDirectory(dir=work_dir, prefix="cord19-load-") as scratch:
            yield OpenedRelease(release.folder, _parses_root(release.folder, Path(scratch), limits))


def _parse_name(relative: str) -> str | None:
    """The release name of a metadata path like `document_parses/pdf_json/<sha>.json`, None when unsafe."""
    try:
        return parse_file_name(relative)
    except UnsafePathError:
        logger.warning("ignoring unsafe parse path %r in metadata.csv", relative)
        return None


def join_full_text(row: dict[str, str], parses_root: Path | None, stats: LoadStats) -> dict:
    """The row plus its preferred full text (pmc_json first, then each pdf_json in order)."""
    record: dict = {column: row.get(column) or "" for column in METADATA_COLUMNS}
    record["full_text_source"] = None
    record["full_text"] = None
    for kind in FULL_TEXT_KINDS:
        for relative in filter(None, (part.strip() for part in record[f"{kind}_files"].split(";"))):
            name = _parse_name(relative) if parses_root is not None else None
            try:
                data = read_release_bytes(parses_root, name) if parses_root is not None and name is not None else None
            except FileNotFoundError:
                data = None
            if data is None:
                stats.missing_files += 1
                continue
            try:
                paper = json.loads(data)
            except ValueError as exc:
                logger.warning("%s is not JSON (%s); trying the next parse", relative, exc)
                continue
            record["full_text_source"] = kind
            record["full_text"] = paper
            setattr(stats, kind, getattr(stats, kind) + 1)
            return record
    return record


def iter_rows(release_folder: Path) -> Iterator[dict[str, str]]:
    """The rows of a release's metadata.csv; NotAReleaseError when a contract column is missing."""
    csv.field_size_limit(sys.maxsize)
    try:
        raw = open_release_file(release_folder, METADATA_CSV)
    except FileNotFoundError as exc:
        raise NotAReleaseError(f"{release_folder} has no {METADATA_CSV}") from exc
    with io.TextIOWrapper(raw, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in METADATA_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise NotAReleaseError(f"{release_folder / METADATA_CSV} lacks the columns {', '.join(missing)}")
        yield from reader


def _csv_vectors_in_tarball(folder: Path) -> Iterator[tuple[str, list[float]]]:
    """The rows of the CSV inside cord_19_embeddings.tar.gz, streamed (regular files only, nothing extracted)."""
    with open_release_file(folder, EMBEDDINGS_TARBALL) as raw, tarfile.open(fileobj=raw, mode="r|gz") as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".csv"):
                handle = archive.extractfile(member)
                if handle is not None:
                    yield from iter_csv_vectors(io.TextIOWrapper(handle, encoding="utf-8", newline=""))
                return


def iter_vectors(folder: Path) -> Iterator[tuple[str, list[float]]]:
    """(cord_uid, vector) of a release's embeddings, in file order: the Parquet file, else the tarball's CSV."""
    if entry_kind(folder, EMBEDDINGS_PARQUET) != MISSING:
        with open_release_file(folder, EMBEDDINGS_PARQUET) as handle:
            yield from iter_parquet_vectors(handle)
    elif entry_kind(folder, EMBEDDINGS_TARBALL) != MISSING:
        yield from _csv_vectors_in_tarball(folder)
    else:
        logger.warning("%s has no embeddings: records will have none", folder)


class VectorsInStep:
    """Vectors read in step with metadata.csv: a row gets the next vector when that vector is its cord_uid's."""

    def __init__(self, vectors: Iterator[tuple[str, list[float]]]):
        self._vectors = vectors
        self._next = next(vectors, None)

    def vector_for(self, cord_uid: str) -> list[float] | None:
        if self._next is None or self._next[0] != cord_uid:
            return None
        vector = self._next[1]
        self._next = next(self._vectors, None)
        return vector


def iter_papers(source: str | Path, endpoint_url: str | None = None, work_dir: Path | None = None,
                stats: LoadStats | None = None, limits: ArchiveLimits = DEFAULT_LIMITS,
                embeddings: bool = False) -> Iterator[dict]:
    """One joined record per metadata row of the release at `source`, in metadata.csv order.

    With `embeddings`, each record also has `embedding`: its vector, or None when the release has none for it.
    """
    stats = stats if stats is not None else LoadStats()
    names = LOAD_FILES + (EMBEDDING_FILES if embeddings else ())
    with open_release(source, endpoint_url=endpoint_url, work_dir=work_dir, limits=limits, names=names) as release:
        vectors = VectorsInStep(iter_vectors(release.folder)) if embeddings else None
        for row in iter_rows(release.folder):
            stats.records += 1
            record = join_full_text(row, release.parses_root, stats)
            if vectors is not None:
                record["embedding"] = vectors.vector_for(record["cord_uid"])
            yield record
    logger.debug("%s: %d records, full text: %d pmc_json, %d pdf_json; %d listed parse files missing",
                source, stats.records, stats.pmc_json, stats.pdf_json, stats.missing_files)


TABLE_SCHEMA = pa.schema([(column, pa.string()) for column in RECORD_COLUMNS])
EMBEDDING_FIELD = pa.field("embedding", pa.list_(pa.float32()))


def _table_batch(records: list[dict]) -> pa.Table:
    schema = TABLE_SCHEMA.append(EMBEDDING_FIELD) if records and "embedding" in records[0] else TABLE_SCHEMA
    rows = [
        {**record, "full_text": None if record["full_text"] is None
         else json.dumps(record["full_text"], ensure_ascii=False)}
        for record in records
    ]
    return pa.Table.from_pylist(rows, schema=schema)


def _batches(records: Iterable[dict]) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for record in records:
        batch.append(record)
        if len(batch) == TABLE_BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def records_table(records: Iterable[dict]) -> pa.Table:
    """A pyarrow Table of joined records: every column a string, `full_text` as JSON text."""
    tables = [_table_batch(batch) for batch in _batches(records)]
    return pa.concat_tables(tables) if tables else TABLE_SCHEMA.empty_table()


def load_table(source: str | Path, endpoint_url: str | None = None, work_dir: Path | None = None) -> pa.Table:
    """The release at `source` as one pyarrow Table (see `records_table`)."""
    return records_table(iter_papers(source, endpoint_url=endpoint_url, work_dir=work_dir))


def write_jsonl(records: Iterable[dict], path: Path) -> int:
    """Write one JSON object per line; return the number of records."""
    count = 0
    with atomic_output(path) as out:
        for record in records:
            out.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
            count += 1
    return count


def write_parquet(records: Iterable[dict], path: Path) -> int:
    """Write the records as Parquet in batches (bounded memory); return the number of records."""
    count = 0
    with atomic_output(path) as out:
        writer = None
        for batch in _batches(records):
            table = _table_batch(batch)
            writer = writer or pq.ParquetWriter(out, table.schema, compression="zstd")
            writer.write_table(table)
            count += len(batch)
        if writer is None:
            writer = pq.ParquetWriter(out, TABLE_SCHEMA, compression="zstd")
        writer.close()
    return count
