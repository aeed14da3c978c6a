"""Benchmark the GROBID stage against the loopback GROBID test server.

The server serves at most C requests at once, each taking L seconds, and answers 503
beyond that at once (a harsher server than GROBID, which first waits up to its
poolMaxWait for a free thread). It runs in a process of its own, like a real GROBID:
sharing the benchmark's process, the client's threads slowed its answers through the
GIL (in Beam's multi_threading mode every worker runs in that process too).

First table: the client (parsers.grobid, no cache, default backoff settings unless
--backoff-base is given) sends N distinct PDFs with `process_many`, `concurrency`
requests at a time; with concurrency > C the server's 503s must be absorbed by
backoff. Target (issue 4): sustained throughput >= 0.9 x C / L with no failures.
"overall" is N / wall time of the whole batch; "sustained" leaves out the first round
of answers and the last `concurrency` ones.

Second table (--beam): the Beam ParseDocuments stage itself (pipeline/stages/parse_documents.py)
on the local runner, over a snapshot of --beam-pdfs distinct PDFs, for a few runner
settings; its rate is measured between the server's first and last answers (pipeline
start-up left out, the drain of the last bundle kept in). The client's concurrency
bounds the requests in flight from one machine, all worker processes together. Each
setting runs with the default concurrency (C here) and with twice C, where the
server's 503s must be absorbed by the adaptive limits and backoff. "failed" counts
the documents that became dead letters.

Run: python benchmarks/bench_grobid.py [--corpus ../shared/corpus] [--pdfs 120] [--beam]
"""
import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parsers.grobid import DEFAULT_CONCURRENCY, GrobidClient, GrobidError  # noqa: E402
from tests.support.grobid_server import GrobidServerProcess, pdf_variants  # noqa: E402
from tests.support.pdf_snapshot import write_pdf_snapshot  # noqa: E402

DOC2JSON = "expected/doc2json_pdf_f2235cd"
# (capacity C, latency L in s, client concurrency)
SCENARIOS = [(4, 0.25, 4), (4, 0.25, 8), (8, 0.25, 16), (4, 1.0, 8), (2, 0.5, 8)]
BEAM_SCENARIOS = [
    ("multi_processing", 2),
    ("multi_processing", 4),
    ("multi_threading", 8),
]
BEAM_CAPACITY, BEAM_LATENCY_S = 4, 0.2


def run_scenario(pdfs: list[bytes], tei: bytes, capacity: int, latency_s: float, concurrency: int,
                 backoff_base_s: float) -> dict:
    tei_by_sha1 = {hashlib.sha1(pdf).hexdigest(): tei for pdf in pdfs}
    with GrobidServerProcess(tei_by_sha1=tei_by_sha1, capacity=capacity, latency_s=latency_s) as server:
        client = GrobidClient(server.url, concurrency=concurrency, backoff_base_s=backoff_base_s,
                              max_attempts=30, max_total_s=300.0)
        start = time.perf_counter()
        results = list(client.process_many(pdfs))
        elapsed = time.perf_counter() - start
        answers = server.results()
    failures = sum(1 for r in results if isinstance(r, GrobidError))
    served_at = answers["served_at"]
    # Sustained: between the first round of answers and the last `concurrency` ones
    # (the warm-up and the drain of a finite batch left out).
    first, last = capacity, len(served_at) - concurrency
    sustained = (last - first) / (served_at[last - 1] - served_at[first - 1])
    return {"elapsed": elapsed, "failures": failures, "busy": answers["stats"].get("503", 0),
            "rate": (len(pdfs) - failures) / elapsed, "sustained": sustained}


