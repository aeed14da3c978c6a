"""The final step of a build: a release's own files, assembled from the parts the workers wrote.

By the time this runs, the staging folder holds every parse file at its release path,
the cord_uid registry, and under `_work/parts/` the sorted parts of metadata.csv, of the
dead letters and of the dedup report, the list of parse files, and the compressed
fragments of document_parses.tar.gz (release/layout.py names them all). This step
merges and concatenates them into metadata.csv, metadata.parquet, dead_letters.jsonl,
dedup_report.jsonl, document_parses.tar.gz and the changelog, then report.html from the
counts gathered while those streams passed (release/report.py), and writes manifest.json
last. It streams: memory holds one line per part, one Parquet batch, the report's
counters and few examples, and the previous release's cord_uids and parse file names
(for the changelog counts), never a parse.

Running it again over the same parts writes the same bytes: it only reads the parts
and (re)writes the release's own files, so a runner that retries it changes nothing.
"""
import hashlib
import heapq
import io
import json
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from release.embeddings import EmbeddingPart, release_dimensions, write_parquet, write_tarball
from release.folders import Folder, LocalFolder
from release.layout import (
    CHANGELOG,
    DEAD_LETTER_PARTS,
    DEAD_LETTERS,
    DEDUP_REPORT,
    DEDUP_REPORT_PARTS,
    DOCUMENT_PARSES,
    EMBEDDINGS_PARQUET,
    EMBEDDINGS_TARBALL,
    MANIFEST,
    METADATA_CSV,
    METADATA_PARQUET,
    METADATA_PARTS,
    PARSE_FILES_PART,
    PDF_JSON,
    PDF_JSON_DIR,
    PMC_JSON,
    PMC_JSON_DIR,
    REGISTRY,
    REPORT,
    TARBALL,
    TARBALL_PARTS,
    WORK_FOLDER,
    PreviousRelease,
    part_name,
)
from release.parts import (
    canonical_line,
    iter_part_lines,
    merge_sorted_lines,
    metadata_line,
    parse_file_line,
    sorted_part_bytes,
)
from release.report import ReportCounts, report_html
from release.tarball import file_member, plan_fragments, tree_entries, write_end_of_archive, write_fragment
from release.writer import (
    WRITER_VERSION,
    ChangelogFacts,
    HashingWriter,
    MetadataWriter,
    changelog_section,
    cumulative_changelog,
    write_lines,
    write_manifest,
)
from schemas import schema_versions
from schemas.files import BLOCK_SIZE, atomic_write_bytes, sha256_stream

FileEntry = tuple[str, int, str]  # (release path, size, sha256)


@dataclass(frozen=True)
class AssemblyInputs:
    """What the final step is told besides what it finds in the staging folder."""

    release_date: str
    parser_versions: dict[str, str]
    source_record_count: int  # source records behind the rows (rows + duplicates merged)
    metadata_parts: list[str]
    dead_letter_parts: list[str]
    dedup_report_parts: list[str]
    tarball_fragments: list[tuple[str, int]]  # (part name, raw tar bytes), in tarball order
    cord_uid_changes: dict = field(default_factory=dict)
    previous: PreviousRelease | None = None
    embeddings: "EmbeddingsInputs | None" = None  # None: a release without embeddings (small test releases)


@dataclass(frozen=True)
class EmbeddingsInputs:
    """The model that embedded the papers (release.embedding_models.ModelSpec.manifest_entry) and the parts."""

    model: dict
    parts: list[EmbeddingPart]
    dimensions: int | None = None  # the model's width, for a release without papers


def assemble_release(folder: Folder, inputs: AssemblyInputs) -> dict:
    """Write the release's own files into `folder` (manifest.json last); return the manifest without its file list."""
    previous = inputs.previous or PreviousRelease(None, "", frozenset(), frozenset())
    written: dict[str, FileEntry] = {}
    counts = ReportCounts.against(previous.cord_uids)
    rows = _write_metadata(folder, inputs.metadata_parts, counts, written)
    dead_letters, reasons = _write_dead_letters(folder, inputs.dead_letter_parts, counts, written)
    report_entries = _write_dedup_report(folder, inputs.dedup_report_parts, counts, written)
    _write_tarball(folder, inputs.tarball_fragments, written)
    embeddings = _write_embeddings(folder, inputs.release_date, inputs.embeddings, written)
    folder_counts = _parse_folder_counts(folder, previous.parse_files)
    facts = ChangelogFacts(
        release_date=inputs.release_date, metadata_rows=rows, new_cord_uids=counts.cord_uids.added,
        removed_cord_uids=counts.cord_uids.removed,
        pdf_json=folder_counts["pdf_json"], pmc_json=folder_counts["pmc_json"],
        cord_uid_changes=inputs.cord_uid_changes, dead_letter_counts=reasons, embeddings=embeddings,
    )
    text = cumulative_changelog(changelog_section(facts), previous.changelog).encode("utf-8")
    _write_bytes(folder, CHANGELOG, text, written)
    _write_bytes(folder, REPORT, report_html(counts, facts, previous.release_date, inputs.source_record_count), written)
    written[REGISTRY] = _hash_existing(folder, REGISTRY)
    header: dict = {
        "release_date": inputs.release_date,
        "previous_release": previous.release_date,
        "schema_versions": schema_versions(),
        "parser_versions": dict(sorted(inputs.parser_versions.items())),
        "writer_version": WRITER_VERSION,
        "counts": {
            "metadata_rows": rows,
            "source_records": inputs.source_record_count,
            "pdf_json": folder_counts["pdf_json"][0],
            "pmc_json": folder_counts["pmc_json"][0],
            "dead_letters": dead_letters,
            "dedup_report_entries": report_entries,
        },
    }
    if embeddings is not None:
        header["embeddings"] = embeddings
        header["counts"]["embeddings"] = embeddings["rows"]
    entries = heapq.merge(sorted(written.values()), _parse_file_entries(folder))
    with folder.create(MANIFEST) as out:
        write_manifest(out, header, entries)
    return header


