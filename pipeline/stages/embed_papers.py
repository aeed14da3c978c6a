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
  are the same on every run), and writes the part's files; a part whose rows are all
  the previous release's (same cord_uids, digests and model) copies its CSV member from
  the previous tarball (its place and CRC-32 are in the Parquet file's metadata) instead
  of formatting and compressing the rows again; in a part with some changed rows, the
  previous member is inflated chunk by chunk: the rows of reused vectors are taken from
  it (only new vectors' floats are printed) and so is the gzip member of every chunk whose
  text is unchanged (only the chunks of changed, new or retired papers are compressed).

The model and the previous file are opened once per worker, in setup. Counters:
`embed_papers.embedded` (vectors computed), `embed_papers.reused`,
`embed_papers.copied_parts` (CSV members copied from the previous tarball), and in the
other parts `embed_papers.reused_lines` (CSV rows taken from it) and
`embed_papers.reused_chunks` (gzip members taken from it).
"""
import json
import logging
import zlib
from dataclasses import dataclass
from typing import BinaryIO

import apache_beam as beam
import numpy as np

from pipeline.stages import files
from pipeline.stages.metrics import count
from release.embedding_models import ModelSpec, load_model
from release.embeddings import (
    DTYPE,
    EmbeddingPart,
    PreviousVectors,
    chunk_lines,
    csv_length_bound,
    first_member_length,
    member_chunks,
    part_files,
    part_number,
    part_vectors,
    previous_model_matches,
    rows_sha256,
    text_sha256,
)
from release.layout import EMBEDDING_PARTS, EMBEDDINGS_PARQUET, EMBEDDINGS_TARBALL, MANIFEST, part_name

STAGE = "embed_papers"
logger = logging.getLogger(__name__)
DEFAULT_BATCH_SIZE = 32


def paper_text(row: dict) -> tuple[int, tuple[str, str, str, str]]:
    """(part, (cord_uid, title, abstract, digest of both)) of a metadata row."""
    title, abstract = row.get("title") or "", row.get("abstract") or ""
    return part_number(row["cord_uid"]), (row["cord_uid"], title, abstract, text_sha256(title, abstract))


@dataclass
class PreviousEmbeddings:
    """A previous release's embeddings, open for reading a part at a time."""

    handle: BinaryIO  # of its Parquet file
    vectors: PreviousVectors
    tarball: BinaryIO | None  # its cord_19_embeddings.tar.gz, when it has a readable one
    header_length: int  # of the tarball's first gzip member (CSV members' offsets count from its end)

    def csv_member(self, number: int, papers: list[tuple]) -> tuple[bytes, int] | None:
        """(compressed bytes, raw length) of part `number`'s CSV member in the previous tarball, when the part's
        papers are exactly the rows it holds (same cord_uids and text digests, every vector reused) and its bytes
        are intact."""
        place = self.vectors.csv_members.get(number)
        if place is None or any(paper[4] is None for paper in papers) or rows_sha256(papers) != place.rows_sha256:
            return None
        data = self._member_bytes(number)
        return None if data is None else (data, place.raw_length)

    def csv_chunks(self, number: int, previous_rows: dict[tuple[str, str], bytes]) -> list[tuple[str, bytes]]:
        """(text, gzip member) of each chunk of part `number`'s CSV in the previous tarball ([] when it has no intact
        member for it): the row of a paper whose vector is reused is the same text, and so is a chunk of such rows.
        `previous_rows` (the part's previous vectors) bound how much the member may inflate to."""
        place = self.vectors.csv_members.get(number)
        if place is None:
            return []
        if place.raw_length > csv_length_bound((uid, vector) for (uid, _), vector in previous_rows.items()):
            logger.warning("part %d's CSV member in the previous tarball claims %d bytes, more than its rows can "
                           "take: formatted again", number, place.raw_length)
            return []
        data = self._member_bytes(number)
        if data is None:
            return []
        try:
            return member_chunks(data, place.raw_length)
        except (ValueError, UnicodeDecodeError, zlib.error) as exc:
            logger.warning("part %d's CSV member in the previous tarball cannot be read (%s): formatted again",
                           number, exc)
            return []

    def _member_bytes(self, number: int) -> bytes | None:
        """Part `number`'s CSV member as the previous tarball holds it, when its CRC-32 is the recorded one."""
        place = self.vectors.csv_members.get(number)
        if self.tarball is None or place is None:
            return None
        self.tarball.seek(self.header_length + place.offset)
        data = self.tarball.read(place.length)
        if zlib.crc32(data) != place.crc32:
            logger.warning("part %d's CSV member in the previous tarball is not what its Parquet file says: "
                           "formatted again", number)
            return None
        return data

    def close(self) -> None:
        self.handle.close()
        if self.tarball is not None:
            self.tarball.close()


def open_previous_embeddings(previous: str, model_entry: dict) -> PreviousEmbeddings | None:
    """A previous release's embeddings made by the same model; None when there are none to reuse."""
    manifest_path, parquet_path = files.join(previous, MANIFEST), files.join(previous, EMBEDDINGS_PARQUET)
    if not (files.exists(manifest_path) and files.exists(parquet_path)):
        return None
    if not previous_model_matches(json.loads(files.read_bytes(manifest_path)), model_entry):
        logger.info("the previous release's vectors come from another model or revision: every paper is embedded")
        return None
    handle = files.open_read(parquet_path)
    tarball, header_length = open_tarball(files.join(previous, EMBEDDINGS_TARBALL))
    return PreviousEmbeddings(handle, PreviousVectors(handle), tarball, header_length)


def open_tarball(path: str) -> tuple[BinaryIO | None, int]:
    """(open handle, length of its first gzip member) of a previous tarball; (None, 0) when it is missing or
    unreadable (its CSV members are then formatted again, never copied)."""
    try:
        handle = files.open_read(path)
    except FileNotFoundError:
        return None, 0
    try:
        return handle, first_member_length(handle)
    except (OSError, ValueError, zlib.error) as exc:
        handle.close()
        logger.warning("%s: its first member cannot be read (%s); no CSV member is copied from it", path, exc)
        return None, 0


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
            self.previous = open_previous_embeddings(self.previous_release, self.spec.manifest_entry())

    def teardown(self):
        if self.previous is not None:
            self.previous.close()
            self.previous = None

    def process(self, number_and_papers):
        number, papers = number_and_papers
        old = self.previous.vectors.part(number) if self.previous is not None else {}
        papers = reuse_or_embed(list(papers), old)
        copied, chunks = None, []
        if self.previous is not None and any(paper[4] is not None for paper in papers):
            copied = self.previous.csv_member(number, papers)
            chunks = [] if copied is not None else self.previous.csv_chunks(number, old)
        lines = chunk_lines(chunks)
        part, reused_chunks = embed_part(self.model, number, papers, self.batch_size, self.staging, copied, lines,
                                         dict(chunks))
        count(STAGE, "embedded", amount=part.embedded)
        count(STAGE, "reused", amount=part.reused)
        if copied is not None:
            count(STAGE, "copied_parts")
        elif chunks:
            taken = sum(1 for paper in papers if paper[4] is not None and paper[0] in lines)
            count(STAGE, "reused_lines", amount=taken)
            count(STAGE, "reused_chunks", amount=reused_chunks)
        yield part


def embed_part(model, number: int, papers: list[tuple], batch_size: int, staging: str,
               copied: tuple[bytes, int] | None = None, previous_lines: dict[str, str] | None = None,
               previous_chunks: dict[str, bytes] | None = None) -> tuple[EmbeddingPart, int]:
    """Embed the papers of one part that have no vector (in cord_uid order, `batch_size` at a time); write its files
    (its CSV member the `copied` one when given: (compressed bytes, raw length); else the rows of reused vectors
    taken from `previous_lines` and chunks of the same text from `previous_chunks`, both the previous release's,
    the others formatted and compressed). Returns the part and how many chunks were taken."""
    missing = [paper for paper in papers if paper[4] is None]
    vectors: dict[str, bytes] = {}
    for start in range(0, len(missing), batch_size):
        batch = missing[start:start + batch_size]
        encoded = np.asarray(model.encode([(paper[2], paper[3]) for paper in batch]), dtype=DTYPE)
        for paper, vector in zip(batch, encoded):
            vectors[paper[0]] = vector.tobytes()
    rows = [(uid, digest, vectors[uid] if old is None else old) for uid, digest, _, _, old in papers]
    reused_chunks = 0
    if copied is None:
        known = {uid: line for uid, line in (previous_lines or {}).items() if uid not in vectors}
        written = part_files(rows, known, previous_chunks)
        member, length, vectors_file, reused_chunks = (written.csv_member, written.csv_length, written.vectors,
                                                       written.reused_chunks)
    else:
        (member, length), vectors_file = copied, part_vectors(rows)
    csv_member, vectors_name = part_name(EMBEDDING_PARTS, number, ".csv.gz"), part_name(EMBEDDING_PARTS, number,
                                                                                       ".arrow")
    files.write_bytes(files.join(staging, csv_member), member)
    files.write_bytes(files.join(staging, vectors_name), vectors_file)
    return EmbeddingPart(number=number, csv_member=csv_member, csv_length=length, vectors=vectors_name,
                         rows=len(rows), embedded=len(missing), reused=len(rows) - len(missing),
                         dimensions=len(rows[0][2]) // DTYPE.itemsize, rows_sha256=rows_sha256(rows)), reused_chunks


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
