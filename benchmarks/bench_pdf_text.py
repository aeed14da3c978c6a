"""Benchmark the pdfminer.six fallback (parse_pdf) against pdfminer's bare extract_text.

Same PDFs (the corpus PDFs that have a text layer, plus the doc2json chain's 28-page
working paper), same process. parse_pdf includes everything it does in production:
the forkserver child, the time and memory limits, layout analysis and the structure
pass. Each row is the best wall time of --repeats runs. Target (issue 4): parse_pdf's
pages/s >= 0.8 x extract_text's.

Run: python benchmarks/bench_pdf_text.py [--corpus ../shared/corpus] [--repeats 5]
"""
import argparse
import io
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pdfminer.high_level import extract_text  # noqa: E402
from pdfminer.pdfpage import PDFPage  # noqa: E402

from parsers.errors import ParseError  # noqa: E402
from parsers.pdf.sandbox import parse_pdf  # noqa: E402

TEXT_PDFS = [
    "pdf/grobid_1001._0908.0054.pdf",
    "pdf/grobid_footnotes_test.pdf",
    "pdf/grobid_samplePdf.segmentation.pdf",
    "pdf/grobid_two_pages.pdf",
    "pdf/pdfminer_jo.pdf",
    "pdf/pdfminer_nonfree_naacl06-shinyama.pdf",
    "pdf/pdfminer_zen_of_python_corrupted.pdf",
    "expected/doc2json_pdf_f2235cd/5cd28c171f9f3b6a8bcebe246159c464980c.pdf",
]


def parse_or_refuse(data: bytes) -> None:
    """parse_pdf, a refusal with a reason included: the CLEF title page is read in full
    and then refused as pdf_no_body_text."""
    try:
        parse_pdf(data)
    except ParseError:
        pass


def best_wall_time(function, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # pdfminer warns about the damaged sample files
    corpus = Path(args.corpus)
    total_pages, bare_total, ours_total = 0, 0.0, 0.0
    print(f"{'file':48} {'pages':>5} {'bare s':>8} {'ours s':>8} {'ours/bare pages/s':>17}")
    for name in TEXT_PDFS:
        data = (corpus / name).read_bytes()
        pages = sum(1 for _ in PDFPage.get_pages(io.BytesIO(data)))
        bare_s = best_wall_time(lambda: extract_text(io.BytesIO(data)), args.repeats)
        ours_s = best_wall_time(lambda: parse_or_refuse(data), args.repeats)
        total_pages += pages
        bare_total += bare_s
        ours_total += ours_s
        print(f"{Path(name).name[:48]:48} {pages:5d} {bare_s:8.3f} {ours_s:8.3f} {bare_s / ours_s:17.2f}")
    print(f"{'ALL':48} {total_pages:5d} {bare_total:8.3f} {ours_total:8.3f} {bare_total / ours_total:17.2f}")
    print(f"\npages/s: extract_text {total_pages / bare_total:.1f}, parse_pdf {total_pages / ours_total:.1f}; "
          f"ratio {bare_total / ours_total:.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
