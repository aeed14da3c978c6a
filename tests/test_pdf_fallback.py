"""parsers.pdf.fallback (through parsers.pdf.sandbox.parse_pdf): the pdfminer.six fallback,
on the corpus PDFs and on PDFs made here."""
import hashlib
import io
import json

import pytest

from parsers.errors import ParseError
from parsers.pdf.errors import PdfEncryptedError, PdfNoBodyTextError, PdfNoTextError
from parsers.pdf.fallback import PARSER_VERSION, pdf_layout_to_pdf_json, read_pdf_paper
from parsers.pdf.sandbox import parse_pdf
from schemas import schema_errors
from schemas.invariants import paper_problems
from tests.support.pdf_quality import measure, reference_parse

reportlab_canvas = pytest.importorskip("reportlab.pdfgen.canvas")

# What every corpus PDF must give: a parse, or a failure with this reason.
CORPUS_PDF_OUTCOMES = {
    "grobid_1001._0908.0054.pdf": "ok",
    "grobid_footnotes_test.pdf": "pdf_no_body_text",  # a title page: authors, an abstract, one footnote
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
    paper = read_pdf_paper((corpus_dir / "pdf" / "grobid_footnotes_test.pdf").read_bytes())  # no body text
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


def test_working_paper_against_its_grobid_parse(corpus_dir):
    """Issue 16's figures against doc2json's GROBID-based parse of the same PDF
    (benchmarks/bench_pdf_fallback_quality.py prints them next to the targets: 90,
    x1.5, 50%, 90%). The floors sit below today's figures (84.6, x0.85, 70%, 100%) so
    the test does not flake. Similarity cannot reach 90 on this PDF for a parse that
    keeps all of its body text and leaves its footnotes out: GROBID filed about 10,000
    characters of body text as footnotes, which doc2json left out (the bench prints
    that bound), and kept four of the seven real footnotes inline in the body."""
    folder = corpus_dir / "expected" / "doc2json_pdf_f2235cd"
    ours = parse_pdf((folder / "5cd28c171f9f3b6a8bcebe246159c464980c.pdf").read_bytes())
    theirs = reference_parse(json.loads((folder / "f2235cd28c171f9f3b6a8bcebe246159c464980c.json").read_bytes()))
    quality = measure(ours, theirs)
    assert quality.body_similarity >= 80
    assert 0.5 <= quality.paragraph_ratio <= 2.0
    assert quality.cite_share >= 0.4
    assert quality.bib_share >= 0.8
    assert quality.author_share == 1.0



def test_footnotes_go_to_back_matter_in_page_order(corpus_dir):
    """Footnotes leave the body for back_matter (section "Footnote"), as in CORD-19's
    pdf_json, in page order and with their citations linked."""
    pdf = (corpus_dir / "expected" / "doc2json_pdf_f2235cd" / "5cd28c171f9f3b6a8bcebe246159c464980c.pdf").read_bytes()
    paper = parse_pdf(pdf)
    notes = [p for p in paper["back_matter"] if p["section"] == "Footnote"]
    assert [p["text"].split()[0][:1] for p in notes] == ["1", "2", "3", "4", "5", "6", "7"]
    body = " ".join(p["text"] for p in paper["body_text"])
    assert "En un estudio efectuado por CEPAL en el año 2000" in notes[1]["text"]
    assert "En un estudio efectuado por CEPAL" not in body and "De Janvry y Sadoulet distinguen" not in body
    linked = {(c["text"], paper["bib_entries"][c["ref_id"]]["title"]) for p in notes for c in p["cite_spans"]
              if c["ref_id"]}
    assert ("PDR, 2003", "Estrategia de Desarrollo Rural") in linked
    naacl = parse_pdf((corpus_dir / "pdf" / "pdfminer_nonfree_naacl06-shinyama.pdf").read_bytes())
    assert [p["text"][:13] for p in naacl["back_matter"] if p["section"] == "Footnote"] == [
        "1The ACE task", "2The hurrican", "3Hurricane Ka"]
    assert not any(p["text"].startswith("2The hurricane names") for p in naacl["body_text"])

def test_working_paper_author_year_citations(corpus_dir):
    pdf = (corpus_dir / "expected" / "doc2json_pdf_f2235cd" / "5cd28c171f9f3b6a8bcebe246159c464980c.pdf").read_bytes()
    paper = parse_pdf(pdf)
    bib = paper["bib_entries"]
    linked = {}
    for paragraph in paper["body_text"] + paper["back_matter"]:  # "Stallings y Peres" is cited in a footnote
        spans = paragraph["cite_spans"]
        assert all(a["end"] <= b["start"] for a, b in zip(spans, spans[1:]))  # sorted, never overlapping
        for cite in spans:
            linked.setdefault(cite["text"], cite["ref_id"])
    sumpsi = bib[linked["Sumpsi y Mora, 2004"]]  # "(Sumpsi y Mora, 2004)"
    assert [a["last"] for a in sumpsi["authors"]] == ["Sumpsi", "Mora"] and sumpsi["year"] == 2004
    assert bib[linked["Stallings y Peres, 2000:256"]]["authors"][0]["last"] == "Stallings"
    assert linked["Mora, 2005"] is None  # Mora (2005a) and Mora (2005b): the marker does not say which
    assert bib[linked["FAO, 2003"]]["title"].startswith("Evaluación de la alianza para el campo")


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


def encrypted_pdf(with_text: bool) -> bytes:
    """A PDF encrypted with an owner password only: the empty password opens it."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    buffer = io.BytesIO()
    pdf = reportlab_canvas.Canvas(buffer, invariant=1, encrypt=StandardEncryption("", ownerPassword="owner"))
    if with_text:
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawString(72, 740, "Ventilation of Crowded Waiting Rooms")
        pdf.setFont("Helvetica", 10)
        pdf.drawString(72, 700, "We measured the air exchange in twelve waiting rooms of three hospitals during")
        pdf.drawString(72, 688, "the winter months and compared it with the number of people waiting in them.")
    else:
        pdf.rect(72, 500, 300, 200, fill=1)  # a page with a picture and no text, like a scan
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_an_encrypted_pdf_that_opens_but_gives_no_text_is_encrypted_not_image_only():
    with pytest.raises(PdfEncryptedError) as exc:
        parse_pdf(encrypted_pdf(with_text=False))
    assert exc.value.reason == "pdf_encrypted" and "empty password opens it" in str(exc.value)
    paper = parse_pdf(encrypted_pdf(with_text=True))  # decrypted: parsed like any other PDF
    assert paper["metadata"]["title"] == "Ventilation of Crowded Waiting Rooms"


def test_a_pdf_without_body_text_is_a_failure_of_its_own(corpus_dir):
    # One page of front matter: a title, twelve authors with their affiliations, an
    # abstract and a footnote. Before, it became a pdf_json with a footnote for its body.
    with pytest.raises(PdfNoBodyTextError) as exc:
        parse_pdf((corpus_dir / "pdf" / "grobid_footnotes_test.pdf").read_bytes())
    assert exc.value.reason == "pdf_no_body_text"
    assert "OVERVIEW OF THE CLEF 2008" in str(exc.value) and "12 author(s)" in str(exc.value)


def test_parser_version():
    assert PARSER_VERSION.startswith("pdfminer-")


def superscript_article_pdf() -> bytes:
    """A page in a medical journal's style: raised citation numbers, an exponent, and
    a numbered reference list."""
    buffer = io.BytesIO()
    pdf = reportlab_canvas.Canvas(buffer, invariant=1)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(72, 760, "Hand Hygiene and Respiratory Infection in Schools")
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(72, 720, "Introduction")

    def line(y: float, runs: list[tuple[str, bool]]) -> None:
        text = pdf.beginText(72, y)
        for run, raised in runs:
            text.setFont("Helvetica", 6 if raised else 10)
            text.setRise(4 if raised else 0)
            text.textOut(run)
        pdf.drawText(text)

    line(700, [("Hand washing lowers the number of school days lost to colds,", False), ("1,2", True),
               (" and alcohol rubs help", False)])
    line(688, [("further in crowded classrooms.", False), ("3-5", True),
               (" Classrooms hold about 10", False), ("2", True), (" children a day in our sample.", False)])
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(72, 650, "References")
    pdf.setFont("Helvetica", 9)
    for number, y in zip(range(1, 6), range(632, 560, -14)):
        pdf.drawString(72, y, f"{number}. Author{number} A. A study of hand hygiene number {number}. J Sch Health. 201{number};1:1-9.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_raised_citation_numbers_are_linked_and_exponents_are_not():
    paper = parse_pdf(superscript_article_pdf())
    [intro] = paper["body_text"]
    assert "colds,1,2 and alcohol" in intro["text"]  # the text as printed, without marks of ours
    assert [(s["text"], s["ref_id"]) for s in intro["cite_spans"]] == [
        ("1", "BIBREF0"), ("2", "BIBREF1"), ("3", "BIBREF2"), ("5", "BIBREF4"),
    ]  # "10²" is an exponent
    assert paper_problems(paper) == []


def test_figure_and_table_references_are_ref_spans(corpus_dir):
    paper = parse_pdf((corpus_dir / "pdf" / "pdfminer_nonfree_naacl06-shinyama.pdf").read_bytes())
    entries = paper["ref_entries"]
    spans = [(s["text"], s["ref_id"]) for p in paper["body_text"] for s in p["ref_spans"]]
    assert ("Table 1", "TABREF0") in spans and entries["TABREF0"]["text"].startswith("Table 1:")
    assert any(text.startswith("Figure") and ref_id and entries[ref_id]["type"] == "figure" for text, ref_id in spans)
    assert paper_problems(paper) == []
