"""JATS <body> (and the body-like parts of <back>) as CORD-19 paragraphs with exact spans.

How each kind of block is handled:
- sec: its title joins the section path, child first: "Patients ::: Methods".
- p: one paragraph. A block nested inside a <p> (list, table, figure, box, quote,
  supplementary material) splits it: the text before, then the block, then the text after.
- list: each list-item is its own paragraph, prefixed with the item's label ("1.", "(a)").
- def-list: one paragraph per item, "term: definition".
- boxed-text, statement, app, ack, notes, glossary: a titled container; the title joins
  the section path and its paragraphs follow in place.
- disp-quote and other containers: their paragraphs in place, in the same section.
- disp-formula at block level: a paragraph holding the formula text; inside a <p> the
  formula text stays in the sentence (see parsers.jats.math).
- fig, table-wrap and their groups: not running text; caption, notes and cells go to
  ref_entries (parsers.jats.back).
- fn, fn-group: footnotes never enter running text; they are collected for back_matter.
- supplementary-material: collected for back_matter (never in the body).
Cross references:
- xref bibr: a cite span to BIBREF<n>; numeric ranges ("3-5", "[3]-[5]", "3–5") expand
  to one span per reference in the range (the implied ones span the whole range text).
- xref fig / table: a ref span to FIGREF<n> / TABREF<n>.
- xref supplementary-material: a ref span with a null ref_id (the contract has no
  ref-entry kind for supplementary files).
- footnote, affiliation and correspondence markers ("a", "*", "12") are dropped from
  running text; other xrefs (sections, formulas) keep their text without a span.
An unresolvable target gives a span with a null ref_id, never a dangling id.
"""
import re
from dataclasses import dataclass, field

from lxml import etree

from parsers.jats.text import element_text, first_child, raw_text
from schemas.records import Paragraph, Span, paragraph, span

_NUMBER = re.compile(r"^[\[(]?(\d{1,4})[\])]?$")
_RANGE_IN_ONE = re.compile(r"^[\[(]?(\d{1,4})\s*[-\u2010-\u2015\u2212]\s*(\d{1,4})[\])]?$")
_DASH_BETWEEN = re.compile(r"^[\s\[\]()]*[-\u2010-\u2015\u2212][\s\[\]()]*$")
MAX_RANGE = 100

# Blocks that split a <p> when nested inside it.
BLOCKS_INSIDE_P = frozenset({
    "list", "def-list", "table-wrap", "table-wrap-group", "fig", "fig-group", "boxed-text",
    "disp-quote", "supplementary-material", "statement", "verse-group", "code", "preformat",
    "array", "chem-struct-wrap", "fn-group",
})
# Block-level elements that hold no running text of their own.
SKIPPED_BLOCKS = frozenset({
    "title", "label", "caption", "fig", "fig-group", "table-wrap", "table-wrap-group", "table",
    "graphic", "media", "alternatives", "object-id", "ref-list", "sec-meta", "permissions",
    "kwd-group", "attrib", "x", "hr", "break",
})
# Inline elements whose text is not part of the sentence.
SILENT_INLINE = frozenset({"label", "graphic", "inline-graphic", "media", "object-id", "alternatives"})
TITLED_CONTAINERS = frozenset({"sec", "boxed-text", "statement", "app", "app-group", "ack", "notes",
                               "glossary", "bio"})
BLOCK_TAGS = frozenset({"p", "sec", "list", "def-list", "disp-quote", "boxed-text", "disp-formula",
                        "table-wrap", "fig", "statement", "verse-group", "fn", "fn-group", "app",
                        "supplementary-material", "preformat", "code"})
NOTE_MARKER_TYPES = frozenset({"fn", "table-fn", "aff", "corresp", "author-notes"})
SECTION_SEPARATOR = " ::: "
TITLE_NOISE = frozenset({"xref", "fn"})


@dataclass(frozen=True)
class Links:
    """Where cross references point: XML ids to BIBREF/FIGREF/TABREF ids."""

    bib_ids: dict[str, str]
    bib_labels: dict[str, str]
    float_ids: dict[str, str]
    bib_count: int


@dataclass
class BodyContext:
    """Links plus the footnotes and supplementary files met while walking."""

    links: Links
    footnotes: list[etree._Element] = field(default_factory=list)
    supplements: list[etree._Element] = field(default_factory=list)


