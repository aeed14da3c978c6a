"""PDF to pdf_json with pdfminer.six, the fallback when no GROBID is configured.

`parse_pdf(data)` runs pdfminer in a child process (one long-lived
`python -m parsers.pdf_text` per thread, see _PdfWorker) under a wall-clock limit and
an address-space limit (RLIMIT_AS), so a runaway PDF cannot stall or kill the worker.
The child turns the layout into paragraphs. pdfminer's text boxes are cut where the
font size changes (a title, its author line and an affiliation often share one box);
running headers and footers (lines repeated across pages) and bare page numbers are
dropped, and words hyphenated across line breaks are joined. The title is the
largest type in the top part of page 1; author names are the name-only lines under
it (superscript marks removed, conservatively), with the affiliation their marks
point to and the e-mail address that holds their name. An "Abstract" block, or a
long page-1 block in its own type size before any heading, becomes the abstract;
numbered or set-apart short lines become section headings. Figure and table
captions go to `ref_entries`, and short blocks next to a table caption that line up
in rows and columns become that table's `html` instead of one-word paragraphs.
Acknowledgements and appendices go to `back_matter`, and the references section is
kept out of the body: its entries go to `bib_entries` with what can be recovered
(year, title, DOI, arXiv id), and numeric markers like `[3]` in the body are linked
to them.

Every expected failure is a ParseError subclass with its own reason.
"""
import collections
import functools
import hashlib
import html
import io
import json
import logging
import os
import re
import resource
import select
import struct
import subprocess
import sys
import threading
import time
import unicodedata
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTChar, LTTextBox, LTTextLine
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage, PDFTextExtractionNotAllowed
from pdfminer.pdfparser import PDFParser
from pdfminer.pdfexceptions import PDFException
from pdfminer.psexceptions import PSException

from parsers.errors import ParseError, check_not_lfs_or_empty

logger = logging.getLogger(__name__)

PARSER_VERSION = "pdfminer-3"


class PdfError(ParseError):
    """A PDF the fallback parser cannot turn into text."""

    reason = "pdf_error"


class NotPdfError(PdfError):
    reason = "not_pdf"


class PdfEncryptedError(PdfError):
    reason = "pdf_encrypted"


class PdfNoTextError(PdfError):
    """No text layer: a scanned or image-only PDF."""

    reason = "pdf_no_text"


class PdfCorruptError(PdfError):
    reason = "pdf_corrupt"


class PdfTimeoutError(PdfError):
    reason = "pdf_timeout"


class PdfMemoryError(PdfError):
    reason = "pdf_memory_limit"


class PdfWorkerCrashError(PdfError):
    """The child process died without an answer (e.g. killed by a signal)."""

    reason = "pdf_worker_crash"


_ERRORS_BY_NAME = {
    cls.__name__: cls
    for cls in (NotPdfError, PdfEncryptedError, PdfNoTextError, PdfCorruptError, PdfMemoryError)
}

def check_pdf_bytes(data: bytes) -> None:
    """Raise for inputs that are not PDFs at all: empty, a Git-LFS pointer, HTML, other."""
    check_not_lfs_or_empty(data)
    head = data[:1024]
    if b"%PDF-" not in head:
        lowered = head.lstrip().lower()
        if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered:
            raise NotPdfError("the input is an HTML page, not a PDF")
        raise NotPdfError(f"the input does not start like a PDF (first bytes {data[:16]!r})")


def parse_pdf(data: bytes, time_limit_s: float = 60.0, memory_limit_mb: int = 1024) -> dict:
    """pdf_json of a PDF (paper_id = SHA-1 of the bytes), parsed in a limited worker process."""
    check_pdf_bytes(data)
    workers = getattr(_THREAD_WORKERS, "by_limit", None)
    if workers is None:
        workers = _THREAD_WORKERS.by_limit = {}
    worker = workers.get(memory_limit_mb)
    if worker is None or not worker.usable():
        worker = workers[memory_limit_mb] = _PdfWorker(memory_limit_mb)
    kind, payload = worker.parse(data, time_limit_s)
    if kind == "ok":
        return payload
    error_name, message = payload
    raise _ERRORS_BY_NAME.get(error_name, PdfCorruptError)(message)


# One worker process per thread and memory limit, reused across PDFs.
_THREAD_WORKERS = threading.local()
_PDFS_PER_WORKER = 200  # then a fresh process, so memory fragmentation cannot build up
_LENGTH = struct.Struct(">Q")
_PROJECT_ROOT = str(Path(__file__).resolve().parents[1])


