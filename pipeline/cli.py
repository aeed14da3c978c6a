"""The `cord19` command line.

Each subcommand lives in `pipeline/commands/<name>.py` with `register(subparsers)`
(adds its parser and sets `run`) and `run(args, beam_args) -> int`. Flags the CLI does
not know are passed through to Beam's PipelineOptions by commands that build a
pipeline, and refused by the others. Expected errors become one line on stderr.
"""
import argparse
import logging
import sys

from dedup.errors import DedupError
from parsers.errors import ParseError
from pipeline.ingest import IngestError
from release.errors import ReleaseError
from pipeline.commands import build, dedup, ingest, load, nightly, parse, publish, validate

logger = logging.getLogger(__name__)

COMMANDS = (build, dedup, ingest, load, nightly, parse, publish, validate)
BEAM_COMMANDS = {"build"}

# Errors that mean "bad input or environment", reported without a traceback.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (ParseError, ReleaseError, DedupError, IngestError, OSError, ValueError)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cord19", description="Build CORD-19-style releases.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args, extra = parser.parse_known_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if extra and args.command not in BEAM_COMMANDS:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.run(args, extra)
    except EXPECTED_ERRORS as exc:
        print(f"cord19 {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
