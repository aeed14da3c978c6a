"""parsers.pdf_text: the pdfminer.six fallback, on the corpus PDFs and on PDFs made here."""
import concurrent.futures
import hashlib
import io
import json
import threading
import zlib

import pytest

from parsers import pdf_text
from parsers.errors import EmptyInputError, GitLfsPointerError, ParseError
from parsers.pdf_text import (
    PARSER_VERSION,
    NotPdfError,
    PdfCorruptError,
    PdfEncryptedError,
    PdfMemoryError,
    PdfNoTextError,
    PdfTimeoutError,
    PdfWorkerCrashError,
    parse_pdf,
)
from schemas import schema_errors
from schemas.invariants import paper_problems

reportlab_canvas = pytest.importorskip("reportlab.pdfgen.canvas")

# What every corpus PDF must give: a parse, or a failure with this reason.
CORPUS_PDF_OUTCOMES = {
    "grobid_1001._0908.0054.pdf": "ok",
    "grobid_footnotes_test.pdf": "ok",
    "grobid_samplePdf.segmentation.pdf": "ok",
    "grobid_two_pages.pdf": "ok",
    "odd_colrev_broken-pdf.pdf": "not_pdf",
    "odd_colrev_zero-size-pdf.pdf": "empty_input",
    "pdfminer_contrib_pdf-with-jbig2.pdf": "pdf_no_text",
    "pdfminer_encryption_rc4-40.pdf": "pdf_encrypted",
    "pdfminer_jo.pdf": "ok",
    "pdfminer_nonfree_naacl06-shinyama.pdf": "ok",
    "pdfminer_zen_of_python_corrupted.pdf": "ok",
}
TIME_LIMIT_S = 30.0


def outcome(data: bytes) -> tuple[str, dict | None]:
    try:
        return "ok", parse_pdf(data, time_limit_s=TIME_LIMIT_S)
    except ParseError as exc:
        return exc.reason, None


def test_every_corpus_pdf_parses_or_fails_with_its_reason(corpus_dir):
    files = sorted((corpus_dir / "pdf").glob("*.pdf"))
    assert {f.name for f in files} == set(CORPUS_PDF_OUTCOMES)
    for path in files:
        data = path.read_bytes()
        reason, paper = outcome(data)
        assert reason == CORPUS_PDF_OUTCOMES[path.name], path.name
        if paper is not None:
            assert paper["paper_id"] == hashlib.sha1(data).hexdigest()
            assert schema_errors("pdf_json", paper) == [], path.name
            assert paper_problems(paper) == [], path.name
            assert paper["body_text"] or paper["abstract"], path.name


def test_the_same_pdf_gives_the_same_parse_every_time(corpus_dir):
    # pdfminer's own box grouping breaks distance ties by object id: on this 28-page
    # paper it gave a different reading order from one call to the next.
    data = (corpus_dir / "expected/doc2json_pdf_f2235cd/5cd28c171f9f3b6a8bcebe246159c464980c.pdf").read_bytes()
    parses = {json.dumps(pdf_text.pdf_layout_to_pdf_json(data), sort_keys=True) for _ in range(4)}
    assert len(parses) == 1


def test_naacl_paper_structure(corpus_dir):
    paper = parse_pdf((corpus_dir / "pdf" / "pdfminer_nonfree_naacl06-shinyama.pdf").read_bytes())
    assert paper["metadata"]["title"] == "Preemptive Information Extraction using Unrestricted Relation Discovery"
    assert [(a["first"], a["last"]) for a in paper["metadata"]["authors"]] == [
        ("Yusuke", "Shinyama"),
        ("Satoshi", "Sekine"),
    ]
    assert paper["abstract"][0]["text"].startswith("We are trying to extend the boundary of Information Extraction")
    sections = [p["section"] for p in paper["body_text"]]
    assert "Background" in sections and "Conclusion" in sections
    titles = [entry["title"] for entry in paper["bib_entries"].values()]  # split by hanging indent
    assert len(titles) >= 10 and all(entry["year"] for entry in paper["bib_entries"].values())
    assert "Snowball: Extracting Relations from Large Plaintext Collections" in titles
    assert "A maximum-entropy-inspired parser" in titles  # joined across a box break
    body = " ".join(p["text"] for p in paper["body_text"])
    assert "semiautomatically" in body  # joined across the line break
    assert any(e["type"] == "table" for e in paper["ref_entries"].values())