class _PdfWorker:
    """A `python -m parsers.pdf_text` child under RLIMIT_AS, fed PDFs over a pipe.

    A fresh interpreter (not a fork) keeps the address space small, so the limit
    means what it says, and never re-runs the parent's __main__. Requests and answers
    are length-prefixed; answers are JSON, so a hostile PDF that took over the child
    still cannot make the parent run code. On a timeout the process is killed and the
    next PDF gets a new one.
    """

    def __init__(self, memory_limit_mb: int) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PROJECT_ROOT, env.get("PYTHONPATH", "")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "parsers.pdf_text", str(memory_limit_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.parsed = 0
        # Ends the process when this worker is dropped (its thread ended) or at exit.
        self.stop = weakref.finalize(self, _stop_process, self.process)

    def usable(self) -> bool:
        return self.process.poll() is None and self.parsed < _PDFS_PER_WORKER

    def parse(self, data: bytes, time_limit_s: float) -> tuple[str, object]:
        self.parsed += 1
        deadline = time.monotonic() + time_limit_s
        try:
            self.process.stdin.write(_LENGTH.pack(len(data)) + data)
            self.process.stdin.flush()
            (length,) = _LENGTH.unpack(self._read(_LENGTH.size, deadline))
            answer = json.loads(self._read(length, deadline))
        except TimeoutError:
            self.stop()
            raise PdfTimeoutError(f"pdfminer did not finish within {time_limit_s:g}s") from None
        except (EOFError, BrokenPipeError):
            self.stop()
            raise PdfWorkerCrashError(f"the pdfminer process died (exit code {self.process.returncode})") from None
        if answer[0] == "error" and answer[1][0] == "PdfMemoryError":
            self.stop()  # the process exits after a MemoryError anyway
        return answer[0], answer[1]

    def _read(self, size: int, deadline: float) -> bytes:
        chunks, missing = [], size
        fd = self.process.stdout.fileno()
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(missing, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)


def _stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    process.stdin.close()
    process.stdout.close()


def _worker_main(memory_limit_mb: int) -> None:
    """The child: limit the address space, then parse PDFs from stdin until it closes."""
    limit = memory_limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = requests.read(_LENGTH.size)
        if len(header) < _LENGTH.size:
            return
        data = requests.read(_LENGTH.unpack(header)[0])
        out_of_memory = False
        try:
            answer = ["ok", pdf_layout_to_pdf_json(data)]
        except PdfError as exc:
            answer = ["error", [type(exc).__name__, str(exc)]]
        except MemoryError:
            out_of_memory = True
            answer = ["error", ["PdfMemoryError", f"pdfminer went over the {memory_limit_mb} MB memory limit"]]
        except Exception as exc:  # pdfminer raises many kinds of errors on damaged files
            answer = ["error", ["PdfCorruptError", f"pdfminer failed: {type(exc).__name__}: {exc}"]]
        payload = json.dumps(answer).encode()
        answers.write(_LENGTH.pack(len(payload)) + payload)
        answers.flush()
        if out_of_memory:
            return


# ---------------------------------------------------------------- layout extraction


@dataclass
class _Line:
    text: str
    size: float  # font size of most of the line's characters, in points
    bold: bool  # most characters are in a bold face
    top: float  # distance from the page top, as a fraction of the page height
    left: float  # x of the line's start, in points
    marked: str  # the text with runs of superscripts (smaller, raised type) set in ⁽ ⁾


@dataclass
class _Box:
    page: int
    lines: list[_Line]
    rows: list[list[_Line]] | None = None  # set when the box stands for a table: its rows of cells


def _read_boxes(data: bytes) -> tuple[list[_Box], int, str]:
    """Text boxes in reading order, the page count, and the Info dictionary title."""
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
    device = PDFPageAggregator(resources, laparams=LAParams(boxes_flow=None))
    interpreter = PDFPageInterpreter(resources, device)
    boxes: list[_Box] = []
    pages = 0
    try:
        for page_number, page in enumerate(PDFPage.create_pages(document)):
            pages += 1
            interpreter.process_page(page)
            layout = device.get_result()
            height = (layout.y1 - layout.y0) or 1.0
            for item in _reading_order([item for item in layout if isinstance(item, LTTextBox)]):
                if isinstance(item, LTTextBox):
                    lines = [_line(line, layout.y1, height) for line in item if isinstance(line, LTTextLine)]
                    lines = [line for line in lines if line.text]
                    boxes.extend(_Box(page_number, run) for run in _split_at_type_changes(lines))
    except PDFTextExtractionNotAllowed as exc:
        raise PdfEncryptedError(f"the PDF forbids text extraction: {exc}") from exc
    except (PDFException, PSException, ValueError, KeyError, TypeError, AttributeError) as exc:
        if not boxes:
            raise PdfCorruptError(f"pdfminer failed while reading pages: {exc}") from exc
        logger.warning("PDF damaged after page %d, keeping the text read so far: %s", pages, exc)
    if pages == 0:
        raise PdfCorruptError("the PDF has no pages")
    return boxes, pages, _info_title(document)


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


def _line(line: LTTextLine, page_top: float, page_height: float) -> _Line:
    text = _CID.sub("", line.get_text()).strip()
    chars = [item for item in line if isinstance(item, LTChar)]
    sizes = collections.Counter([char.size for char in chars])
    size = round(sizes.most_common(1)[0][0], 1) if sizes else round(line.height, 1)
    fonts = collections.Counter([char.fontname for char in chars])
    bold = 2 * sum(count for font, count in fonts.items() if _is_bold_font(font)) > len(chars)
    marked = _with_raised_marks(line, size) if len(sizes) > 1 else text
    return _Line(text, size, bold, (page_top - line.y1) / page_height, line.x0, marked)


_RAISED_OPEN, _RAISED_CLOSE = "\u207d", "\u207e"  # superscript parentheses
_RAISED_RUN = re.compile(r"\u207d[^\u207e]*\u207e")


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


def _split_at_type_changes(lines: list[_Line]) -> list[list[_Line]]:
    """A box's lines cut where the font size changes, and after bold first lines:
    pdfminer often puts a title, its author line and an affiliation, or a heading and
    its paragraph, in one box."""
    runs: list[list[_Line]] = []
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


# ---------------------------------------------------------------- cleaning


_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,4}(\s*(/|of)\s*\d{1,4})?$", re.IGNORECASE)
_MARGIN = 0.09


def _remove_running_lines(boxes: list[_Box], pages: int) -> list[_Box]:
    """Drop lines in the page margins that repeat across pages, and bare page numbers."""
    def key(line: _Line) -> str:
        return _DIGITS.sub("#", line.text.lower())

    def in_margin(line: _Line) -> bool:
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
            if not (in_margin(line) and (key(line) in repeated or _PAGE_NUMBER.match(line.text)))
        ]
        if lines:
            kept.append(_Box(box.page, lines))
    return kept


_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_MIN_TEXT_CHARS = 20  # less than this in the whole PDF is no text layer (page numbers, stray marks)


