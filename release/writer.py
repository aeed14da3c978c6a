"""The formats of a release's own files, written as streams.

metadata.csv and metadata.parquet, the sorted .jsonl files, the changelog section and
manifest.json are written here from iterators, so a release of any size is written
with memory that does not grow with it (release/assemble.py feeds them from the parts
the workers wrote). Everything is deterministic: rows and lines come sorted, JSON keys
keep a stable order, and no wall-clock time is written.
"""
import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from release.folders import ByteSink
from schemas import METADATA_COLUMNS

# Bump when the bytes of a release file change for the same content (the sample
# release's checksum list records it beside the schema and parser versions).
WRITER_VERSION = "9"  # 3: report.html; 4: cord_19_embeddings.tar.gz and .parquet; 5: manifest names pdfminer-6;
# 6: cord_19_embeddings.parquet holds a row group per part; 7: and where each part's CSV member is in the tarball;
# 8: those places count from the end of the tarball's header member (the Parquet file no longer depends on the date);
# 9: a part's CSV rows are gzip members of chunks of ~16 rows (a nightly compresses only the changed chunks again)

MULTI_VALUE_SEPARATOR = "; "
LIST_COLUMNS = ("sha", "source_x", "authors", "pdf_json_files", "pmc_json_files", "url")
INTEGER_COLUMNS = ("pubmed_id",)
PARQUET_BATCH_ROWS = 65536  # rows per Parquet row group (and per Arrow batch held in memory)


class HashingWriter(io.RawIOBase):
    """A binary stream that counts and hashes (sha256) what goes through it to `out`.

    Closing it leaves `out` open.
    """

    def __init__(self, out: ByteSink):
        super().__init__()
        self.out = out
        self.size = 0
        self._sha256 = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.out.write(data)
        self._sha256.update(data)
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def sha256(self) -> str:
        return self._sha256.hexdigest()


def split_multi(value: str) -> list[str]:
    """Split a `"; "`-joined metadata value into its parts (empty string -> [])."""
    return [part for part in value.split(MULTI_VALUE_SEPARATOR) if part] if value else []


def row_sort_key(row: dict) -> tuple[str, str, str]:
    """The order of metadata rows (cord_uids are unique; doi and title only break ties)."""
    return row["cord_uid"], row.get("doi", ""), row.get("title", "")


def metadata_table(rows: list[dict]) -> pa.Table:
    """Metadata rows as a typed Arrow table: lists as lists, pubmed_id as int64."""
    columns = {}
    for column in METADATA_COLUMNS:
        values = [row.get(column, "") for row in rows]
        if column in LIST_COLUMNS:
            columns[column] = pa.array([split_multi(v) for v in values], type=pa.list_(pa.string()))
        elif column in INTEGER_COLUMNS:
            columns[column] = pa.array([int(v) if v else None for v in values], type=pa.int64())
        else:
            columns[column] = pa.array([v or None for v in values], type=pa.string())
    return pa.table(columns)


class MetadataWriter:
    """metadata.csv and metadata.parquet from rows given in their final (sorted) order.

    metadata.csv: the 19 columns in order, minimal quoting. metadata.parquet: the same
    rows, typed, zstd, one row group per PARQUET_BATCH_ROWS rows.
    """

    def __init__(self, csv_out: ByteSink, parquet_out: ByteSink):
        self._csv_out = csv_out
        self._text = io.StringIO()
        self._csv = csv.DictWriter(self._text, fieldnames=METADATA_COLUMNS, lineterminator="\n", extrasaction="raise")
        self._csv.writeheader()
        self._parquet_out = parquet_out
        self._parquet: pq.ParquetWriter | None = None
        self._batch: list[dict] = []
        self.rows = 0

    def write(self, row: dict) -> None:
        self._csv.writerow({column: row.get(column, "") for column in METADATA_COLUMNS})
        self._batch.append(row)
        self.rows += 1
        if len(self._batch) >= PARQUET_BATCH_ROWS:
            self._flush()

    def close(self) -> None:
        self._flush(final=True)
        if self._parquet is not None:
            self._parquet.close()

    def _flush(self, final: bool = False) -> None:
        self._csv_out.write(self._text.getvalue().encode("utf-8"))
        self._text.seek(0)
        self._text.truncate()
        if not self._batch and not (final and self._parquet is None):
            return
        table = metadata_table(self._batch)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self._parquet_out, table.schema, compression="zstd",
                                             use_dictionary=False, write_statistics=False)
        self._parquet.write_table(table)
        self._batch = []


