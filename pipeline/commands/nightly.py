"""`cord19 nightly --config FILE.toml`: ingest, build on the previous release, validate, publish."""
import argparse
import sys
from pathlib import Path

from pipeline.commands.build import release_date, today_utc
from release.storage import keep_credentials_out_of_logs


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "nightly",
        help="the nightly job: ingest, incremental build, validate, publish (one summary line)",
        description=(
            "Exit 0: published; 3: published, but failed inputs over the threshold or source pages missing; "
            "1: nothing published; 4: another run holds the lock."
        ),
    )
    parser.add_argument("--config", type=Path, required=True, help="nightly config file (TOML, a [nightly] table)")
    parser.add_argument("--release-date", type=release_date, default=None, help="YYYY-MM-DD (default: today, UTC)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    from pipeline.nightly import load_nightly_config, run_nightly  # Beam is slow to import

    keep_credentials_out_of_logs()
    config = load_nightly_config(args.config)
    result = run_nightly(config, args.release_date or today_utc())
    sys.stdout.write(result.line() + "\n")
    return result.exit_code