def _join_lines(lines: list[_Line]) -> str:
    """One paragraph from lines: hyphenated words across breaks are joined."""
    return _join_texts(line.text for line in lines)


def _join_texts(pieces: Iterable[str]) -> str:
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
        elif _CJK.match(text[-1]) and _CJK.match(piece[0]):
            text = text + piece  # no spaces between Chinese or Japanese characters
        else:
            text = text + " " + piece
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------- structure


_NUMBERED_HEADING = re.compile(r"^((\d{1,2}(\.\d{1,2})*\.?)|([IVX]{1,5}\.))\s+\S")
_KNOWN_HEADINGS = re.compile(
    r"^((\d{1,2}(\.\d{1,2})*\.?|[IVX]{1,5}\.)\s*)?(introduction|background|related work|methods?|materials and methods|"
    r"results|discussion|conclusions?|acknowledge?ments?|appendix|references|bibliography|literature cited|"
    r"abstract|summary|experiments?|evaluation|limitations|future work)\b.{0,40}$",
    re.IGNORECASE,
)
_REFERENCES_HEADING = re.compile(
    r"^((\d{1,2}|[IVX]{1,5})\.?\s*)?(references|bibliography|literature cited|works cited|reference list|"
    r"referencias|bibliograf[ií]a)\s*:?$",
    re.IGNORECASE,
)
_BACK_HEADING = re.compile(
    r"^((\d{1,2}|[A-Z])\.?\s*)?(acknowledge?ments?|appendix|appendices|funding|"
    r"(supplementary|supporting)\s+(materials?|data|information))\b",
    re.IGNORECASE,
)
_KEYWORDS = re.compile(r"^(key\s*words?|index terms)\s*[:.\u2014\-]", re.IGNORECASE)
_ABSTRACT_START = re.compile(r"^(abstract|summary)\s*[:.\-\u2014]?\s*", re.IGNORECASE)
_CAPTION_LABEL = re.compile(
    r"^(fig\.?|figure|table|tabla|cuadro|gr[aá]fico|chart|plate)\s*(\d+|[IVX]+)[a-z]?\b\s*([.:|]?)", re.IGNORECASE
)
_EQUATION_CHARS = set("=+\u2212\u00d7\u2211\u222b")
_WORD = re.compile(r"[^\W\d_]{3,}")


def _is_caption(box: _Box, text: str) -> bool:
    """'Figure 2: ...' or 'Table 1.' anywhere, or a short block that is just a label."""
    match = _CAPTION_LABEL.match(text)
    return bool(match) and (bool(match.group(3)) or (len(box.lines) <= 2 and len(text) < 150))


def _is_heading(box: _Box, body_size: float) -> bool:
    if len(box.lines) > 2 or box.lines[0].size < 0.85 * body_size:
        return False  # smaller type: affiliations, footnotes, table cells
    text = _join_lines(box.lines)
    if not (2 <= len(text) <= 120) or not _WORD.search(text) or _EQUATION_CHARS & set(text):
        return False
    if "http" in text or "@" in text:
        return False
    if _KNOWN_HEADINGS.match(text):
        return True
    if text.endswith((".", ",", ";")) and not _NUMBERED_HEADING.match(text):
        return False
    if len(text.split()) > 14:
        return False
    starts_upper = text.lstrip("0123456789. ")[:1].isupper()
    if text[-1:].isdigit() or not starts_upper:
        return False  # a trailing digit is a footnote mark, a page or a value
    if _NUMBERED_HEADING.match(text):
        return True
    size = box.lines[0].size
    larger = size > body_size * 1.15
    set_apart = size >= body_size * 0.95 and (all(line.bold for line in box.lines) or (text.isupper() and len(text) > 3))
    return larger or set_apart


_EQUATION_NUMBER = re.compile(r"^\(\d{1,3}[a-z]?\)$")
_WORD_CHAR = re.compile(r"[^\W_]")


def _is_fragment(text: str) -> bool:
    """An equation number like "(4)", or a block without a letter or digit."""
    return bool(_EQUATION_NUMBER.match(text)) or not _WORD_CHAR.search(text)


def _body_size(boxes: list[_Box]) -> float:
    sizes = collections.Counter()
    for box in boxes:
        for line in box.lines:
            sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


_TITLE_MAX_LINES = 6
_SECTION_NAME_ONLY = re.compile(
    r"^((\d{1,2}(\.\d{1,2})*\.?|[IVX]{1,5}\.)\s*)?(abstract|summary|introduction|background|keywords?|"
    r"contents|preface|foreword)\s*[:.]?$",
    re.IGNORECASE,
)


def _could_be_title(box: _Box, body_size: float) -> bool:
    text = _join_lines(box.lines)
    return (
        box.lines[0].top <= 0.6
        and len(box.lines) <= _TITLE_MAX_LINES
        and len(text) >= 8
        and len(text.split()) >= 2
        and box.lines[0].size >= body_size
        and not ("@" in text or "http" in text or _SECTION_NAME_ONLY.match(text) or _NUMBERED_HEADING.match(text))
        and not _CAPTION_LABEL.match(text)
    )


def _title(boxes: list[_Box], info_title: str, body_size: float) -> tuple[str, list[int]]:
    """The title and its box indexes: the largest type in the top part of page 1,
    continued by the boxes right after it set in the same type (a title broken
    across boxes). Section names, numbered headings, captions, e-mail addresses and
    URLs are not titles; without a candidate the PDF's Info title is used."""
    candidates = {}
    for index, box in enumerate(boxes):
        if box.page != 0:
            break
        if _could_be_title(box, body_size):
            candidates[index] = box.lines[0].size
    if not candidates:
        return info_title, []
    largest = max(candidates.values())
    first = min(index for index, size in candidates.items() if size == largest)
    chosen = [first]
    lines = len(boxes[first].lines)
    following = first + 1
    while candidates.get(following) == largest and lines + len(boxes[following].lines) <= _TITLE_MAX_LINES:
        chosen.append(following)
        lines += len(boxes[following].lines)
        following += 1
    return _join_lines([line for index in chosen for line in boxes[index].lines]), chosen


