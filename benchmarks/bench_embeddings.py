"""EmbedPapers against the bare encode of the same model, memory over many papers, and a 1%-changed nightly.

    python benchmarks/bench_embeddings.py [--papers 10000] [--model hashing-768|tiny-bert|bert-base|PATH]
                                          [--rss-papers 100000] [--repeat 3]

    e.g. --model bert-base --papers 320 --rss-papers 0 --repeat 1   (~8 min on 2 shared cores)

The papers (a title and a 220-word abstract each, ~240 tokens) are made first and written
to a JSONL file, outside every timed row. Their cord_uids fill parts of at least 320 papers
(up to 100 parts), so the stage's batches, formed a part at a time, are full batches as in
a real release (a 100k-paper release has ~77 papers in each of its 1296 parts); with
fewer papers a part than the batch size a transformer runs smaller batches than the floor.
Then, one row each, seconds and papers per second:

- `read JSONL in Beam`: a pipeline that only reads and parses the file (Beam start-up
  included); the stage's rows below subtract it; each Beam row is the fastest of
  --repeat runs (the machine is shared: one disturbed run moves a row by a third);
- `bare encode` (the issue's floor): `model.encode` over the same texts, in cord_uid
  order, in batches of the stage's batch size, model loaded beforehand;
- `output without Beam`: what any writer of the release must do with those vectors: the
  CSV rows formatted, gzip-compressed, and the Parquet file (cord_uid, text_sha256,
  vectors) written; `encode + output` is the sum;
- `EmbedPapers`: the pipeline reading the JSONL and running the stage (its parts on disk),
  `net` the same minus the read row (model load in the workers included);
- `assemble`: the final step's tarball and Parquet file from the parts;
- `bare encode again`: the floor once more after the stage (the machine is shared: load
  moves); the ratios take the faster of the two, the one least favourable to the stage;
- ratios: floor / stage net, and (encode + output) / (stage net + assemble);
- the nightly: the stage again with the full run as previous release and 1% of the
  abstracts changed, against the full run; and its floor on this runner: the stage's
  one shuffle alone (read, (part, text) per paper, GroupByKey; minus the read row), which
  any nightly pays to learn what changed, plus the changed papers' share of the bare encode,
  plus writing the release's two files again (the previous Parquet file read and written,
  the tarball copied), which any nightly must produce;
- RSS: the stage over --rss-papers papers in a child process, sampled every 0.1 s, and
  beside it the memory floor of the in-process runner: a child that reads the same papers
  and shuffles the same (part, text) elements into the stage's parts, and does nothing else.

`bert-base` is a randomly initialised BERT-base (BertConfig defaults: 12 layers, hidden
768, 12 heads, intermediate 3072; a small word vocabulary) saved in a temporary folder: a
SPECTER-sized model, with SPECTER's 512-token cap, whose per-paper cost is the real one
(but whose vectors are nearly the same for every paper, so its sizes line says nothing
of a real model's: the dense-float figure beside it does).
"""
import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import apache_beam as beam  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from pipeline.stages.embed_papers import DEFAULT_BATCH_SIZE, EmbedPapers, paper_text  # noqa: E402
from pipeline.stages.options import make_pipeline_options  # noqa: E402
from release.embedding_models import load_model, resolve_model  # noqa: E402
from release.embeddings import (  # noqa: E402
    ROWS_PER_CHUNK,
    EmbeddingPart,
    csv_rows,
    parquet_schema,
    part_files,
    text_sha256,
    write_parquet,
    write_tarball,
)
from release.folders import LocalFolder  # noqa: E402
from release.tarball import COMPRESS_LEVEL  # noqa: E402

WORDS = ("coronavirus spike protein binding receptor patients severe acute respiratory syndrome trial cohort "
         "vaccine antibody neutralising viral load transmission hospital mortality outcome model").split()
RELEASE_DATE = "2026-01-01"
PAPERS_PER_PART = 320  # ten full batches


def paper(n: int, parts: int, changed_every: int = 0) -> dict:
    """Paper n of a run spread over `parts` parts: its cord_uid starts with its part's two digits."""
    words = [WORDS[(n * 7 + k * 13) % len(WORDS)] for k in range(220)]
    revised = " revised" if changed_every and n % changed_every == 0 else ""
    return {"cord_uid": f"{n % parts:02d}{n // parts:06d}",
            "title": f"Paper {n} on " + " ".join(words[:12]), "abstract": " ".join(words) + revised}


