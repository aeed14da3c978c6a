"""`cord19 validate PATH`: check a release folder or tarball (or loose CORD-19 files)."""
import argparse
import logging
import sys
from pathlib import Path

from release.validate import iter_problem_summary, validate_path

logger = logging.getLogger(__name__)

PROBLEMS_SHOWN = 200


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a release against the schemas and the contract's invariants",
        description="Exit 0 when clean, 1 with a list of problems, 2 on usage errors.",
    )
    parser.add_argument("path", type=Path, help="release folder, release tarball, or CORD-19 csv/json files")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    problems = validate_path(args.path)
    if not problems:
        logger.info("%s: valid", args.path)
        return 0
    for line in iter_problem_summary(problems, PROBLEMS_SHOWN):
        sys.stdout.write(line + "\n")
    logger.error("%s: %d problems", args.path, len(problems))
    return 1
