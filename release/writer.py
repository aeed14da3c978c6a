"""Write a release folder exactly as the CORD-19 contract describes it.

Everything here is deterministic: rows and files are sorted, JSON keys keep a stable
order, the tarball has fixed mtimes and owners, and no wall-clock time is written.
A release is assembled in a staging folder and moved into place by `publish_staging`,
so a failed run never leaves a half release behind.
"""
import csv
import gzip
import io
import json
import logging
import os
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from release.errors import ReleaseError
from release.layout import (
    CHANGELOG,
    DEAD_LETTERS,
    DEDUP_REPORT,
    DOCUMENT_PARSES,
    MANIFEST,
    METADATA_CSV,
    METADATA_PARQUET,
    PDF_JSON_DIR,
    PMC_JSON_DIR,
    REGISTRY,
    TARBALL,
)
from schemas import METADATA_COLUMNS, schema_versions
from schemas.files import atomic_write_bytes, sha256_file

logger = logging.getLogger(__name__)

MULTI_VALUE_SEPARATOR = "; "
LIST_COLUMNS = ("sha", "source_x", "authors", "pdf_json_files", "pmc_json_files", "url")
INTEGER_COLUMNS = ("pubmed_id",)


@dataclass(frozen=True)
class ReleaseContent:
    """What goes into a release besides the parse files already in the staging folder."""

    release_date: str
    rows: list[dict]
    dead_letters: list[dict]
    registry_json: str
    dedup_report: list[dict]
    cord_uid_changes: dict
    parser_versions: dict[str, str]
    source_record_count: int = 0  # source records behind the rows (rows + duplicates merged)
    previous_changelog: str = ""
    previous_manifest: dict = field(default_factory=dict)
    previous_cord_uids: frozenset[str] = frozenset()


def paper_json_bytes(paper: dict) -> bytes:
    """The bytes of one full-text JSON file (one line, UTF-8, key order as built)."""
    return json.dumps(paper, ensure_ascii=False).encode("utf-8")


def write_paper_file(staging_dir: Path, relative_path: str, data: bytes) -> None:
    """Write one parse file into the staging folder (atomically, by rename)."""
    atomic_write_bytes(staging_dir / relative_path, data)


