"""A PDF's lines regrouped into paragraphs as printed, and footnotes told apart.

pdfminer's text boxes are paragraphs only in ordinary single-spaced text: in
double-spaced text every line is a box of its own, a justified line with wide word
spacing falls apart into several boxes, and paragraphs without space between them
share one box. `paragraph_boxes` rebuilds the blocks: pieces of one printed line are
joined again; a box boundary stays a break unless the document is set so loosely
that pdfminer splits every line and the spacing there is the usual one; and inside
a block a new paragraph starts at a first line indented after a line that ended a
sentence, and around a heading-like line in body type. Table blocks pass unchanged.
"""
import collections
import re
import statistics

from parsers.pdf.blocks import NUMBERED_HEADING
from parsers.pdf.layout import Box, Line, join_texts

_SAME_SIZE = 0.06  # relative difference of font sizes still taken as the same type
_PIECE_GAP_EM = 12.0  # the widest gap between two pieces of one printed line, in ems
_INDENT_EM = 0.7  # a first line starts at least this far right of the lines above it, in ems
_GAP_FACTOR = 1.15  # line spacing this much wider than usual starts a new block
_LOOSE_SPACING = 1.5  # line spacing (in line heights) over which pdfminer puts every line in a box of its own
_SENTENCE_END = (".", "!", "?", '"', "\u201d")


def paragraph_boxes(boxes: list[Box]) -> list[Box]:
    """The boxes (in reading order) regrouped into printed paragraphs, page by page."""
    pieces = [_joined_pieces(box) if box.rows is None else box for box in boxes]
    pitches = _usual_pitches(pieces)
    result: list[Box] = []
    rows: list[list[Line]] = []  # the paragraph being built: its printed lines, each as pieces
    lines: list[Line] = []  # the same lines, each made whole
    page = -1
    for box in pieces:
        if box.rows is not None:
            _flush(result, page, lines)
            rows, lines = [], []
            result.append(box)
            continue
        for number, line in enumerate(box.lines):
            if rows and page == box.page:
                joined = next((n for n in range(max(0, len(rows) - 2), len(rows)) if _add_piece(rows[n], line)), None)
                if joined is not None:
                    lines[joined] = _whole(rows[joined])
                    continue
                if (number > 0 or _loose_line_break(lines[-1], line, pitches)) and _continues(lines, line):
                    rows.append([line])
                    lines.append(line)
                    continue
            _flush(result, page, lines)
            rows, lines, page = [[line]], [line], box.page
    _flush(result, page, lines)
    return result


def _flush(result: list[Box], page: int, lines: list[Line]) -> None:
    if lines:
        result.append(Box(page, list(lines)))


def _joined_pieces(box: Box) -> Box:
    """The box with its lines in top-to-bottom order, pieces of one printed line joined."""
    rows: list[list[Line]] = []
    for line in sorted(box.lines, key=_line_order):
        if not (rows and _add_piece(rows[-1], line)):
            rows.append([line])
    return Box(box.page, [_whole(row) for row in rows])


def _line_order(line: Line) -> tuple[float, float]:
    return round(line.top, 3), line.left


def _add_piece(row: list[Line], piece: Line) -> bool:
    """Add `piece` to the printed line `row` (its pieces) when it sits on the same
    baseline, in the same type, beside the pieces and near one of them."""
    first = row[0]
    height = max(first.bottom - first.top, piece.bottom - piece.top, 1e-6)
    if not (
        abs(first.top - piece.top) < 0.4 * height
        and abs(first.bottom - piece.bottom) < 0.4 * height
        and abs(first.size - piece.size) <= _SAME_SIZE * max(first.size, piece.size)
    ):
        return False
    if any(piece.left < other.right - 1.0 and other.left < piece.right - 1.0 for other in row):
        return False  # overlaps a piece: another line printed over this one
    reach = _PIECE_GAP_EM * piece.size
    if not any(other.right - 1.0 <= piece.left <= other.right + reach or
               other.left - reach <= piece.right <= other.left + 1.0 for other in row):
        return False
    row.append(piece)
    return True


def _whole(row: list[Line]) -> Line:
    """One line from the pieces of a printed line, left to right."""
    if len(row) == 1:
        return row[0]
    pieces = sorted(row, key=_left)
    return Line(
        text=join_texts(piece.text for piece in pieces),
        size=pieces[0].size,
        bold=all(piece.bold for piece in pieces),
        top=min(piece.top for piece in pieces),
        left=pieces[0].left,
        marked=join_texts(piece.marked for piece in pieces),
        right=max(piece.right for piece in pieces),
        bottom=max(piece.bottom for piece in pieces),
    )


def _left(line: Line) -> float:
    return line.left