def test_author_lines_with_footnote_marks(corpus_dir):
    paper = parse_pdf((corpus_dir / "pdf" / "grobid_footnotes_test.pdf").read_bytes())
    names = [(a["first"], a["middle"], a["last"]) for a in paper["metadata"]["authors"]]
    assert names[:2] == [("Pamela", [], "Forner"), ("Anselmo", [], "Peñas")]
    assert ("Erik", ["Tjong", "Kim"], "Sang") in names and len(names) == 12
    corrupted = parse_pdf((corpus_dir / "pdf" / "pdfminer_zen_of_python_corrupted.pdf").read_bytes())
    assert corrupted["metadata"]["authors"] == []  # "Mittwoch Mai 30, 18" is a date, not a name


def test_vertical_japanese_text_is_kept_without_spaces(corpus_dir):
    paper = parse_pdf((corpus_dir / "pdf" / "pdfminer_jo.pdf").read_bytes())
    assert paper["body_text"][0]["text"] == "みんなのおのおののなかのすべてですから）"
    assert all(" " not in p["text"] for p in paper["body_text"])


def test_working_paper_keeps_references_out_of_the_body(corpus_dir):
    pdf = (corpus_dir / "expected" / "doc2json_pdf_f2235cd" / "5cd28c171f9f3b6a8bcebe246159c464980c.pdf").read_bytes()
    paper = parse_pdf(pdf)
    assert paper["paper_id"] == "f2235cd28c171f9f3b6a8bcebe246159c464980c"
    assert paper["metadata"]["title"].startswith("Territorial Rural Development in Latin America")
    sections = {p["section"] for p in paper["body_text"]}
    assert {"Introducción", "Conclusiones"} <= sections
    assert not any("Bibliograf" in s for s in sections)
    assert 39 <= len(paper["bib_entries"]) <= 45  # 39 in doc2json's GROBID parse
    assert any(e["title"] == "Acerca de la globalización en la agricultura" for e in paper["bib_entries"].values())


# ---------------------------------------------------------------- PDFs made here


