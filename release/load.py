"""Read a release the way downstream users want it: one joined record per paper.

A source is a release folder, a release tarball (`cord-19_<date>.tar.gz` holding
`<date>/`, as CORD-19 published them), or a store location: `s3://bucket/prefix/<date>`,
`s3://bucket/prefix/latest` (followed through `latest.json`, so it never mixes two
releases) or the key of a release tarball. Real CORD-19 releases read the same way.

Each record is the metadata row (the 19 columns, as strings) plus `full_text_source`
("pmc_json", "pdf_json" or None) and `full_text` (the parse), preferring the pmc_json
parse when both exist, as CORD-19 advised. Tarballs are read with `release.safe_tar`
(no absolute paths, no `..`, no links, bounded sizes); files fetched from a store are
checked against the release's manifest.json when it has one.
"""
import contextlib
import csv
import json
import logging
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.parquet as pq

from release.errors import NotAReleaseError
from release.fetch import fetch_release_files
from release.layout import (
    DOCUMENT_PARSES,
    LATEST_FOLDER,
    LATEST_JSON,
    METADATA_CSV,
    PDF_JSON,
    PMC_JSON,
    RELEASE_TARBALL_SUFFIXES,
    TARBALL,
)
from release.safe_tar import extract_tarball_safely
from release.storage import Storage, join_key, open_store
from schemas import METADATA_COLUMNS
from schemas.files import atomic_output

logger = logging.getLogger(__name__)

FULL_TEXT_KINDS = (PMC_JSON, PDF_JSON)  # in order of preference
RECORD_COLUMNS = METADATA_COLUMNS + ("full_text_source", "full_text")
TABLE_BATCH_ROWS = 1000


@dataclass(frozen=True)
class OpenedRelease:
    """A release made readable on local disk: its metadata.csv and the folder above document_parses/."""

    metadata_csv: Path
    parses_root: Path | None


@dataclass
class LoadStats:
    """What a load found, for the one-line summary."""

    records: int = 0
    pmc_json: int = 0
    pdf_json: int = 0
    missing_files: int = 0


def _is_tarball(name: str) -> bool:
    return name.endswith(RELEASE_TARBALL_SUFFIXES)


def _find_metadata_csv(root: Path) -> Path:
    """metadata.csv at `root` or in its single release folder (`<date>/metadata.csv`)."""
    if (root / METADATA_CSV).is_file():
        return root / METADATA_CSV
    found = sorted(root.glob(f"*/{METADATA_CSV}"))
    if len(found) != 1:
        raise NotAReleaseError(f"expected one {METADATA_CSV} in the release, found {len(found)}")
    return found[0]


def _prepare_folder(folder: Path, scratch: Path) -> OpenedRelease:
    """A release folder: use document_parses/ when present, else extract document_parses.tar.gz."""
    metadata = _find_metadata_csv(folder)
    release_dir = metadata.parent
    if (release_dir / DOCUMENT_PARSES).is_dir():
        return OpenedRelease(metadata, release_dir)
    if (release_dir / TARBALL).is_file():
        extract_tarball_safely(release_dir / TARBALL, scratch / "parses")
        return OpenedRelease(metadata, scratch / "parses")
    logger.warning("%s has no %s: records will have no full text", release_dir, DOCUMENT_PARSES)
    return OpenedRelease(metadata, None)


def _prepare_tarball(tarball: Path, scratch: Path) -> OpenedRelease:
    """A release tarball: extract it (safely), then its document_parses.tar.gz."""
    extract_tarball_safely(tarball, scratch / "release")
    return _prepare_folder(scratch / "release", scratch)


def _fetch_release(storage: Storage, release_key: str, scratch: Path) -> OpenedRelease:
    """Download metadata.csv and document_parses.tar.gz of `release_key`, checked against its manifest."""
    folder = scratch / "download"
    fetch_release_files(storage, release_key, (METADATA_CSV, TARBALL), folder)
    return _prepare_folder(folder, scratch)


def _resolve_store_key(storage: Storage, key: str) -> str:
    """`.../latest` becomes the dated folder named by `.../latest.json`; other keys stay."""
    parent, _, last = key.rpartition("/")
    if last != LATEST_FOLDER:
        return key
    pointer_key = join_key(parent, LATEST_JSON)
    if storage.stat(pointer_key) is None:
        raise NotAReleaseError(f"{storage.description}/{pointer_key} does not exist")
    pointer = json.loads(storage.read_bytes(pointer_key))
    return join_key(parent, pointer["release_date"])


