"""What Beam's default local runner costs per element, doing nothing: the floor under any Beam build.

Runs, on the runner `cord19 build` uses by default (the in-process FnApiRunner), pipelines
that do no work of their own on N source-record-sized dicts (about 2 KB, nested like
our records):

  create         Create + Reshuffle + count: what getting N elements into a pipeline costs
  map chain      the same, then K fused Map steps that return their input
  shuffles       the same, then S GroupByKey round trips (key, group, ungroup)

and prints CPU seconds and microseconds per element per fused step and per shuffle.
Multiplied by the steps and shuffles a record takes through the build (printed by
benchmarks/bench_build_scale.py's graph count), it gives the least any Beam pipeline of
that shape costs on this runner, whatever its functions do. Run by hand:

    python benchmarks/bench_beam_overhead.py [--elements 20000] [--steps 10] [--shuffles 3]
"""
import argparse
import json
import random
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import apache_beam as beam  # noqa: E402

from pipeline.stages.options import make_pipeline_options  # noqa: E402


def record(number: int) -> dict:
    """A dict shaped like a source record (ids, authors, an abstract), about 2 KB as JSON."""
    rng = random.Random(number)
    words = [f"w{rng.randrange(50_000)}" for _ in range(220)]
    return {"source": "Medline", "source_id": str(90_000_000 + number), "title": " ".join(words[:14]),
            "abstract": " ".join(words[14:]), "journal": "J Example", "license": "cc-by", "publish_time": "2020-05-01",
            "ids": {"doi": f"10.5555/{number}", "pmcid": None, "pubmed_id": str(90_000_000 + number), "arxiv_id": None,
                    "who_covidence_id": None, "mag_id": None, "s2_id": None},
            "authors": [{"first": "Ada", "middle": [], "last": f"Name{rng.randrange(999)}", "suffix": ""}] * 5,
            "urls": [], "documents": []}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(elements: int, steps: int, shuffles: int) -> float:
    """CPU seconds of one pipeline run: create, `steps` identity Maps, `shuffles` GroupByKey round trips."""
    start = cpu_seconds()
    with beam.Pipeline(options=make_pipeline_options([])) as pipeline:
        items = pipeline | beam.Create(range(elements)) | beam.Reshuffle() | beam.Map(record)
        for step in range(steps):
            items = items | f"Step{step}" >> beam.Map(lambda item: item)
        for shuffle in range(shuffles):
            items = (items
                     | f"Key{shuffle}" >> beam.Map(lambda item: (item["source_id"], item))
                     | f"Group{shuffle}" >> beam.GroupByKey()
                     | f"Ungroup{shuffle}" >> beam.FlatMap(lambda pair: pair[1]))
        _ = items | beam.combiners.Count.Globally()
    return cpu_seconds() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elements", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--shuffles", type=int, default=3)
    args = parser.parse_args()
    size = len(json.dumps(record(0)))
    run(200, 1, 1)  # warm up imports and the runner
    base = run(args.elements, 0, 0)
    chain = run(args.elements, args.steps, 0)
    shuffled = run(args.elements, 0, args.shuffles)
    per_step = (chain - base) / (args.elements * args.steps) * 1e6
    per_shuffle = (shuffled - base) / (args.elements * args.shuffles) * 1e6
    print(f"{args.elements:,} elements of {size:,} bytes (as JSON), default local runner")
    print(f"{'pipeline':<28} {'CPU s':>7}")
    print(f"{'create + reshuffle + count':<28} {base:>7.2f}")
    print(f"{f'+ {args.steps} fused identity Maps':<28} {chain:>7.2f}")
    print(f"{f'+ {args.shuffles} GroupByKey round trips':<28} {shuffled:>7.2f}")
    print(f"per element: {per_step:.1f} us per fused step, {per_shuffle:.1f} us per shuffle (key, group, ungroup)")


if __name__ == "__main__":
    main()
