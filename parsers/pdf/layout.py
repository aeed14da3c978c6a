"""pdfminer.six's layout as text boxes in reading order, cleaned, and joining their text.

pdfminer's text boxes are cut where the font size changes (a title, its author line and
an affiliation often share one box); running headers and footers (lines repeated across
pages) and bare page numbers are dropped, and words hyphenated across line breaks are
joined. Superscript runs are kept marked (see `Line.marked`) for the front matter.
"""
import collections
import functools
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTChar, LTFigure, LTLayoutContainer, LTTextBox, LTTextLine
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfexceptions import PDFException
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage, PDFTextExtractionNotAllowed
from pdfminer.pdfparser import PDFParser
from pdfminer.psexceptions import PSException

from parsers.pdf.errors import PdfCorruptError, PdfEncryptedError

logger = logging.getLogger(__name__)


@dataclass
class Line:
    """One line of text of a block, with the type it is set in and where it stands."""

    text: str
    size: float  # font size of most of the line's characters, in points
    bold: bool  # most characters are in a bold face
    top: float  # distance from the page top, as a fraction of the page height
    left: float  # x of the line's start, in points
    marked: str  # the text with runs of superscripts (smaller, raised type) set in ⁽ ⁾
    right: float  # x of the line's end, in points
    bottom: float  # distance of the line's foot from the page top, as a fraction of the page height


@dataclass
class Box:
    """A block of lines on one page set in one type (pdfminer's text box, cut where the type changes)."""

    page: int
    lines: list[Line]
    rows: list[list[Line]] | None = None  # set when the box stands for a table: its rows of cells


@dataclass
class Layout:
    """What pdfminer read of a PDF."""

    boxes: list[Box]  # text boxes, in reading order
    pages: int
    info_title: str  # the Info dictionary's title
    encrypted: bool  # encrypted, though the empty password opened it


def read_boxes(data: bytes) -> Layout:
    """The text boxes of a PDF in reading order, with its page count, Info title and whether it is encrypted."""
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)), password="")
    except PDFPasswordIncorrect as exc:
        raise PdfEncryptedError("the PDF is encrypted and the empty password does not open it") from exc
    except PDFEncryptionError as exc:
        raise PdfEncryptedError(f"the PDF is encrypted with an unsupported scheme: {exc}") from exc
    except (PDFException, PSException, ValueError, KeyError, TypeError) as exc:
        raise PdfCorruptError(f"pdfminer cannot read the PDF structure: {exc}") from exc
    resources = PDFResourceManager(caching=True)
    # boxes_flow=None: pdfminer's hierarchical box grouping breaks distance ties by object
    # id, so its reading order can change from run to run; `_reading_order` is ours.
    laparams = LAParams(boxes_flow=None)
    device = PDFPageAggregator(resources, laparams=laparams)
    interpreter = PDFPageInterpreter(resources, device)
    boxes: list[Box] = []
    pages = 0
    try:
        for page_number, page in enumerate(PDFPage.create_pages(document)):
            pages += 1
            interpreter.process_page(page)
            layout = device.get_result()
            height = (layout.y1 - layout.y0) or 1.0
            for item in _reading_order(_text_boxes(layout, layout.width * layout.height, laparams)):
                lines = [_line(line, layout.y1, height) for line in item if isinstance(line, LTTextLine)]
                lines = [line for line in lines if line.text]
                boxes.extend(Box(page_number, run) for run in _split_at_type_changes(lines))
    except PDFTextExtractionNotAllowed as exc:
        raise PdfEncryptedError(f"the PDF forbids text extraction: {exc}") from exc
    except (PDFException, PSException, ValueError, KeyError, TypeError, AttributeError) as exc:
        if not boxes:
            raise PdfCorruptError(f"pdfminer failed while reading pages: {exc}") from exc
        logger.warning("PDF damaged after page %d, keeping the text read so far: %s", pages, exc)
    if pages == 0:
        raise PdfCorruptError("the PDF has no pages")
    return Layout(boxes, pages, _info_title(document), document.encryption is not None)


_PAGE_FORM_SHARE = 0.5  # a form covering this much of the page holds the page's text, not a figure


