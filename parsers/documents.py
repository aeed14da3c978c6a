"""The full-text document kinds, and the one place that knows them.

A document is "jats" (PMC JATS XML, to pmc_json), "pdf" (to pdf_json, through GROBID
or the pdfminer.six fallback) or "tei" (GROBID TEI XML, to pdf_json). This module
- detects a file's kind from its content (`detect_kind`; `input_kind` also refuses
  what cannot be parsed at all),
- names the parser version of each kind (`parser_version`, `parser_versions`), which
  keys the parse cache and goes into the release manifest,
- parses a document of a known kind (`parse_document`), refusing one over the size
  limit of its kind (`InputLimits`: a default, or what the caller configures), and
- decides what happens when GROBID is configured but down (`use_grobid`).
The build's ParseDocuments stage and `cord19 parse` both go through it.
"""
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from parsers.errors import ParseError, check_not_lfs_or_empty
from parsers.jats import PARSER_VERSION as JATS_VERSION
from parsers.jats import parse_jats
from parsers.pdf.tei import PARSER_VERSION as TEI_VERSION
from parsers.pdf.tei import tei_to_pdf_json
from parsers.xmlsafe import root_name
from schemas.records import Paper

if TYPE_CHECKING:  # the PDF parsers and the GROBID client (requests) load only when a PDF is parsed
    from parsers.grobid import GrobidClient

logger = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("jats", "pdf", "tei")
ON_GROBID_DOWN: tuple[str, ...] = ("fail", "fallback")

PDF_MAGIC_WITHIN = 1024  # "%PDF-" must start within the first KiB (as PDF readers allow)
_PDF_MAGIC = b"%PDF-"
_ROOTS_BY_KIND = {"jats": {"article", "pmc-articleset"}, "tei": {"TEI", "teiCorpus"}}
MiB = 1024 * 1024


@dataclass(frozen=True)
class InputLimits:
    """The largest document parsed, in bytes, per kind of input (XML: JATS and TEI; PDF).

    Larger documents are refused with InputTooLargeError before they are parsed: memory
    grows about 20 times the XML size (a 14 MB JATS of 300,000 paragraphs peaks near
    330 MB). The PDF default equals ingest's download limit (`[documents] max_bytes`).
    """

    xml_bytes: int = 32 * MiB
    pdf_bytes: int = 100 * MiB

    def limit_for(self, kind: str) -> int:
        return self.pdf_bytes if kind == "pdf" else self.xml_bytes

    def check(self, kind: str, size: int) -> None:
        """Raise InputTooLargeError when a `kind` document of `size` bytes is over its limit."""
        limit = self.limit_for(kind)
        if size > limit:
            raise InputTooLargeError(f"the {kind} input is {size:,} bytes, over the limit of {limit:,} bytes")


DEFAULT_LIMITS = InputLimits()


class InputTooLargeError(ParseError):
    """A document over the size limit of its kind (InputLimits)."""

    reason = "input_too_large"


class UnknownInputKindError(ParseError):
    """Content that is none of the full-text kinds."""

    reason = "unknown_input_kind"


def detect_kind(data: bytes) -> str:
    """"jats", "pdf", "tei" or "unknown", from the content: the PDF magic number, else the
    root element of the markup (read by the XML parser, whatever the length of the prolog)."""
    if _PDF_MAGIC in data[:PDF_MAGIC_WITHIN]:
        return "pdf"
    root = root_name(data)
    for kind, roots in _ROOTS_BY_KIND.items():
        if root in roots:
            return kind
    return "unknown"


def input_kind(data: bytes) -> str:
    """The kind to parse `data` as: `detect_kind`, with other markup taken as JATS (so that
    the JATS parser names the problem: not XML, not JATS). Raises EmptyInputError,
    GitLfsPointerError or UnknownInputKindError (neither markup nor a PDF)."""
    check_not_lfs_or_empty(data)
    kind = detect_kind(data)
    if kind == "unknown" and data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        kind = "jats"
    if kind == "unknown":
        raise UnknownInputKindError("neither markup nor a PDF (judged by content)")
    return kind


def parser_version(kind: str, grobid_version: str | None = None) -> str:
    """The version of the parser that turns documents of `kind` into papers.

    PDFs parsed through GROBID (`grobid_version` is then the server's version) depend on
    GROBID's own version too, so it is part of theirs: `tei-1+grobid-0.8.0`.
    """
    if kind == "jats":
        return JATS_VERSION
    if kind == "pdf":
        from parsers.pdf.fallback import PARSER_VERSION as PDFMINER_VERSION

        return f"{TEI_VERSION}+grobid-{grobid_version}" if grobid_version else PDFMINER_VERSION
    if kind == "tei":
        return TEI_VERSION
    raise ValueError(f"unknown document kind {kind!r}")


def parser_versions(grobid_version: str | None = None) -> dict[str, str]:
    """The parser version of each release parse folder (pmc_json, pdf_json), for the manifest."""
    return {"pmc_json": parser_version("jats", grobid_version), "pdf_json": parser_version("pdf", grobid_version)}


def parse_document(kind: str, data: bytes, fallback_id: str, grobid: "GrobidClient | None",
                   limits: InputLimits = DEFAULT_LIMITS) -> tuple[Paper, dict]:
    """(paper, identifiers found in the document) for one document's bytes.

    A JATS article's paper_id is its PMCID, else `fallback_id`; a PDF's is its SHA-1
    (parsed through `grobid` when given, else pdfminer.six); a TEI file's is
    `fallback_id`. Only JATS articles carry identifiers (non-empty ones are returned).
    Raises a ParseError subclass for a document that cannot be parsed, InputTooLargeError
    for one over its size limit in `limits`.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    limits.check(kind, len(data))
    if kind == "jats":
        parsed = parse_jats(data, fallback_paper_id=fallback_id)
        return parsed.paper, {k: v for k, v in parsed.ids.items() if v}
    if kind == "pdf":
        from parsers.pdf.document import pdf_to_pdf_json

        return pdf_to_pdf_json(data, grobid), {}
    return tei_to_pdf_json(data, fallback_id), {}


def use_grobid(client: "GrobidClient", on_grobid_down: str) -> bool:
    """Whether PDFs go to GROBID through `client`: yes when it answers its health check.

    When it does not, `on_grobid_down` decides: "fail" raises GrobidDownError, "fallback"
    logs a warning and answers False (PDFs are then parsed with pdfminer.six).
    """
    if on_grobid_down not in ON_GROBID_DOWN:
        raise ValueError(f"on_grobid_down must be one of {ON_GROBID_DOWN}, not {on_grobid_down!r}")
    from parsers.grobid import GrobidDownError

    try:
        client.check_alive()
    except GrobidDownError as exc:
        if on_grobid_down == "fail":
            raise
        logger.warning("%s; PDFs are parsed with pdfminer.six instead (--on-grobid-down fallback)", exc)
        return False
    return True
