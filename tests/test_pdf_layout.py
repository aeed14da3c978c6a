"""The pdfminer.six fallback's layout heuristics (parsers.pdf.layout, blocks, front_matter,
tables, references: title, authors, abstract, sections, tables),
checked against what is known to be printed: the sample snapshot's PDFs, whose
content comes from scripts/make_sample_snapshot.py, and real corpus PDFs."""
import hashlib
import html
import importlib.util
import io

import pytest

from parsers.pdf.fallback import read_pdf_paper
from parsers.pdf.sandbox import parse_pdf
from tests.support.paths import PROJECT_ROOT

pytest.importorskip("reportlab", reason="the sample generator needs reportlab")

SAMPLE = PROJECT_ROOT / "pipeline" / "sample_snapshot"
GENERATOR = PROJECT_ROOT / "scripts" / "make_sample_snapshot.py"


def load_generator():
    spec = importlib.util.spec_from_file_location("make_sample_snapshot", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR_MODULE = load_generator()
PDF_KEYS = sorted(GENERATOR_MODULE.PDF_PAPERS)


def sample_pdf(key: str) -> bytes:
    """The committed sample PDF of a generator paper (named by the SHA-1 of what the
    generator writes for it)."""
    source, running_header = GENERATOR_MODULE.PDF_PAPERS[key]
    written = GENERATOR_MODULE.pdf_document(GENERATOR_MODULE.PAPER[key], running_header)
    path = SAMPLE / "documents" / "pdf" / f"{hashlib.sha1(written).hexdigest()}.pdf"
    assert path.is_file(), f"the committed sample has no PDF for {key}: run scripts/make_sample_snapshot.py"
    return path.read_bytes()


@pytest.fixture(scope="module")
def sample_papers() -> dict[str, dict]:
    return {key: parse_pdf(sample_pdf(key), time_limit_s=30.0) for key in PDF_KEYS}


def printed_sections(full_text) -> list[str]:
    """Section titles in print order, those without paragraphs of their own left out."""
    titles = []
    for section in full_text.sections:
        if section.paragraphs:
            titles.append(section.title)
        titles += [sub.title for sub in section.subsections if sub.paragraphs]
    return titles


def distinct_in_order(values: list[str]) -> list[str]:
    return [value for n, value in enumerate(values) if n == 0 or values[n - 1] != value]


@pytest.mark.parametrize("key", PDF_KEYS)
def test_sample_pdf_title_authors_and_abstract(sample_papers, key):
    truth = GENERATOR_MODULE.PAPER[key]
    paper = sample_papers[key]
    assert paper["metadata"]["title"] == truth.title
    assert [(a["last"], a["suffix"]) for a in paper["metadata"]["authors"]] == [
        (a.last, a.suffix) for a in truth.authors
    ]
    assert [" ".join([a["first"], *a["middle"]]) for a in paper["metadata"]["authors"]] == [
        a.given for a in truth.authors
    ]
    assert [p["text"] for p in paper["abstract"]] == [truth.abstract_text]


@pytest.mark.parametrize("key", PDF_KEYS)
def test_sample_pdf_affiliations_follow_the_marks(sample_papers, key):
    printed = []
    for author in sample_papers[key]["metadata"]["authors"]:
        affiliation = author["affiliation"]
        location = affiliation.get("location", {})
        parts = [affiliation.get("laboratory"), affiliation.get("institution"), location.get("settlement"),
                 location.get("country")]
        printed.append(", ".join(part for part in parts if part))
    assert printed == [a.affiliation for a in GENERATOR_MODULE.PAPER[key].authors]


@pytest.mark.parametrize("key", PDF_KEYS)
def test_sample_pdf_sections_and_back_matter(sample_papers, key):
    paper = sample_papers[key]
    full_text = GENERATOR_MODULE.FULL_TEXTS[key]
    assert distinct_in_order([p["section"] for p in paper["body_text"]]) == printed_sections(full_text)
    assert [p["section"] for p in paper["back_matter"]] == [h for h, _ in GENERATOR_MODULE.PDF_DECLARATIONS]
    assert not any(p["text"] == GENERATOR_MODULE.PAPER[key].abstract_text for p in paper["body_text"])


@pytest.mark.parametrize("key", PDF_KEYS)
def test_sample_pdf_table_cells_go_to_the_table(sample_papers, key):
    table = GENERATOR_MODULE.FULL_TEXTS[key].table
    paper = sample_papers[key]
    tables = [entry for entry in paper["ref_entries"].values() if entry["type"] == "table"]
    assert [entry["text"] for entry in tables] == [f"Table 1. {table.caption}"]
    for row in table.rows:
        cells = "".join(f"<td>{html.escape(cell)}</td>" for cell in row)
        assert f"<tr>{cells}</tr>" in tables[0]["html"]
    for heading in table.header:
        assert html.escape(heading) in tables[0]["html"]
    body_texts = {p["text"] for p in paper["body_text"]}
    assert not body_texts & {cell for row in table.rows for cell in row}


def test_naacl_paper_front_matter(corpus_dir):
    paper = parse_pdf((corpus_dir / "pdf" / "pdfminer_nonfree_naacl06-shinyama.pdf").read_bytes())
    assert paper["metadata"]["title"] == "Preemptive Information Extraction using Unrestricted Relation Discovery"
    assert [a["last"] for a in paper["metadata"]["authors"]] == ["Shinyama", "Sekine"]
    assert [a["email"] for a in paper["metadata"]["authors"]] == ["yusuke@cs.nyu.edu", "sekine@cs.nyu.edu"]
    assert {a["affiliation"]["institution"] for a in paper["metadata"]["authors"]} == {"New York University"}
    assert len(paper["abstract"]) == 1 and paper["abstract"][0]["text"].endswith("reasonably good results.")
    assert paper["body_text"][0]["section"] == "Background"
    tables = {entry["text"]: entry.get("html", "") for entry in paper["ref_entries"].values()}
    assert "<td>Source articles</td><td>28,009</td>" in tables["Table 2: Articles and obtained metaclusters."]
    assert not any(p["text"] in ("Source articles", "28,009") for p in paper["body_text"])


def test_revtex_preprint_front_matter(corpus_dir):
    """arXiv 0908.0054: authors with footnote marks, an abstract without a heading."""
    paper = parse_pdf((corpus_dir / "pdf" / "grobid_1001._0908.0054.pdf").read_bytes())
    assert paper["metadata"]["title"] == "Ultra light bosonic dark matter and CMB"
    assert [a["last"] for a in paper["metadata"]["authors"]] == ["Montoya", "Chassin"]
    assert paper["abstract"][0]["text"].startswith("In this work we report the cosmological effects")
    assert paper["body_text"][0]["section"] == "INTRODUCTION"


def test_working_paper_cover_page(corpus_dir):
    pdf = (corpus_dir / "expected" / "doc2json_pdf_f2235cd" / "5cd28c171f9f3b6a8bcebe246159c464980c.pdf").read_bytes()
    paper = parse_pdf(pdf)
    assert paper["metadata"]["title"] == (
        "Territorial Rural Development in Latin America and the Caribbean: Discourses and Realities"
    )
    assert [a["last"] for a in paper["metadata"]["authors"]] == ["Mora-Alfaro"]
    tables = [entry for entry in paper["ref_entries"].values() if entry["text"].startswith("Cuadro 1:")]
    assert len(tables) == 1 and tables[0]["type"] == "table" and "<td>135,9</td>" in tables[0]["html"]


def test_marked_affiliations_and_emails(corpus_dir):
    """CLEF 2008 overview: twelve authors, numbered affiliations with e-mail addresses."""
    paper = read_pdf_paper((corpus_dir / "pdf" / "grobid_footnotes_test.pdf").read_bytes())  # no body text
    authors = {a["last"]: a for a in paper["metadata"]["authors"]}
    assert authors["Agirre"]["email"] == "e.agirre@ehu.es"
    assert authors["Agirre"]["affiliation"]["institution"] == "University of Basque Country"
    assert authors["Peñas"]["affiliation"]["institution"] == "UNED"
    assert authors["Peñas"]["affiliation"]["location"] == {"settlement": "Madrid", "country": "Spain"}
    assert authors["Sang"]["affiliation"]["institution"] == "University of Groningen"


def test_keywords_end_the_abstract_and_names_keep_particles_and_suffixes():
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)
    pdf.setFont("Helvetica-Bold", 17)
    pdf.drawString(72, 760, "Seasonal Patterns of Respiratory Infection in Dairy Farmers")
    pdf.setFont("Helvetica", 11)
    pdf.drawString(72, 735, "Anna van der Berg, John Smith Jr")
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(72, 700, "Abstract")
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 684, "We followed dairy farmers for two winters and counted respiratory infections.")
    pdf.drawString(72, 672, "Infections peaked in the coldest month of each season.")
    pdf.drawString(72, 646, "Keywords: respiratory infection; seasonality; farmers")
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(72, 620, "Introduction")
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 604, "Farm work brings long hours outdoors in cold and damp weather through the winter.")
    pdf.showPage()
    pdf.save()
    paper = parse_pdf(buffer.getvalue())
    assert paper["metadata"]["title"] == "Seasonal Patterns of Respiratory Infection in Dairy Farmers"
    assert [(a["first"], a["middle"], a["last"], a["suffix"]) for a in paper["metadata"]["authors"]] == [
        ("Anna", [], "van der Berg", ""),
        ("John", [], "Smith", "Jr"),
    ]
    assert [p["text"] for p in paper["abstract"]] == [
        "We followed dairy farmers for two winters and counted respiratory infections. "
        "Infections peaked in the coldest month of each season."
    ]
    assert [(p["section"], p["text"][:9]) for p in paper["body_text"]] == [("Introduction", "Farm work")]