def _text_boxes(container: LTLayoutContainer, page_area: float, laparams: LAParams) -> list[LTTextBox]:
    """The text boxes of a page, with those of forms (XObjects) that cover most of the
    page: some producers draw a whole page as one form, whose text pdfminer leaves
    ungrouped (it groups text in figures only with all_texts, which would also turn
    every chart label into a block). Smaller figures keep their text to themselves."""
    found = []
    for item in container:
        if isinstance(item, LTTextBox):
            found.append(item)
        elif isinstance(item, LTFigure) and item.width * item.height >= _PAGE_FORM_SHARE * page_area:
            LTLayoutContainer.analyze(item, laparams)  # what LTFigure.analyze does with all_texts
            found.extend(_text_boxes(item, page_area, laparams))
    return found


_CID = re.compile(r"\(cid:\d+\)")
_MIN_GUTTER_PT = 6.0  # narrower vertical gaps are spaces between words or cells, not columns


def _reading_order(boxes: list[LTTextBox]) -> list[LTTextBox]:
    """Boxes in reading order by recursive XY-cut: split at the widest vertical gutter
    (left part first), else at the widest horizontal gap (top part first); deterministic."""
    if len(boxes) <= 1:
        return list(boxes)
    for axis in ("x", "y"):
        cut = _widest_gap(boxes, axis)
        if cut is not None:
            if axis == "y":
                first = [box for box in boxes if box.y0 >= cut]
                second = [box for box in boxes if box.y0 < cut]
            else:
                first = [box for box in boxes if box.x1 <= cut]
                second = [box for box in boxes if box.x1 > cut]
            return _reading_order(first) + _reading_order(second)
    return sorted(boxes, key=lambda box: (-box.y1, box.x0))


def _widest_gap(boxes: list[LTTextBox], axis: str) -> float | None:
    """The middle of the widest empty band across all boxes along `axis`, or None when there is none."""
    if axis == "y":
        spans = sorted(((-box.y1, -box.y0) for box in boxes))
    else:
        spans = sorted(((box.x0, box.x1) for box in boxes))
    best, best_width, reach = None, _MIN_GUTTER_PT if axis == "x" else 0.0, spans[0][1]
    for start, end in spans[1:]:
        if start - reach > best_width:
            best, best_width = (reach + start) / 2, start - reach
        reach = max(reach, end)
    if best is None:
        return None
    return -best if axis == "y" else best


def _line(line: LTTextLine, page_top: float, page_height: float) -> Line:
    text = _CID.sub("", line.get_text()).strip()
    chars = [item for item in line if isinstance(item, LTChar)]
    sizes = collections.Counter([char.size for char in chars])
    size = round(sizes.most_common(1)[0][0], 1) if sizes else round(line.height, 1)
    fonts = collections.Counter([char.fontname for char in chars])
    bold = 2 * sum(count for font, count in fonts.items() if _is_bold_font(font)) > len(chars)
    marked = _with_raised_marks(line, size) if len(sizes) > 1 else text
    return Line(text, size, bold, (page_top - line.y1) / page_height, line.x0, marked, line.x1,
                (page_top - line.y0) / page_height)


_RAISED_OPEN, _RAISED_CLOSE = "\u207d", "\u207e"  # superscript parentheses
RAISED_RUN = re.compile(r"\u207d[^\u207e]*\u207e")