def _paragraph(text: str, section: str) -> dict:
    return {"text": text, "cite_spans": [], "ref_spans": [], "section": section}


def pdf_layout_to_pdf_json(data: bytes) -> dict:
    """The whole conversion, in-process (parse_pdf runs this in a limited child)."""
    check_pdf_bytes(data)
    boxes, pages, info_title = _read_boxes(data)
    boxes = _remove_running_lines(boxes, pages)
    if sum(len(line.text) for box in boxes for line in box.lines) < _MIN_TEXT_CHARS:
        raise PdfNoTextError(f"no text layer in {pages} page(s) (scanned or image-only PDF)")
    body_size = _body_size(boxes)
    boxes = _collapse_tables(boxes, body_size)
    title, title_indexes = _title(boxes, info_title, body_size)

    front: list[tuple[_Box, str]] = []  # blocks before the abstract or first heading
    authors: list[tuple[dict, list[str]]] = []  # with the marks after each name
    affiliation_boxes: list[_Box] = []
    abstract: list[dict] = []
    body: list[dict] = []
    back: list[dict] = []
    references: list[str] = []
    ref_entries: dict[str, dict] = {}
    table_captions: list[tuple[int, int, str]] = []  # (page, box index, TABREF key)
    tables: list[tuple[int, int, list[list[_Line]]]] = []  # (page, box index, rows)
    section, part = "", "front"
    abstract_box = None
    for index, box in enumerate(boxes):
        if index in title_indexes:
            continue
        text = _join_lines(box.lines)
        # "Abstract" opens the abstract unless body text came first; a heading taken
        # for a section before it (a numbered affiliation line) does not count.
        if part in ("front", "body") and not (abstract or body) and box.page <= 1 and _ABSTRACT_START.match(text):
            rest = _ABSTRACT_START.sub("", text, count=1).strip()
            part, section, abstract_box = "abstract", "Abstract", (box if rest else None)
            if rest:
                abstract.append(_paragraph(rest, section))
            continue
        if part in ("front", "abstract") and _KEYWORDS.match(text):
            if part == "abstract":
                part, section = "body", ""  # keywords end the abstract
            continue
        if part == "abstract" and abstract_box is None:
            abstract_box = box  # the first block after an "Abstract" heading
        elif part == "abstract" and (
            box.page != abstract_box.page or abs(box.lines[0].size - abstract_box.lines[-1].size) > 0.5
        ):
            part, section = "body", ""  # the abstract ends where the type or the page changes
        if part == "front" and box.page == 0 and index > min(title_indexes, default=-1):
            names = _author_names(box)
            if names:
                authors.extend(names)
                continue
            if _is_affiliation_box(box, text, body_size):
                affiliation_boxes.append(box)
                continue
        if part == "front" and box.page > 0:
            part = "body"  # front matter ends with the first page
        if part in ("body", "back") and _REF_LABEL_FIRST.match(text):
            part = "references"  # a reference list without a heading
        if box.rows is not None:
            tables.append((box.page, index, box.rows))
            continue
        if _is_caption(box, text):
            kind = "table" if text.lower().startswith(_TABLE_LABELS) else "figure"
            key = _new_ref_key(ref_entries, kind)
            ref_entries[key] = {"text": text, "type": kind, "latex": None}
            if kind == "table":
                table_captions.append((box.page, index, key))
            continue
        if _is_heading(box, body_size) and (part != "references" or _BACK_HEADING.match(text)):
            if part == "front" and box.page == 0 and not (_NUMBERED_HEADING.match(text) or _KNOWN_HEADINGS.match(text)):
                front.append((box, text))  # affiliations and front-page furniture in large or bold type
                continue
            if _REFERENCES_HEADING.match(text):
                part = "references"
            elif _BACK_HEADING.match(text):
                part = "back"
            elif part in ("front", "abstract", "body"):
                part = "body"
            elif part == "references":
                part = "back"
            section = _NUMBERED_PREFIX.sub("", text).strip() or text
            continue
        if part == "references":
            references.extend(box_text for box_text in _split_references(box))
        elif _is_fragment(text):
            continue  # equation numbers, stray brackets and dots of displayed formulas
        elif part == "back":
            back.append(_paragraph(text, section))
        elif part == "abstract":
            abstract.append(_paragraph(text, section))
        elif part == "body":
            body.append(_paragraph(text, section))
        else:
            front.append((box, text))
    if not abstract:
        abstract_text = _unlabelled_abstract(front, body_size)
        abstract = [_paragraph(abstract_text, "Abstract")] if abstract_text else []
        # Other text before the first heading is body text; short blocks there are
        # affiliation lines and front-page furniture.
        body = [
            _paragraph(text, "") for _, text in front if _word_count(text) >= _MIN_FRONT_WORDS and text != abstract_text
        ] + body
    body = _merge_broken_paragraphs(body)
    _add_tables(ref_entries, table_captions, tables)
    bib_entries, labels = _bib_entries(_merge_reference_lines(references))
    for paragraph in body + back:
        paragraph["cite_spans"] = _numeric_cite_spans(paragraph["text"], labels)
    return {
        "paper_id": hashlib.sha1(data).hexdigest(),
        "metadata": {"title": title, "authors": _with_affiliations_and_emails(authors, affiliation_boxes)},
        "abstract": abstract,
        "body_text": body,
        "bib_entries": bib_entries,
        "ref_entries": ref_entries,
        "back_matter": back,
    }


