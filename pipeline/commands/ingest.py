"""`cord19 ingest --sources FILE.toml --snapshot DIR`: fetch source feeds into a snapshot."""
import argparse
import sys
from importlib import resources
from pathlib import Path

from pipeline.ingest import Progress, ingest, load_sources


def default_sources_file() -> Path:
    """The shipped sources file mirroring CORD-19's sources and query."""
    return Path(str(resources.files("pipeline").joinpath("sources.toml")))


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
    config = load_sources(args.sources or default_sources_file())
    summary = ingest(config, args.snapshot, progress=Progress(sys.stderr))
    for line in summary.lines():
        sys.stdout.write(line + "\n")
    return 1 if summary.failures else 0
