"""`cord19 ingest --sources FILE.toml --snapshot DIR`: fetch source feeds into a snapshot."""
import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="fetch the configured source feeds and documents into a snapshot folder",
        description="Re-running with the same --snapshot resumes an interrupted ingest. "
        "Exit 0 when every source was fetched, 1 when some pages or documents failed.",
    )
    parser.add_argument("--sources", type=Path, default=None,
                        help="sources file (TOML; default: the shipped CORD-19 sources)")
    parser.add_argument("--snapshot", type=Path, required=True, help="snapshot folder to write (or resume)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    from pipeline.ingest import Progress, default_sources_file, ingest, load_sources

    config = load_sources(args.sources or default_sources_file())
    summary = ingest(config, args.snapshot, progress=Progress(sys.stderr))
    for line in summary.lines():
        sys.stdout.write(line + "\n")
    return 1 if summary.failures else 0
