"""The pdfminer.six fallback: a PDF's text blocks assembled into a pdf_json paper.

`pdf_layout_to_pdf_json(data)` reads the layout (parsers.pdf.layout), rebuilds the
printed paragraphs (parsers.pdf.paragraphs), finds the title (parsers.pdf.front_matter)
and tables (parsers.pdf.tables), then sorts the blocks, in reading order, into the
paper's parts: front matter (authors and affiliations), an "Abstract" block or the
page-1 block that looks like one, section headings and body text, figure and table
captions with the notes under them (`ref_entries`), acknowledgements and appendices,
then the footnotes in page order (`back_matter`, section "Footnote", as GROBID-based
parses keep them out of the body), and the references section, kept out of the body:
its entries go to `bib_entries`
(parsers.pdf.references) and the body's citation markers, numeric or author-year, are
linked to them (parsers.pdf.citations). A PDF with text but no body text is refused
(PdfNoBodyTextError). `parsers.pdf.sandbox.parse_pdf` runs it in a limited child process.
"""
import hashlib
from dataclasses import dataclass, field

from parsers.pdf.blocks import (
    ABSTRACT_START,
    BACK_HEADING,
    KEYWORDS,
    KNOWN_HEADINGS,
    NOTE_START,
    NUMBERED_HEADING,
    NUMBERED_PREFIX,
    REFERENCES_HEADING,
    TABLE_LABELS,
    is_caption,
    is_fragment,
    is_furniture,
    is_heading,
)
from parsers.pdf.citations import link_citations, link_ref_spans
from parsers.pdf.errors import PdfEncryptedError, PdfNoBodyTextError, PdfNoTextError, check_pdf_bytes
from parsers.pdf.front_matter import (
    author_names,
    find_title,
    is_affiliation_box,
    unlabelled_abstract,
    with_affiliations_and_emails,
)
from parsers.pdf.layout import (
    MIN_TEXT_CHARS,
    RAISED_RUN,
    Box,
    Line,
    body_text_size,
    join_lines,
    join_texts,
    read_boxes,
    remove_running_lines,
    without_raised_marks,
    word_count,
)
from parsers.pdf.paragraphs import is_footnote, paragraph_boxes, starts_footnote
from parsers.pdf.references import (
    BRACKET_LABEL,
    REF_LABEL_FIRST,
    merge_reference_lines,
    read_references,
    split_references,
)
from parsers.pdf.tables import add_tables, collapse_tables, new_ref_key
from schemas.records import Author, Paper, Paragraph, RefEntry, paper, paragraph, ref_entry

PARSER_VERSION = "pdfminer-6"
_SENTENCE_ENDS = (".", "!", "?", ":", '"', "\u201d")
_MIN_FRONT_WORDS = 20
_FOOTNOTE_SECTION = "Footnote"  # as parsers.pdf.tei names the footnotes of a GROBID parse


def pdf_layout_to_pdf_json(data: bytes) -> Paper:
    """The whole conversion, in-process (parse_pdf runs this in a limited child).
    A PDF with text but no body text (a cover page, an abstract alone) raises
    PdfNoBodyTextError."""
    parts, paper_read = _read_paper(data)
    if not paper_read["body_text"]:
        raise PdfNoBodyTextError(
            f"no body text: title {paper_read['metadata']['title'][:80]!r}, "
            f"{len(paper_read['metadata']['authors'])} author(s), {len(paper_read['abstract'])} abstract "
            f"paragraph(s), {len(parts.notes)} footnote(s) and no other paragraph"
        )
    return paper_read


def read_pdf_paper(data: bytes) -> Paper:
    """The paper as read, even when it has no body text (to look at its front matter)."""
    return _read_paper(data)[1]


