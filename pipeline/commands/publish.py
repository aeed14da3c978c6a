"""`cord19 publish RELEASE_DIR DEST`: upload a release, verified, then move latest."""
import argparse
from pathlib import Path

from release.publish import publish_release
from release.storage import keep_credentials_out_of_logs, open_store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "publish",
        help="upload a release folder to S3 (or a local mirror) and move latest/ when all is verified",
        description=(
            "Upload <date>/, historical_releases/cord-19_<date>.tar.gz, releases.json and "
            "historical_releases.html, verify every object by checksum, then point latest/ and "
            "latest.json at the release. Re-running skips objects already stored."
        ),
    )
    parser.add_argument("release_dir", type=Path, help="a release folder written by `cord19 build`")
    parser.add_argument("dest", help="s3://bucket/prefix or a local folder")
    parser.add_argument("--endpoint-url", help="S3-compatible endpoint (credentials: the standard AWS chain)")
    parser.add_argument("--force", action="store_true", help="replace a different release stored under the same date")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    keep_credentials_out_of_logs()
    storage, prefix = open_store(args.dest, endpoint_url=args.endpoint_url)
    result = publish_release(args.release_dir, storage, prefix, force=args.force)
    print(result.line())
    return 0
