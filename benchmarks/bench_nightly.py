"""Nightly cost when 1% of documents changed, against a full build.

Builds a snapshot from the bundled sample plus --documents extra PDFs (the real PDFs of
the shared corpus, each made distinct by a trailing PDF comment, attached to sample
papers), then runs `pipeline.nightly.run_nightly` (snapshot given, so no ingest; a local
folder as the store):

  full         day 1, empty work folder: every document parsed
  1% changed   day 2, same work folder: --changed-percent of the extra PDFs replaced by
               new bytes; the previous release comes from the store, the parse cache is warm
  fresh host   day 3, same snapshot as day 2, a new work folder: the parse cache is
               seeded from day 2's release in the store

and prints each run's step times and its build time as a share of the full build's
(target: 1% changed <= 15%). Run by hand, from the project root:
`python benchmarks/bench_nightly.py [--documents 200] [--changed-percent 1]`.
"""
import argparse
import hashlib
import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "scripts"))

from make_scale_snapshot import CORPUS_PDFS  # noqa: E402  (the corpus PDFs that pdfminer.six parses)
from pipeline.nightly import NightlyConfig, run_nightly  # noqa: E402
from pipeline.snapshot import bundled_sample_snapshot  # noqa: E402

CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"


def add_pdf(snapshot: Path, data: bytes, ids: dict, lines: list[dict], files: dict) -> None:
    sha1 = hashlib.sha1(data).hexdigest()
    path = f"documents/pdf/{sha1}.pdf"
    (snapshot / path).write_bytes(data)
    files[path] = hashlib.sha256(data).hexdigest()
    lines.append({"ids": ids, "license": "cc-by", "path": path, "sha1": sha1, "source": "Springer Nature",
                  "type": "pdf", "url": f"https://publisher.example.org/pdf/{sha1}"})


def write_snapshot(folder: Path, documents: int, changed: set[int]) -> Path:
    """The sample snapshot plus `documents` PDF variants; variants in `changed` get other bytes."""
    shutil.copytree(bundled_sample_snapshot(), folder)
    snapshot = json.loads((folder / "snapshot.json").read_text(encoding="utf-8"))
    lines = [json.loads(line) for line in (folder / "documents.jsonl").read_text(encoding="utf-8").splitlines() if line]
    paper_ids = [line["ids"] for line in lines if line["type"] == "pdf"]
    pdfs = [(CORPUS / name).read_bytes() for name in CORPUS_PDFS]
    for index in range(documents):
        edition = "changed" if index in changed else "original"
        data = pdfs[index % len(pdfs)] + f"\n% cord19 benchmark document {index} {edition}\n".encode()
        add_pdf(folder, data, paper_ids[index % len(paper_ids)], lines, snapshot["files"])
    text = "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)
    (folder / "documents.jsonl").write_text(text, encoding="utf-8")
    snapshot["files"]["documents.jsonl"] = hashlib.sha256(text.encode()).hexdigest()
    (folder / "snapshot.json").write_text(json.dumps(snapshot, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--changed-percent", type=float, default=1.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    changed = set(range(0, args.documents, max(1, round(100 / args.changed_percent))))
    with tempfile.TemporaryDirectory(prefix="cord19-bench-nightly-") as scratch_name:
        scratch = Path(scratch_name)
        day1 = write_snapshot(scratch / "snapshot-1", args.documents, set())
        day2 = write_snapshot(scratch / "snapshot-2", args.documents, changed)
        store = str(scratch / "store")
        runs = [
            ("full", day1, scratch / "work", "2026-06-01"),
            (f"{args.changed_percent:g}% changed", day2, scratch / "work", "2026-06-02"),
            ("fresh host", day2, scratch / "work-fresh", "2026-06-03"),
        ]
        results = []
        for label, snapshot, work, date in runs:
            result = run_nightly(NightlyConfig(work_dir=work, store=store, snapshot=snapshot), date)
            if result.status not in ("ok", "partial"):
                raise SystemExit(f"{label}: {result.line()}")
            results.append((label, result))
        full_build = results[0][1].seconds["build"]
        print(f"{args.documents} extra PDFs ({len(changed)} changed on day 2) + the sample's documents")
        print(f"{'run':<14} {'fetch_prev':>10} {'build':>8} {'validate':>9} {'publish':>8} {'seeded':>7} {'build/full':>11}")
        for label, result in results:
            s = result.seconds
            print(f"{label:<14} {s['fetch_previous']:>10.2f} {s['build']:>8.2f} {s['validate']:>9.2f} "
                  f"{s['publish']:>8.2f} {result.seeded_parses:>7} {s['build'] / full_build:>10.0%}")
        print("target: the 1% changed build <= 15% of the full build")


if __name__ == "__main__":
    main()
