"""Tables in a PDF: short blocks next to a table caption that line up in rows and columns.

pdfminer gives every cell, or every column, a block of its own; such runs become one
table block, whose cells become the caption's ref entry `html` instead of one-word
paragraphs.
"""
import html

from parsers.pdf.blocks import CAPTION_LABEL, KNOWN_HEADINGS, NUMBERED_HEADING, is_table_caption
from parsers.pdf.layout import Box, Line, join_lines, join_texts
from schemas.records import RefEntry, ref_entry, wrap_table_html

_CELL_MAX_CHARS = 50
_CELL_MAX_WORDS = 8
_ROW_TOLERANCE = 0.005  # of the page height: cells whose tops differ less share a row
_COLUMN_GAP_PT = 3.0


def _is_cell_box(box: Box, body_size: float) -> bool:
    """A block of short lines no larger than body text, not a heading or a caption:
    table cells look like this."""
    if box.lines[0].size > body_size + 0.5 or not all(
        len(line.text) <= _CELL_MAX_CHARS and len(line.text.split()) <= _CELL_MAX_WORDS for line in box.lines
    ):
        return False
    text = join_lines(box.lines)
    if CAPTION_LABEL.match(text):
        return False
    heading_type = box.lines[0].bold or box.lines[0].size > body_size
    return not (heading_type and (NUMBERED_HEADING.match(text) or KNOWN_HEADINGS.match(text)))


def collapse_tables(boxes: list[Box], body_size: float) -> list[Box]:
    """Runs of short blocks on one page, next to a table caption, whose lines line up
    in rows and columns become one table block (pdfminer gives every cell, or every
    column, a block of its own)."""
    pages_with_captions = {box.page for box in boxes if is_table_caption(box)}
    result: list[Box] = []
    index = 0
    while index < len(boxes):
        if boxes[index].page not in pages_with_captions:
            result.append(boxes[index])
            index += 1
            continue
        members, passed = _table_members(boxes, index, body_size)
        rows = _table_rows([line for member in members for line in boxes[member].lines])
        if rows is not None and _table_caption_near(boxes, index, members[-1] + 1):
            result.append(Box(boxes[index].page, [line for row in rows for line in row], rows))
            result.extend(boxes[i] for i in passed)
            index = members[-1] + 1
        else:
            result.append(boxes[index])
            index += 1
    return result


def _table_members(boxes: list[Box], start: int, body_size: float) -> tuple[list[int], list[int]]:
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


def _table_caption_near(boxes: list[Box], start: int, end: int) -> bool:
    """A table caption on the same page within two blocks before or after boxes[start:end]."""
    page = boxes[start].page
    nearby = boxes[max(0, start - 2):start] + boxes[end:end + 2]
    return any(box.page == page and is_table_caption(box) for box in nearby)


def _table_rows(lines: list[Line]) -> list[list[Line]] | None:
    """The lines as rows of cells (top to bottom, left to right) when they form a
    grid: at least two columns and at least two rows with two or more cells each."""
    if len(lines) < 4:
        return None
    rows: list[list[Line]] = []
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


def _line_position(line: Line) -> tuple[float, float]:
    return line.top, line.left


def _line_left(line: Line) -> float:
    return line.left


def _column_count(lines: list[Line]) -> int:
    """Distinct left edges, lines starting within a few points of each other counted once."""
    count, previous = 0, None
    for left in sorted(line.left for line in lines):
        if previous is None or left - previous > _COLUMN_GAP_PT:
            count += 1
        previous = left
    return count


def new_ref_key(ref_entries: dict[str, RefEntry], kind: str) -> str:
    number = sum(entry["type"] == kind for entry in ref_entries.values())
    return f"{'TABREF' if kind == 'table' else 'FIGREF'}{number}"


def add_tables(ref_entries: dict[str, RefEntry], captions: list[tuple[int, int, str]],
               tables: list[tuple[int, int, list[list[Line]]]], notes: dict[int, list[str]]) -> None:
    """Give each table's cells (as `html`) to the nearest free table caption on its
    page (the one above it on a tie), and the notes under it (by the table's block
    index) to the caption's text; a table left without one gets an entry with an
    empty caption."""
    free = list(captions)
    for page, index, rows in tables:
        nearest = None
        for caption in free:
            if caption[0] == page and (nearest is None or abs(caption[1] - index) < abs(nearest[1] - index)):
                nearest = caption
        if nearest is None:
            key = new_ref_key(ref_entries, "table")
            ref_entries[key] = ref_entry("", "table")
        else:
            free.remove(nearest)
            key = nearest[2]
        ref_entries[key]["html"] = wrap_table_html(_table_html(rows))
        if notes.get(index):
            ref_entries[key]["text"] = join_texts([ref_entries[key]["text"], *notes[index]])


def _table_html(rows: list[list[Line]]) -> str:
    """Rows of cells as an HTML table; a first row all in bold is the header."""
    header = all(cell.bold for cell in rows[0]) and not all(cell.bold for row in rows for cell in row)
    out = []
    for number, row in enumerate(rows):
        tag = "th" if header and number == 0 else "td"
        out.append("<tr>" + "".join(f"<{tag}>{html.escape(cell.text)}</{tag}>" for cell in row) + "</tr>")
    return "<table>" + "".join(out) + "</table>"