def test_superscript_letter_marks_link_authors_to_affiliations():
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)
    pdf.setFont("Helvetica-Bold", 17)
    pdf.drawString(72, 760, "Contact Patterns of Hospital Staff during an Outbreak")

    def run(text_object, text: str, raised: bool) -> None:
        text_object.setFont("Helvetica", 7 if raised else 11)
        text_object.setRise(4 if raised else 0)
        text_object.textOut(text)

    authors = pdf.beginText(72, 735)
    for text, raised in [("Ingrid Holm", False), ("a,b", True), (", Carlos Ruiz", False), ("b", True)]:
        run(authors, text, raised)
    pdf.drawText(authors)
    for y, mark, affiliation in [
        (715, "a", "Department of Infection Control, Fjordby Hospital, Fjordby, Norway"),
        (703, "b", "Institute of Public Health, University of Lanza, Lanza, Spain"),
    ]:
        line = pdf.beginText(72, y)
        run(line, mark, True)
        run(line, affiliation, False)
        pdf.drawText(line)
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(72, 670, "1 Introduction")
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 654, "Hospital staff meet many patients and colleagues on every shift of the working week.")
    pdf.showPage()
    pdf.save()
    paper = parse_pdf(buffer.getvalue())
    authors = paper["metadata"]["authors"]
    assert [(a["first"], a["last"]) for a in authors] == [("Ingrid", "Holm"), ("Carlos", "Ruiz")]
    assert authors[0]["affiliation"] == {
        "laboratory": "Department of Infection Control",
        "institution": "Fjordby Hospital",
        "location": {"settlement": "Fjordby", "country": "Norway"},
    }
    assert authors[1]["affiliation"]["institution"] == "Institute of Public Health, University of Lanza"
