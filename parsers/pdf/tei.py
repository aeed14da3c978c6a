"""GROBID TEI XML to the CORD-19 pdf_json layout.

Pure function of the TEI bytes: `tei_to_pdf_json(tei, paper_id)`. Handles GROBID 0.4
to 0.8 output, header-only TEI (processHeaderDocument) and references-only TEI
(processReferences). The paragraphs' `<ref>` markers become cite and ref spans in
parsers.pdf.tei_citations.
"""
import collections
import html
import re

from lxml import etree

from parsers.errors import ParseError
from parsers.pdf.tei_citations import YEAR, Block, Linker, Marker, label_number, trim
from parsers.xmlsafe import parse_xml_bytes
from schemas.records import (
    Affiliation,
    Author,
    BibEntry,
    Paper,
    PersonName,
    RefEntry,
    affiliation,
    author,
    bib_entry,
    grobid_bib_id,
    paper,
    person_name,
    ref_entry,
    table_entry,
)

PARSER_VERSION = "tei-2"

TEI_NS = "http://www.tei-c.org/ns/1.0"
T = "{" + TEI_NS + "}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"

_SPACES = re.compile(r"\s+")
# GROBID writes the parts of one citation group as adjacent <ref>s and drops the space the
# page has after their separator ("<ref>(14,</ref><ref>28)</ref>"); the text keeps it.
_GROUP_SEPARATORS = (",", ";")

_REF, _P, _FIGURE, _SENTENCE = T + "ref", T + "p", T + "figure", T + "s"
_FLOATS = {_FIGURE, T + "table", T + "note"}  # never part of a paragraph's text
_MARKER_KINDS = ("bibr", "figure", "table")

# Back-matter div types that hold no text of their own.
_SKIPPED_BACK_TYPES = {"references"}


class NotTeiError(ParseError):
    """Well-formed XML whose root is not a TEI element."""

    reason = "not_tei"


def tei_to_pdf_json(tei: bytes, paper_id: str) -> Paper:
    """Convert one GROBID TEI document into a pdf_json dict with the given paper_id."""
    root = parse_xml_bytes(tei)
    if root.tag != T + "TEI":
        raise NotTeiError(f"root element is {root.tag!r}, not a TEI document")
    bib_entries, bib_keys = _bib_entries(root)
    ref_entries, ref_keys, ref_labels = _ref_entries(root)
    linker = Linker(bib_entries, bib_keys, ref_keys, ref_labels)

    header = root.find(T + "teiHeader")
    abstract_blocks = _abstract_blocks(header)
    body_blocks = _body_blocks(root.find(f"{T}text/{T}body"))
    supplementary = [b for b in body_blocks if _is_supplementary(b)]
    body_blocks = [b for b in body_blocks if not _is_supplementary(b)]
    back_blocks = supplementary + _back_blocks(root.find(f"{T}text/{T}back"))
    linker.learn_numbering(abstract_blocks + body_blocks + back_blocks)

    return paper(
        paper_id,
        _title(header),
        _header_authors(header),
        abstract=[linker.paragraph(b) for b in abstract_blocks],
        body_text=[linker.paragraph(b) for b in body_blocks],
        bib_entries=bib_entries,
        ref_entries=ref_entries,
        back_matter=[linker.paragraph(b) for b in back_blocks],
    )


# ---------------------------------------------------------------- text helpers


def _norm(text: str | None) -> str:
    """Collapse whitespace runs to one space and strip the ends."""
    return " ".join(text.split()) if text else ""


