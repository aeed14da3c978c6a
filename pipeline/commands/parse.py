"""`cord19 parse INPUT... --out DIR [--grobid-url URL]`: full-text files to CORD-19 JSON.

Each input's kind is judged by its content, not its name (parsers.documents.input_kind).
JATS articles become `DIR/pmc_json/<PMCID>.xml.json` (`<file stem>.xml.json` when the
article has no PMCID). PDFs become `DIR/pdf_json/<sha1>.json` (through GROBID with
--grobid-url, else pdfminer.six); GROBID TEI files become `DIR/pdf_json/<name>.json`
(`<name>.tei.xml`, else `<name>.xml`: the whole name, dots and all). Every failed input
gets one dead-letter line (schemas/dead_letter.json) in `DIR/failures.jsonl` (appended);
an input whose output name an earlier input already took is one too (reason
`output_name_collision`, nothing written for it), and so is an input over --max-xml-mb /
--max-pdf-mb (`input_too_large`, not read past its size). Exit 0 when every input parsed, else 1.

The parsers are imported inside `run`, so the CLI starts fast; nothing here imports
Apache Beam or pyarrow.
"""
import argparse
import json
import logging
from pathlib import Path

logger = logging.getLogger(__name__)

FAILURES_FILE = "failures.jsonl"
STAGE = "parse"
UNREADABLE_INPUT = "unreadable_input"  # the reason of an input that cannot be read (OSError)
TEI_SUFFIX = ".tei.xml"


class OutputNameCollisionError(Exception):
    """Two inputs of one run would be written to the same output file."""

    reason = "output_name_collision"
MiB = 1024 * 1024
DEFAULT_MAX_XML_MB = 32  # parsers.documents.InputLimits' defaults (a test checks they agree)
DEFAULT_MAX_PDF_MB = 100


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "parse",
        help="convert JATS XML, PDF and GROBID TEI files to CORD-19 JSON (kind detected by content)",
        description=(
            "Write DIR/pmc_json/<PMCID>.xml.json for each JATS article, DIR/pdf_json/<sha1>.json for "
            "each PDF and DIR/pdf_json/<name>.json for each GROBID TEI file <name>.tei.xml; append one "
            "line per failed input (or input whose output name is taken) to DIR/failures.jsonl. "
            "Exit 0 when all inputs parsed, 1 otherwise."
        ),
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="files or folders of files")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--grobid-url", help="GROBID server for PDF inputs (default: the pdfminer.six fallback)")
    parser.add_argument(
        "--on-grobid-down",
        choices=("fail", "fallback"),
        default="fail",
        help="when --grobid-url does not answer its health check: stop (default) or use pdfminer.six",
    )
    parser.add_argument("--grobid-cache", help="folder caching GROBID's TEI by PDF SHA-1, version and options")
    parser.add_argument("--max-xml-mb", type=_positive_int, default=DEFAULT_MAX_XML_MB, metavar="MB",
                        help=f"refuse JATS and TEI inputs larger than this many MiB (default {DEFAULT_MAX_XML_MB})")
    parser.add_argument("--max-pdf-mb", type=_positive_int, default=DEFAULT_MAX_PDF_MB, metavar="MB",
                        help=f"refuse PDF inputs larger than this many MiB (default {DEFAULT_MAX_PDF_MB})")
    parser.set_defaults(run=run)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def expand_inputs(inputs: list[Path]) -> list[Path]:
    """Inputs as given, with each folder replaced by its files (sorted, not recursive)."""
    paths: list[Path] = []
    for item in inputs:
        if item.is_dir():
            paths.extend(sorted(child for child in item.iterdir() if child.is_file()))
        else:
            paths.append(item)
    return paths


def output_path(kind: str, paper_id: str) -> str:
    """Where the paper of an input of `kind` goes, relative to --out."""
    if kind == "jats":
        return f"pmc_json/{paper_id}.xml.json"
    return f"pdf_json/{paper_id}.json"


def fallback_paper_id(kind: str, path: Path) -> str:
    """The paper_id of an input whose content names none: a TEI file's whole name without
    ".tei.xml" ("2020.acl-main.207.tei.xml" -> "2020.acl-main.207"; else without its last
    suffix), a JATS file's stem (a PDF's is its SHA-1)."""
    if kind == "tei" and path.name.lower().endswith(TEI_SUFFIX):
        return path.name[: -len(TEI_SUFFIX)]
    return path.stem


def read_input(path: Path, limits) -> bytes:
    """The bytes of one input; InputTooLargeError, unread, when it is over every size limit."""
    size = path.stat().st_size
    largest = max(limits.xml_bytes, limits.pdf_bytes)
    if size > largest:
        from parsers.documents import InputTooLargeError

        raise InputTooLargeError(f"the input is {size:,} bytes, over the largest size limit of {largest:,} bytes")
    return path.read_bytes()


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    from parsers.documents import InputLimits, input_kind, parse_document, use_grobid
    from parsers.errors import ParseError
    from schemas.files import atomic_write_bytes
    from schemas.records import dead_letter_from_error, paper_json_bytes

    paths = expand_inputs(args.inputs)
    limits = InputLimits(xml_bytes=args.max_xml_mb * MiB, pdf_bytes=args.max_pdf_mb * MiB)
    grobid = None
    if args.grobid_url:
        from parsers.grobid import GrobidClient  # requests loads only for GROBID

        grobid = GrobidClient(args.grobid_url, cache_dir=args.grobid_cache)
    if grobid is not None and not use_grobid(grobid, args.on_grobid_down):
        grobid = None
    args.out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    failures = []
    for path in paths:
        try:
            data = read_input(path, limits)
            kind = input_kind(data)
            paper, _ = parse_document(kind, data, fallback_paper_id(kind, path), grobid, limits)
        except (ParseError, OSError) as exc:
            logger.debug("%s: %s", path, exc)
            failures.append(dead_letter_from_error(STAGE, str(path), exc, default_reason=UNREADABLE_INPUT))
            continue
        relative = output_path(kind, paper["paper_id"])
        if relative in written:
            collision = OutputNameCollisionError(f"{relative} is already written for {written[relative]}; not replaced")
            logger.debug("%s: %s", path, collision)
            failures.append(dead_letter_from_error(STAGE, str(path), collision))
            continue
        atomic_write_bytes(args.out / relative, paper_json_bytes(paper))
        written[relative] = path
    if failures:
        with (args.out / FAILURES_FILE).open("a", encoding="utf-8") as handle:
            for record in failures:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    logger.info(
        "parse: %d inputs, %d parsed, %d files written, %d failed%s",
        len(paths), len(paths) - len(failures), len(written), len(failures),
        f" (see {args.out / FAILURES_FILE})" if failures else "",
    )
    return 1 if failures else 0
