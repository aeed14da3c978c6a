"""WriteRelease: the release's own files, from parts the workers write in parallel.

- metadata rows, dead letters and dedup report entries are spread over PART_COUNT
  groups; each group is sorted and written as one part file by a worker;
- the placed parse files are listed and sorted on one worker (path, size, sha256 and
  where their compressed tarball member is), which writes that list and cuts the
  tarball's members into fragments; workers concatenate each fragment's members;
- the final step (`release.assemble.assemble_release`, one element) merges the parts,
  concatenates the fragments, writes the changelog and then manifest.json. It streams,
  and running it again over the same parts writes the same bytes.

Everything is written into the staging folder through Beam's FileSystems; the
launcher commits it to the release's place when the pipeline has finished.
"""
import zlib
from dataclasses import dataclass

import apache_beam as beam

from pipeline.stages import files
from pipeline.stages.gather import GatherAll
from pipeline.stages.metrics import count
from release.assemble import AssemblyInputs, EmbeddingsInputs, assemble_release
from release.layout import (
    DEAD_LETTER_PARTS,
    DEDUP_REPORT_PARTS,
    DOCUMENT_PARSES,
    METADATA_PARTS,
    PARSE_FILES_PART,
    PDF_JSON,
    PMC_JSON,
    TARBALL_PARTS,
    part_name,
    read_previous_release,
)
from release.parts import canonical_line, metadata_line, parse_file_line, sorted_part_bytes
from release.tarball import plan_fragments, tree_entries, write_fragment

STAGE = "write_release"
PART_COUNT = 32


def part_number(line: str) -> int:
    return zlib.crc32(line.encode("utf-8")) % PART_COUNT


class WritePart(files.StoreDoFn):
    """Sort one group of lines and write it as part `<number>` of `folder`; emit the part's name."""

    def __init__(self, staging: str, folder: str, store: tuple[str, ...] = ()):
        super().__init__(store)
        self.staging = staging
        self.folder = folder

    def process(self, number_and_lines):
        number, lines = number_and_lines
        name = part_name(self.folder, number)
        files.write_bytes(files.join(self.staging, name), sorted_part_bytes(lines))
        yield name


@dataclass
class WriteSortedParts(beam.PTransform):
    """Lines (strings) -> the names of the sorted part files they were written to."""

    staging: str
    folder: str
    store: tuple[str, ...] = ()

    def __post_init__(self):
        super().__init__()

    def expand(self, lines):
        return (
            lines
            | "SpreadOverParts" >> beam.Map(lambda line: (part_number(line), line))
            | "GroupParts" >> beam.GroupByKey()
            | "WritePart" >> beam.ParDo(WritePart(self.staging, self.folder, self.store))
        )


class PlanTarball(files.StoreDoFn):
    """Every placed parse file (path, size, sha256, member), on one worker -> the tarball fragments to write."""

    def __init__(self, staging: str, store: tuple[str, ...] = ()):
        super().__init__(store)
        self.staging = staging

    def process(self, placed: list[tuple[str, int, str, str]]):
        yield from plan_tarball(placed, self.staging)


def plan_tarball(placed: list[tuple[str, int, str, str]], staging: str):
    """Write the sorted list of parse files; emit the tarball fragments (number, entries) to write."""
    placed = sorted(placed)
    lines = (parse_file_line(path, size, sha256) for path, size, sha256, _ in placed)
    files.write_bytes(files.join(staging, PARSE_FILES_PART), sorted_part_bytes(lines))
    entries = tree_entries(DOCUMENT_PARSES, (PDF_JSON, PMC_JSON),
                           [(path, size, member) for path, size, _, member in placed])
    for number, fragment in enumerate(plan_fragments(entries)):
        yield number, fragment


class WriteTarFragment(files.StoreDoFn):
    """Concatenate one fragment's members into its part of the tarball; emit (number, part name, raw length)."""

    def __init__(self, staging: str, store: tuple[str, ...] = ()):
        super().__init__(store)
        self.staging = staging

    def process(self, number_and_entries):
        number, entries = number_and_entries
        name = part_name(TARBALL_PARTS, number, ".gz")
        with files.create(files.join(self.staging, name)) as out:
            raw_length = write_fragment(out, entries, lambda member: files.open_read(files.join(self.staging, member)))
        count(STAGE, "tarball_fragments")
        yield number, name, raw_length


