"""`cord19 parse INPUT... --out DIR [--grobid-url URL]`: full-text files to CORD-19 JSON.

Each input's kind is detected from its content, not its name. JATS articles become
`DIR/pmc_json/<PMCID>.xml.json` (`<file stem>.xml.json` when the article has no
PMCID). PDFs become `DIR/pdf_json/<sha1>.json` (through GROBID with --grobid-url, else
pdfminer.six); GROBID TEI files become `DIR/pdf_json/<file stem>.json`. Every failed
input gets one line in `DIR/failures.jsonl` (appended). Exit 0 when every input
parsed, else 1.
"""
import argparse
import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

from parsers.errors import ParseError, check_not_lfs_or_empty
from parsers.grobid import GrobidClient, GrobidDownError
from parsers.jats import parse_jats
from parsers.pdf_document import pdf_to_pdf_json
from parsers.tei import tei_to_pdf_json
from release.writer import paper_json_bytes

logger = logging.getLogger(__name__)

FAILURES_FILE = "failures.jsonl"
STAGE = "parse"
HEAD_BYTES = 4096
_PDF_MAGIC = b"%PDF-"
# The first element name after the XML declaration, DOCTYPE and comments.
_FIRST_ELEMENT = re.compile(rb"<(?![?!])(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_MARKUP_PROLOG = re.compile(rb"^(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*", re.DOTALL)
ROOTS_BY_KIND = {"jats": {b"article", b"pmc-articleset"}, "tei": {b"TEI", b"teiCorpus"}}


class UnknownInputKindError(ParseError):
    """Content that is none of the full-text kinds the command knows."""

    reason = "unknown_input_kind"


def detect_input_kind(data: bytes) -> str:
    """"jats", "pdf", "tei" or "unknown", from the first bytes of the content."""
    head = data[:HEAD_BYTES]
    if _PDF_MAGIC in head[:1024]:
        return "pdf"
    body = head.lstrip(b"\xef\xbb\xbf")
    match = _FIRST_ELEMENT.match(body, _MARKUP_PROLOG.match(body).end())
    if match is None:
        return "unknown"
    for kind, roots in ROOTS_BY_KIND.items():
        if match.group(1) in roots:
            return kind
    return "unknown"


def convert_jats(data: bytes, path: Path) -> tuple[str, dict]:
    """The pmc_json file name and paper for one JATS article."""
    paper = parse_jats(data, fallback_paper_id=path.stem).paper
    return f"pmc_json/{paper['paper_id']}.xml.json", paper


def convert_pdf(data: bytes, path: Path, grobid: GrobidClient | None = None) -> tuple[str, dict]:
    """The pdf_json file name (the PDF's SHA-1) and paper for one PDF."""
    return f"pdf_json/{hashlib.sha1(data).hexdigest()}.json", pdf_to_pdf_json(data, grobid)


def convert_tei(data: bytes, path: Path) -> tuple[str, dict]:
    """The pdf_json file name and paper for one GROBID TEI file (both named by the file stem)."""
    stem = path.name.split(".", 1)[0]
    return f"pdf_json/{stem}.json", tei_to_pdf_json(data, stem)


# Kind -> converter returning (path relative to --out, paper).
CONVERTERS: dict[str, Callable[[bytes, Path], tuple[str, dict]]] = {
    "jats": convert_jats,
    "pdf": convert_pdf,
    "tei": convert_tei,
}


def convert_input(data: bytes, path: Path, converters: dict = CONVERTERS) -> tuple[str, dict]:
    """Detect the kind of `data` and convert it; ParseError subclasses for every refusal."""
    check_not_lfs_or_empty(data)
    kind = detect_input_kind(data)
    if kind == "unknown" and data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        kind = "jats"  # other markup: the JATS parser names the problem (not XML, not JATS)
    if kind == "unknown":
        raise UnknownInputKindError("neither markup nor a PDF (judged by content)")
    return converters[kind](data, path)


def expand_inputs(inputs: list[Path]) -> list[Path]:
    """Inputs as given, with each folder replaced by its files (sorted, not recursive)."""
    paths: list[Path] = []
    for item in inputs:
        if item.is_dir():
            paths.extend(sorted(child for child in item.iterdir() if child.is_file()))
        else:
            paths.append(item)
    return paths


def failure_record(path: Path, error: Exception) -> dict:
    """One line of failures.jsonl."""
    return {
        "input": str(path),
        "stage": STAGE,
        "error": type(error).__name__,
        "reason": getattr(error, "reason", "unreadable_input"),
        "message": str(error),
    }


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "parse",
        help="convert JATS XML, PDF and GROBID TEI files to CORD-19 JSON (kind detected by content)",
        description=(
            "Write DIR/pmc_json/<PMCID>.xml.json for each JATS article, DIR/pdf_json/<sha1>.json for "
            "each PDF and DIR/pdf_json/<file stem>.json for each GROBID TEI file; append one line per "
            "failed input to DIR/failures.jsonl. Exit 0 when all inputs parsed, 1 otherwise."
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
    parser.set_defaults(run=run)


def pdf_converters(args: argparse.Namespace) -> dict:
    """CONVERTERS with PDFs going through GROBID when --grobid-url is given and alive."""
    if not args.grobid_url:
        return CONVERTERS
    client = GrobidClient(args.grobid_url, cache_dir=args.grobid_cache)
    try:
        client.check_alive()
    except GrobidDownError as exc:
        if args.on_grobid_down == "fail":
            raise
        logger.warning("%s; PDFs are parsed with pdfminer.six instead (--on-grobid-down fallback)", exc)
        return CONVERTERS
    return {**CONVERTERS, "pdf": functools.partial(convert_pdf, grobid=client)}


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    paths = expand_inputs(args.inputs)
    converters = pdf_converters(args)
    args.out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    failures: list[dict] = []
    for path in paths:
        try:
            relative, paper = convert_input(path.read_bytes(), path, converters)
        except (ParseError, OSError) as exc:
            logger.debug("%s: %s", path, exc)
            failures.append(failure_record(path, exc))
            continue
        if relative in written:
            logger.warning("%s and %s give the same %s; the later one is kept", written[relative], path, relative)
        target = args.out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(paper_json_bytes(paper))
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
