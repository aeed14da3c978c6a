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

from parsers.errors import ParseError
from release.errors import ReleaseError

logger = logging.getLogger(__name__)

COMMAND_NAMES = ("build", "dedup", "ingest", "load", "nightly", "parse", "publish", "records", "validate")
# The loggers `-v` turns to DEBUG (our packages), and the ones kept quiet whatever the level.
OUR_LOGGERS = ("pipeline", "parsers", "dedup", "release", "schemas")
QUIET_LOGGERS = ("apache_beam",)
VERBOSE_HELP = "log our packages at DEBUG (Beam stays at WARNING)"

# Errors that mean "bad input or environment", reported without a traceback (and
# dedup's DedupError and pipeline.ingest's IngestError, see `is_expected_error`).
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (ParseError, ReleaseError, OSError, ValueError)


def make_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `cord19` parser with every subcommand, or only with `command` (one module imported)."""
    parser = argparse.ArgumentParser(prog="cord19", description="Build CORD-19-style releases.")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_NAMES:
        if command is None or name == command:
            importlib.import_module(f"pipeline.commands.{name}").register(subparsers)
    for subparser in subparsers.choices.values():  # -v after the command too; SUPPRESS keeps one before it
        subparser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
    return parser


def command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The subparser of `command` (its usage line goes with its usage errors)."""
    subparsers = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    return subparsers.choices[command]


def refuse_unknown_flags(parser: argparse.ArgumentParser, args: argparse.Namespace, extra: list[str]) -> None:
    """Exit 2 with the command's usage line when `extra` holds a flag neither we nor the command's
    pass-through (`args.pass_through(flags) -> the unknown ones`, ValueError for a bad value) know."""
    if not extra:
        return
    pass_through = getattr(args, "pass_through", None)
    subparser = command_parser(parser, args.command)
    try:
        unknown = pass_through(extra) if pass_through else extra
    except ValueError as exc:
        subparser.error(str(exc))
    if unknown:
        subparser.error(f"unrecognized arguments: {' '.join(unknown)}")


def configure_logging(verbose: bool) -> None:
    """INFO on stderr; with `verbose`, DEBUG for our packages only. Beam's loggers stay at WARNING."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def command_in(argv: list[str]) -> str | None:
    """The subcommand `argv` names (the first argument that is not an option), if it is one."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in COMMAND_NAMES else None


def is_expected_error(exc: BaseException) -> bool:
    """Whether `exc` is reported as one line rather than a traceback.

    DedupError and IngestError are looked up only when their packages are loaded: only
    they raise them, and importing them for the check would load their dependencies
    (rapidfuzz, the HTTP clients) into every command.
    """
    if isinstance(exc, EXPECTED_ERRORS):
        return True
    dedup, ingest = sys.modules.get("dedup.errors"), sys.modules.get("pipeline.ingest")
    return (dedup is not None and isinstance(exc, dedup.DedupError)) or (
        ingest is not None and isinstance(exc, ingest.IngestError))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = make_parser(command_in(argv))
    args, extra = parser.parse_known_args(argv)
    configure_logging(args.verbose)
    refuse_unknown_flags(parser, args, extra)
    try:
        return args.run(args, extra)
    except Exception as exc:
        if not is_expected_error(exc):
            raise
        print(f"cord19 {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