def write_lines(lines: Iterable[str], out: ByteSink) -> int:
    """Write each line and a newline (UTF-8); return how many."""
    count = 0
    for line in lines:
        out.write(line.encode("utf-8") + b"\n")
        count += 1
    return count


def jsonl_bytes(records: Iterable[dict]) -> bytes:
    """One JSON object per line, keys sorted, lines sorted (input order does not matter)."""
    lines = sorted(json.dumps(record, ensure_ascii=False, sort_keys=True) for record in records)
    return "".join(line + "\n" for line in lines).encode("utf-8")


@dataclass(frozen=True)
class ChangelogFacts:
    """What this release's changelog section says."""

    release_date: str
    metadata_rows: int
    new_cord_uids: int
    removed_cord_uids: int
    pdf_json: tuple[int, int, int]  # (files, new, removed)
    pmc_json: tuple[int, int, int]
    cord_uid_changes: dict = field(default_factory=dict)  # "merged"/"split": [{old, new}], "removed": [uid]
    dead_letter_counts: dict[str, int] = field(default_factory=dict)  # "stage/reason" -> count
    embeddings: dict | None = None  # the manifest's "embeddings" entry: model, revision, rows, embedded, reused


def changelog_section(facts: ChangelogFacts) -> str:
    """This release's changelog section: CORD-19's summary plus our additions."""
    (pdfs, new_pdfs, removed_pdfs), (pmcs, new_pmcs, removed_pmcs) = facts.pdf_json, facts.pmc_json
    lines = [
        facts.release_date,
        "---SUMMARY---",
        f"total metadata rows: {facts.metadata_rows}",
        f"CORD UIDs (new: {facts.new_cord_uids}, removed: {facts.removed_cord_uids})",
        "",
        "Full text:",
        f"  PDF - {pdfs} json (new: {new_pdfs}, removed: {removed_pdfs})",
        f"  PMC - {pmcs} json (new: {new_pmcs}, removed: {removed_pmcs})",
    ]
    if facts.embeddings is not None:
        entry = facts.embeddings
        lines += ["", f"Embeddings: {entry['model']} (revision {entry['revision']}) - {entry['rows']} vectors "
                      f"(embedded: {entry['embedded']}, reused: {entry['reused']})"]
    changes = facts.cord_uid_changes
    for title, key in (("Merged CORD UIDs (old -> new):", "merged"), ("Split CORD UIDs (old -> new):", "split")):
        pairs = changes.get(key, [])
        if pairs:
            lines += ["", title] + [f"  {pair['old']} -> {pair['new']}" for pair in pairs]
    retired = sorted(set(changes.get("removed", [])))
    if retired:
        lines += ["", "Retired CORD UIDs:"] + [f"  {uid}" for uid in retired]
    if facts.dead_letter_counts:
        lines += ["", "Dropped or failed inputs (stage/reason: count):"]
        lines += [f"  {key}: {count}" for key, count in sorted(facts.dead_letter_counts.items())]
    return "\n".join(lines) + "\n"


def cumulative_changelog(section: str, previous_changelog: str) -> str:
    """This release's section first, then the previous release's whole changelog."""
    previous = previous_changelog.strip("\n")
    return section + ("\n" + previous + "\n" if previous else "")


def write_manifest(out: ByteSink, header: dict, files: Iterable[tuple[str, int, str]]) -> None:
    """manifest.json: `header` plus "files" {name: {sha256, size}} streamed from `files` (sorted by name).

    The bytes are those of `json.dumps(manifest, indent=2, sort_keys=True)` plus a newline.
    """
    placeholder = "\0files\0"
    text = json.dumps({**header, "files": placeholder}, indent=2, sort_keys=True) + "\n"
    before, after = text.split(json.dumps(placeholder))
    out.write(before.encode("utf-8"))
    entries = _manifest_entries(files)
    first = next(entries, None)
    if first is None:
        out.write(b"{}")
    else:
        out.write(b"{\n" + first)
        for entry in entries:
            out.write(b",\n" + entry)
        out.write(b"\n  }")
    out.write(after.encode("utf-8"))


def _manifest_entries(files: Iterable[tuple[str, int, str]]) -> Iterator[bytes]:
    previous = None
    for name, size, sha256 in files:
        if previous is not None and name <= previous:
            raise ValueError(f"manifest entries out of order: {previous!r} then {name!r}")
        previous = name
        yield (f"    {json.dumps(name, ensure_ascii=True)}: {{\n"
               f"      \"sha256\": {json.dumps(sha256)},\n      \"size\": {int(size)}\n    }}").encode("utf-8")
