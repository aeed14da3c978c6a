"""`cord19 validate SOURCE`: check a release in any form we publish (or loose CORD-19 files)."""
import argparse
import logging
import sys
from pathlib import Path

from release.errors import ReleaseNotFoundError
from release.problems import EXAMPLES_SHOWN, report_lines
from release.safe_tar import ArchiveLimits
from release.validate import validate_source

logger = logging.getLogger(__name__)

EXIT_VALID, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a release against the schemas and the contract's invariants",
        description=(
            "SOURCE: a release folder, a release tarball (cord-19_<date>.tar.gz), a store's <date>/ or latest/ "
            "folder or its root (followed through latest.json), the same on s3://, a real CORD-19 release, or "
            "loose CORD-19 files (metadata csv, parse json, embeddings csv). Problems are grouped by kind with "
            "counts and examples. Exit 0 when clean, 1 with problems, 2 on usage errors (a SOURCE that names nothing)."
        ),
    )
    parser.add_argument("source", help="release folder, tarball, store folder, s3:// location or CORD-19 files")
    parser.add_argument("--examples", type=int, default=EXAMPLES_SHOWN, metavar="N",
                        help=f"examples shown per kind of problem (default {EXAMPLES_SHOWN})")
    parser.add_argument("--max-expansion", type=float, default=ArchiveLimits.max_expansion, metavar="RATIO",
                        help="refuse a tarball that expands to more than RATIO times its size "
                             f"(plus 32 MiB; default {ArchiveLimits.max_expansion:g})")
    parser.add_argument("--endpoint-url", help="S3-compatible endpoint (credentials: the standard AWS chain)")
    parser.add_argument("--work-dir", type=Path,
                        help="scratch folder for downloads and extraction (default: system temp)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    limits = ArchiveLimits(max_expansion=args.max_expansion)
    if args.source.startswith("s3://"):
        from release.storage import keep_credentials_out_of_logs  # boto3 loads only for a store

        keep_credentials_out_of_logs()
    try:
        report = validate_source(args.source, endpoint_url=args.endpoint_url, work_dir=args.work_dir, limits=limits)
    except ReleaseNotFoundError as exc:
        print(f"cord19 validate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for line in report_lines(report, args.examples):
        sys.stdout.write(line + "\n")
    return EXIT_PROBLEMS if report.problems else EXIT_VALID