def make_article_pdf() -> bytes:
    """A 3-page article: running header and page numbers, abstract, numbered sections,
    a hyphenated line break, a figure caption, numeric citations and a reference list."""
    buffer = io.BytesIO()
    pdf = reportlab_canvas.Canvas(buffer, invariant=1)
    filler = (
        "The measured rates of transmission varied between the observed households and "
        "the model predicted them well across all age groups in the cohort"
    )

    def page_furniture(number: int) -> None:
        pdf.setFont("Helvetica", 8)
        pdf.drawString(72, 810, "Journal of Reproducible Tests 12 (2020)")
        pdf.drawString(300, 30, str(number))

    def paragraph(y: float, lines: list[str]) -> float:
        pdf.setFont("Helvetica", 10)
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 12
        return y - 14

    page_furniture(1)
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(72, 740, "Household Transmission of a Respiratory Virus")
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 715, "Ada Lovelace, Charles Babbage")
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(72, 680, "Abstract")
    y = paragraph(664, ["We estimate household transmission from a cohort of families and find that", "secondary attack rates were high in crowded homes."])
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(72, y, "1 Introduction")
    y = paragraph(y - 18, ["Earlier work on household studies [1] reported lower rates; the sur-", "veillance data [1-3] agree with the trend described here in detail.", filler + "."])
    paragraph(y, [filler, "and in every season of the study period without any exception."])
    pdf.showPage()

    page_furniture(2)
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(72, 740, "2 Methods")
    y = paragraph(722, ["Families were followed for four weeks after the first case was confirmed.", filler + "."])
    y = paragraph(y, ["Figure 1: Secondary attack rate by household size."])
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(72, y, "3 Results")
    paragraph(y - 18, ["Rates rose with household size as earlier reported [1].", filler + "."])
    pdf.showPage()

    page_furniture(3)
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(72, 740, "References")
    pdf.setFont("Helvetica", 10)
    references = [
        "[1] Smith J, Doe A. Household transmission of influenza. Lancet. 2009;373:1-8.",
        "[2] Brown K. Surveillance of respiratory viruses. J Infect Dis. 2012. doi:10.1000/jid.2012.55",
        "[3] Green L. Seasonal trends in respiratory infection. arXiv:2001.01234, 2020.",
    ]
    y = 722
    for reference in references:
        pdf.drawString(72, y, reference)
        y -= 14
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_made_article_structure():
    paper = parse_pdf(make_article_pdf())
    assert schema_errors("pdf_json", paper) == [] and paper_problems(paper) == []
    assert paper["metadata"]["title"] == "Household Transmission of a Respiratory Virus"
    assert paper["metadata"]["authors"] == [
        {"first": "Ada", "middle": [], "last": "Lovelace", "suffix": "", "affiliation": {}, "email": ""},
        {"first": "Charles", "middle": [], "last": "Babbage", "suffix": "", "affiliation": {}, "email": ""},
    ]
    assert [p["text"] for p in paper["abstract"]] == [
        "We estimate household transmission from a cohort of families and find that "
        "secondary attack rates were high in crowded homes."
    ]
    assert [p["section"] for p in paper["body_text"]][:1] == ["Introduction"]
    assert {"Introduction", "Methods", "Results"} == {p["section"] for p in paper["body_text"]}
    body = " ".join(p["text"] for p in paper["body_text"])
    assert "surveillance data" in body  # de-hyphenated across the line break
    assert "Journal of Reproducible Tests" not in body  # running header removed
    assert "Smith J" not in body  # references kept out of the body
    assert list(paper["ref_entries"].values()) == [
        {"text": "Figure 1: Secondary attack rate by household size.", "type": "figure", "latex": None}
    ]
    bib = paper["bib_entries"]
    assert len(bib) == 3
    assert bib["BIBREF0"]["year"] == 2009 and bib["BIBREF0"]["title"].startswith("Household transmission")
    assert bib["BIBREF1"]["other_ids"] == {"DOI": ["10.1000/jid.2012.55"]}
    assert bib["BIBREF2"]["other_ids"] == {"arXiv": ["2001.01234"]}
    intro = paper["body_text"][0]
    assert [(s["text"], s["ref_id"]) for s in intro["cite_spans"]] == [
        ("1", "BIBREF0"),
        ("1", "BIBREF0"),
        ("1-3", "BIBREF1"),
        ("3", "BIBREF2"),
    ]


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


def test_raw_pdf_helper_makes_a_parseable_pdf():
    paper = parse_pdf(raw_pdf(b"BT /F1 12 Tf 72 700 Td (A small hand made page of text for the parser test) Tj ET"))
    assert paper["metadata"]["title"] == "A small hand made page of text for the parser test"


def test_runaway_pdf_hits_the_time_limit():
    # Hundreds of thousands of positioned text runs: pdfminer needs far longer than 1 s.
    content = b"BT /F1 1 Tf " + b"1 0 0 1 10 10 Tm (x) Tj " * 400_000 + b"ET"
    with pytest.raises(PdfTimeoutError) as exc:
        parse_pdf(raw_pdf(content), time_limit_s=1.0)
    assert exc.value.reason == "pdf_timeout"


def test_a_worker_killed_mid_parse_is_a_crash_and_is_replaced():
    small = raw_pdf(b"BT /F1 12 Tf 72 700 Td (A page of text that parses quickly enough) Tj ET")
    parse_pdf(small)  # this thread's worker process now exists
    worker = pdf_text._THREAD_WORKERS.by_limit[1024]
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


def test_encrypted_and_image_only_reasons(corpus_dir):
    with pytest.raises(PdfEncryptedError):
        parse_pdf((corpus_dir / "pdf" / "pdfminer_encryption_rc4-40.pdf").read_bytes())
    with pytest.raises(PdfNoTextError):
        parse_pdf((corpus_dir / "pdf" / "pdfminer_contrib_pdf-with-jbig2.pdf").read_bytes())


def test_parser_version():
    assert PARSER_VERSION.startswith("pdfminer-")