def _text(el: etree._Element | None) -> str:
    """The normalised text inside `el` ("" for None)."""
    if el is None:
        return ""
    if len(el) == 0:
        return _norm(el.text)
    return _norm("".join(el.itertext()))


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _TextBuilder:
    """Accumulates paragraph text with collapsed whitespace, recording markers."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.ends_with_space = True  # no leading space
        self.markers: list[Marker] = []
        self.after_open_ref = False  # the last text added was a marker ending with "," or ";"

    def add(self, text: str | None) -> None:
        if not text:
            return
        text = _SPACES.sub(" ", text)
        if self.ends_with_space and text.startswith(" "):
            text = text[1:]
        if not text:
            return
        self.parts.append(text)
        self.length += len(text)
        self.ends_with_space = text.endswith(" ")
        self.after_open_ref = False

    def add_element(self, el: etree._Element) -> None:
        """Add the text inside `el` (not its tail), recording `<ref>` markers."""
        if el.tag == _REF and el.get("type") in _MARKER_KINDS:
            if self.after_open_ref:
                self.add(" ")
            start = self.length
            surface = "".join(el.itertext())
            self.add(surface)
            targets = [t.lstrip("#") for t in (el.get("target") or "").split() if t.startswith("#")]
            self.markers.append(Marker(el.get("type"), start, self.length, targets))
            self.after_open_ref = surface.rstrip().endswith(_GROUP_SEPARATORS)
            return
        if el.tag in _FLOATS and el.getparent() is not None and el.getparent().tag == _P:
            return  # floats and footnotes GROBID left inside a paragraph
        self.add(el.text)
        for child in el:
            if child.tag == _SENTENCE and not self.ends_with_space:
                self.add(" ")  # GROBID writes segmented sentences back to back
            self.add_element(child)
            self.add(child.tail)

    def block(self, section: str) -> Block:
        text = "".join(self.parts).rstrip()
        return Block(text, section, self.markers)


def _block_of(el: etree._Element, section: str) -> Block:
    """The paragraph in `el`, its markers trimmed to their surface text (`[3,` -> `3`)."""
    block = _flat_block(el, section)  # fast path for the usual flat <p>text<ref/>text</p>
    if block is None:
        builder = _TextBuilder()
        builder.add_element(el)
        block = builder.block(section)
    trimmed = []
    for marker in block.markers:
        marker.start, marker.end = trim(block.text, marker.start, marker.end)
        if marker.start < marker.end:
            trimmed.append(marker)
    block.markers = trimmed
    return block


def _flat_block(el: etree._Element, section: str) -> Block | None:
    """The block of an element whose children are all leaves with regular spacing, else None."""
    parts = [el.text or ""]
    position = len(parts[0])
    markers = []
    after_open_ref = False
    for child in el:
        if len(child) or child.tag in _FLOATS:
            return None
        text = child.text or ""
        is_marker = child.tag == _REF and child.get("type") in _MARKER_KINDS
        if is_marker and after_open_ref and text[:1] != " ":
            parts.append(" ")
            position += 1
        if is_marker:
            targets = [t[1:] for t in (child.get("target") or "").split() if t.startswith("#")]
            markers.append(Marker(child.get("type"), position, position + len(text), targets))
        tail = child.tail or ""
        parts.append(text)
        parts.append(tail)
        position += len(text) + len(tail)
        after_open_ref = is_marker and not tail and text.endswith(_GROUP_SEPARATORS)
    text = "".join(parts)
    # Only single inner spaces (isprintable() is False for any other whitespace).
    if not text.isprintable() or "  " in text or text[:1] == " " or text[-1:] == " ":
        return None
    return Block(text, section, markers)


def _div_blocks(div: etree._Element, section: str) -> list[Block]:
    """Paragraphs and formulas of a div (and nested divs), with the flat section."""
    head = div.find(T + "head")
    if head is not None and _text(head):
        section = _text(head)
    blocks = []
    for child in div:
        name = _local(child)
        if name in ("p", "formula"):
            block = _block_of(child, section)
            if block.text:
                blocks.append(block)
        elif name == "div":
            blocks.extend(_div_blocks(child, section))
    return blocks


# ---------------------------------------------------------------- document parts


def _abstract_blocks(header: etree._Element | None) -> list[Block]:
    if header is None:
        return []
    blocks = []
    for abstract in header.iterfind(f"{T}profileDesc/{T}abstract"):
        blocks.extend(_div_blocks(abstract, "Abstract"))
    return blocks


def _body_blocks(body: etree._Element | None) -> list[Block]:
    if body is None:
        return []
    blocks: list[Block] = []
    section = ""
    for child in body:
        name = _local(child)
        if name == "div":
            head = child.find(T + "head")
            if head is not None and _text(head):
                section = _text(head)
            blocks.extend(_div_blocks(child, section))
        elif name in ("p", "formula"):
            block = _block_of(child, section)
            if block.text:
                blocks.append(block)
    return blocks


_SUPPLEMENTARY = re.compile(
    r"^(appendix\s+[a-z0-9]{1,3}\.?\s*)?(supplementary|supporting)\s+(materials?|data|information|files?)\b",
    re.IGNORECASE,
)


def _is_supplementary(block: Block) -> bool:
    """A "Supplementary material" section or blurb: back matter, not body text."""
    return bool(_SUPPLEMENTARY.match(block.section) or _SUPPLEMENTARY.match(block.text))


def _back_blocks(back: etree._Element | None) -> list[Block]:
    """Acknowledgements, annexes, funding and other back divs, then footnotes."""
    if back is None:
        return []
    blocks = []
    for div in back.iterfind(T + "div"):
        div_type = div.get("type") or ""
        if div_type in _SKIPPED_BACK_TYPES:
            continue
        blocks.extend(_div_blocks(div, div_type.replace("_", " ").capitalize()))
    body_and_back = [back.getparent().find(T + "body"), back]
    for part in body_and_back:
        if part is None:
            continue
        for note in part.iterfind(T + "note"):
            if note.get("place") == "foot":
                block = _block_of(note, "Footnote")
                if block.text:
                    blocks.append(block)
    return blocks


def _title(header: etree._Element | None) -> str:
    if header is None:
        return ""
    titles = header.findall(f"{T}fileDesc/{T}titleStmt/{T}title")
    main = [t for t in titles if t.get("type") == "main"] or titles
    if main and _text(main[0]):
        return _text(main[0])
    return _text(header.find(f"{T}fileDesc/{T}sourceDesc/{T}biblStruct/{T}analytic/{T}title"))


_FORENAME, _SURNAME_TAG, _GEN_NAME = T + "forename", T + "surname", T + "genName"


def _person(pers: etree._Element | None) -> PersonName:
    """first / middle / last / suffix of a persName (empty strings when absent)."""
    if pers is None:
        return person_name("", [], "", "")
    firsts: list[str] = []
    middles: list[str] = []
    surnames: list[str] = []
    suffixes: list[str] = []
    for child in pers:
        tag = child.tag
        if tag == _FORENAME:
            (middles if child.get("type") == "middle" else firsts).append(_text(child))
        elif tag == _SURNAME_TAG:
            surnames.append(_text(child))
        elif tag == _GEN_NAME:
            suffixes.append(_text(child))
    # Several "first" forenames (e.g. "Jean Pierre"): the first is first, the rest middle.
    return person_name(firsts[0] if firsts else "", [m for m in firsts[1:] + middles if m], " ".join(surnames),
                       " ".join(suffixes))


def _affiliation(author_el: etree._Element) -> Affiliation | dict:
    aff = author_el.find(T + "affiliation")
    if aff is None:
        return {}
    orgs = collections.defaultdict(list)
    for org in aff.iterfind(T + "orgName"):
        orgs[org.get("type") or "full"].append(_text(org))
    institution = orgs["institution"] or orgs["department"] or orgs["full"]
    location = {}
    address = aff.find(T + "address")
    if address is not None:
        for key in ("postCode", "settlement", "region", "country"):
            value = _text(address.find(T + key))
            if value:
                location[key] = value
    return affiliation(", ".join(orgs["laboratory"]), ", ".join(institution), location)


def _header_authors(header: etree._Element | None) -> list[Author]:
    if header is None:
        return []
    authors = []
    for author_el in header.iterfind(f"{T}fileDesc/{T}sourceDesc/{T}biblStruct/{T}analytic/{T}author"):
        pers = author_el.find(T + "persName")
        if pers is None:
            continue
        person = _person(pers)
        if not (person["first"] or person["last"]):
            continue
        authors.append(author(person, _affiliation(author_el), _text(author_el.find(T + "email"))))
    return authors


# ---------------------------------------------------------------- bibliography


def _bib_entries(root: etree._Element) -> tuple[dict[str, BibEntry], dict[str, str]]:
    """`bib_entries` keyed BIBREF<n> in document order, and xml:id -> BIBREF key."""
    entries: dict[str, BibEntry] = {}
    keys: dict[str, str] = {}
    text = root.find(T + "text")
    if text is None:
        return entries, keys
    for n, bibl in enumerate(text.iterfind(f".//{T}listBibl/{T}biblStruct")):
        key = f"BIBREF{n}"
        xml_id = bibl.get(XML_ID)
        entries[key] = _bib_entry(bibl, xml_id or grobid_bib_id(n))
        if xml_id:
            keys[xml_id] = key
    return entries, keys


_TITLE, _PERS_NAME, _BIBL_SCOPE, _DATE, _IDNO = (T + n for n in ("title", "persName", "biblScope", "date", "idno"))
_AUTHOR, _ANALYTIC, _MONOGR = T + "author", T + "analytic", T + "monogr"
_ID_NAMES = {"doi": "DOI", "pmid": "PMID", "pmcid": "PMCID", "arxiv": "arXiv"}
_PAGE_UNITS = ("page", "pp")


def _bib_entry(bibl: etree._Element, grobid_id: str) -> BibEntry:
    """One bib entry (its `ref_id` GROBID's xml:id), from a single pass over the elements
    of a biblStruct. Page ranges are written "from--to", as in CORD-19's pdf_json."""
    titles: dict[tuple[str, str | None, str | None], str] = {}
    authors: dict[str, list[PersonName]] = {_ANALYTIC: [], _MONOGR: []}
    scopes: dict[str, str] = {}
    year = None
    other_ids: dict[str, list[str]] = {}
    for el in bibl.iter(_TITLE, _PERS_NAME, _BIBL_SCOPE, _DATE, _IDNO):
        tag = el.tag
        if tag == _TITLE:
            value = _text(el)
            slot = (el.getparent().tag, el.get("level"), el.get("type"))
            if value and slot not in titles:
                titles[slot] = value
        elif tag == _PERS_NAME:
            parent = el.getparent()
            if parent.tag == _AUTHOR:
                part = parent.getparent().tag
                person = _person(el)
                if part in authors and (person["first"] or person["last"]):
                    authors[part].append(person)
        elif tag == _BIBL_SCOPE:
            unit = el.get("unit") or ""
            if unit not in scopes:
                start, end = el.get("from"), el.get("to")
                if unit in _PAGE_UNITS and start and end:
                    scopes[unit] = f"{start}--{end}"
                else:
                    scopes[unit] = _text(el) or start or ""
        elif tag == _DATE:
            if year is None:
                match = YEAR.search(el.get("when") or "") or YEAR.search(_text(el))
                year = int(match.group(1)) if match else None
        else:
            name = _ID_NAMES.get((el.get("type") or "").lower())
            value = _text(el)
            if name and value and value not in other_ids.get(name, []):
                other_ids.setdefault(name, []).append(value)
    analytic_title = _pick_title(titles, _ANALYTIC, None)
    monogr_title = _pick_title(titles, _MONOGR, None)
    journal = _pick_title(titles, _MONOGR, "j")
    if analytic_title:
        title, venue = analytic_title, journal or monogr_title
    else:
        title, venue = monogr_title, journal if journal != monogr_title else ""
    return bib_entry(
        grobid_id,
        title=title,
        authors=authors[_ANALYTIC] or authors[_MONOGR],
        year=year,
        venue=venue,
        volume=scopes.get("volume") or scopes.get("vol") or "",
        issn=scopes.get("issue", ""),
        pages=scopes.get("page") or scopes.get("pp") or "",
        other_ids=other_ids,
    )


def _pick_title(titles: dict, part: str, level: str | None) -> str:
    """The main title of `part` (at `level` when given), else its first title."""
    found = [(slot, value) for slot, value in titles.items() if slot[0] == part and level in (None, slot[1])]
    for slot, value in found:
        if slot[2] == "main":
            return value
    return found[0][1] if found else ""


# ---------------------------------------------------------------- figures and tables


def _table_html(table: etree._Element) -> str:
    rows = []
    for row in table.iterfind(T + "row"):
        cells = []
        for cell in row.iterfind(T + "cell"):
            attrs = ""
            if (cell.get("cols") or "1") != "1":
                attrs += f' colspan="{html.escape(cell.get("cols"))}"'
            if (cell.get("rows") or "1") != "1":
                attrs += f' rowspan="{html.escape(cell.get("rows"))}"'
            tag = "th" if cell.get("role") == "head" else "td"
            cells.append(f"<{tag}{attrs}>{html.escape(_text(cell))}</{tag}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _ref_entries(root: etree._Element) -> tuple[dict[str, RefEntry], dict[str, str], dict[tuple[str, str], str]]:
    """FIGREF/TABREF entries, xml:id -> key, and (kind, label) -> key."""
    entries: dict[str, RefEntry] = {}
    keys: dict[str, str] = {}
    labels: dict[tuple[str, str], str] = {}
    counts = {"figure": 0, "table": 0}
    text = root.find(T + "text")
    if text is None:
        return entries, keys, labels
    for figure in text.iter(T + "figure"):
        if figure.getparent() is not None and figure.getparent().tag == _FIGURE:
            continue
        table = figure.find(T + "table")
        kind = "table" if figure.get("type") == "table" else "figure"
        key = f"{'TABREF' if kind == 'table' else 'FIGREF'}{counts[kind]}"
        counts[kind] += 1
        caption = _text(figure.find(T + "figDesc")) or _text(figure.find(T + "head"))
        if kind == "table":
            cells = _table_html(table) if table is not None and table.find(T + "row") is not None else None
            entries[key] = table_entry(caption, cells)
        else:
            entries[key] = ref_entry(caption, kind)
        if figure.get(XML_ID):
            keys[figure.get(XML_ID)] = key
        label = label_number(_text(figure.find(T + "label")) or _text(figure.find(T + "head")))
        if label:
            labels.setdefault((kind, label.lower()), key)
    return entries, keys, labels