_TABLE_LABELS = ("table", "tabla", "cuadro")


def _new_ref_key(ref_entries: dict[str, dict], kind: str) -> str:
    number = sum(entry["type"] == kind for entry in ref_entries.values())
    return f"{'TABREF' if kind == 'table' else 'FIGREF'}{number}"


def _add_tables(ref_entries: dict[str, dict], captions: list[tuple[int, int, str]],
                tables: list[tuple[int, int, list[list[_Line]]]]) -> None:
    """Give each table's cells (as `html`) to the nearest free table caption on its
    page (the one above it on a tie); a table left without one gets an entry with an
    empty caption."""
    free = list(captions)
    for page, index, rows in tables:
        nearest = None
        for caption in free:
            if caption[0] == page and (nearest is None or abs(caption[1] - index) < abs(nearest[1] - index)):
                nearest = caption
        if nearest is None:
            key = _new_ref_key(ref_entries, "table")
            ref_entries[key] = {"text": "", "type": "table", "latex": None}
        else:
            free.remove(nearest)
            key = nearest[2]
        ref_entries[key]["html"] = _table_html(rows)


def _table_html(rows: list[list[_Line]]) -> str:
    """Rows of cells as an HTML table; a first row all in bold is the header."""
    header = all(cell.bold for cell in rows[0]) and not all(cell.bold for row in rows for cell in row)
    out = []
    for number, row in enumerate(rows):
        tag = "th" if header and number == 0 else "td"
        out.append("<tr>" + "".join(f"<{tag}>{html.escape(cell.text)}</{tag}>" for cell in row) + "</tr>")
    return "<table>" + "".join(out) + "</table>"


# ---------------------------------------------------------------- tables


_CELL_MAX_CHARS = 50
_CELL_MAX_WORDS = 8
_ROW_TOLERANCE = 0.005  # of the page height: cells whose tops differ less share a row
_COLUMN_GAP_PT = 3.0


def _is_cell_box(box: _Box, body_size: float) -> bool:
    """A block of short lines no larger than body text, not a heading or a caption:
    table cells look like this."""
    if box.lines[0].size > body_size + 0.5 or not all(
        len(line.text) <= _CELL_MAX_CHARS and len(line.text.split()) <= _CELL_MAX_WORDS for line in box.lines
    ):
        return False
    text = _join_lines(box.lines)
    if _CAPTION_LABEL.match(text):
        return False
    heading_type = box.lines[0].bold or box.lines[0].size > body_size
    return not (heading_type and (_NUMBERED_HEADING.match(text) or _KNOWN_HEADINGS.match(text)))


def _is_table_caption(box: _Box) -> bool:
    text = _join_lines(box.lines)
    return _is_caption(box, text) and text.lower().startswith(_TABLE_LABELS)


def _collapse_tables(boxes: list[_Box], body_size: float) -> list[_Box]:
    """Runs of short blocks on one page, next to a table caption, whose lines line up
    in rows and columns become one table block (pdfminer gives every cell, or every
    column, a block of its own)."""
    pages_with_captions = {box.page for box in boxes if _is_table_caption(box)}
    result: list[_Box] = []
    index = 0
    while index < len(boxes):
        if boxes[index].page not in pages_with_captions:
            result.append(boxes[index])
            index += 1
            continue
        members, passed = _table_members(boxes, index, body_size)
        rows = _table_rows([line for member in members for line in boxes[member].lines])
        if rows is not None and _table_caption_near(boxes, index, members[-1] + 1):
            result.append(_Box(boxes[index].page, [line for row in rows for line in row], rows))
            result.extend(boxes[i] for i in passed)
            index = members[-1] + 1
        else:
            result.append(boxes[index])
            index += 1
    return result


def _table_members(boxes: list[_Box], start: int, body_size: float) -> tuple[list[int], list[int]]:
    """The indexes of the cell blocks of a possible table starting at boxes[start], and
    of the blocks between them that lie outside the table's rows: pdfminer's order can
    put the heading under a table between two of its columns."""
    page = boxes[start].page
    members: list[int] = []
    passed: list[int] = []
    span: list[float] = []  # line tops of the first run of cells: the table's rows
    for index in range(start, len(boxes)):
        box = boxes[index]
        if box.page != page:
            break
        inside = bool(span) and min(span) - _ROW_TOLERANCE <= box.lines[0].top <= max(span) + _ROW_TOLERANCE
        if _is_cell_box(box, body_size) and (not passed or inside):
            if not passed:
                span += [line.top for line in box.lines]
            members.append(index)
        elif members and not inside and len(passed) < 2:
            passed.append(index)
        else:
            break
    if not members:
        return [], []
    return members, [index for index in passed if index < members[-1]]


def _table_caption_near(boxes: list[_Box], start: int, end: int) -> bool:
    """A table caption on the same page within two blocks before or after boxes[start:end]."""
    page = boxes[start].page
    nearby = boxes[max(0, start - 2):start] + boxes[end:end + 2]
    return any(box.page == page and _is_table_caption(box) for box in nearby)


def _table_rows(lines: list[_Line]) -> list[list[_Line]] | None:
    """The lines as rows of cells (top to bottom, left to right) when they form a
    grid: at least two columns and at least two rows with two or more cells each."""
    if len(lines) < 4:
        return None
    rows: list[list[_Line]] = []
    for line in sorted(lines, key=_line_position):
        if rows and line.top - rows[-1][0].top < _ROW_TOLERANCE:
            rows[-1].append(line)
        else:
            rows.append([line])
    for row in rows:
        row.sort(key=_line_left)
    full_rows = sum(1 for row in rows if len(row) >= 2)
    columns = _column_count(lines)
    if columns >= 2 and full_rows >= 2 and full_rows * 2 >= len(rows):
        return rows
    return None


