"""Text PDFs of the full texts, written with reportlab in invariant mode (the same bytes on every run)."""
import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import KeepTogether

from .data import FULL_TEXTS, PDF_DECLARATIONS, PDF_PAPERS, REFERENCES, FullText, Paper, Reference, Section, TableSpec
from .markup import plain_text

TITLE_STYLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=16, leading=20, spaceAfter=8)
AUTHOR_STYLE = ParagraphStyle("authors", fontName="Helvetica", fontSize=11, leading=14, spaceAfter=2)
AFFILIATION_STYLE = ParagraphStyle("affiliation", fontName="Helvetica-Oblique", fontSize=9, leading=11, spaceAfter=10)
HEADING_STYLE = ParagraphStyle(
    "heading", fontName="Helvetica-Bold", fontSize=12, leading=15, spaceBefore=8, spaceAfter=4
)
SUBHEADING_STYLE = ParagraphStyle(
    "subheading", fontName="Helvetica-Oblique", fontSize=11, leading=14, spaceBefore=4, spaceAfter=3
)
BODY_STYLE = ParagraphStyle("body", fontName="Times-Roman", fontSize=11.5, leading=16, spaceAfter=7)
REFERENCE_STYLE = ParagraphStyle(
    "reference", fontName="Times-Roman", fontSize=9.5, leading=12, spaceAfter=3, leftIndent=14, firstLineIndent=-14
)
CAPTION_STYLE = ParagraphStyle(
    "caption", fontName="Helvetica-Bold", fontSize=9.5, leading=12, spaceBefore=4, spaceAfter=3
)


def pdf_url(paper: Paper) -> str:
    """Where the paper's PDF is downloaded from, by the source that lists it."""
    source = PDF_PAPERS.get(paper.key, ("MedRxiv", ""))[0]
    if source == "ArXiv":
        return f"https://arxiv.org/pdf/{paper.arxiv_id}"
    if source in ("BioRxiv", "MedRxiv"):
        return f"https://www.{source.lower()}.org/content/{paper.doi}v1.full.pdf"
    return f"https://publisher.example.org/pdf/{paper.doi}"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def reference_text(number: int, reference: Reference) -> str:
    names = ", ".join(f"{last} {initials}" for last, initials in reference.authors)
    text = (
        f"[{number}] {names}. {reference.title}. {reference.journal}. "
        f"{reference.year};{reference.volume}:{reference.pages}."
    )
    return text + (f" doi:{reference.doi}" if reference.doi else "")


def front_matter(paper: Paper) -> list:
    """Title, authors with affiliation marks, the affiliations and the abstract."""
    affiliations = list(dict.fromkeys(author.affiliation for author in paper.authors))
    names = ", ".join(
        f"{a.given} {a.last}{' ' + a.suffix if a.suffix else ''}<super>{affiliations.index(a.affiliation) + 1}</super>"
        for a in paper.authors
    )
    story: list = [Paragraph(escape(paper.title), TITLE_STYLE), Paragraph(names, AUTHOR_STYLE)]
    for number, affiliation in enumerate(affiliations, start=1):
        story.append(Paragraph(f"<super>{number}</super> {escape(affiliation)}", AFFILIATION_STYLE))
    return story + [Paragraph("Abstract", HEADING_STYLE), Paragraph(escape(paper.abstract_text), BODY_STYLE)]


def table_flowable(table: TableSpec) -> KeepTogether:
    grid = Table([list(table.header)] + [list(row) for row in table.rows], hAlign="LEFT")
    grid.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, colors.black),
    ]))
    return KeepTogether([Paragraph(f"Table 1. {escape(table.caption)}", CAPTION_STYLE), grid, Spacer(1, 6)])


def section_flowables(number: int, section: Section, full_text: FullText) -> list:
    """A numbered section, its numbered subsections, and the table where it goes."""
    story = [Paragraph(f"{number} {escape(section.title)}", HEADING_STYLE)]
    story += [Paragraph(escape(plain_text(text)), BODY_STYLE) for text in section.paragraphs]
    for sub_number, subsection in enumerate(section.subsections, start=1):
        story.append(Paragraph(f"{number}.{sub_number} {escape(subsection.title)}", SUBHEADING_STYLE))
        story += [Paragraph(escape(plain_text(text)), BODY_STYLE) for text in subsection.paragraphs]
    if section.title == full_text.table_after_section and full_text.table:
        story.append(table_flowable(full_text.table))
    return story


def pdf_story(paper: Paper, full_text: FullText) -> list:
    story = front_matter(paper)
    for number, section in enumerate(full_text.sections, start=1):
        story += section_flowables(number, section, full_text)
    for heading, text in PDF_DECLARATIONS:
        story += [Paragraph(heading, HEADING_STYLE), Paragraph(text, BODY_STYLE)]
    story.append(Paragraph("References", HEADING_STYLE))
    for number, key in enumerate(full_text.references, start=1):
        story.append(Paragraph(escape(reference_text(number, REFERENCES[key])), REFERENCE_STYLE))
    return story


def pdf_document(paper: Paper, running_header: str) -> bytes:
    """A text PDF of `paper`: the same bytes on every run (invariant mode)."""

    def draw_page_furniture(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(20 * mm, A4[1] - 12 * mm, running_header)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, str(document.page))
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=30 * mm,
        rightMargin=30 * mm,
        topMargin=25 * mm,
        bottomMargin=22 * mm,
        title=paper.title,
        author="; ".join(f"{a.given} {a.last}" for a in paper.authors),
        creator="cord19-pipeline sample generator",
        invariant=1,
    )
    document.build(
        pdf_story(paper, FULL_TEXTS[paper.key]), onFirstPage=draw_page_furniture, onLaterPages=draw_page_furniture
    )
    return buffer.getvalue()