def part_count(count: int) -> int:
    """Parts of at least PAPERS_PER_PART papers (at most 100), so the stage's batches are full ones, as in a release
    (1296 parts: a 100k-paper release has ~77 papers a part, CORD-19's ~1M ~770)."""
    return max(1, min(100, count // PAPERS_PER_PART))


def write_jsonl(path: Path, count: int, changed_every: int = 0) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            out.write(json.dumps(paper(n, part_count(count), changed_every)) + "\n")
    return path


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def timed(label: str, papers: int, seconds: float) -> float:
    """Print a row: its seconds, and papers per second when `papers` (0: a row that is not per paper)."""
    rate = f"{papers / seconds:8.{0 if papers / seconds >= 100 else 2}f} papers/s" if papers and seconds > 0 else ""
    print(f"  {label:<52} {seconds:8.2f} s  {rate}")
    return seconds


def read_only(jsonl: Path) -> float:
    """A pipeline that reads and parses the JSONL and does nothing else."""
    start = time.perf_counter()
    with beam.Pipeline(options=make_pipeline_options([])) as p:
        _ = (p | beam.io.ReadFromText(str(jsonl)) | beam.Map(json.loads)
             | beam.combiners.Count.Globally())
    return time.perf_counter() - start


def shuffle_only(jsonl: Path) -> None:
    """The stage's one shuffle and nothing else: read the JSONL, (part, text) per paper, GroupByKey, count."""
    with beam.Pipeline(options=make_pipeline_options([])) as p:
        _ = (p | beam.io.ReadFromText(str(jsonl)) | beam.Map(json.loads) | beam.Map(paper_text)
             | beam.GroupByKey() | beam.MapTuple(lambda number, papers: sum(1 for _ in papers))
             | beam.combiners.Count.Globally())


def run_stage(jsonl: Path, staging: Path, spec, previous: str | None = None) -> tuple[float, list[EmbeddingPart]]:
    """The pipeline: read the JSONL, EmbedPapers (parts written to `staging`); its seconds and parts."""
    collected = staging.parent / (staging.name + ".parts.json")
    start = time.perf_counter()
    with beam.Pipeline(options=make_pipeline_options([])) as p:
        rows = p | beam.io.ReadFromText(str(jsonl)) | beam.Map(json.loads)
        out = rows | EmbedPapers(str(staging), spec, previous)
        _ = (out | beam.Map(lambda part: json.dumps(part.__dict__)) | beam.combiners.ToList()
             | beam.Map(lambda lines: collected.write_text("\n".join(lines))))
    elapsed = time.perf_counter() - start
    return elapsed, [EmbeddingPart(**json.loads(line)) for line in collected.read_text().splitlines() if line]


def assemble(staging: Path, parts: list[EmbeddingPart], folder: Path) -> float:
    """The final step's two files from the parts: the tarball and the Parquet file."""
    folder.mkdir()
    start = time.perf_counter()
    with open(folder / "cord_19_embeddings.tar.gz", "wb") as out:
        members = write_tarball(out, LocalFolder(staging), RELEASE_DATE, parts)
    with open(folder / "cord_19_embeddings.parquet", "wb") as out:
        write_parquet(out, LocalFolder(staging), parts, parts[0].dimensions, members)
    (folder / "manifest.json").write_text("{}")
    return time.perf_counter() - start


def bare_encode(rows: list[dict], model) -> tuple[float, np.ndarray]:
    """The floor: encode the texts in cord_uid order, DEFAULT_BATCH_SIZE at a time."""
    texts = [(row["title"], row["abstract"]) for row in rows]
    start = time.perf_counter()
    vectors = [np.asarray(model.encode(texts[begin:begin + DEFAULT_BATCH_SIZE]), dtype=np.float32)
               for begin in range(0, len(texts), DEFAULT_BATCH_SIZE)]
    return time.perf_counter() - start, np.concatenate(vectors)


def bare_output(rows: list[dict], vectors: np.ndarray, folder: Path) -> float:
    """The unavoidable output work: CSV rows formatted and gzipped, and the Parquet file, in one go."""
    folder.mkdir()
    start = time.perf_counter()
    uids = [row["cord_uid"] for row in rows]
    text = csv_rows(uids, vectors).encode("utf-8")
    (folder / "rows.csv.gz").write_bytes(gzip.compress(text, compresslevel=COMPRESS_LEVEL, mtime=0))
    digests = [text_sha256(row["title"], row["abstract"]) for row in rows]
    width = vectors.shape[1]
    table = pa.Table.from_arrays(
        [pa.array(uids, type=pa.string()), pa.array(digests, type=pa.string()),
         pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), type=pa.float32()), width)],
        schema=parquet_schema(width))
    pq.write_table(table, folder / "vectors.parquet", compression="zstd", use_dictionary=False,
                   write_statistics=False)
    return time.perf_counter() - start