def _line_position(line: _Line) -> tuple[float, float]:
    return line.top, line.left


def _line_left(line: _Line) -> float:
    return line.left


def _column_count(lines: list[_Line]) -> int:
    """Distinct left edges, lines starting within a few points of each other counted once."""
    count, previous = 0, None
    for left in sorted(line.left for line in lines):
        if previous is None or left - previous > _COLUMN_GAP_PT:
            count += 1
        previous = left
    return count


_MIN_FRONT_WORDS = 20
_MIN_ABSTRACT_WORDS = 30
_MAX_AUTHORS = 100
# Footnote and affiliation marks after names: digits, asterisks, daggers, section signs.
_AUTHOR_MARKS = re.compile(r"[\d*\u2020\u2021\u2217\u00a7\u00b6#\u2022]+")
_NAME_SEPARATORS = re.compile(r"\s*(?:,|;|&|\band\b)\s*")
_NOT_A_NAME = re.compile(
    r"@|https?:|\b(univ|institut|department|dept|school|college|laborator|hospital|cent(er|re)|faculty|"
    r"academy|inc|ltd|gmbh|street|road|avenue|abstract|keywords?|journal|vol|doi|received|accepted)",
    re.IGNORECASE,
)
# Marks after a name: raised runs, or digits and footnote symbols set on the line.
# Marks after a name: raised runs ("⁽1,2⁾"), or digits and footnote symbols on the line.
_FOLLOWING_MARKS = re.compile(r"(\s*,?\s*(\u207d[^\u207e]*\u207e|[\d*\u2020\u2021\u2217\u00a7\u00b6#]))+")
_MARK = re.compile(r"\d+|[^\d\s,\u207d\u207e]")
_NAME_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['\u2019.\-])*$")  # "Mei-Ling", "O'Neil", "J.", not "Note:"
_NAME_SUFFIXES = {"Jr", "Jr.", "Sr", "Sr.", "II", "III", "IV"}
_NAME_PARTICLES = {
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "du", "la", "le", "ter", "ten", "bin",
}


def _author_names(box: _Box) -> list[tuple[dict, list[str]]]:
    """The authors in a front-matter block with the marks after each name ("1", "*"),
    or [] when it is not a list of names.

    Conservative: a block counts only when every comma/"and"-separated part, with
    superscript and footnote marks removed, looks like a name (2 to 4 capitalised
    words, name particles and a suffix allowed); affiliations, addresses and dates
    are refused.
    """
    marked = _join_texts(line.marked for line in box.lines)
    text = _RAISED_RUN.sub(" ", marked)
    if _NOT_A_NAME.search(text):
        return []
    parts = [p for p in _NAME_SEPARATORS.split(text) if p.strip()]
    names = [_AUTHOR_MARKS.sub(" ", p).split() for p in parts]
    # A part that is only marks or numbers ("Mai 30, 18") is a date or a count, not a name list.
    if not names or not all(_looks_like_name(tokens) for tokens in names):
        return []
    authors = []
    position = 0
    for tokens in names:
        found = marked.find(tokens[-1], position)
        position = found + len(tokens[-1]) if found >= 0 else position
        marks = _FOLLOWING_MARKS.match(marked, position) if found >= 0 else None
        suffix = tokens.pop() if tokens[-1] in _NAME_SUFFIXES else ""
        last_start = len(tokens) - 1
        while last_start > 1 and tokens[last_start - 1] in _NAME_PARTICLES:
            last_start -= 1  # "van der Berg" is one surname
        author = {"first": tokens[0], "middle": tokens[1:last_start], "last": " ".join(tokens[last_start:]),
                  "suffix": suffix, "affiliation": {}, "email": ""}
        authors.append((author, _MARK.findall(marks.group(0)) if marks else []))
    return authors


_MAX_AFFILIATION_WORDS = 30
_AFFILIATION_WORDS = re.compile(
    r"\b(universi[td]|institut|departm|departam|dept|division|school|college|laborator|hospital|cent(er|re|ro)|"
    r"facult|academy|clinic|foundation|ministry|programa?)",
    re.IGNORECASE,
)
_INSTITUTION_WORDS = re.compile(
    r"\b(universi[td]|institut|school|college|hospital|cent(er|re|ro)|facult|academy|clinic|foundation|ministry|"
    r"inc|ltd|gmbh|corporation)",
    re.IGNORECASE,
)
_LABORATORY_WORDS = re.compile(
    r"\b(departm|departam|dept|division|laborator|lab\b|unit\b|programa?\b|group\b)", re.IGNORECASE
)
# An affiliation's leading mark: a raised run ("⁽1⁾"), or a number, letter or symbol before it.
_LEADING_MARK = re.compile(r"^(\u207d\s*([^\u207e\s]+)\s*\u207e|(\d{1,2}|[a-z]|[*\u2020\u2021\u2217\u00a7])(?=\s*[A-Z]))\s*")
_EMAIL = re.compile(r"(\{[^{}@]+\}|[\w.+\-]+)@([\w\-]+(?:\.[\w\-]+)+)")
_IN_BRACKETS_EMAIL = re.compile(r"\(?\s*\S+@\S+?\s*\)?(?=[\s,;]|$)")


def _is_affiliation_box(box: _Box, text: str, body_size: float) -> bool:
    """An institution, a department or an e-mail address: short (or a list of marked
    entries), in a type of its own or not ending like a sentence."""
    short = _word_count(text) <= _MAX_AFFILIATION_WORDS or any(_LEADING_MARK.match(line.marked) for line in box.lines)
    set_apart = abs(box.lines[0].size - body_size) >= 0.5 or not text.endswith(".")
    return bool(_AFFILIATION_WORDS.search(text) or "@" in text) and short and set_apart


def _with_affiliations_and_emails(authors: list[tuple[dict, list[str]]], boxes: list[_Box]) -> list[dict]:
    """The authors with the affiliation their marks point to (or the only affiliation
    printed) and the e-mail address whose user part holds their name."""
    affiliations = _affiliations(boxes)
    emails = [email for box in boxes for email in _emails(_join_lines(box.lines))]
    people = []
    for author, marks in authors[:_MAX_AUTHORS]:
        text = next((affiliations[mark] for mark in marks if mark in affiliations), None)
        if text is None and list(affiliations) == [""]:
            text = affiliations[""]
        if text:
            author["affiliation"] = _affiliation_parts(text)
        matching = [email for email in emails if _email_names(author) & _email_user_words(email)]
        if len(matching) == 1:
            author["email"] = matching[0]
        people.append(author)
    return people


def _affiliations(boxes: list[_Box]) -> dict[str, str]:
    """Affiliation texts by their leading mark ("1", "a", "*"); an unmarked one under "".
    Lines without a mark continue the affiliation above them."""
    found: dict[str, list[str]] = {}
    for box in boxes:
        current = None
        for line in box.lines:
            text = _IN_BRACKETS_EMAIL.sub("", line.marked).strip(" ,;")
            mark = _LEADING_MARK.match(text)
            if mark:
                current = found.setdefault(mark.group(2) or mark.group(3), [])
                text = text[mark.end():]
            elif current is None:
                current = found.setdefault("", [])
            if text and _EMAIL.search(text) is None:
                current.append(text)
    return {mark: ", ".join(lines) for mark, lines in found.items() if lines}


def _affiliation_parts(text: str) -> dict:
    """{laboratory, institution, location} from "Department of X, Y University, City, Country"."""
    parts = [part.strip(" .") for part in text.split(",") if part.strip(" .")]
    laboratory = [part for part in parts if _LABORATORY_WORDS.search(part) and not _INSTITUTION_WORDS.search(part)]
    institution = [part for part in parts if _INSTITUTION_WORDS.search(part)]
    institution = institution or [part for part in parts if part not in laboratory][:1]
    named = [n for n, part in enumerate(parts) if part in laboratory or part in institution]
    place = parts[max(named, default=0) + 1:]
    location = {}
    if place and _is_place_name(place[-1]):
        location["country"] = place[-1]
        if len(place) >= 2 and _is_place_name(place[-2]):
            location["settlement"] = place[-2]
    return {"laboratory": ", ".join(laboratory), "institution": ", ".join(institution), "location": location}


def _is_place_name(part: str) -> bool:
    """A city or country name: no digits (post codes, streets), not a code like "NY"."""
    return not any(c.isdigit() for c in part) and not (part.isupper() and len(part) <= 3)


def _emails(text: str) -> list[str]:
    """E-mail addresses, "{ann,bob}@x.org" expanded to one per user."""
    found = []
    for users, domain in _EMAIL.findall(text):
        for user in users.strip("{}").split(","):
            if user.strip():
                found.append(f"{user.strip()}@{domain}")
    return found


def _email_names(author: dict) -> set[str]:
    return {_ascii_lower(name) for name in [author["first"], author["last"]] if len(name) > 1}


def _email_user_words(email: str) -> set[str]:
    return set(re.split(r"[._\-+]", _ascii_lower(email.split("@")[0])))


def _ascii_lower(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _looks_like_name(tokens: list[str]) -> bool:
    words = [t for t in tokens if t not in _NAME_PARTICLES and t not in _NAME_SUFFIXES]
    return (
        2 <= len(words) <= 4
        and tokens[0] in words
        and tokens[-1] not in _NAME_PARTICLES
        and all(t[:1].isupper() and _NAME_WORD.match(t) for t in words)
    )


def _unlabelled_abstract(front: list[tuple[_Box, str]], body_size: float) -> str:
    """An abstract without an "Abstract" label: the first long block on page 1, before
    any heading, set in a type size other than the body's (smaller, as in most
    journal and preprint styles, or larger)."""
    for box, text in front:
        if box.page == 0 and _word_count(text) >= _MIN_ABSTRACT_WORDS and abs(box.lines[0].size - body_size) >= 0.5:
            return text
    return ""


def _word_count(text: str) -> int:
    """Words, counting each Chinese or Japanese character as one."""
    return len(text.split()) + len(_CJK.findall(text))
_NUMBERED_PREFIX = re.compile(r"^(\d{1,2}(\.\d{1,2})*\.?|[IVX]{1,5}\.)\s+")


def _merge_broken_paragraphs(paragraphs: list[dict]) -> list[dict]:
    """Join a paragraph cut by a column or page break (no final stop, next starts lower-case)."""
    merged: list[dict] = []
    for paragraph in paragraphs:
        if (
            merged
            and merged[-1]["section"] == paragraph["section"]
            and not merged[-1]["text"].endswith((".", "!", "?", ":", '"', "\u201d"))
            and paragraph["text"][:1].islower()
        ):
            previous = merged[-1]["text"]
            if previous.endswith("-") and previous[-2:-1].isalpha():
                merged[-1]["text"] = previous[:-1] + paragraph["text"]
            else:
                merged[-1]["text"] = previous + " " + paragraph["text"]
            continue
        merged.append(paragraph)
    return merged


# ---------------------------------------------------------------- references


_HANGING_INDENT_PT = 3.0
_REF_LABEL = re.compile(r"^\s*(\[(\d{1,4})\]|(\d{1,3})\.\s)")  # "[12]" or "12. " (not a year)
_REF_LABEL_FIRST = re.compile(r"^\[1\]\s")


def _split_references(box: _Box) -> list[str]:
    """Reference entries in a box: split at "[n]" / "n." labels, else at the lines a
    hanging indent sets apart, else one entry per box."""
    if any(_REF_LABEL.match(line.text) for line in box.lines):
        starts = [bool(_REF_LABEL.match(line.text)) for line in box.lines]
    else:
        margin = min(line.left for line in box.lines)
        if not any(line.left > margin + _HANGING_INDENT_PT for line in box.lines):
            return [_join_lines(box.lines)]
        starts = [line.left <= margin + 1.0 for line in box.lines]
    entries, current = [], []
    for line, starts_entry in zip(box.lines, starts):
        if starts_entry and current:
            entries.append(_join_lines(current))
            current = []
        current.append(line)
    if current:
        entries.append(_join_lines(current))
    return entries


# How an unlabelled reference starts: "Surname, X", "Surname X, ..." or an
# organisation in capitals followed soon by a year ("CEPAL (2000)").
_ENTRY_START = re.compile(
    r"^([^\W\d_][\w'\u2019\-]+(\s+[^\W\d_][\w'\u2019\-]+){0,3},\s*[^\W\d_]"
    r"|[A-Z][A-Z&\-]{1,}\b.{0,80}?\b(1[89]|20)\d\d)"
)


def _starts_unlabelled_entry(text: str) -> bool:
    """Looks like the start of a reference, or at least not like a piece of one."""
    if _ENTRY_START.match(text):
        return True
    return text[:1].isupper() and len(text) >= 30 and bool(_YEAR.search(text))


def _merge_reference_lines(entries: list[str]) -> list[str]:
    """Glue a fragment (cut off by a column or page break, or split by the layout) to
    the previous entry: labelled lists by their "[n]" / "n." labels, others by how an
    entry starts."""
    if any(_REF_LABEL.match(entry) for entry in entries):
        starts = _REF_LABEL.match
    else:
        starts = _starts_unlabelled_entry
    merged: list[str] = []
    for entry in entries:
        if merged and not starts(entry):
            merged[-1] = _join_texts([merged[-1], entry])
        else:
            merged.append(entry)
    return merged


_YEAR = re.compile(r"(?<![\w.:/])(1[89]\d\d|20\d\d)[a-z]?(?!\w|\.\d)")
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+[^\s\"<>.,;)])", re.IGNORECASE)
_ARXIV = re.compile(r"arXiv:\s*(\d{4}\.\d{4,5}|[a-z\-]+/\d{7})", re.IGNORECASE)
_QUOTED = re.compile(r"[\"\u201c]([^\"\u201d]{10,300})[\"\u201d]")


def _bib_entries(entries: list[str]) -> tuple[dict, dict[int, str]]:
    """bib_entries from raw reference strings, and printed label -> BIBREF key."""
    bib: dict[str, dict] = {}
    labels: dict[int, str] = {}
    for n, raw in enumerate(entries):
        key = f"BIBREF{n}"
        label = _REF_LABEL.match(raw)
        if label:
            labels[int(label.group(2) or label.group(3))] = key
            raw = raw[label.end():].strip()
        year = _YEAR.search(raw)
        other_ids = {}
        doi = _DOI.search(raw)
        if doi:
            other_ids["DOI"] = [doi.group(1)]
        arxiv = _ARXIV.search(raw)
        if arxiv:
            other_ids["arXiv"] = [arxiv.group(1)]
        bib[key] = {
            "ref_id": key,
            "title": _reference_title(raw, year),
            "authors": [],
            "year": int(year.group(1)) if year else None,
            "venue": "",
            "volume": "",
            "issn": "",
            "pages": "",
            "other_ids": other_ids,
        }
    return bib, labels


def _reference_title(raw: str, year: re.Match | None) -> str:
    """A quoted title; else the sentence after a leading year (author-year styles);
    else the first sentence that is not an author list; else the whole entry."""
    quoted = _QUOTED.search(raw)
    if quoted:
        return quoted.group(1).strip(" ,.")
    if year and year.start() < 0.4 * len(raw):
        after = raw[year.end():].lstrip(" ).,:;")
        sentence = re.split(r"(?<=[a-z0-9?!])\.\s", after, maxsplit=1)[0].strip(" .")
        if len(sentence) >= 10:
            return sentence
    for sentence in re.split(r"\.\s+", raw):
        words = sentence.split()
        if len(words) >= 3 and not _looks_like_authors(words):
            return sentence.strip(" .")
    return raw


def _looks_like_authors(words: list[str]) -> bool:
    initials = sum(1 for word in words if re.fullmatch(r"[A-Z]{1,3}[.,]?", word))
    return initials * 3 >= len(words) or "et al" in " ".join(words)


_CITE_GROUP = re.compile(r"\[(\d{1,4}(?:\s*[,\u2013\-]\s*\d{1,4})*)\]")


def _numeric_cite_spans(text: str, labels: dict[int, str]) -> list[dict]:
    """Spans for "[3]", "[3, 5]" and "[3-5]" markers whose numbers label a reference."""
    if not labels:
        return []
    spans = []
    for group in _CITE_GROUP.finditer(text):
        numbers = list(re.finditer(r"\d{1,4}", group.group(0)))
        for i, number in enumerate(numbers):
            value = int(number.group(0))
            start, end = group.start() + number.start(), group.start() + number.end()
            between = group.group(0)[numbers[i - 1].end() : number.start()] if i else ""
            if i and re.fullmatch(r"\s*[\u2013\-]\s*", between):
                first = int(numbers[i - 1].group(0))
                range_start = group.start() + numbers[i - 1].start()
                for middle in range(first + 1, min(value, first + 50)):
                    spans.append({"start": range_start, "end": end, "text": text[range_start:end],
                                  "ref_id": labels.get(middle)})
            spans.append({"start": start, "end": end, "text": text[start:end], "ref_id": labels.get(value)})
    return spans


if __name__ == "__main__":
    _worker_main(int(sys.argv[1]))