class ParagraphBuilder:
    """Accumulates paragraph text with collapsed whitespace and exact span offsets."""

    def __init__(self, prefix: str = "") -> None:
        self.parts: list[str] = []
        self.length = 0
        self.after_space = True
        self.cite_spans: list[Span] = []
        self.ref_spans: list[Span] = []
        self.add_text(prefix)

    def add_text(self, text: str | None) -> None:
        """Append text; whitespace runs become one space, never two in a row, none at the start."""
        if not text:
            return
        if not (text.isascii() and "\n" not in text and "  " not in text and "\t" not in text
                and "\r" not in text):
            words = text.split()
            lead = " " if text[0].isspace() else ""
            trail = " " if text[-1].isspace() and words else ""
            text = lead + " ".join(words) + trail
        if self.after_space and text[:1] == " ":
            text = text[1:]
        if not text:
            return
        self.parts.append(text)
        self.length += len(text)
        self.after_space = text[-1] == " "

    def add_span(self, spans: list[Span], surface: str, ref_ids: list[str | None]) -> None:
        """Append `surface` as span text, one span per target (same offsets); whitespace
        around it becomes one space outside the span."""
        core = " ".join(surface.split())
        if surface[:1].isspace() and not self.after_space:
            self.parts.append(" ")
            self.length += 1
            self.after_space = True
        start = self.length
        if core:
            self.parts.append(core)
            self.length += len(core)
            self.after_space = False
        for ref_id in ref_ids:
            spans.append(span(start, self.length, core, ref_id))
        if core and surface[-1].isspace():
            self.parts.append(" ")
            self.length += 1
            self.after_space = True

    def paragraph(self, section: str, links: Links) -> Paragraph | None:
        """The finished paragraph, or None when it holds no text."""
        text = "".join(self.parts)
        if text.endswith(" "):
            text = text[:-1]
        if not text:
            return None
        return paragraph(text, section, expand_citation_ranges(text, self.cite_spans, links), self.ref_spans)


def join_section(title: str, parent: str) -> str:
    """Nested headings, child first."""
    if not title:
        return parent
    return f"{title}{SECTION_SEPARATOR}{parent}" if parent else title


def container_title(elem: etree._Element) -> str:
    """A container's heading: <title>, else <caption><title>, else <label>."""
    title = element_text(first_child(elem, "title"), TITLE_NOISE)
    if not title:
        caption = first_child(elem, "caption")
        if caption is not None:
            title = element_text(first_child(caption, "title"), TITLE_NOISE)
    return title or element_text(first_child(elem, "label"), TITLE_NOISE)


def walk_children(container: etree._Element, section: str, ctx: BodyContext, out: list[Paragraph]) -> None:
    """Append the paragraphs of every block child of `container` to `out`."""
    for child in container:
        walk_block(child, section, ctx, out)


def walk_titled(elem: etree._Element, section: str, ctx: BodyContext, out: list[Paragraph],
                default_title: str = "") -> None:
    """Walk a container whose title (or `default_title`) joins the section path."""
    walk_children(elem, join_section(container_title(elem) or default_title, section), ctx, out)


def walk_block(elem: etree._Element, section: str, ctx: BodyContext, out: list[Paragraph]) -> None:
    """Append the paragraphs of one block-level element to `out` (see the module docstring)."""
    tag = elem.tag
    if not isinstance(tag, str) or tag in SKIPPED_BLOCKS:
        return
    if tag == "p":
        _InlineWalk(section, ctx, out).run(elem)
    elif tag in ("fn", "fn-group"):
        ctx.footnotes.append(elem)
    elif tag == "supplementary-material":
        ctx.supplements.append(elem)
    elif tag in TITLED_CONTAINERS:
        walk_titled(elem, section, ctx, out)
    elif tag == "list":
        list_section = join_section(container_title(elem), section)
        for item in elem.iterchildren("list-item"):
            _walk_list_item(item, list_section, ctx, out)
    elif tag == "def-list":
        list_section = join_section(container_title(elem), section)
        for item in elem.iterchildren("def-item"):
            _walk_def_item(item, list_section, ctx, out)
    elif any(child.tag in BLOCK_TAGS for child in elem):
        walk_children(elem, section, ctx, out)
    else:
        _InlineWalk(section, ctx, out).run(elem)


def _walk_list_item(item: etree._Element, section: str, ctx: BodyContext, out: list[Paragraph]) -> None:
    label = element_text(first_child(item, "label"))
    prefix = f"{label} " if label else ""
    if not any(child.tag in BLOCK_TAGS for child in item):
        _InlineWalk(section, ctx, out, prefix).run(item)
        return
    for child in item:
        if child.tag == "p" and prefix:
            _InlineWalk(section, ctx, out, prefix).run(child)
            prefix = ""
        else:
            walk_block(child, section, ctx, out)


def _walk_def_item(item: etree._Element, section: str, ctx: BodyContext, out: list[Paragraph]) -> None:
    walk = _InlineWalk(section, ctx, out)
    for term in item.iterchildren("term"):
        walk.visit(term)
    walk.builder.add_text(": ")
    for definition in item.iterchildren("def"):
        for child in definition:
            walk.visit(child)
            walk.builder.add_text(" ")
    walk.finish()


