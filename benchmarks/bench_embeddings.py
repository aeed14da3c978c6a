"""EmbedPapers against the bare encode of the same model, memory over many papers, and a 1%-changed nightly.

    python benchmarks/bench_embeddings.py [--papers 20000] [--model hashing-768|tiny-bert|PATH] [--rss-papers 100000]

1. throughput: the stage (Beam DirectRunner, in-process: texts -> parts on disk) against
   `model.encode` over the same texts in the same batches (the floor), papers per second;
2. RSS: the stage over --rss-papers papers in a child process, RSS sampled every second;
3. nightly: the stage again with the first run as previous release and 1% of abstracts changed,
   its time against the full run's.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import apache_beam as beam  # noqa: E402

from pipeline.stages.embed_papers import DEFAULT_BATCH_SIZE, EmbedPapers  # noqa: E402
from pipeline.stages.options import make_pipeline_options  # noqa: E402
from release.embedding_models import load_model, resolve_model  # noqa: E402
from release.embeddings import write_parquet  # noqa: E402
from release.folders import LocalFolder  # noqa: E402

WORDS = ("coronavirus spike protein binding receptor patients severe acute respiratory syndrome trial cohort "
         "vaccine antibody neutralising viral load transmission hospital mortality outcome model").split()


def papers(count: int, changed_every: int = 0) -> list[dict]:
    rows = []
    for n in range(count):
        words = [WORDS[(n * 7 + k * 13) % len(WORDS)] for k in range(220)]
        revised = " revised" if changed_every and n % changed_every == 0 else ""
        rows.append({"cord_uid": f"{n:08d}"[::-1],  # unique, spread over the parts by their leading digits
                     "title": f"Paper {n} on " + " ".join(words[:12]), "abstract": " ".join(words) + revised})
    return rows


def run_stage(count: int, changed_every: int, staging: Path, spec, previous: str | None = None) -> tuple[float, list]:
    """The stage over `papers(count, changed_every)`, made inside the pipeline (a Create of the rows would pickle
    them all into the graph, which costs more than the stage)."""
    collected = staging.parent / (staging.name + ".parts.json")
    start = time.perf_counter()
    with beam.Pipeline(options=make_pipeline_options([])) as p:
        rows = p | beam.Create([(count, changed_every)]) | beam.FlatMap(lambda args: papers(*args))
        out = rows | EmbedPapers(str(staging), spec, previous)
        _ = (out | beam.Map(lambda part: json.dumps(part.__dict__)) | beam.combiners.ToList()
             | beam.Map(lambda lines: collected.write_text("\n".join(lines))))
    elapsed = time.perf_counter() - start
    from release.embeddings import EmbeddingPart

    parts = [EmbeddingPart(**json.loads(line)) for line in collected.read_text().splitlines() if line]
    return elapsed, parts


def bare_encode(rows, spec) -> float:
    model = load_model(spec)
    texts = sorted(((row["cord_uid"], row["title"], row["abstract"]) for row in rows))
    start = time.perf_counter()
    for begin in range(0, len(texts), DEFAULT_BATCH_SIZE):
        model.encode([(title, abstract) for _, title, abstract in texts[begin:begin + DEFAULT_BATCH_SIZE]])
    return time.perf_counter() - start


def previous_release(folder: Path, staging: Path, parts, spec) -> str:
    folder.mkdir()
    with open(folder / "cord_19_embeddings.parquet", "wb") as out:
        write_parquet(out, LocalFolder(staging), parts, parts[0].dimensions)
    (folder / "manifest.json").write_text(json.dumps({"embeddings": spec.manifest_entry()}))
    return str(folder)


def rss_series(count: int, model: str) -> list[float]:
    """Run the stage over `count` papers in a child process; its RSS in MiB, once a second."""
    child = subprocess.Popen([sys.executable, __file__, "--child", str(count), "--model", model])
    series = []
    while child.poll() is None:
        try:
            with open(f"/proc/{child.pid}/status") as status:
                kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
            series.append(kb / 1024)
        except (OSError, StopIteration):
            pass
        time.sleep(1)
    return series


def resolve(name: str, scratch: Path):
    if name == "tiny-bert":
        from tests.support.tiny_models import tiny_bert

        os.environ["HF_HUB_OFFLINE"] = "1"
        name = str(tiny_bert(scratch / "tiny-bert"))
    return resolve_model(name)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=20000)
    parser.add_argument("--rss-papers", type=int, default=100000)
    parser.add_argument("--model", default="hashing-768")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        spec = resolve(args.model, scratch)
        if args.child:
            run_stage(args.child, 0, scratch / "rss", spec)
            return 0
        rows = papers(args.papers)
        floor = bare_encode(rows, spec)
        full, parts = run_stage(args.papers, 0, scratch / "full", spec)
        print(f"model {spec.name} ({spec.kind}), {args.papers} papers, batch {DEFAULT_BATCH_SIZE}")
        print(f"bare encode: {floor:.2f} s ({args.papers / floor:.0f} papers/s)")
        print(f"EmbedPapers: {full:.2f} s ({args.papers / full:.0f} papers/s), ratio to the floor {floor / full:.2f}x")
        previous = previous_release(scratch / "previous", scratch / "full", parts, spec)
        nightly, nightly_parts = run_stage(args.papers, 100, scratch / "nightly", spec, previous)
        embedded = sum(part.embedded for part in nightly_parts)
        print(f"1%-changed nightly: {nightly:.2f} s, {embedded} embedded, "
              f"{sum(part.reused for part in nightly_parts)} reused: {100 * nightly / full:.1f}% of the full run")
        if args.rss_papers:
            series = rss_series(args.rss_papers, args.model)
            print(f"RSS over {args.rss_papers} papers (MiB, every second): "
                  + " ".join(f"{value:.0f}" for value in series[:: max(len(series) // 20, 1)]))
            print(f"peak self {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, "
                  f"child peak {max(series, default=0):.0f} MiB")
    return 0


if __name__ == "__main__":
    threading.stack_size(1 << 24)
    sys.exit(main())
