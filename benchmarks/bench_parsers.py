"""Benchmark: our JATS conversion against lxml's bare parse (and pubmed_parser when installed).

Run by hand, on one core:

    python benchmarks/bench_parsers.py [FOLDER] [--passes N]

FOLDER defaults to ../shared/corpus/jats. Files our parser refuses (e.g. a Git-LFS
pointer) are left out of every row so all rows read the same bytes. Prints docs/s and
MB/s for each contender, the ratio to lxml, the floor any Python converter of the same
output stays under (see python_floor.py), docs/s on the median-sized article, and the
resident memory before and after thousands of documents (flat means no leak).
pubmed_parser (`pip install -e '.[dev]'`) is timed on fewer passes and scaled; its
"failed files" are those it raises on (e.g. KeyError 'year' for articles without a date).
"""
import argparse
import logging
import resource
import statistics
import sys
import time
from pathlib import Path

from lxml import etree

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from parsers.errors import ParseError  # noqa: E402
from parsers.jats import parse_jats  # noqa: E402
from python_floor import build_output, pickle_output, read_every_element  # noqa: E402

logger = logging.getLogger("bench_parsers")


def bare_lxml_parse(data: bytes) -> etree._Element:
    """The floor: what parsing alone costs, with the same parser settings as parsers.xmlsafe."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             remove_comments=True, remove_pis=True)
    return etree.fromstring(data, parser=parser)


def our_conversion(data: bytes) -> None:
    parse_jats(data, fallback_paper_id="bench")


def pubmed_parser_conversion(path: str) -> None:
    """pubmed_parser's equivalent of a full conversion: metadata, paragraphs, references,
    captions and tables (each of its functions reads and parses the file again)."""
    import pubmed_parser

    pubmed_parser.parse_pubmed_xml(path)
    pubmed_parser.parse_pubmed_paragraph(path, all_paragraph=True)
    pubmed_parser.parse_pubmed_references(path)
    pubmed_parser.parse_pubmed_caption(path)
    pubmed_parser.parse_pubmed_table(path, return_xml=False)


def time_passes(function, items: list, passes: int) -> tuple[float, int]:
    """CPU seconds of this process for `passes` rounds over `items`, and how many calls raised.

    CPU time, not wall time, so that other work on the machine does not count against
    a contender; one process, so one core."""
    failures = 0
    start = time.process_time()
    for _ in range(passes):
        for item in items:
            try:
                function(item)
            except Exception:  # a contender's own failure is counted, not fatal
                failures += 1
    return time.process_time() - start, failures


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 1e6


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=PROJECT_ROOT.parent / "shared" / "corpus" / "jats")
    parser.add_argument("--passes", type=int, default=200, help="rounds over the folder (default 200)")
    args = parser.parse_args(argv)

    paths, blobs, outputs = [], [], []
    for path in sorted(p for p in args.folder.iterdir() if p.is_file()):
        data = path.read_bytes()
        try:
            parsed = parse_jats(data, fallback_paper_id="bench")
        except ParseError as exc:
            print(f"left out {path.name}: {type(exc).__name__}")
            continue
        paths.append(str(path))
        blobs.append(data)
        outputs.append(pickle_output(parsed))
    if not blobs:
        print("no parsable files")
        return 1
    total_mb = sum(len(b) for b in blobs) / 1e6
    sizes = sorted(blobs, key=len)
    median = sizes[len(sizes) // 2]
    print(f"{len(blobs)} files, {total_mb:.2f} MB, median file {len(median) / 1e3:.1f} KB, {args.passes} passes\n")

    rss_before = rss_mb()
    rows = []
    lxml_seconds, _ = time_passes(bare_lxml_parse, blobs, args.passes)
    rows.append(("lxml bare parse (floor)", lxml_seconds, 0))
    ours_seconds, ours_failures = time_passes(our_conversion, blobs, args.passes)
    rss_after = rss_mb()
    peak_after_ours = peak_rss_mb()
    rows.append(("parse_jats (full conversion)", ours_seconds, ours_failures // args.passes))
    trees = [bare_lxml_parse(data) for data in blobs]
    floor_seconds = (lxml_seconds + time_passes(read_every_element, trees, args.passes)[0]
                     + time_passes(build_output, outputs, args.passes)[0])
    rows.append(("floor: parse+read each element+build output", floor_seconds, 0))
    try:
        import pubmed_parser  # noqa: F401
        logging.getLogger().setLevel(logging.ERROR)
        pp_passes = max(1, args.passes // 10)
        pp_seconds, pp_failures = time_passes(pubmed_parser_conversion, paths, pp_passes)
        rows.append((f"pubmed_parser ({pp_passes} passes, from disk)", pp_seconds * args.passes / pp_passes,
                     pp_failures // pp_passes))
    except ImportError:
        rows.append(("pubmed_parser (not installed)", None, 0))

    docs = len(blobs) * args.passes
    print(f"{'contender':45} {'docs/s':>9} {'MB/s':>8} {'x lxml':>7} {'failed files':>12}")
    for name, seconds, failures in rows:
        if seconds is None:
            print(f"{name:45} {'-':>9} {'-':>8} {'-':>7} {'-':>12}")
            continue
        print(f"{name:45} {docs / seconds:9.0f} {total_mb * args.passes / seconds:8.1f} "
              f"{lxml_seconds / seconds:7.2f} {failures:12d}")

    # Best of many short rounds: a busy machine slows some rounds, never speeds one up.
    median_runs, rounds = 40, 25
    median_seconds = min(time_passes(our_conversion, [median], median_runs)[0] for _ in range(rounds))
    lxml_median = min(time_passes(bare_lxml_parse, [median], median_runs)[0] for _ in range(rounds))
    per_file = [min(time_passes(our_conversion, [b], 20)[0] for _ in range(3)) / 20 for b in blobs]
    print(f"\nmedian-sized article ({len(median) / 1e3:.1f} KB): parse_jats {median_runs / median_seconds:.0f} docs/s, "
          f"lxml {median_runs / lxml_median:.0f} docs/s")
    print(f"per-file parse_jats time: median {statistics.median(per_file) * 1e3:.2f} ms, "
          f"max {max(per_file) * 1e3:.2f} ms")
    print(f"memory: RSS {rss_before:.1f} MB before, {rss_after:.1f} MB after {docs} conversions, "
          f"peak RSS {peak_after_ours:.1f} MB by then ({peak_rss_mb():.1f} MB with the other contenders)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