class FinishRelease(files.StoreDoFn):
    """The final step (one element): assemble the release's own files in staging."""

    def __init__(self, staging: str, release_date: str, parser_versions: dict, previous_release: str | None,
                 store: tuple[str, ...] = (), embedding_model: tuple[dict, int | None] | None = None):
        super().__init__(store)
        self.staging, self.release_date = staging, release_date
        self.parser_versions, self.previous_release = parser_versions, previous_release
        self.embedding_model = embedding_model

    def process(self, _, **side_inputs):
        yield from finish_release(_, self.staging, self.release_date, self.parser_versions, self.previous_release,
                                  embedding_model=self.embedding_model, **side_inputs)


def finish_release(_, staging: str, release_date: str, parser_versions: dict, previous_release: str | None,
                   metadata_parts, dead_letter_parts, report_parts, fragments, changes, source_records, registry,
                   embedding_parts=(), embedding_model: tuple[dict, int | None] | None = None):
    """Assemble the release's own files in staging (manifest last); emit the manifest's header.

    `embedding_model` is (the model's manifest entry, its known width) when the build embeds papers.
    """
    previous = read_previous_release(files.BeamFolder(previous_release)) if previous_release else None
    embeddings = None
    if embedding_model is not None:
        embeddings = EmbeddingsInputs(model=embedding_model[0], parts=list(embedding_parts),
                                      dimensions=embedding_model[1])
    inputs = AssemblyInputs(
        release_date=release_date,
        parser_versions=parser_versions,
        source_record_count=source_records,
        metadata_parts=sorted(metadata_parts),
        dead_letter_parts=sorted(dead_letter_parts),
        dedup_report_parts=sorted(report_parts),
        tarball_fragments=[(name, length) for _, name, length in sorted(fragments)],
        cord_uid_changes=changes,
        previous=previous,
        embeddings=embeddings,
    )
    yield assemble_release(files.BeamFolder(staging), inputs)


@dataclass
class WriteRelease(beam.PTransform):
    """Writes the release into staging; its output is the manifest's header (one element).

    Inputs: rows, dead_letters, report (dedup report entries), placed ((path, size,
    sha256) of each parse file in place), changes, source_records, registry_written, and
    optionally embeddings (EmbedPapers' parts, with `embedding_model` set: the model's
    manifest entry and known width).
    """

    staging: str
    release_date: str
    parser_versions: dict
    previous_release: str | None = None
    store: tuple[str, ...] = ()  # files.store_flags: how workers reach the store
    embedding_model: tuple[dict, int | None] | None = None

    def __post_init__(self):
        super().__init__()

    def expand(self, inputs):
        embedding_parts = {}
        if "embeddings" in inputs:
            embedding_parts["embedding_parts"] = beam.pvalue.AsList(inputs["embeddings"])
        lines = {
            "metadata": inputs["rows"] | "MetadataLines" >> beam.Map(metadata_line),
            "dead_letters": inputs["dead_letters"] | "DeadLetterLines" >> beam.Map(canonical_line),
            "report": inputs["report"] | "ReportLines" >> beam.Map(canonical_line),
        }
        parts = {
            name: lines[name] | f"Parts{label}" >> WriteSortedParts(self.staging, folder, self.store)
            for name, label, folder in (("metadata", "Metadata", METADATA_PARTS),
                                        ("dead_letters", "DeadLetters", DEAD_LETTER_PARTS),
                                        ("report", "DedupReport", DEDUP_REPORT_PARTS))
        }
        fragments = (
            inputs["placed"]
            | "GatherParseFiles" >> GatherAll()
            | "PlanTarball" >> beam.ParDo(PlanTarball(self.staging, self.store))
            | "SpreadFragments" >> beam.Reshuffle()
            | "CompressFragments" >> beam.ParDo(WriteTarFragment(self.staging, self.store))
        )
        side = beam.pvalue
        return (
            inputs["placed"].pipeline
            | "Start" >> beam.Create([None])
            | "Finish" >> beam.ParDo(
                FinishRelease(self.staging, self.release_date, self.parser_versions, self.previous_release, self.store,
                              self.embedding_model),
                metadata_parts=side.AsList(parts["metadata"]),
                dead_letter_parts=side.AsList(parts["dead_letters"]),
                report_parts=side.AsList(parts["report"]),
                fragments=side.AsList(fragments),
                changes=side.AsSingleton(inputs["changes"]),
                source_records=side.AsSingleton(inputs["source_records"]),
                registry=side.AsSingleton(inputs["registry_written"]),
                **embedding_parts,
            )
        )