def rewrite_release_files(previous: Path, folder: Path) -> float:
    """What any nightly must write however little changed: the previous release's two files written again (the
    Parquet file read and written with the release's settings, the tarball's bytes copied)."""
    folder.mkdir()
    start = time.perf_counter()
    table = pq.read_table(previous / "cord_19_embeddings.parquet")
    pq.write_table(table, folder / "cord_19_embeddings.parquet", compression="zstd", use_dictionary=False,
                   write_statistics=False)
    shutil.copyfile(previous / "cord_19_embeddings.tar.gz", folder / "cord_19_embeddings.tar.gz")
    return time.perf_counter() - start


def dense_chunk_overhead(count: int) -> float:
    """Chunked CSV size over whole-file gzip size for `count` rows of seeded normal floats (a real model's vectors
    are dense and differ row by row; this benchmark's random BERT gives every paper nearly the same vector)."""
    vectors = (np.random.default_rng(0).standard_normal((count, 768)) * 0.05).astype(np.float32)
    rows = [(f"{n:08d}", "d", vector.tobytes()) for n, vector in enumerate(vectors)]
    chunked = part_files(rows)
    whole = gzip.compress(csv_rows([uid for uid, _, _ in rows], vectors).encode(), compresslevel=COMPRESS_LEVEL, mtime=0)
    return len(chunked.csv_member) / len(whole)


def with_previous(previous: Path, spec) -> str:
    (previous / "manifest.json").write_text(json.dumps({"embeddings": spec.manifest_entry()}))
    return str(previous)


def fastest(repeat: int, run) -> tuple[float, object]:
    """(seconds, result) of the fastest of `repeat` calls of `run(index)` -> (seconds, result): the machine is shared,
    and the fastest run is the one least disturbed."""
    return min((run(index) for index in range(repeat)), key=lambda outcome: outcome[0])


def seconds_of(function, *args) -> tuple[float, None]:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start, None


def throughput_and_nightly(args, scratch: Path, spec) -> None:
    count = args.papers

    def staged(jsonl: Path, name: str, previous: str | None = None) -> tuple[float, tuple[Path, list[EmbeddingPart]]]:
        def run(index: int):
            seconds, parts = run_stage(jsonl, scratch / f"{name}-{index}", spec, previous)
            return seconds, (scratch / f"{name}-{index}", parts)
        return fastest(args.repeat, run)

    start = time.perf_counter()
    jsonl = write_jsonl(scratch / "papers.jsonl", count)
    nightly_jsonl = write_jsonl(scratch / "nightly.jsonl", count, changed_every=100)
    rows = sorted(read_rows(jsonl), key=lambda row: row["cord_uid"])
    print(f"model {spec.name} ({spec.kind}), {count} papers in {part_count(count)} parts, batch {DEFAULT_BATCH_SIZE}")
    timed("make the papers, write both JSONL files", 2 * count, time.perf_counter() - start)
    start = time.perf_counter()
    model = load_model(spec)
    timed("load the model (not in the floor)", 0, time.perf_counter() - start)
    read = timed("read JSONL in Beam (start-up, read, parse)", count,
                 fastest(args.repeat, lambda index: (read_only(jsonl), None))[0])
    floor, vectors = bare_encode(rows, model)
    timed("bare encode (floor)", count, floor)
    output = timed("output without Beam (CSV+gzip, Parquet)", count, bare_output(rows, vectors, scratch / "bare"))
    timed("encode + output", count, floor + output)
    full, (staging, parts) = staged(jsonl, "full")
    timed("EmbedPapers pipeline (read JSONL + stage)", count, full)
    net = timed("EmbedPapers net (minus the read row)", count, full - read)
    assembled = timed("assemble (tarball + Parquet from parts)", count,
                      assemble(staging, parts, scratch / "previous"))
    timed("EmbedPapers net + assemble", count, net + assembled)
    whole = (scratch / "bare" / "rows.csv.gz").stat().st_size
    tarball = (scratch / "previous" / "cord_19_embeddings.tar.gz").stat().st_size
    print(f"  sizes: the CSV gzipped whole {whole:,} bytes; the release's tarball (chunks of ~{ROWS_PER_CHUNK} rows, "
          f"a gzip member each) {tarball:,} bytes, {tarball / whole:.3f}x; for 1,000 rows of distinct dense floats: "
          f"{dense_chunk_overhead(1000):.3f}x")
    floor = min(floor, timed("bare encode again, after the stage", count, bare_encode(rows, model)[0]))
    print(f"  (the ratios take the faster bare encode: {floor:.2f} s; the machine is shared)")
    print(f"  ratio floor / stage net: {floor / net:.2f}x; "
          f"(encode + output) / (stage net + assemble): {(floor + output) / (net + assembled):.2f}x")
    nightly, (nightly_staging, nightly_parts) = staged(nightly_jsonl, "nightly",
                                                       with_previous(scratch / "previous", spec))
    embedded = sum(part.embedded for part in nightly_parts)
    reused = sum(part.reused for part in nightly_parts)
    nightly_net = timed(f"1%-changed nightly net ({embedded} embedded, {reused} reused)", count, nightly - read)
    nightly_assembled = timed("nightly assemble", count, assemble(nightly_staging, nightly_parts,
                                                                  scratch / "nightly-release"))
    print(f"  nightly net / full net: {100 * nightly_net / net:.1f}%; with assemble: "
          f"{100 * (nightly_net + nightly_assembled) / (net + assembled):.1f}%; "
          f"nightly net / full run's bare encode: {100 * nightly_net / floor:.1f}%")
    shuffled = timed("nightly floor: the stage's shuffle alone, net", count,
                     fastest(args.repeat, lambda index: seconds_of(shuffle_only, nightly_jsonl))[0] - read)
    rewrite = timed("nightly floor: the two release files written again", count,
                    fastest(args.repeat, lambda index: (rewrite_release_files(scratch / "previous",
                                                                              scratch / f"rewrite-{index}"), None))[0])
    changed_floor = shuffled + floor * embedded / count + rewrite
    print(f"  nightly floor (shuffle + {embedded} papers' share of the bare encode + the files): {changed_floor:.2f} s"
          f" = {100 * changed_floor / (net + assembled):.1f}% of the full run with assemble; nightly with assemble / "
          f"floor: {(nightly_net + nightly_assembled) / changed_floor:.2f}x")