def metadata_csv_bytes(rows: list[dict]) -> bytes:
    """metadata.csv: the 19 columns in order, minimal quoting, rows sorted by cord_uid."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=METADATA_COLUMNS, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    for row in sort_rows(rows):
        writer.writerow({column: row.get(column, "") for column in METADATA_COLUMNS})
    return buffer.getvalue().encode("utf-8")


def sort_rows(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: (row["cord_uid"], row.get("doi", ""), row.get("title", "")))


def split_multi(value: str) -> list[str]:
    """Split a `"; "`-joined metadata value into its parts (empty string -> [])."""
    return [part for part in value.split(MULTI_VALUE_SEPARATOR) if part] if value else []


def metadata_table(rows: list[dict]) -> pa.Table:
    """The metadata rows as a typed Arrow table: lists as lists, pubmed_id as int64."""
    rows = sort_rows(rows)
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


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd", use_dictionary=False, write_statistics=False)


def write_deterministic_tarball(source_dir: Path, arcname_root: str, target: Path) -> None:
    """Tar `source_dir` under `arcname_root/`, sorted, fixed mtimes, owners and modes; gzip without timestamp."""
    with target.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped:
        with tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
            _add_tree(tar, source_dir, arcname_root)


def _add_tree(tar: tarfile.TarFile, directory: Path, arcname: str) -> None:
    info = _tar_info(arcname, tarfile.DIRTYPE, 0o755, 0)
    tar.addfile(info)
    for child in sorted(directory.iterdir(), key=lambda p: p.name):
        child_arcname = f"{arcname}/{child.name}"
        if child.is_symlink():
            raise ReleaseError(f"refusing to put a link into a tarball: {child}")
        if child.is_dir():
            _add_tree(tar, child, child_arcname)
        else:
            info = _tar_info(child_arcname, tarfile.REGTYPE, 0o644, child.stat().st_size)
            with child.open("rb") as handle:
                tar.addfile(info, handle)


def _tar_info(name: str, kind: bytes, mode: int, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def jsonl_bytes(records: list[dict]) -> bytes:
    """One JSON object per line, keys sorted, lines sorted (input order does not matter)."""
    lines = sorted(json.dumps(record, ensure_ascii=False, sort_keys=True) for record in records)
    return "".join(line + "\n" for line in lines).encode("utf-8")


def list_release_files(release_dir: Path) -> list[str]:
    """Every file of a release, relative, sorted (manifest.json itself excluded)."""
    names = [
        path.relative_to(release_dir).as_posix()
        for path in release_dir.rglob("*")
        if path.is_file() and not path.is_symlink()
    ]
    return sorted(name for name in names if name != MANIFEST)


def parse_files(release_dir: Path, directory: str) -> list[str]:
    folder = release_dir / directory
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def changelog_section(content: ReleaseContent, pdf_files: list[str], pmc_files: list[str]) -> str:
    """This release's changelog section: CORD-19's summary plus our additions."""
    previous_files = content.previous_manifest.get("files", {})
    previous_pdf = {p.rsplit("/", 1)[1] for p in previous_files if p.startswith(PDF_JSON_DIR + "/")}
    previous_pmc = {p.rsplit("/", 1)[1] for p in previous_files if p.startswith(PMC_JSON_DIR + "/")}
    uids = {row["cord_uid"] for row in content.rows}
    previous_uids = set(content.previous_cord_uids)
    lines = [
        content.release_date,
        "---SUMMARY---",
        f"total metadata rows: {len(content.rows)}",
        f"CORD UIDs (new: {len(uids - previous_uids)}, removed: {len(previous_uids - uids)})",
        "",
        "Full text:",
        f"  PDF - {len(pdf_files)} json (new: {len(set(pdf_files) - previous_pdf)}, "
        f"removed: {len(previous_pdf - set(pdf_files))})",
        f"  PMC - {len(pmc_files)} json (new: {len(set(pmc_files) - previous_pmc)}, "
        f"removed: {len(previous_pmc - set(pmc_files))})",
    ]
    changes = content.cord_uid_changes
    for title, key in (("Merged CORD UIDs (old -> new):", "merged"), ("Split CORD UIDs (old -> new):", "split")):
        pairs = changes.get(key, [])
        if pairs:
            lines += ["", title] + [f"  {pair['old']} -> {pair['new']}" for pair in pairs]
    retired = sorted(set(changes.get("removed", [])))
    if retired:
        lines += ["", "Retired CORD UIDs:"] + [f"  {uid}" for uid in retired]
    reasons = dead_letter_counts(content.dead_letters)
    if reasons:
        lines += ["", "Dropped or failed inputs (stage/reason: count):"]
        lines += [f"  {key}: {count}" for key, count in reasons.items()]
    return "\n".join(lines) + "\n"


def dead_letter_counts(dead_letters: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for letter in dead_letters:
        key = f"{letter['stage']}/{letter['reason']}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def write_release_files(staging_dir: Path, content: ReleaseContent) -> dict:
    """Write every file of the release into `staging_dir` (parse files already there); return the manifest."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    (staging_dir / PDF_JSON_DIR).mkdir(parents=True, exist_ok=True)
    (staging_dir / PMC_JSON_DIR).mkdir(parents=True, exist_ok=True)
    (staging_dir / METADATA_CSV).write_bytes(metadata_csv_bytes(content.rows))
    write_parquet(metadata_table(content.rows), staging_dir / METADATA_PARQUET)
    write_deterministic_tarball(staging_dir / DOCUMENT_PARSES, DOCUMENT_PARSES, staging_dir / TARBALL)
    (staging_dir / REGISTRY).write_text(content.registry_json, encoding="utf-8")
    (staging_dir / DEAD_LETTERS).write_bytes(jsonl_bytes(content.dead_letters))
    (staging_dir / DEDUP_REPORT).write_bytes(jsonl_bytes(content.dedup_report))
    pdf_files = parse_files(staging_dir, PDF_JSON_DIR)
    pmc_files = parse_files(staging_dir, PMC_JSON_DIR)
    section = changelog_section(content, pdf_files, pmc_files)
    previous = content.previous_changelog.strip("\n")
    (staging_dir / CHANGELOG).write_text(section + ("\n" + previous + "\n" if previous else ""), encoding="utf-8")
    manifest = build_manifest(staging_dir, content, pdf_files, pmc_files)
    (staging_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def build_manifest(release_dir: Path, content: ReleaseContent, pdf_files: list[str], pmc_files: list[str]) -> dict:
    files = {}
    for name in list_release_files(release_dir):
        path = release_dir / name
        files[name] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    return {
        "release_date": content.release_date,
        "previous_release": content.previous_manifest.get("release_date"),
        "schema_versions": schema_versions(),
        "parser_versions": dict(sorted(content.parser_versions.items())),
        "counts": {
            "metadata_rows": len(content.rows),
            "source_records": content.source_record_count,
            "pdf_json": len(pdf_files),
            "pmc_json": len(pmc_files),
            "dead_letters": len(content.dead_letters),
            "dedup_report_entries": len(content.dedup_report),
        },
        "files": files,
    }


def publish_staging(staging_dir: Path, release_dir: Path) -> None:
    """Move a finished staging folder to its final place, replacing an older build of that date."""
    if release_dir.exists():
        retired = release_dir.with_name(release_dir.name + ".old")
        shutil.rmtree(retired, ignore_errors=True)
        os.replace(release_dir, retired)
        os.replace(staging_dir, release_dir)
        shutil.rmtree(retired)
    else:
        release_dir.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging_dir, release_dir)
    logger.info("release written to %s", release_dir)
