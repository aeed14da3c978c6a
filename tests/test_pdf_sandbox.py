"""parsers.pdf.sandbox: the pdfminer.six child process, its time and memory limits,
crashes, and the typed errors of inputs that are no PDF."""
import concurrent.futures
import io
import threading
import zlib

import pytest

from parsers.errors import EmptyInputError, GitLfsPointerError
from parsers.pdf import sandbox
from parsers.pdf.errors import NotPdfError, PdfCorruptError, PdfMemoryError, PdfTimeoutError, PdfWorkerCrashError
from parsers.pdf.sandbox import parse_pdf


def raw_pdf(content: bytes) -> bytes:
    """A one-page PDF whose page content stream is `content`, Flate-compressed."""
    stream = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def page_of_text(title: bytes) -> bytes:
    """A one-page PDF: a title and a line of body text under it (20 words or more: shorter
    blocks before any heading on the first page are front-page furniture)."""
    return raw_pdf(b"BT /F1 14 Tf 72 700 Td (" + title + b") Tj /F1 9 Tf 0 -40 Td (The body of this page "
                   b"is one line of plain words, long enough to be taken for running text by the parser.) Tj ET")


def test_raw_pdf_helper_makes_a_parseable_pdf():
    paper = parse_pdf(page_of_text(b"A small hand made page of text for the parser test"))
    assert paper["metadata"]["title"] == "A small hand made page of text for the parser test"


def test_runaway_pdf_hits_the_time_limit():
    # Hundreds of thousands of positioned text runs: pdfminer needs far longer than 1 s.
    content = b"BT /F1 1 Tf " + b"1 0 0 1 10 10 Tm (x) Tj " * 400_000 + b"ET"
    with pytest.raises(PdfTimeoutError) as exc:
        parse_pdf(raw_pdf(content), time_limit_s=1.0)
    assert exc.value.reason == "pdf_timeout"


def test_a_worker_killed_mid_parse_is_a_crash_and_is_replaced():
    small = page_of_text(b"A page of text that parses quickly enough")
    parse_pdf(small)  # this thread's worker process now exists
    worker = sandbox._THREAD_WORKERS.by_limit[1024]
    runaway = raw_pdf(b"BT /F1 1 Tf " + b"1 0 0 1 10 10 Tm (x) Tj " * 400_000 + b"ET")
    killer = threading.Timer(0.3, worker.process.kill)
    killer.start()
    with pytest.raises(PdfWorkerCrashError) as exc:
        parse_pdf(runaway, time_limit_s=30.0)
    killer.join()
    assert exc.value.reason == "pdf_worker_crash"
    assert parse_pdf(small)["metadata"]["title"] == "A page of text that parses quickly enough"


def test_decompression_bomb_hits_the_memory_limit():
    # 400 MB of spaces compress to under 2 MB; decoding them cannot fit in 256 MB.
    compressor = zlib.compressobj(1)
    chunk = b" " * (1 << 20)
    stream = b"".join(compressor.compress(chunk) for _ in range(400)) + compressor.flush()
    pdf = raw_pdf(b"").replace(
        b"<< /Length 8 /Filter /FlateDecode >>\nstream\n" + zlib.compress(b"", 9),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream,
    )
    with pytest.raises(PdfMemoryError) as exc:
        parse_pdf(pdf, time_limit_s=60.0, memory_limit_mb=256)
    assert exc.value.reason == "pdf_memory_limit"


@pytest.mark.parametrize(
    "data, error, reason",
    [
        (b"", EmptyInputError, "empty_input"),
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n", GitLfsPointerError, "git_lfs_pointer"),
        (b"<!DOCTYPE html><html><body>403 Forbidden</body></html>", NotPdfError, "not_pdf"),
        (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF", PdfCorruptError, "pdf_corrupt"),
    ],
)
def test_non_pdfs_and_broken_pdfs_have_their_own_reason(data, error, reason):
    with pytest.raises(error) as exc:
        parse_pdf(data)
    assert exc.value.reason == reason


def test_worker_processes_survive_failures_and_serve_several_threads(corpus_dir):
    data = (corpus_dir / "pdf" / "pdfminer_nonfree_naacl06-shinyama.pdf").read_bytes()
    with pytest.raises(PdfTimeoutError):
        parse_pdf(data, time_limit_s=0.01)  # kills this thread's worker
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        papers = list(pool.map(parse_pdf, [data] * 3))
    assert all(paper == papers[0] for paper in papers) and papers[0]["body_text"]