def _read_paper(data: bytes) -> tuple["_Parts", Paper]:
    check_pdf_bytes(data)
    layout = read_boxes(data)
    boxes = remove_running_lines(layout.boxes, layout.pages)
    if sum(len(line.text) for box in boxes for line in box.lines) < MIN_TEXT_CHARS:
        if layout.encrypted:
            raise PdfEncryptedError(f"the PDF is encrypted: the empty password opens it, but its {layout.pages} "
                                    "page(s) give no text")
        raise PdfNoTextError(f"no text layer in {layout.pages} page(s) (scanned or image-only PDF)")
    body_size = body_text_size(boxes)
    boxes = paragraph_boxes(collapse_tables(boxes, body_size))
    title, title_indexes = find_title(boxes, layout.info_title, body_size)
    parts = _Parts(title_indexes, body_size)
    for index, box in enumerate(boxes):
        parts.add(index, box)
    return parts, parts.finish(hashlib.sha1(data).hexdigest(), title)


@dataclass
class _Parts:
    """The blocks of one PDF sorted into the parts of the paper, one block at a time."""

    title_indexes: list[int]
    body_size: float
    part: str = "front"  # "front", "abstract", "body", "back" or "references"
    section: str = ""
    abstract_box: Box | None = None  # the first block of the abstract
    front: list[tuple[Box, str]] = field(default_factory=list)  # blocks before the abstract or first heading
    authors: list[tuple[Author, list[str]]] = field(default_factory=list)  # with the marks after each name
    affiliation_boxes: list[Box] = field(default_factory=list)
    abstract: list[Paragraph] = field(default_factory=list)
    body: list[Paragraph] = field(default_factory=list)
    back: list[Paragraph] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    ref_entries: dict[str, RefEntry] = field(default_factory=dict)
    table_captions: list[tuple[int, int, str]] = field(default_factory=list)  # (page, box index, TABREF key)
    tables: list[tuple[int, int, list[list[Line]]]] = field(default_factory=list)  # (page, box index, rows)
    # (page, block index) of the last caption, table or note, and the caption's key or the table's index
    ref_anchor: tuple[int, int, str | int] | None = None
    table_notes: dict[int, list[str]] = field(default_factory=dict)  # notes under a table, by its box index
    footnote: Box | None = None  # the last block taken for a footnote
    notes: list[Paragraph] = field(default_factory=list)  # footnotes, in page order
    reference_size: float = 0.0  # the type size of the references

    def add(self, index: int, box: Box) -> None:
        """Sort the block boxes[index] into its part; the order of the checks matters."""
        if index in self.title_indexes:
            return
        text = join_lines(box.lines)
        if self._opens_abstract(box, text) or self._skips_keywords(text):
            return
        self._ends_abstract(box)
        if self._takes_author_or_affiliation(index, box, text):
            return
        if self.part == "front" and box.page > 0 and _is_running_text(box, text):
            self.part = "body"  # front matter ends with the first page, or with cover pages
        if self.part in ("body", "back") and (
            REF_LABEL_FIRST.match(text) or (self.references and BRACKET_LABEL.match(text))
        ):
            self.part = "references"  # a reference list without a heading, or going on after a back heading
        if self._takes_table_or_caption(index, box, text) or self._takes_ref_note(index, box, text):
            return
        if self._takes_footnote(box, text):
            return
        if self._takes_heading(box, text):
            return
        self._add_text(box, text)

    def _opens_abstract(self, box: Box, text: str) -> bool:
        """"Abstract" opens the abstract unless body text came first; a heading taken
        for a section before it (a numbered affiliation line) does not count."""
        if not (self.part in ("front", "body") and not (self.abstract or self.body) and box.page <= 1
                and ABSTRACT_START.match(text)):
            return False
        rest = ABSTRACT_START.sub("", text, count=1).strip()
        self.part, self.section, self.abstract_box = "abstract", "Abstract", (box if rest else None)
        if rest:
            self.abstract.append(paragraph(rest, self.section))
        return True

    def _skips_keywords(self, text: str) -> bool:
        """Keyword lines are left out; they end the abstract."""
        if not (self.part in ("front", "abstract") and KEYWORDS.match(text)):
            return False
        if self.part == "abstract":
            self.part, self.section = "body", ""
        return True

    def _ends_abstract(self, box: Box) -> None:
        """The abstract ends where the type or the page changes."""
        if self.part != "abstract":
            return
        if self.abstract_box is None:
            self.abstract_box = box  # the first block after an "Abstract" heading
        elif box.page != self.abstract_box.page or abs(box.lines[0].size - self.abstract_box.lines[-1].size) > 0.5:
            self.part, self.section = "body", ""

    def _takes_author_or_affiliation(self, index: int, box: Box, text: str) -> bool:
        """A list of author names or an affiliation under the title on page 1."""
        if not (self.part == "front" and box.page == 0 and index > min(self.title_indexes, default=-1)):
            return False
        names = author_names(box)
        if names:
            self.authors.extend(names)
            return True
        if is_affiliation_box(box, text, self.body_size):
            self.affiliation_boxes.append(box)
            return True
        return False

    def _takes_table_or_caption(self, index: int, box: Box, text: str) -> bool:
        """A table's cells (given to a caption at the end) or a figure or table caption."""
        if box.rows is not None:
            self.tables.append((box.page, index, box.rows))
            self.ref_anchor = (box.page, index, index)
            return True
        if not is_caption(box, text):
            return False
        kind = "table" if text.lower().startswith(TABLE_LABELS) else "figure"
        key = new_ref_key(self.ref_entries, kind)
        self.ref_entries[key] = ref_entry(text, kind)
        if kind == "table":
            self.table_captions.append((box.page, index, key))
        self.ref_anchor = (box.page, index, key)
        return True

    def _takes_ref_note(self, index: int, box: Box, text: str) -> bool:
        """A note under a table or figure ("Source: ...", "a/ ..."): smaller type right
        after it (or after another note); it goes to the entry's text."""
        anchor = self.ref_anchor
        if anchor is None or anchor[:2] != (box.page, index - 1) or box.lines[0].size > self.body_size - 0.5:
            return False
        target = anchor[2]
        if isinstance(target, str) and self.ref_entries[target]["type"] == "figure" and not NOTE_START.match(text):
            return False  # under a figure caption, smaller type is the figure's own text unless it reads as a note
        if isinstance(target, str):
            self.ref_entries[target]["text"] = join_texts([self.ref_entries[target]["text"], text])
        else:
            self.table_notes.setdefault(target, []).append(text)
        self.ref_anchor = (box.page, index, target)
        return True

    def _takes_footnote(self, box: Box, text: str) -> bool:
        """A footnote of the body: a back matter paragraph of its own (section "Footnote");
        a block that goes on the note before it on the same page is joined to it."""
        if self.part != "body" or not is_footnote(box, self.body_size, self.footnote):
            return False
        if self.footnote is not None and self.footnote.page == box.page and not starts_footnote(box):
            self.notes[-1]["text"] = join_texts([self.notes[-1]["text"], _marked_text(box)])
        else:
            self.notes.append(paragraph(_marked_text(box), _FOOTNOTE_SECTION))
        self.footnote = box
        return True

    def _takes_heading(self, box: Box, text: str) -> bool:
        """A section heading: it starts a section, and may start the back matter or the references."""
        if not (is_heading(box, self.body_size) and (self.part != "references" or BACK_HEADING.match(text))):
            return False
        if self.part == "front" and not (NUMBERED_HEADING.match(text) or KNOWN_HEADINGS.match(text)):
            self.front.append((box, text))  # affiliations and front-page furniture in large or bold type
            return True
        if REFERENCES_HEADING.match(text):
            self.part = "references"
        elif BACK_HEADING.match(text):
            self.part = "back"
        elif self.part in ("front", "abstract", "body"):
            self.part = "body"
        elif self.part == "references":
            self.part = "back"
        self.section = NUMBERED_PREFIX.sub("", text).strip() or text
        return True

    def _add_text(self, box: Box, text: str) -> None:
        """A block of running text, in the part being read."""
        if self.part == "references" and self._resumes_body(box, text):
            self.part = "body"
        if self.part == "references":
            self.references.extend(split_references(box))
            self.reference_size = self.reference_size or box.lines[0].size
        elif is_fragment(text) or (self.part in ("body", "back") and is_furniture(text)):
            return  # equation numbers, formula pieces, chart labels, stray table cells
        elif self.part == "back":
            self.back.append(paragraph(_marked_text(box), self.section))  # raised runs kept for link_citations
        elif self.part == "abstract":
            self.abstract.append(paragraph(text, self.section))
        elif self.part == "body":
            self.body.append(paragraph(_marked_text(box), self.section))
        else:
            self.front.append((box, text))

    def _resumes_body(self, box: Box, text: str) -> bool:
        """Running text in a larger type than a numbered reference list's, without a
        label: the body goes on after the list (a column order that puts the list
        first)."""
        return (
            bool(self.reference_size)
            and box.lines[0].size >= self.reference_size + 0.5
            and REF_LABEL_FIRST.match(self.references[0]) is not None
            and not BRACKET_LABEL.match(text)
            and _is_running_text(box, text)
        )

    def finish(self, paper_id: str, title: str) -> Paper:
        """The paper: abstract, body and back matter with their citations linked, tables, references."""
        abstract, body = self.abstract, self.body
        if not abstract:
            abstract_text = unlabelled_abstract(self.front, self.body_size)
            abstract = [paragraph(abstract_text, "Abstract")] if abstract_text else []
            # Other text before the first heading is body text; short blocks there are
            # affiliation lines and front-page furniture.
            body = [
                paragraph(text, "") for box, text in self.front
                if _is_running_text(box, text) and text != abstract_text
            ] + body
        body = _join_broken_paragraphs(body)
        back = self.back + self.notes
        add_tables(self.ref_entries, self.table_captions, self.tables, self.table_notes)
        references = read_references(merge_reference_lines(self.references))
        link_citations(body + back, references)
        link_ref_spans(body + back, self.ref_entries)
        authors = with_affiliations_and_emails(self.authors, self.affiliation_boxes)
        return paper(paper_id, title, authors, body, references.bib_entries, self.ref_entries, back,
                     abstract=abstract)


