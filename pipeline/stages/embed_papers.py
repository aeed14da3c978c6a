"""EmbedPapers: one vector per released paper from its title and abstract, written as sorted parts.

- each metadata row becomes (cord_uid, title, abstract, text digest);
- with a previous release, its `cord_19_embeddings.parquet` is read by the workers from
  its location, one row group each (only when it was embedded by the same model at the
  same revision); a paper whose text digest is unchanged keeps its vector's bytes;
- papers and previous vectors are grouped into parts by cord_uid range
  (`release.embeddings.part_number`), one shuffle; a worker joins its part's papers to
  the previous vectors in memory (by cord_uid and digest), sorts them, embeds the papers
  without a vector in batches of `batch_size` taken in cord_uid order (so a batch never
  depends on how the runner bundled the elements, and the floats are the same on every
  run), and writes the part's files.

The model is loaded once per worker, in setup. Counters: `embed_papers.embedded` (vectors
computed) and `embed_papers.reused`.
"""
import itertools
import json
from dataclasses import dataclass

import apache_beam as beam
import numpy as np

from pipeline.stages import files
from pipeline.stages.metrics import count
from release.embedding_models import ModelSpec, load_model
from release.embeddings import (
    DTYPE,
    EmbeddingPart,
    part_files,
    part_number,
    previous_model_matches,
    read_row_group,
    row_group_count,
    text_sha256,
)
from release.layout import EMBEDDING_PARTS, EMBEDDINGS_PARQUET, MANIFEST, part_name

STAGE = "embed_papers"
DEFAULT_BATCH_SIZE = 32


def paper_text(row: dict) -> tuple[int, tuple[str, str, str, str]]:
    """(part, (cord_uid, title, abstract, digest of both)) of a metadata row."""
    title, abstract = row.get("title") or "", row.get("abstract") or ""
    return part_number(row["cord_uid"]), (row["cord_uid"], title, abstract, text_sha256(title, abstract))


class ListPreviousRowGroups(files.StoreDoFn):
    """A previous release's location -> (location, row group) of its embeddings made by the same model."""

    def __init__(self, model_entry: dict, store: tuple[str, ...] = ()):
        super().__init__(store)
        self.model_entry = model_entry

    def row_groups(self, previous: str) -> tuple[str, int]:
        """(the previous embeddings Parquet file, its row groups); 0 row groups when there is nothing to reuse."""
        manifest_path, parquet_path = files.join(previous, MANIFEST), files.join(previous, EMBEDDINGS_PARQUET)
        if not (files.exists(manifest_path) and files.exists(parquet_path)):
            return parquet_path, 0
        if not previous_model_matches(json.loads(files.read_bytes(manifest_path)), self.model_entry):
            count(STAGE, "previous_model_differs")
            return parquet_path, 0
        with files.open_read(parquet_path) as handle:
            return parquet_path, row_group_count(handle)

    def process(self, previous: str):
        parquet_path, groups = self.row_groups(previous)
        for index in range(groups):
            yield parquet_path, index


class ReadPreviousRowGroup(files.StoreDoFn):
    """(parquet location, row group) -> (part, [(cord_uid, text digest, vector bytes), ...]): its rows, one list per
    part (the file is in cord_uid order, so a row group spans a few neighbouring parts)."""

    def process(self, path_and_index: tuple[str, int]):
        path, index = path_and_index
        with files.open_read(path) as handle:
            rows = list(read_row_group(handle, index))
        for number, part_rows in itertools.groupby(rows, key=lambda row: part_number(row[0])):
            yield number, list(part_rows)


def reuse_or_embed(papers: list[tuple], previous: list[list[tuple]]) -> list[tuple]:
    """(uid, digest, title, abstract, vector or None) of a part's papers in cord_uid order: the previous release's
    vector of the same cord_uid and text digest when there is one."""
    old = {(uid, digest): vector for rows in previous for uid, digest, vector in rows}
    return [(uid, digest, title, abstract, old.get((uid, digest)))
            for uid, title, abstract, digest in sorted(papers, key=lambda paper: paper[0])]


class EmbedPart(files.StoreDoFn):
    """One part's papers -> its files in staging (the new vectors embedded here); emits its EmbeddingPart."""

    def __init__(self, staging: str, spec: ModelSpec, batch_size: int, store: tuple[str, ...] = ()):
        super().__init__(store)
        self.staging, self.spec, self.batch_size = staging, spec, batch_size
        self.model = None

    def setup(self):
        super().setup()
        self.model = load_model(self.spec)

    def process(self, number_and_groups):
        number, groups = number_and_groups
        papers = reuse_or_embed(list(groups["paper"]), list(groups["previous"]))
        if papers:  # a part of the previous release without a paper in this one writes nothing
            part = embed_part(self.model, number, papers, self.batch_size, self.staging)
            count(STAGE, "embedded", amount=part.embedded)
            count(STAGE, "reused", amount=part.reused)
            yield part


def embed_part(model, number: int, papers: list[tuple], batch_size: int, staging: str) -> EmbeddingPart:
    """Embed the papers of one part that have no vector (in cord_uid order, `batch_size` at a time); write its files."""
    missing = [paper for paper in papers if paper[4] is None]
    vectors: dict[str, bytes] = {}
    for start in range(0, len(missing), batch_size):
        batch = missing[start:start + batch_size]
        encoded = np.asarray(model.encode([(paper[2], paper[3]) for paper in batch]), dtype=DTYPE)
        for paper, vector in zip(batch, encoded):
            vectors[paper[0]] = vector.tobytes()
    rows = [(uid, digest, vectors[uid] if old is None else old) for uid, digest, _, _, old in papers]
    member, length, vector_lines = part_files(rows)
    csv_member, vectors_name = part_name(EMBEDDING_PARTS, number, ".csv.gz"), part_name(EMBEDDING_PARTS, number,
                                                                                       ".vectors")
    files.write_bytes(files.join(staging, csv_member), member)
    files.write_bytes(files.join(staging, vectors_name), vector_lines)
    return EmbeddingPart(number=number, csv_member=csv_member, csv_length=length, vectors=vectors_name,
                         rows=len(rows), embedded=len(missing), reused=len(rows) - len(missing),
                         dimensions=len(rows[0][2]) // DTYPE.itemsize)


@dataclass
class EmbedPapers(beam.PTransform):
    """Metadata rows -> EmbeddingPart per written part (the final step assembles the release's files)."""

    staging: str
    spec: ModelSpec
    previous_release: str | None = None
    store: tuple[str, ...] = ()  # files.store_flags: how workers reach the store
    batch_size: int = DEFAULT_BATCH_SIZE

    def __post_init__(self):
        super().__init__()

    def expand(self, rows):
        papers = rows | "PaperTexts" >> beam.Map(paper_text)
        previous = (
            rows.pipeline
            | "PreviousRelease" >> beam.Create([self.previous_release] if self.previous_release else [])
            | "PreviousRowGroups" >> beam.ParDo(ListPreviousRowGroups(self.spec.manifest_entry(), self.store))
            | "SpreadRowGroups" >> beam.Reshuffle()
            | "ReadPreviousVectors" >> beam.ParDo(ReadPreviousRowGroup(self.store))
        )
        return (
            {"paper": papers, "previous": previous}
            | "GroupParts" >> beam.CoGroupByKey()
            | "EmbedParts" >> beam.ParDo(EmbedPart(self.staging, self.spec, self.batch_size, self.store))
        )
