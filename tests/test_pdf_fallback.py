"""parsers.pdf.fallback (through parsers.pdf.sandbox.parse_pdf): the pdfminer.six fallback,
on the corpus PDFs and on PDFs made here."""
import hashlib
import io
import json

import pytest

from parsers.errors import ParseError
from parsers.pdf.errors import PdfEncryptedError, PdfNoTextError
from parsers.pdf.fallback import PARSER_VERSION, pdf_layout_to_pdf_json
from parsers.pdf.sandbox import parse_pdf
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
    parses = {json.dumps(pdf_layout_to_pdf_json(data), sort_keys=True) for _ in range(4)}
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
    # "[1]" and "[1-3]": one span per printed number, never overlapping; the "2" that
    # the range stands for gets no span of its own
    assert [(s["text"], s["ref_id"]) for s in intro["cite_spans"]] == [
        ("1", "BIBREF0"),
        ("1", "BIBREF0"),
        ("3", "BIBREF2"),
    ]
    assert [(a["first"], a["last"]) for a in bib["BIBREF0"]["authors"]] == [("J", "Smith"), ("A", "Doe")]
    assert bib["BIBREF0"]["venue"].startswith("Lancet")


def test_encrypted_and_image_only_reasons(corpus_dir):
    with pytest.raises(PdfEncryptedError):
        parse_pdf((corpus_dir / "pdf" / "pdfminer_encryption_rc4-40.pdf").read_bytes())
    with pytest.raises(PdfNoTextError):
        parse_pdf((corpus_dir / "pdf" / "pdfminer_contrib_pdf-with-jbig2.pdf").read_bytes())


def test_parser_version():
    assert PARSER_VERSION.startswith("pdfminer-")
