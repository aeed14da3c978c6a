"""Temporary: `check_pdf_bytes` under its old import path, for pipeline/ingest.py only.

The PDF parsers now live in parsers/pdf/. pipeline/ingest.py is being split into
pipeline/ingest/ on another branch and was left alone here; when that lands, its
import becomes `from parsers.pdf.errors import check_pdf_bytes` and this module goes.
"""
from parsers.pdf.errors import check_pdf_bytes

__all__ = ["check_pdf_bytes"]