def _usual_pitches(boxes: list[Box]) -> dict[tuple[float, bool], float]:
    """The usual distance from one line to the next (fraction of the page height), by
    font size and weight."""
    found: dict[tuple[float, bool], list[float]] = collections.defaultdict(list)
    previous: Line | None = None
    page = -1
    for box in boxes:
        if box.rows is not None:
            previous = None
            continue
        for line in box.lines:
            if previous is not None and box.page == page and _is_next_line_below(previous, line):
                pitch = _pitch(previous, line)
                if pitch < 3.0 * (previous.bottom - previous.top):
                    found[line.size, line.bold].append(pitch)
            previous, page = line, box.page
    return {size: statistics.median(values) for size, values in found.items()}


def _pitch(upper: Line, lower: Line) -> float:
    """Baseline-to-baseline distance, robust to a raised or lowered character in one line."""
    return min(lower.top - upper.top, lower.bottom - upper.bottom)


def _is_next_line_below(upper: Line, lower: Line) -> bool:
    """`lower` is below `upper` in the same type and column (their extents overlap)."""
    return (
        lower.top > upper.top + 0.5 * (upper.bottom - upper.top)
        and abs(upper.size - lower.size) <= _SAME_SIZE * max(upper.size, lower.size)
        and upper.bold == lower.bold
        and lower.left < upper.right
        and upper.left < lower.right
    )


def _loose_line_break(last: Line, line: Line, pitches: dict[tuple[float, bool], float]) -> bool:
    """A box boundary between `last` and `line` that is only pdfminer's: the type is set
    so loosely that pdfminer splits every line (line spacing over 1.5 line heights),
    and the spacing here is the usual one."""
    usual = pitches.get((line.size, line.bold))
    height = max(last.bottom - last.top, 1e-6)
    return (
        usual is not None
        and usual > _LOOSE_SPACING * height
        and _is_next_line_below(last, line)
        and _pitch(last, line) <= _GAP_FACTOR * usual + 0.002
    )


def _continues(lines: list[Line], line: Line) -> bool:
    """Whether `line` goes on the paragraph made of `lines` (the line below, same type)."""
    last = lines[-1]
    # a heading in body type stands alone (bold ones are set apart by their weight); it is
    # not continued in small letters
    heading_like = _looks_like_heading_line(last) or _looks_like_heading_line(line)
    if heading_like and not line.bold and not line.text[:1].islower():
        return False
    margin = min(other.left for other in lines)
    indented = line.left > last.left + _INDENT_EM * line.size and line.left > margin + _INDENT_EM * line.size
    return not (indented and _ends_paragraph(lines))


def _ends_paragraph(lines: list[Line]) -> bool:
    """The last line can end a paragraph: it ends a sentence, or stops short of the lines above."""
    last = lines[-1]
    if last.text.endswith(_SENTENCE_END):
        return True
    full = max(line.right for line in lines)
    return len(lines) > 1 and last.right < full - 3 * last.size


_UPPER_WORDS = re.compile(r"^[^a-z]*[A-Z]{4}[^a-z]*$")


def _looks_like_heading_line(line: Line) -> bool:
    """A numbered or all-capitals short line without a final stop: a heading set in body type."""
    text = line.text
    if len(text.split()) > 10 or text.endswith((".", ",", ";", "-")):
        return False
    if _UPPER_WORDS.match(text):
        return True
    numbered = NUMBERED_HEADING.match(text)
    return numbered is not None and text[numbered.end() - 1 :][:1].isupper()


_FOOTNOTE_MARK = re.compile(r"^(\u207d|\d{1,2}\s?[^\W\d_]|[*\u2217\u2020\u2021\u00a7\u00b6#])")
_FOOTNOTE_ZONE = 0.5  # footnotes start in the lower half of the page
_SMALLER_PT = 0.5


def is_footnote(box: Box, body_size: float, previous: Box | None) -> bool:
    """A footnote: smaller type than the body's in the lower half of the page, starting
    with its mark ("1 ...", "* ...", a raised number), or continuing the footnote
    `previous` (the last block taken for one) below it on the same page."""
    first = box.lines[0]
    if first.size > body_size - _SMALLER_PT or first.top < _FOOTNOTE_ZONE:
        return False
    if starts_footnote(box):
        return True
    return (
        previous is not None
        and previous.page == box.page
        and abs(previous.lines[0].size - first.size) <= _SMALLER_PT
        and first.top > previous.lines[0].top
    )


def starts_footnote(box: Box) -> bool:
    """The block starts with a footnote mark."""
    first = box.lines[0]
    return bool(_FOOTNOTE_MARK.match(first.marked) or _FOOTNOTE_MARK.match(first.text))
