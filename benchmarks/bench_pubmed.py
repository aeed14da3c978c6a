"""PubMed parsing speed and memory on a generated MEDLINE baseline-size file.

Builds `baseline.xml.gz` files of N PubmedArticle records (default 30,000, the size of a
MEDLINE baseline file) by repeating the real efetch articles of the corpus with fresh
PMIDs, then parses each file in a fresh child process with
`parsers.feeds.iter_feed_records("pubmed", path)` and reports records/s (wall and per
CPU-second, i.e. per core; the fastest of --repeat runs) and the child's peak RSS (the
largest). Memory is flat when the peak RSS does not grow with the number of records.
The corpus articles average about 14 KB of XML each (some carry reference lists);
parsing time grows with record size, so XML MB/s per core is printed too.

    python benchmarks/bench_pubmed.py [--records 30000] [--repeat 3] [--corpus ../shared/corpus]
"""
import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
    b' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'
)
ARTICLE = re.compile(rb"<PubmedArticle>.*?</PubmedArticle>", re.DOTALL)
PMID = re.compile(rb'<PMID Version="1">\d+</PMID>')

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from parsers.feeds import iter_feed_records
wall, cpu = time.perf_counter(), time.process_time()
count = sum(1 for _ in iter_feed_records("pubmed", {path!r}))
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({{"records": count, "wall": wall, "cpu": cpu,
                  "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def corpus_articles(corpus: Path) -> list[bytes]:
    articles = []
    for path in sorted((corpus / "feeds" / "pubmed").glob("*.xml")):
        articles.extend(ARTICLE.findall(path.read_bytes()))
    if not articles:
        raise SystemExit(f"no PubMed articles under {corpus}/feeds/pubmed")
    return articles


def write_baseline(path: Path, articles: list[bytes], records: int) -> None:
    """A gzip baseline file of `records` articles with distinct PMIDs (30000001, ...)."""
    with gzip.open(path, "wb", compresslevel=6) as out:
        out.write(HEAD)
        for number in range(records):
            template = articles[number % len(articles)]
            out.write(PMID.sub(f'<PMID Version="1">{30000001 + number}</PMID>'.encode(), template, count=1))
            out.write(b"\n")
        out.write(b"</PubmedArticleSet>\n")


def measure(path: Path) -> dict:
    code = CHILD.format(root=str(PROJECT_ROOT), path=str(path))
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=30000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per file; the fastest is reported")
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("CORD19_CORPUS", PROJECT_ROOT.parent / "shared" / "corpus")))
    args = parser.parse_args()
    articles = corpus_articles(args.corpus)
    sizes = [args.records // 10, args.records]
    print(f"templates: {len(articles)} real PubmedArticle records from {args.corpus}/feeds/pubmed")
    print(f"{'records':>8} {'gz MB':>7} {'xml MB':>7} {'wall s':>7} {'cpu s':>7} {'rec/s wall':>11} {'rec/s/core':>11} "
          f"{'XML MB/s/core':>14} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as work:
        for size in sizes:
            path = Path(work) / f"baseline-{size}.xml.gz"
            write_baseline(path, articles, size)
            with gzip.open(path, "rb") as handle:
                xml_bytes = sum(len(block) for block in iter(lambda: handle.read(1 << 20), b""))
            runs = [measure(path) for _ in range(args.repeat)]
            result = min(runs, key=lambda run: run["cpu"])
            result["peak_rss_kb"] = max(run["peak_rss_kb"] for run in runs)
            assert result["records"] == size, result
            print(f"{size:>8} {path.stat().st_size / 1e6:>7.1f} {xml_bytes / 1e6:>7.1f} {result['wall']:>7.2f} "
                  f"{result['cpu']:>7.2f} {size / result['wall']:>11.0f} {size / result['cpu']:>11.0f} "
                  f"{xml_bytes / 1e6 / result['cpu']:>14.1f} {result['peak_rss_kb'] / 1024:>12.1f}")


if __name__ == "__main__":
    main()
