"""`cord19 build`: run the Beam pipeline from a snapshot to `OUT/<date>/`, then print its summary."""
import argparse
import datetime
import sys

from parsers.documents import DEFAULT_LIMITS, InputLimits, MiB
from parsers.grobid import DEFAULT_CONCURRENCY
from pipeline.snapshot import bundled_sample_snapshot


def release_date(text: str) -> str:
    """argparse type: a YYYY-MM-DD date."""
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from exc


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive integer: {text!r}")
    return int(text)


def today_utc() -> str:
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build",
        help="build a release from a snapshot with Apache Beam",
        description="Flags of Beam's PipelineOptions (--runner, --direct_num_workers, ...) go to Beam; "
        "any other unknown flag is a usage error (exit 2).",
    )
    parser.add_argument("--snapshot", default=None,
                        help="snapshot folder or store URL, e.g. s3://bucket/snapshot (default: the bundled sample)")
    parser.add_argument("--out", default="releases", help="releases folder or store URL (default: ./releases)")
    parser.add_argument("--release-date", type=release_date, default=None, help="YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--previous", default=None, help="the previous release (folder or store URL; keeps cord_uids)")
    parser.add_argument("--endpoint-url", default=None,
                        help="S3-compatible endpoint for s3:// locations (default: AWS, or AWS_ENDPOINT_URL)")
    parser.add_argument("--grobid-url", default=None, help="GROBID server for PDFs (default: pdfminer fallback)")
    parser.add_argument("--on-grobid-down", choices=("fail", "fallback"), default="fail",
                        help="when GROBID fails its health check: stop (default) or parse PDFs with pdfminer.six")
    parser.add_argument("--parse-cache", default=None,
                        help="reuse parses of unchanged documents from this folder or store URL")
    parser.add_argument("--grobid-concurrency", type=positive_int, default=DEFAULT_CONCURRENCY,
                        help=f"GROBID requests in flight per worker machine (default {DEFAULT_CONCURRENCY})")
    parser.add_argument("--max-xml-mb", type=positive_int, default=DEFAULT_LIMITS.xml_bytes // MiB, metavar="MB",
                        help="JATS documents over this many MiB are dead letters (input_too_large), never read")
    parser.add_argument("--max-pdf-mb", type=positive_int, default=DEFAULT_LIMITS.pdf_bytes // MiB, metavar="MB",
                        help="PDFs over this many MiB are dead letters (input_too_large), never read")
    parser.add_argument("--force", action="store_true", help="replace a release already at OUT/<date>")
    parser.add_argument("--embedding-model", default="hashing-768", metavar="NAME_OR_PATH",
                        help="what embeds each paper's title and abstract: hashing-768 (default: lexical, no "
                             "download), a Hugging Face model folder or hub name such as allenai/specter "
                             "(needs the embeddings extra)")
    parser.set_defaults(run=run, pass_through=unknown_beam_flags)


def unknown_beam_flags(flags: list[str]) -> list[str]:
    """The flags of `flags` that are not Beam pipeline options (imports Beam: only `build` calls it)."""
    from pipeline.stages.options import unknown_flags

    return unknown_flags(flags)


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    from pipeline.build import run_build  # imported here: Beam is slow to import and other commands don't need it

    result = run_build(
        snapshot_dir=args.snapshot or str(bundled_sample_snapshot()),
        out_dir=args.out,
        release_date=args.release_date or today_utc(),
        previous_dir=args.previous,
        grobid_url=args.grobid_url,
        beam_args=beam_args,
        parse_cache_dir=args.parse_cache,
        on_grobid_down=args.on_grobid_down,
        grobid_concurrency=args.grobid_concurrency,
        endpoint_url=args.endpoint_url,
        limits=InputLimits(xml_bytes=args.max_xml_mb * MiB, pdf_bytes=args.max_pdf_mb * MiB),
        force=args.force,
        embedding_model=args.embedding_model,
    )
    from release.summary import summary_lines

    for line in summary_lines(result.summary):
        sys.stdout.write(line + "\n")
    return 0
