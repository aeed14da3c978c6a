"""`cord19 load SOURCE --out FILE`: one joined record per paper, as JSON lines or Parquet."""
import argparse
from pathlib import Path

from release.load import LoadStats, iter_papers, write_jsonl, write_parquet
from release.safe_tar import ArchiveLimits
from release.storage import keep_credentials_out_of_logs

WRITERS = {"jsonl": write_jsonl, "parquet": write_parquet}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "load",
        help="join metadata and full text of a release into one record per paper",
        description=(
            "SOURCE: a release folder, a release tarball, a store's <date>/ or latest/ folder or its root "
            "(followed through latest.json), the same on s3://bucket/prefix, or the s3:// key of a release "
            "tarball. Each record is the "
            "metadata row plus full_text_source and full_text (pmc_json preferred over pdf_json)."
        ),
    )
    parser.add_argument("source", help="release folder, tarball or s3:// location")
    parser.add_argument("--out", type=Path, required=True, help="output file")
    parser.add_argument("--format", choices=sorted(WRITERS), default="jsonl", help="output format (default jsonl)")
    parser.add_argument("--endpoint-url", help="S3-compatible endpoint (credentials: the standard AWS chain)")
    parser.add_argument("--work-dir", type=Path,
                        help="scratch folder for downloads and extraction (default: system temp)")
    parser.add_argument("--max-expansion", type=float, default=ArchiveLimits.max_expansion, metavar="RATIO",
                        help="refuse a tarball that expands to more than RATIO times its size "
                             f"(plus 32 MiB; default {ArchiveLimits.max_expansion:g})")
    parser.add_argument("--embeddings", action="store_true",
                        help="attach each paper's vector (from cord_19_embeddings.parquet, or the CSV inside "
                             "cord_19_embeddings.tar.gz) as `embedding`")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    keep_credentials_out_of_logs()
    stats = LoadStats()
    records = iter_papers(args.source, endpoint_url=args.endpoint_url, work_dir=args.work_dir, stats=stats,
                          limits=ArchiveLimits(max_expansion=args.max_expansion), embeddings=args.embeddings)
    count = WRITERS[args.format](records, args.out)
    print(
        f"{count} records -> {args.out} (full text: {stats.pmc_json} pmc_json, {stats.pdf_json} pdf_json; "
        f"{stats.missing_files} listed parse files missing)"
    )
    return 0
