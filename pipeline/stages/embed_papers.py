"""EmbedPapers: one vector per released paper from its title and abstract, written as sorted parts.

- each metadata row becomes (cord_uid, title, abstract, text digest);
- papers are grouped into parts by cord_uid range (`release.embeddings.part_number`),
  one shuffle of the texts only;
- a worker sorts its part's papers and takes, for each paper whose text digest is
  unchanged, its vector's bytes from the previous release's `cord_19_embeddings.parquet`
  (read from its location, the part's row group alone, and only when it was embedded by
  the same model at the same revision): previous vectors never enter the shuffle;
- it embeds the papers without a vector in batches of `batch_size` taken in cord_uid
  order (so a batch never depends on how the runner bundled the elements, and the floats
  are the same on every run), and writes the part's files.

The model and the previous file are opened once per worker, in setup. Counters:
`embed_papers.embedded` (vectors computed) and `embed_papers.reused`.
"""
import json
import logging
from dataclasses import dataclass

import apache_beam as beam
import numpy as np

from pipeline.stages import files
from pipeline.stages.metrics import count
from release.embedding_models import ModelSpec, load_model
from release.embeddings import (
    DTYPE,
    EmbeddingPart,
    PreviousVectors,
    part_files,
    part_number,
    previous_model_matches,
    text_sha256,
)
from release.layout import EMBEDDING_PARTS, EMBEDDINGS_PARQUET, MANIFEST, part_name

STAGE = "embed_papers"
logger = logging.getLogger(__name__)
DEFAULT_BATCH_SIZE = 32


def paper_text(row: dict) -> tuple[int, tuple[str, str, str, str]]:
    """(part, (cord_uid, title, abstract, digest of both)) of a metadata row."""
    title, abstract = row.get("title") or "", row.get("abstract") or ""
    return part_number(row["cord_uid"]), (row["cord_uid"], title, abstract, text_sha256(title, abstract))


def open_previous_vectors(previous: str, model_entry: dict):
    """(open handle, PreviousVectors) of a previous release's embeddings made by the same model; None without."""
    manifest_path, parquet_path = files.join(previous, MANIFEST), files.join(previous, EMBEDDINGS_PARQUET)
    if not (files.exists(manifest_path) and files.exists(parquet_path)):
        return None
    if not previous_model_matches(json.loads(files.read_bytes(manifest_path)), model_entry):
        logger.info("the previous release's vectors come from another model or revision: every paper is embedded")
        return None
    handle = files.open_read(parquet_path)
    return handle, PreviousVectors(handle)


def reuse_or_embed(papers: list[tuple], previous: dict[tuple[str, str], bytes]) -> list[tuple]:
    """(uid, digest, title, abstract, vector or None) of a part's papers in cord_uid order: the previous release's
    vector of the same cord_uid and text digest when there is one."""
    return [(uid, digest, title, abstract, previous.get((uid, digest)))
            for uid, title, abstract, digest in sorted(papers, key=lambda paper: paper[0])]


class EmbedPart(files.StoreDoFn):
    """One part's papers -> its files in staging (the new vectors embedded here); emits its EmbeddingPart."""

    def __init__(self, staging: str, spec: ModelSpec, batch_size: int, previous_release: str | None = None,
                 store: tuple[str, ...] = ()):
        super().__init__(store)
        self.staging, self.spec, self.batch_size = staging, spec, batch_size
        self.previous_release = previous_release
        self.model = None
        self.previous = None

    def setup(self):
        super().setup()
        self.model = load_model(self.spec)
        if self.previous_release:
            self.previous = open_previous_vectors(self.previous_release, self.spec.manifest_entry())

    def teardown(self):
        if self.previous is not None:
            self.previous[0].close()
            self.previous = None

    def process(self, number_and_papers):
        number, papers = number_and_papers
        previous = self.previous[1].part(number) if self.previous is not None else {}
        part = embed_part(self.model, number, reuse_or_embed(list(papers), previous), self.batch_size, self.staging)
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
        return (
            rows
            | "PaperTexts" >> beam.Map(paper_text)
            | "GroupParts" >> beam.GroupByKey()
            | "EmbedParts" >> beam.ParDo(EmbedPart(self.staging, self.spec, self.batch_size, self.previous_release,
                                                   self.store))
        )