def _open_parts(stack: ExitStack, folder: Folder, names: list[str]) -> list[Iterator[str]]:
    return [iter_part_lines(stack.enter_context(folder.open(name))) for name in names]


def _write_metadata(folder: Folder, parts: list[str], counts: ReportCounts, written: dict[str, FileEntry]) -> int:
    """metadata.csv and .parquet from the sorted parts, each row counted in `counts`; return the rows."""
    with ExitStack() as stack:
        csv_out = HashingWriter(stack.enter_context(folder.create(METADATA_CSV)))
        parquet_out = HashingWriter(stack.enter_context(folder.create(METADATA_PARQUET)))
        writer = MetadataWriter(csv_out, parquet_out)
        for line in merge_sorted_lines(_open_parts(stack, folder, parts)):
            row = json.loads(line.partition("\t")[2])
            counts.add_row(row)
            writer.write(row)
        writer.close()
    counts.cord_uids.finish()
    written[METADATA_CSV] = (METADATA_CSV, csv_out.size, csv_out.sha256())
    written[METADATA_PARQUET] = (METADATA_PARQUET, parquet_out.size, parquet_out.sha256())
    return writer.rows


def _write_dedup_report(folder: Folder, parts: list[str], counts: ReportCounts, written: dict[str, FileEntry]) -> int:
    """dedup_report.jsonl from its sorted parts, each entry counted in `counts`; return its line count."""
    with ExitStack() as stack:
        out = HashingWriter(stack.enter_context(folder.create(DEDUP_REPORT)))
        count = 0
        for line in merge_sorted_lines(_open_parts(stack, folder, parts)):
            counts.add_dedup_entry(json.loads(line))
            count += write_lines([line], out)
    written[DEDUP_REPORT] = (DEDUP_REPORT, out.size, out.sha256())
    return count


def _write_dead_letters(folder: Folder, parts: list[str], counts: ReportCounts,
                        written: dict[str, FileEntry]) -> tuple[int, dict[str, int]]:
    """dead_letters.jsonl, each letter counted in `counts`; (count, counts by "stage/reason")."""
    reasons: dict[str, int] = {}
    with ExitStack() as stack:
        out = HashingWriter(stack.enter_context(folder.create(DEAD_LETTERS)))
        count = 0
        for line in merge_sorted_lines(_open_parts(stack, folder, parts)):
            letter = json.loads(line)
            counts.add_dead_letter(letter)
            key = f"{letter['stage']}/{letter['reason']}"
            reasons[key] = reasons.get(key, 0) + 1
            count += write_lines([line], out)
    written[DEAD_LETTERS] = (DEAD_LETTERS, out.size, out.sha256())
    return count, reasons


def _write_tarball(folder: Folder, fragments: list[tuple[str, int]], written: dict[str, FileEntry]) -> None:
    """document_parses.tar.gz: the compressed fragments in order, then the end-of-archive member."""
    with folder.create(TARBALL) as raw:
        out = HashingWriter(raw)
        for name, _ in fragments:
            with folder.open(name) as fragment:
                while block := fragment.read(BLOCK_SIZE):
                    out.write(block)
        write_end_of_archive(out, sum(length for _, length in fragments))
    written[TARBALL] = (TARBALL, out.size, out.sha256())


def _write_embeddings(folder: Folder, release_date: str, inputs: EmbeddingsInputs | None,
                      written: dict[str, FileEntry]) -> dict | None:
    """cord_19_embeddings.tar.gz and .parquet from the parts; the manifest's entry for them (None without)."""
    if inputs is None:
        return None
    dimensions = release_dimensions(inputs.parts, inputs.dimensions)
    with folder.create(EMBEDDINGS_TARBALL) as raw:
        out = HashingWriter(raw)
        members = write_tarball(out, folder, release_date, inputs.parts)
    written[EMBEDDINGS_TARBALL] = (EMBEDDINGS_TARBALL, out.size, out.sha256())
    with folder.create(EMBEDDINGS_PARQUET) as raw:
        out = HashingWriter(raw)
        write_parquet(out, folder, inputs.parts, dimensions, members)
    written[EMBEDDINGS_PARQUET] = (EMBEDDINGS_PARQUET, out.size, out.sha256())
    return {**inputs.model, "dimensions": dimensions, "rows": sum(part.rows for part in inputs.parts),
            "embedded": sum(part.embedded for part in inputs.parts),
            "reused": sum(part.reused for part in inputs.parts)}


