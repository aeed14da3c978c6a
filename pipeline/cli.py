"""The `cord19` command line.

Each subcommand lives in `pipeline/commands/<name>.py` with `register(subparsers)`
(adds its parser and sets `run`) and `run(args, beam_args) -> int`. Only the module of
the command being run is imported (`cord19 parse` never loads Beam or pyarrow); help
without a command imports them all. Flags the CLI does not know are passed through to
Beam's PipelineOptions by commands that build a pipeline, and refused by the others.
Expected errors become one line on stderr.
"""
import argparse
import importlib
import logging
import sys

from dedup.errors import DedupError
from parsers.errors import ParseError
from release.errors import ReleaseError

logger = logging.getLogger(__name__)

COMMAND_NAMES = ("build", "dedup", "ingest", "load", "nightly", "parse", "publish", "validate")
BEAM_COMMANDS = {"build"}

# Errors that mean "bad input or environment", reported without a traceback (and
# pipeline.ingest's IngestError, see `is_expected_error`).
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (ParseError, ReleaseError, DedupError, OSError, ValueError)


def make_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `cord19` parser with every subcommand, or only with `command` (one module imported)."""
    parser = argparse.ArgumentParser(prog="cord19", description="Build CORD-19-style releases.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_NAMES:
        if command is None or name == command:
            importlib.import_module(f"pipeline.commands.{name}").register(subparsers)
    return parser


def command_in(argv: list[str]) -> str | None:
    """The subcommand `argv` names (the first argument that is not an option), if it is one."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in COMMAND_NAMES else None


def is_expected_error(exc: BaseException) -> bool:
    """Whether `exc` is reported as one line rather than a traceback.

    IngestError is looked up only when pipeline.ingest is loaded: only that module raises
    it, and importing it for the check would load its dependencies into every command.
    """
    if isinstance(exc, EXPECTED_ERRORS):
        return True
    ingest = sys.modules.get("pipeline.ingest")
    return ingest is not None and isinstance(exc, ingest.IngestError)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = make_parser(command_in(argv))
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
    except Exception as exc:
        if not is_expected_error(exc):
            raise
        print(f"cord19 {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
