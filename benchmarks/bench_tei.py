"""Benchmark TEI -> pdf_json against lxml's bare parse and grobid-client-python's TEI2LossyJSON.

All three run on the same TEI files in the same process (corpus `tei/` and the
doc2json chain's TEI). Each row is the best of --repeats passes over one file, in CPU
time (time.process_time, so other processes on the machine disturb it less). Targets
(issue 4): our rate >= 0.5 x lxml's bare parse rate and >= 10 x TEI2LossyJSON's.
The "floor" column is the least any Python converter of the same output spends: the
parse, reading each element once, and building the output objects (python_floor.py).

Run: python benchmarks/bench_tei.py [--corpus ../shared/corpus] [--repeats 20]
"""
import argparse
import io
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxml import etree  # noqa: E402

from parsers.pdf.tei import tei_to_pdf_json  # noqa: E402
from python_floor import build_output, pickle_output, read_every_element  # noqa: E402


def best_time(function, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        function()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # TEI2LossyJSON logs every file it converts
    from grobid_client.format.TEI2LossyJSON import TEI2LossyJSONConverter

    corpus = Path(args.corpus)
    files = sorted((corpus / "tei").glob("*.xml")) + sorted((corpus / "expected").rglob("*.tei.xml"))
    converter = TEI2LossyJSONConverter(validate_refs=False)
    totals = [0.0, 0.0, 0.0, 0.0]
    print(f"{'file':58} {'KB':>6} {'lxml ms':>8} {'ours ms':>8} {'lossy ms':>9} {'floor ms':>9} "
          f"{'ours/lxml':>9} {'lossy/ours':>10}")
    for path in files:
        data = path.read_bytes()
        lxml_s = best_time(lambda: etree.fromstring(data), args.repeats)
        ours_s = best_time(lambda: tei_to_pdf_json(data, "0" * 40), args.repeats)
        lossy_s = best_time(lambda: converter.convert_tei_file(io.BytesIO(data)), max(3, args.repeats // 5))
        tree, output = etree.fromstring(data), pickle_output(tei_to_pdf_json(data, "0" * 40))
        floor_s = (lxml_s + best_time(lambda: read_every_element(tree), args.repeats)
                   + best_time(lambda: build_output(output), args.repeats))
        for i, value in enumerate((lxml_s, ours_s, lossy_s, floor_s)):
            totals[i] += value
        print(
            f"{path.name[:58]:58} {len(data) / 1024:6.0f} {lxml_s * 1e3:8.2f} {ours_s * 1e3:8.2f} "
            f"{lossy_s * 1e3:9.2f} {floor_s * 1e3:9.2f} {lxml_s / ours_s:9.2f} {lossy_s / ours_s:10.1f}"
        )
    lxml_s, ours_s, lossy_s, floor_s = totals
    count = len(files)
    print(
        f"{'ALL (' + str(count) + ' files)':58} {'':6} {lxml_s * 1e3:8.2f} {ours_s * 1e3:8.2f} {lossy_s * 1e3:9.2f} "
        f"{floor_s * 1e3:9.2f} {lxml_s / ours_s:9.2f} {lossy_s / ours_s:10.1f}"
    )
    print(
        f"\nrates (files/s): lxml bare parse {count / lxml_s:.0f}, tei_to_pdf_json {count / ours_s:.0f}, "
        f"TEI2LossyJSON {count / lossy_s:.1f}"
    )
    print(
        f"targets: ours/lxml = {lxml_s / ours_s:.2f} (target >= 0.5); "
        f"ours vs TEI2LossyJSON = {lossy_s / ours_s:.1f}x (target >= 10)"
    )
    print(f"floor of any Python converter of the same output: {lxml_s / floor_s:.2f} x lxml")


if __name__ == "__main__":
    main()