@contextlib.contextmanager
def open_release(source: str | Path, endpoint_url: str | None = None,
                 work_dir: Path | None = None) -> Iterator[OpenedRelease]:
    """Make any kind of release source readable on local disk for the duration of the block."""
    with tempfile.TemporaryDirectory(dir=work_dir, prefix="cord19-load-") as scratch_name:
        scratch = Path(scratch_name)
        text = str(source)
        if text.startswith("s3://"):
            storage, key = open_store(text, endpoint_url=endpoint_url)
            if _is_tarball(key):
                local = scratch / PurePosixPath(key).name
                storage.download_file(key, local)
                yield _prepare_tarball(local, scratch)
            else:
                yield _fetch_release(storage, _resolve_store_key(storage, key), scratch)
            return
        path = Path(source)
        if path.is_dir():
            yield _prepare_folder(path, scratch)
        elif path.is_file() and _is_tarball(path.name):
            yield _prepare_tarball(path, scratch)
        else:
            raise NotAReleaseError(f"{source} is neither a release folder, a release tarball nor an s3:// URL")


def _parse_path(parses_root: Path, relative: str) -> Path | None:
    """The local file for a metadata path like `document_parses/pdf_json/<sha>.json`, None when unsafe."""
    parts = PurePosixPath(relative).parts
    if not parts or parts[0] != DOCUMENT_PARSES or ".." in parts or relative.startswith("/") or "\\" in relative:
        logger.warning("ignoring unsafe parse path %r in metadata.csv", relative)
        return None
    return parses_root.joinpath(*parts)


def join_full_text(row: dict[str, str], parses_root: Path | None, stats: LoadStats) -> dict:
    """The row plus its preferred full text (pmc_json first, then each pdf_json in order)."""
    record: dict = {column: row.get(column) or "" for column in METADATA_COLUMNS}
    record["full_text_source"] = None
    record["full_text"] = None
    for kind in FULL_TEXT_KINDS:
        for relative in filter(None, (part.strip() for part in record[f"{kind}_files"].split(";"))):
            path = _parse_path(parses_root, relative) if parses_root is not None else None
            if path is None or not path.is_file():
                stats.missing_files += 1
                continue
            try:
                paper = json.loads(path.read_bytes())
            except ValueError as exc:
                logger.warning("%s is not JSON (%s); trying the next parse", relative, exc)
                continue
            record["full_text_source"] = kind
            record["full_text"] = paper
            setattr(stats, kind, getattr(stats, kind) + 1)
            return record
    return record


def iter_rows(metadata_csv: Path) -> Iterator[dict[str, str]]:
    """The rows of a metadata.csv; NotAReleaseError when a contract column is missing."""
    csv.field_size_limit(sys.maxsize)
    with open(metadata_csv, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in METADATA_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise NotAReleaseError(f"{metadata_csv} lacks the columns {', '.join(missing)}")
        yield from reader


def iter_papers(source: str | Path, endpoint_url: str | None = None, work_dir: Path | None = None,
                stats: LoadStats | None = None) -> Iterator[dict]:
    """One joined record per metadata row of the release at `source`, in metadata.csv order."""
    stats = stats if stats is not None else LoadStats()
    with open_release(source, endpoint_url=endpoint_url, work_dir=work_dir) as release:
        for row in iter_rows(release.metadata_csv):
            stats.records += 1
            yield join_full_text(row, release.parses_root, stats)
    logger.info("%s: %d records, full text: %d pmc_json, %d pdf_json; %d listed parse files missing",
                source, stats.records, stats.pmc_json, stats.pdf_json, stats.missing_files)


TABLE_SCHEMA = pa.schema([(column, pa.string()) for column in RECORD_COLUMNS])


def _table_batch(records: list[dict]) -> pa.Table:
    rows = [
        {**record, "full_text": None if record["full_text"] is None
         else json.dumps(record["full_text"], ensure_ascii=False)}
        for record in records
    ]
    return pa.Table.from_pylist(rows, schema=TABLE_SCHEMA)


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
        with pq.ParquetWriter(out, TABLE_SCHEMA, compression="zstd") as writer:
            for batch in _batches(records):
                writer.write_table(_table_batch(batch))
                count += len(batch)
    return count
