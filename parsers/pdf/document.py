"""One PDF to pdf_json: through GROBID and the TEI converter when a client is given,
else through the pdfminer.six fallback. Either way paper_id is the PDF's SHA-1."""
import hashlib

from parsers.grobid import GrobidClient
from parsers.pdf.errors import check_pdf_bytes
from parsers.pdf.sandbox import parse_pdf
from parsers.pdf.tei import tei_to_pdf_json
from schemas.records import Paper


def pdf_to_pdf_json(data: bytes, grobid: GrobidClient | None) -> Paper:
    """pdf_json of the PDF `data`; raises a ParseError subclass when it cannot be parsed."""
    if grobid is None:
        return parse_pdf(data)
    check_pdf_bytes(data)  # never send an empty file, an LFS pointer or an HTML page
    tei = grobid.process_fulltext(data)
    return tei_to_pdf_json(tei, hashlib.sha1(data).hexdigest())