def _marked_text(box: Box) -> str:
    """The block's text with its raised runs bracketed (⁽ ⁾), for link_citations."""
    return join_texts(line.marked for line in box.lines)


def _is_running_text(box: Box, text: str) -> bool:
    """A block of running text, not front-page or cover-page furniture (short, or all bold)."""
    return word_count(text) >= _MIN_FRONT_WORDS and not all(line.bold for line in box.lines)


def _join_broken_paragraphs(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Paragraphs cut by a column or page break (or by the footnotes between them) joined
    again (see _continues_paragraph)."""
    joined: list[Paragraph] = []
    for current in paragraphs:
        if joined and _continues_paragraph(joined[-1], current):
            previous = joined[-1]["text"]
            if previous.endswith("-") and previous[-2:-1].isalpha():
                joined[-1]["text"] = previous[:-1] + current["text"]
            else:
                joined[-1]["text"] = previous + " " + current["text"]
        else:
            joined.append(current)
    return joined


def _continues_paragraph(previous: Paragraph, current: Paragraph) -> bool:
    """`current` goes on `previous` (same section): `previous` stops mid-sentence and
    `current` starts with a small letter, or `previous` is running text that stops
    after a word or a comma and `current` starts with a capital or a digit."""
    before = RAISED_RUN.sub("", previous["text"]).rstrip()  # a raised mark after the last word does not count
    if previous["section"] != current["section"] or before.endswith(_SENTENCE_ENDS):
        return False
    first, last = without_raised_marks(current["text"])[0][:1], before[-1:]
    if first.islower():
        return True
    running = word_count(previous["text"]) >= _MIN_FRONT_WORDS
    return running and (last.islower() or last.isdigit() or last in ",;") and (first.isupper() or first.isdigit())