class _InlineWalk:
    """Turns one paragraph-like element into paragraphs; nested blocks split it."""

    def __init__(self, section: str, ctx: BodyContext, out: list[Paragraph], prefix: str = "") -> None:
        self.section = section
        self.ctx = ctx
        self.out = out
        self.builder = ParagraphBuilder(prefix)

    def run(self, elem: etree._Element) -> None:
        self.visit(elem)
        self.finish()

    def finish(self) -> None:
        finished = self.builder.paragraph(self.section, self.ctx.links)
        if finished is not None:
            self.out.append(finished)
        self.builder = ParagraphBuilder()

    def visit(self, elem: etree._Element) -> None:
        self.builder.add_text(elem.text)
        for child in elem:
            tag = child.tag
            if tag == "xref":
                add_xref(self.builder, child, self.ctx.links)
            elif tag in BLOCKS_INSIDE_P:
                self.finish()
                walk_block(child, self.section, self.ctx, self.out)
            elif tag == "fn":
                self.ctx.footnotes.append(child)
            elif tag == "disp-formula":
                self.builder.add_text(f" {child.text or ''} ")
            elif isinstance(tag, str) and tag not in SILENT_INLINE:
                self.visit(child)
            self.builder.add_text(child.tail)


def add_xref(builder: ParagraphBuilder, xref: etree._Element, links: Links) -> None:
    """Add one <xref> to the paragraph: a span, plain text, or nothing for note markers."""
    ref_type = xref.get("ref-type") or ""
    surface = (xref.text or "") if not len(xref) else raw_text(xref)
    if ref_type == "bibr":
        builder.add_span(builder.cite_spans, surface, _targets(xref, links.bib_ids))
    elif ref_type in ("fig", "table"):
        builder.add_span(builder.ref_spans, surface, _targets(xref, links.float_ids))
    elif ref_type == "supplementary-material":
        builder.add_span(builder.ref_spans, surface, [None])
    elif ref_type in NOTE_MARKER_TYPES and len(surface.strip()) <= 3:
        return
    else:
        builder.add_text(surface)


def _targets(xref: etree._Element, ids: dict[str, str]) -> list[str | None]:
    """The distinct targets of the xref's rids ([None] when it has none)."""
    rids = (xref.get("rid") or "").split()
    if len(rids) == 1:
        return [ids.get(rids[0])]
    return list(dict.fromkeys(ids.get(rid) for rid in rids)) or [None]


def expand_citation_ranges(text: str, spans: list[Span], links: Links) -> list[Span]:
    """Add a cite span for every reference implied by a numeric range.

    "[3]-[5]" (two xrefs around a dash) gains a span for reference 4 covering "[3]-[5]";
    a single xref reading "3-5" gains spans for 4 and 5 at its own offsets. Numbers map to
    references by their labels, else by position in the reference list when the labels
    are missing and reference n is the n-th entry; otherwise nothing is added.
    """
    if not spans:
        return spans
    result: list[Span] = []
    for index, cite in enumerate(spans):
        result.append(cite)
        ref_id = cite["ref_id"]
        if ref_id is None:
            continue
        inside = _RANGE_IN_ONE.match(cite["text"])
        if inside:
            for implied in _range_refs(int(inside.group(1)), ref_id, int(inside.group(2)), links):
                result.append(span(cite["start"], cite["end"], cite["text"], implied))
            continue
        following = spans[index + 1] if index + 1 < len(spans) else None
        if following is None or following["ref_id"] is None:
            continue
        first, last = _NUMBER.match(cite["text"]), _NUMBER.match(following["text"])
        if not first or not last or not _DASH_BETWEEN.match(text[cite["end"]:following["start"]]):
            continue
        implied = _range_refs(int(first.group(1)), ref_id, int(last.group(1)), links)
        if implied and implied[-1] == following["ref_id"]:
            start, end = cite["start"], following["end"]
            for middle in implied[:-1]:
                result.append(span(start, end, text[start:end], middle))
    return _without_repeats(result)


def _without_repeats(spans: list[Span]) -> list[Span]:
    """Drop spans repeating an earlier (start, end, ref_id): an xref listing every rid of
    "[1-3]" would otherwise gain 2 and 3 again from the range expansion."""
    seen: set[tuple] = set()
    unique = []
    for cite in spans:
        key = (cite["start"], cite["end"], cite["ref_id"])
        if key not in seen:
            seen.add(key)
            unique.append(cite)
    return unique


def _range_refs(first_number: int, first_ref: str, last_number: int, links: Links) -> list[str]:
    """BIBREF ids for the numbers after `first_number` up to `last_number` (inclusive)."""
    count = last_number - first_number
    if count <= 0 or count > MAX_RANGE:
        return []
    if links.bib_labels:
        by_label = [links.bib_labels.get(str(n)) for n in range(first_number + 1, last_number + 1)]
        if all(by_label) and links.bib_labels.get(str(first_number)) == first_ref:
            return by_label
        return []
    position = int(first_ref[len("BIBREF"):])
    if position + 1 != first_number or position + count >= links.bib_count:
        return []
    return [f"BIBREF{position + step}" for step in range(1, count + 1)]
