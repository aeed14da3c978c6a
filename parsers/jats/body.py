"""JATS <body> (and the body-like parts of <back>) as CORD-19 paragraphs with exact spans.

How each kind of block is handled:
- sec: its title joins the section path, child first: "Patients ::: Methods".
- p: one paragraph. A block nested inside a <p> (list, table, figure, box, quote,
  supplementary material) splits it: the text before, then the block, then the text after.
- list: each list-item is its own paragraph, prefixed with the item's label ("1.", "(a)").
- def-list: one paragraph per item, "term: definition".
- boxed-text (panels, boxes: the Lancet's "Research in context"), statement, app, ack,
  notes, glossary, and a sec of any sec-type: a titled container; the title joins the
  section path and its paragraphs follow in place, in reading order. A boxed-text
  kept apart in <floats-group> follows the paragraph that first cites it (an xref to
  its id), in that paragraph's section, else it ends the body.
- disp-quote and other containers: their paragraphs in place, in the same section.
- disp-formula at block level: a paragraph holding the formula text; inside a <p> the
  formula text stays in the sentence (see parsers.jats.math).
- fig, table-wrap and their groups: not running text; caption, notes and cells go to
  ref_entries (parsers.jats.back).
- fn, fn-group: footnotes never enter running text; they are collected for back_matter.
- supplementary-material: collected for back_matter (never in the body).
Cross references (spans are pmc_json's `{start, end, mention, ref_id}`):
- xref bibr: a cite span to BIBREF<n>. The rule: one span per citation marker as
  printed, and the spans of a paragraph never overlap. Each xref is one marker, linked
  to its (first) target; an xref whose text is several numbers ("1,2", "3–5", "1-3,7")
  gives one span per printed number, each linked to the entry that number labels (by
  the xref's own targets when it lists one per number, else by the reference labels,
  else by position in the reference list), or one span over the whole text when a
  number cannot be linked. A range therefore gives spans for its two printed ends only
  ("[3–5]" -> "3" and "5", whether written as one xref or two): the entries between
  them have no marker of their own and no span. This is doc2json's behaviour (and so
  CORD-19's) for ranges written as two xrefs, now also for one.
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
from schemas.records import MentionSpan, Paragraph, mention_span, paragraph

_NUMBER = re.compile(r"\d{1,4}")
_NUMBER_LIST = re.compile(r"^[\[(]?\d{1,4}(?:\s*[-\u2010-\u2015\u2212,;]\s*\d{1,4})+[\])]?$")

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
TITLED_CONTAINERS = frozenset({"sec", "boxed-text", "sidebar", "statement", "app", "app-group", "ack", "notes",
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
    floating_boxes: dict[str, etree._Element] = field(default_factory=dict)  # <floats-group> boxes by id
    cited_boxes: list[etree._Element] = field(default_factory=list)  # cited in the paragraph being built


class ParagraphBuilder:
    """Accumulates paragraph text with collapsed whitespace and exact span offsets."""

    def __init__(self, prefix: str = "") -> None:
        self.parts: list[str] = []
        self.length = 0
        self.after_space = True
        self.cite_spans: list[MentionSpan] = []
        self.ref_spans: list[MentionSpan] = []
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

    def add_span(self, spans: list[MentionSpan], surface: str, ref_id: str | None) -> None:
        """Append `surface` as one span's text; whitespace around it becomes one space outside it."""
        self.add_spans(spans, surface, lambda core, start: [mention_span(start, start + len(core), core, ref_id)])

    def add_spans(self, spans: list[MentionSpan], surface: str, make) -> None:
        """Append `surface` as span text; `make(core, start)` gives the spans inside it."""
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
        spans.extend(make(core, start))
        if core and surface[-1].isspace():
            self.parts.append(" ")
            self.length += 1
            self.after_space = True

    def paragraph(self, section: str) -> Paragraph | None:
        """The finished paragraph, or None when it holds no text."""
        text = "".join(self.parts)
        if text.endswith(" "):
            text = text[:-1]
        if not text:
            return None
        return paragraph(text, section, self.cite_spans, self.ref_spans)


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
        finished = self.builder.paragraph(self.section)
        if finished is not None:
            self.out.append(finished)
        self.builder = ParagraphBuilder()
        while self.ctx.cited_boxes:
            walk_block(self.ctx.cited_boxes.pop(0), self.section, self.ctx, self.out)

    def visit(self, elem: etree._Element) -> None:
        self.builder.add_text(elem.text)
        for child in elem:
            tag = child.tag
            if tag == "xref":
                add_xref(self.builder, child, self.ctx.links)
                self._note_cited_box(child)
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


    def _note_cited_box(self, xref: etree._Element) -> None:
        for rid in (xref.get("rid") or "").split():
            box = self.ctx.floating_boxes.pop(rid, None)
            if box is not None:
                self.ctx.cited_boxes.append(box)


def add_xref(builder: ParagraphBuilder, xref: etree._Element, links: Links) -> None:
    """Add one <xref> to the paragraph: a span, plain text, or nothing for note markers."""
    ref_type = xref.get("ref-type") or ""
    surface = (xref.text or "") if not len(xref) else raw_text(xref)
    if ref_type == "bibr":
        targets = _targets(xref, links.bib_ids)
        builder.add_spans(builder.cite_spans, surface, lambda core, start: citation_spans(core, start, targets, links))
    elif ref_type in ("fig", "table"):
        builder.add_span(builder.ref_spans, surface, _targets(xref, links.float_ids)[0])
    elif ref_type == "supplementary-material":
        builder.add_span(builder.ref_spans, surface, None)
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


def citation_spans(marker: str, start: int, targets: list[str | None], links: Links) -> list[MentionSpan]:
    """The spans of one citation xref whose text `marker` starts at `start` (see the
    module docstring): one per printed number when it is a list or range of numbers
    that all link, else one over the whole marker, linked to the first target."""
    numbers = list(_NUMBER.finditer(marker)) if _NUMBER_LIST.match(marker) else []
    ref_ids = _number_targets([int(n.group(0)) for n in numbers], targets, links) if numbers else None
    if ref_ids is None:
        return [mention_span(start, start + len(marker), marker, targets[0])] if marker else []
    return [mention_span(start + n.start(), start + n.end(), n.group(0), ref_id) for n, ref_id in zip(numbers, ref_ids)]


def _number_targets(numbers: list[int], targets: list[str | None], links: Links) -> list[str] | None:
    """The BIBREF id of each printed number, or None when one of them cannot be linked.

    By the xref's own targets when it lists one per number ("1,2" -> B1 B2) or one per
    entry of a range ("1–3" -> B1 B2 B3: the ends take the first and last); else by the
    reference labels, when the first number's label is the xref's target; else by
    position in the reference list, when the first target is entry n for number n.
    """
    first = targets[0]
    known = [target for target in targets if target is not None]
    if len(known) == len(targets) == len(numbers):
        return known
    if len(known) == len(targets) and len(numbers) == 2 and len(targets) == numbers[1] - numbers[0] + 1:
        return [known[0], known[-1]]
    if first is None:
        return None
    if links.bib_labels:
        by_label = [links.bib_labels.get(str(number)) for number in numbers]
        labelled = [label for label in by_label if label]
        return labelled if by_label[0] == first and len(labelled) == len(by_label) else None
    if int(first[len("BIBREF"):]) + 1 != numbers[0] or max(numbers) > links.bib_count:
        return None
    return [f"BIBREF{number - 1}" for number in numbers]