def run_beam_scenario(pdfs: list[bytes], tei: bytes, mode: str, workers: int, concurrency: int) -> dict:
    import apache_beam as beam
    from apache_beam.metrics.metric import MetricsFilter

    from pipeline.stages.options import make_pipeline_options
    from pipeline.stages.parse_documents import STAGE, ParseDocuments, ParseSettings

    snapshot = Path(tempfile.mkdtemp(prefix="bench-grobid-")) / "snapshot"
    write_pdf_snapshot(snapshot, {f"paper{n}": pdf for n, pdf in enumerate(pdfs)})
    settings = ParseSettings(snapshot=str(snapshot), staging=str(snapshot.parent / "staging"), cache=None,
                             versions={"pmc_json": "bench", "pdf_json": "bench"})
    options = make_pipeline_options([f"--direct_running_mode={mode}", f"--direct_num_workers={workers}"])
    tei_by_sha1 = {hashlib.sha1(pdf).hexdigest(): tei for pdf in pdfs}
    with GrobidServerProcess(tei_by_sha1=tei_by_sha1, capacity=BEAM_CAPACITY, latency_s=BEAM_LATENCY_S) as server:
        pipeline = beam.Pipeline(options=options)
        _ = pipeline | ParseDocuments(settings, server.url, concurrency)
        result = pipeline.run()
        result.wait_until_finish()
        answers = server.results()
    counters = result.metrics().query(MetricsFilter().with_namespace("cord19"))["counters"]
    failed = sum(c.committed for c in counters if c.key.metric.name.startswith(f"{STAGE}.failed_"))
    served_at, stats = answers["served_at"], answers["stats"]
    rate = (len(served_at) - 1) / (served_at[-1] - served_at[0])
    return {"rate": rate, "busy": stats.get("503", 0), "served": stats.get("served", 0),
            "in_flight": answers["max_in_flight"], "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    parser.add_argument("--pdfs", type=int, default=120)
    parser.add_argument("--backoff-base", type=float, default=GrobidClient("http://x").backoff_base_s)
    parser.add_argument("--beam", action="store_true", help="also measure the Beam ParseDocuments stage")
    parser.add_argument("--beam-pdfs", type=int, default=80)
    args = parser.parse_args()
    corpus = Path(args.corpus)
    pdf = (corpus / DOC2JSON / "5cd28c171f9f3b6a8bcebe246159c464980c.pdf").read_bytes()
    tei = (corpus / DOC2JSON / "f2235cd28c171f9f3b6a8bcebe246159c464980c.tei.xml").read_bytes()
    pdfs = pdf_variants(pdf, max(args.pdfs, args.beam_pdfs))
    print(f"{args.pdfs} PDFs of {len(pdf) / 1024:.0f} KB, TEI {len(tei) / 1024:.0f} KB, backoff base {args.backoff_base}s")
    print(f"{'C':>3} {'L s':>5} {'conc':>5} {'C/L':>6} {'overall/s':>9} {'ratio':>6} "
          f"{'sustained/s':>11} {'ratio':>6} {'503s':>6} {'failed':>6}")
    for capacity, latency_s, concurrency in SCENARIOS:
        result = run_scenario(pdfs[: args.pdfs], tei, capacity, latency_s, concurrency, args.backoff_base)
        ideal = capacity / latency_s
        print(f"{capacity:3d} {latency_s:5.2f} {concurrency:5d} {ideal:6.1f} {result['rate']:9.2f} "
              f"{result['rate'] / ideal:6.2f} {result['sustained']:11.2f} {result['sustained'] / ideal:6.2f} "
              f"{result['busy']:6d} {result['failures']:6d}")
    print("target: sustained ratio >= 0.90 with 0 failed (overall includes warm-up and the batch's drain)")
    if not args.beam:
        return
    ideal = BEAM_CAPACITY / BEAM_LATENCY_S
    print(f"\nBeam ParseDocuments, {args.beam_pdfs} PDFs, server C={BEAM_CAPACITY} L={BEAM_LATENCY_S}s (C/L {ideal:.1f})")
    print(f"{'runner mode':18} {'workers':>7} {'conc':>5} {'docs/s':>7} {'ratio':>6} {'max in flight':>13} "
          f"{'503s':>5} {'served':>6} {'failed':>6}")
    for mode, workers in BEAM_SCENARIOS:
        for concurrency in (DEFAULT_CONCURRENCY, 2 * BEAM_CAPACITY):
            result = run_beam_scenario(pdfs[: args.beam_pdfs], tei, mode, workers, concurrency)
            print(f"{mode:18} {workers:7d} {concurrency:5d} {result['rate']:7.2f} {result['rate'] / ideal:6.2f} "
                  f"{result['in_flight']:13d} {result['busy']:5d} {result['served']:6d} {result['failed']:6d}")


if __name__ == "__main__":
    main()