def rss_series(jsonl: Path, model: str, child_flag: str = "--child") -> list[float]:
    """Run the stage (or, with --child-shuffle, its shuffle alone) over the JSONL's papers in a child process; its
    RSS in MiB, every 0.1 s."""
    child = subprocess.Popen([sys.executable, __file__, child_flag, str(jsonl), "--model", model])
    series = []
    while child.poll() is None:
        try:
            with open(f"/proc/{child.pid}/status") as status:
                kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
            series.append(kb / 1024)
        except (OSError, StopIteration):
            pass
        time.sleep(0.1)
    return series


def resolve(name: str, scratch: Path):
    """A model name of this benchmark (tiny-bert, bert-base) or of `cord19 build --embedding-model`."""
    if name in ("tiny-bert", "bert-base"):
        from tests.support.tiny_models import bert_base_sized, tiny_bert

        os.environ["HF_HUB_OFFLINE"] = "1"
        folder = scratch / name
        name = str(tiny_bert(folder) if name == "tiny-bert" else bert_base_sized(folder, WORDS))
    return resolve_model(name)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=10000)
    parser.add_argument("--rss-papers", type=int, default=100000)
    parser.add_argument("--model", default="hashing-768")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each Beam row, the fastest kept")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--child-shuffle", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        if args.child:
            run_stage(Path(args.child), scratch / "rss", resolve(args.model, scratch))
            return 0
        if args.child_shuffle:
            shuffle_only(Path(args.child_shuffle))
            return 0
        spec = resolve(args.model, scratch)
        if args.papers:
            throughput_and_nightly(args, scratch, spec)
        if args.rss_papers:
            jsonl = write_jsonl(scratch / "rss.jsonl", args.rss_papers)
            series = rss_series(jsonl, args.model)
            print(f"RSS over {args.rss_papers} papers, {len(series) / 10:.0f} s (MiB, 30 samples): "
                  + " ".join(f"{value:.0f}" for value in series[:: max(len(series) // 30, 1)]))
            print(f"peak self {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, "
                  f"child peak {max(series, default=0):.0f} MiB")
            floor = max(rss_series(jsonl, args.model, "--child-shuffle"), default=0)
            print(f"the in-process runner's floor, the same shuffle alone: peak {floor:.0f} MiB; "
                  f"the stage above it: {max(series, default=0) - floor:.0f} MiB")
    return 0


if __name__ == "__main__":
    threading.stack_size(1 << 24)
    sys.exit(main())