def _parse_file_entries(folder: Folder) -> Iterator[FileEntry]:
    with folder.open(PARSE_FILES_PART) as handle:
        for line in iter_part_lines(handle):
            path, size, sha256 = line.split("\t")
            yield path, int(size), sha256


def _parse_folder_counts(folder: Folder, previous: frozenset[str]) -> dict[str, tuple[int, int, int]]:
    """(files, new, removed) for "pdf_json" and "pmc_json", against the previous release's parse files."""
    prefixes = {"pdf_json": PDF_JSON_DIR + "/", "pmc_json": PMC_JSON_DIR + "/"}
    files = dict.fromkeys(prefixes, 0)
    kept = dict.fromkeys(prefixes, 0)
    for path, _, _ in _parse_file_entries(folder):
        for name, prefix in prefixes.items():
            if path.startswith(prefix):
                files[name] += 1
                kept[name] += path in previous
    before = {name: sum(1 for path in previous if path.startswith(prefix)) for name, prefix in prefixes.items()}
    return {name: (files[name], files[name] - kept[name], before[name] - kept[name]) for name in prefixes}


def _write_bytes(folder: Folder, name: str, data: bytes, written: dict[str, FileEntry]) -> None:
    with folder.create(name) as raw:
        out = HashingWriter(raw)
        out.write(data)
    written[name] = (name, out.size, out.sha256())


def _hash_existing(folder: Folder, name: str) -> FileEntry:
    with folder.open(name) as handle:
        size, sha256 = sha256_stream(handle)
    return name, size, sha256


@dataclass(frozen=True)
class ReleaseContent:
    """A whole (small) release held in memory: what `write_release` writes."""

    release_date: str
    rows: list[dict]
    papers: dict[str, bytes]  # release path -> parse file bytes
    dead_letters: list[dict] = field(default_factory=list)
    dedup_report: list[dict] = field(default_factory=list)
    registry_json: str = '{"keys": {}}\n'
    cord_uid_changes: dict = field(default_factory=dict)
    parser_versions: dict[str, str] = field(default_factory=dict)
    source_record_count: int = 0
    previous: PreviousRelease | None = None


def write_release(release_dir: str | Path, content: ReleaseContent) -> dict:
    """Write a release from memory into a local folder, through the same parts and assembly a build uses.

    For small releases (tests, notebooks); a build writes the parts from many workers.
    """
    folder = LocalFolder(release_dir)
    for path, data in sorted(content.papers.items()):
        atomic_write_bytes(Path(release_dir) / path, data)
    atomic_write_bytes(Path(release_dir) / REGISTRY, content.registry_json.encode("utf-8"))
    parts = {}
    for kind, folder_name, lines in (
        ("metadata", METADATA_PARTS, [metadata_line(row) for row in content.rows]),
        ("dead_letters", DEAD_LETTER_PARTS, [canonical_line(letter) for letter in content.dead_letters]),
        ("report", DEDUP_REPORT_PARTS, [canonical_line(entry) for entry in content.dedup_report]),
    ):
        parts[kind] = [part_name(folder_name, 0)]
        atomic_write_bytes(Path(release_dir) / parts[kind][0], sorted_part_bytes(lines))
    listed = sorted((path, len(data), hashlib.sha256(data).hexdigest()) for path, data in content.papers.items())
    parse_files = sorted_part_bytes(parse_file_line(*entry) for entry in listed)
    atomic_write_bytes(Path(release_dir) / PARSE_FILES_PART, parse_files)
    members = {path: file_member(path, data) for path, data in content.papers.items()}
    entries = tree_entries(DOCUMENT_PARSES, (PDF_JSON, PMC_JSON), [(path, size, path) for path, size, _ in listed])
    fragments = []
    for number, fragment in enumerate(plan_fragments(entries)):
        name = part_name(TARBALL_PARTS, number, ".gz")
        with folder.create(name) as out:
            fragments.append((name, write_fragment(out, fragment, lambda path: io.BytesIO(members[path]))))
    inputs = AssemblyInputs(
        release_date=content.release_date, parser_versions=content.parser_versions,
        source_record_count=content.source_record_count, metadata_parts=parts["metadata"],
        dead_letter_parts=parts["dead_letters"], dedup_report_parts=parts["report"], tarball_fragments=fragments,
        cord_uid_changes=content.cord_uid_changes, previous=content.previous,
    )
    header = assemble_release(folder, inputs)
    shutil.rmtree(Path(release_dir) / WORK_FOLDER)
    for parse_folder in (PDF_JSON_DIR, PMC_JSON_DIR):  # a local release has both, even when empty
        (Path(release_dir) / parse_folder).mkdir(parents=True, exist_ok=True)
    return header
