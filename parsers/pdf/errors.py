"""Typed errors of the PDF parsers, and the check every PDF input goes through first.

Every expected failure is a ParseError subclass with its own reason.
"""
from parsers.errors import ParseError, check_not_lfs_or_empty


class PdfError(ParseError):
    """A PDF the fallback parser cannot turn into text."""

    reason = "pdf_error"


class NotPdfError(PdfError):
    reason = "not_pdf"


class PdfEncryptedError(PdfError):
    reason = "pdf_encrypted"


class PdfNoTextError(PdfError):
    """No text layer: a scanned or image-only PDF."""

    reason = "pdf_no_text"


class PdfNoBodyTextError(PdfError):
    """Text, but no body text: a cover page, an abstract alone, front matter only."""

    reason = "pdf_no_body_text"


class PdfCorruptError(PdfError):
    reason = "pdf_corrupt"


class PdfTimeoutError(PdfError):
    reason = "pdf_timeout"


class PdfMemoryError(PdfError):
    reason = "pdf_memory_limit"


class PdfWorkerCrashError(PdfError):
    """The child process died without an answer (e.g. killed by a signal)."""

    reason = "pdf_worker_crash"


def check_pdf_bytes(data: bytes) -> None:
    """Raise for inputs that are not PDFs at all: empty, a Git-LFS pointer, HTML, other."""
    check_not_lfs_or_empty(data)
    head = data[:1024]
    if b"%PDF-" not in head:
        lowered = head.lstrip().lower()
        if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered:
            raise NotPdfError("the input is an HTML page, not a PDF")
        raise NotPdfError(f"the input does not start like a PDF (first bytes {data[:16]!r})")