def without_raised_marks(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """A marked text (see `Line.marked`) without its ⁽ ⁾ brackets, and where each raised
    run stands in what is left."""
    pieces: list[str] = []
    runs: list[tuple[int, int]] = []
    length = position = 0
    for run in RAISED_RUN.finditer(marked):
        before, inner = marked[position:run.start()], run.group(0)[1:-1]
        pieces += [before, inner]
        length += len(before)
        runs.append((length, length + len(inner)))
        length += len(inner)
        position = run.end()
    pieces.append(marked[position:])
    return "".join(pieces), runs


def _with_raised_marks(line: LTTextLine, size: float) -> str:
    """The line's text with each run of superscripts (smaller type set above the
    baseline) bracketed: "Okafor1,2, Brenner2" -> "Okafor⁽1,2⁾, Brenner⁽2⁾", so that
    affiliation and footnote marks can be told from the names they follow."""
    baseline = min((c.y0 for c in line if isinstance(c, LTChar) and round(c.size, 1) == size), default=line.y0)
    pieces = []
    in_run = False
    for item in line:
        raised = isinstance(item, LTChar) and item.size < 0.9 * size and item.y0 > baseline + 0.2 * size
        if raised != in_run:
            pieces.append(_RAISED_OPEN if raised else _RAISED_CLOSE)
            in_run = raised
        pieces.append(item.get_text())
    if in_run:
        pieces.append(_RAISED_CLOSE)
    return _CID.sub("", "".join(pieces)).strip()


@functools.lru_cache(maxsize=512)
def _is_bold_font(fontname: object) -> bool:
    name = str(fontname).lower()
    return any(mark in name for mark in ("bold", "black", "heavy", "demi", "-medi", "cmbx"))


def _split_at_type_changes(lines: list[Line]) -> list[list[Line]]:
    """A box's lines cut where the font size changes, and after bold first lines:
    pdfminer often puts a title, its author line and an affiliation, or a heading and
    its paragraph, in one box."""
    runs: list[list[Line]] = []
    for line in lines:
        previous = runs[-1][-1] if runs else None
        same_size = previous is not None and abs(previous.size - line.size) <= 0.06 * max(previous.size, line.size)
        bold_start_ends = len(runs) == 1 and previous is not None and previous.bold and not line.bold
        if same_size and not bold_start_ends:
            runs[-1].append(line)
        else:
            runs.append([line])
    return runs


def _info_title(document: PDFDocument) -> str:
    for info in document.info:
        title = info.get("Title")
        if isinstance(title, bytes):
            if title.startswith(b"\xfe\xff"):
                return title[2:].decode("utf-16-be", "ignore").strip()
            return title.decode("latin-1").strip()
        if isinstance(title, str):
            return title.strip()
    return ""


_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,4}(\s*(/|of)\s*\d{1,4})?$", re.IGNORECASE)
# Publisher's lines in a page margin: "Proceedings of ...", "© 2020 ...", "c2018 Association for ..."
_IMPRINT = re.compile(r"^(proceedings of |copyright\b|\u00a9|\(c\)\s*\d|c\s?(19|20)\d\d\s+[A-Z])", re.IGNORECASE)
_MARGIN = 0.09


def remove_running_lines(boxes: list[Box], pages: int) -> list[Box]:
    """Drop lines in the page margins that repeat across pages, bare page numbers and
    publisher's imprint lines."""
    def key(line: Line) -> str:
        return _DIGITS.sub("#", line.text.lower())

    def in_margin(line: Line) -> bool:
        return line.top < _MARGIN or line.top > 1 - _MARGIN

    seen = collections.defaultdict(set)
    for box in boxes:
        for line in box.lines:
            if in_margin(line):
                seen[key(line)].add(box.page)
    threshold = max(2, int(0.25 * pages))
    repeated = {k for k, found in seen.items() if len(found) >= threshold}
    kept = []
    for box in boxes:
        lines = [
            line
            for line in box.lines
            if not (in_margin(line) and (key(line) in repeated or _PAGE_NUMBER.match(line.text)
                                         or _IMPRINT.match(line.text)))
        ]
        if lines:
            kept.append(Box(box.page, lines))
    return kept


CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
MIN_TEXT_CHARS = 20  # less than this in the whole PDF is no text layer (page numbers, stray marks)


def join_lines(lines: list[Line]) -> str:
    """One paragraph from lines: hyphenated words across breaks are joined."""
    return join_texts(line.text for line in lines)


def join_texts(pieces: Iterable[str]) -> str:
    """Pieces of text joined with spaces, except after a word hyphenated across a break
    and between Chinese or Japanese characters."""
    text = ""
    for piece in pieces:
        if not piece:
            continue
        if not text:
            text = piece
        elif text.endswith("-") and len(text) > 1 and text[-2].isalpha() and piece[:1].islower():
            text = text[:-1] + piece
        elif CJK.match(text[-1]) and CJK.match(piece[0]):
            text = text + piece  # no spaces between Chinese or Japanese characters
        else:
            text = text + " " + piece
    return re.sub(r"\s+", " ", text).strip()


def word_count(text: str) -> int:
    """Words, counting each Chinese or Japanese character as one."""
    return len(text.split()) + len(CJK.findall(text))


def body_text_size(boxes: list[Box]) -> float:
    sizes: collections.Counter[float] = collections.Counter()
    for box in boxes:
        for line in box.lines:
            sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0
