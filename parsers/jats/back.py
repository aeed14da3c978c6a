"""JATS <back> and floats: bibliography, figures and tables, and back matter paragraphs."""
import html
import re

from lxml import etree

from parsers.jats.body import BodyContext, container_title, walk_block, walk_children, walk_titled
from parsers.jats.text import block_text, clean_text, element_text, first_child, raw_text
from parsers.normalize import make_author, split_author_name
from schemas.identifiers import normalize_doi
from schemas.records import (
    BibEntry,
    Paragraph,
    PersonName,
    RefEntry,
    bib_entry,
    paragraph,
    pmc_ref_entry,
)

CITATION_TAGS = frozenset({"element-citation", "mixed-citation", "nlm-citation", "citation"})
TITLE_TAGS = ("article-title", "chapter-title", "data-title", "part-title")
PERSON_TAGS = frozenset({"name", "string-name", "collab"})
BIB_FIELDS = frozenset({*TITLE_TAGS, "source", "publisher-name", "year", "date", "volume", "issue",
                        "fpage", "lpage", "page-range", "elocation-id"})
BOOK_LIKE_TYPES = {"book", "thesis", "report", "web", "webpage", "website", "software", "data", "database"}
OTHER_ID_NAMES = {"doi": "DOI", "pmid": "PMID", "pmcid": "PMCID", "pmc": "PMCID", "arxiv": "arXiv"}
BACK_DEFAULT_TITLES = {
    "ack": "Acknowledgements",
    "notes": "Notes",
    "glossary": "Glossary",
    "app": "Appendix",
    "bio": "Biography",
}
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2[0-2]\d\d)(?!\d)")
_LABEL_NOISE = " \t\n[]().:"


def read_bibliography(article: etree._Element) -> tuple[dict[str, BibEntry], dict[str, str], dict[str, str]]:
    """bib_entries (BIBREF<n> in document order), XML id -> BIBREF id, label -> BIBREF id."""
    entries: dict[str, BibEntry] = {}
    ids: dict[str, str] = {}
    labels: dict[str, str] = {}
    for position, ref in enumerate(article.iter("ref")):
        ref_id = f"BIBREF{position}"
        entries[ref_id] = read_bib_entry(ref)
        xml_id = ref.get("id")
        if xml_id:
            ids[xml_id] = ref_id
        label_elem = first_child(ref, "label")
        if label_elem is not None:
            label = element_text(label_elem).strip(_LABEL_NOISE)
            if label and label not in labels:
                labels[label] = ref_id
    return entries, ids, labels


def read_bib_entry(ref: etree._Element) -> BibEntry:
    """One <ref> as a CORD-19 bib entry (element-, mixed-, nlm- or old NLM citation).

    Reads the citation's children in one pass and the text of a field only when it is
    used (find() per field, or reading every field, would cost more than parsing the XML).
    """
    citation = _first_citation(ref)
    if citation is None:
        return bib_entry(None, title=element_text(ref, frozenset({"label"})), other_ids={"DOI": []})
    fields: dict[str, etree._Element] = {}
    people: list[etree._Element] = []
    pub_ids: list[etree._Element] = []
    for child in citation:
        tag = child.tag
        if tag in BIB_FIELDS:
            if tag not in fields:
                fields[tag] = child
        elif tag == "person-group":
            if (child.get("person-group-type") or "author").lower() == "author":
                people.extend(child)
        elif tag in PERSON_TAGS:
            people.append(child)
        elif tag == "pub-id":
            pub_ids.append(child)
    kind = (citation.get("publication-type") or citation.get("citation-type") or "").lower()
    title = ""
    for tag in TITLE_TAGS:
        if tag in fields:
            title = element_text(fields[tag])
            if title:
                break
    venue = _field_text(fields, "source")
    if not title and kind in BOOK_LIKE_TYPES:
        title, venue = venue, _field_text(fields, "publisher-name")
    if not title and not venue and not people:
        title = element_text(citation, frozenset({"label", "pub-id", "ext-link", "object-id"}))
    year_match = _YEAR.search(_field_text(fields, "year") or _field_text(fields, "date"))
    return bib_entry(
        None,
        title=title,
        authors=_people_authors(people) if people else [],
        year=int(year_match.group(1)) if year_match else None,
        venue=venue,
        volume=_field_text(fields, "volume"),
        issn=_field_text(fields, "issue"),
        pages=_pages(fields),
        other_ids=_other_ids(pub_ids) if pub_ids else {"DOI": []},
    )


def _field_text(fields: dict[str, etree._Element], tag: str) -> str:
    elem = fields.get(tag)
    return element_text(elem) if elem is not None else ""


def _first_citation(ref: etree._Element) -> etree._Element | None:
    for child in ref:
        if child.tag in CITATION_TAGS:
            return child
        if child.tag == "citation-alternatives":
            return _first_citation(child)
    return None


def _people_authors(people: list[etree._Element]) -> list[PersonName]:
    """Authors from <name>, <string-name> and <collab>. make_author splits given names and
    collapses whitespace itself, so given names and surnames are passed as read."""
    authors = []
    for person in people:
        tag = person.tag
        if tag == "name" or tag == "string-name":
            given = last = None
            suffix = ""
            for part in person:
                part_tag = part.tag
                if part_tag == "surname":
                    last = (part.text or "") if not len(part) else raw_text(part)
                elif part_tag == "given-names":
                    given = (part.text or "") if not len(part) else raw_text(part)
                elif part_tag == "suffix":
                    suffix = element_text(part)
            if last is not None:
                authors.append(make_author(given or "", last, suffix))
            elif tag == "string-name":
                authors.append(split_author_name(element_text(person)))
        elif tag == "collab":
            text = element_text(person)
            if text:
                authors.append(make_author("", text))
    return authors


def _pages(fields: dict[str, etree._Element]) -> str:
    first = _field_text(fields, "fpage")
    if first:
        last = _field_text(fields, "lpage")
        return f"{first}-{last}" if last and last != first else first
    return _field_text(fields, "page-range") or _field_text(fields, "elocation-id")


def _other_ids(pub_ids: list[etree._Element]) -> dict[str, list[str]]:
    """{"DOI": [...]} as in CORD-19's pmc_json (the list may be empty), plus PMID, PMCID and
    arXiv lists when the citation has them (ours: extra keys the contract allows)."""
    found: dict[str, list[str]] = {"DOI": []}
    for pub_id in pub_ids:
        name = OTHER_ID_NAMES.get((pub_id.get("pub-id-type") or "").lower())
        if name is None:
            continue
        value = clean_text(pub_id.text)
        if name == "DOI":
            value = normalize_doi(value) or value
        if value and value not in found.get(name, []):
            found.setdefault(name, []).append(value)
    return dict(sorted(found.items()))


def read_floats(article: etree._Element) -> tuple[dict[str, RefEntry], dict[str, str]]:
    """ref_entries for every <fig> (FIGREF<n>) and <table-wrap> (TABREF<n>), XML id -> ref id.

    The entry text is CORD-19's: "<label>: <caption>" for a figure and "<label>: <caption>\n<table
    footnotes>" for a table (the caption's title and paragraphs; without a label, the caption
    alone); paragraphs inside figures and tables live here, not in the body. A group id
    (fig-group, table-wrap-group) points at the group's first member.
    """
    entries: dict[str, RefEntry] = {}
    ids: dict[str, str] = {}
    counts = {"fig": 0, "table-wrap": 0}
    for elem in article.iter("fig", "table-wrap"):
        is_figure = elem.tag == "fig"
        ref_id = f"{'FIGREF' if is_figure else 'TABREF'}{counts[elem.tag]}"
        counts[elem.tag] += 1
        label = element_text(first_child(elem, "label"))
        caption = block_text(first_child(elem, "caption"))
        text = f"{label}: {caption}" if label else caption
        if is_figure:
            entries[ref_id] = pmc_ref_entry(text, "figure")
        else:
            footnotes = block_text(first_child(elem, "table-wrap-foot"))
            entries[ref_id] = pmc_ref_entry(f"{text}\n{footnotes}", "table", table_html(elem))
        if elem.get("id"):
            ids.setdefault(elem.get("id"), ref_id)
        parent = elem.getparent()
        if parent is not None and parent.tag in ("fig-group", "table-wrap-group") and parent.get("id"):
            ids.setdefault(parent.get("id"), ref_id)
    return entries, ids


def table_html(table_wrap: etree._Element) -> str | None:
    """The table's cells as a plain HTML table (spans kept), or None when there are no cells."""
    parts: list[str] = []
    cells = 0
    for table in table_wrap.iter("table"):
        parts.append("<table>")
        for child in table:
            if child.tag in ("thead", "tbody", "tfoot"):
                parts.append(f"<{child.tag}>")
                for row in child.iter("tr"):
                    cells += _row_html(row, parts)
                parts.append(f"</{child.tag}>")
            elif child.tag == "tr":
                cells += _row_html(child, parts)
        parts.append("</table>")
    return "".join(parts) if cells else None


def _row_html(row: etree._Element, parts: list[str]) -> int:
    parts.append("<tr>")
    count = 0
    for cell in row:
        tag = cell.tag
        if tag != "td" and tag != "th":
            continue
        text = " ".join((raw_text(cell) if len(cell) else cell.text or "").split())
        if "&" in text or "<" in text or ">" in text:
            text = html.escape(text, quote=False)
        colspan, rowspan = cell.get("colspan"), cell.get("rowspan")
        spans = ""
        if colspan and colspan != "1" and colspan.isdigit():
            spans = f' colspan="{colspan}"'
        if rowspan and rowspan != "1" and rowspan.isdigit():
            spans += f' rowspan="{rowspan}"'
        parts.append(f"<{tag}{spans}>{text}</{tag}>")
        count += 1
    parts.append("</tr>")
    return count


def read_back_matter(article: etree._Element, funding: list[Paragraph], ctx: BodyContext) -> list[Paragraph]:
    """Back matter paragraphs, in this order: <back> sections (acknowledgements, notes,
    appendices, glossary, other sections), funding, footnotes, supplementary material,
    then sub-articles (e.g. decision letters), each under its own title."""
    out: list[Paragraph] = []
    back = article.find("back")
    if back is not None:
        for child in back:
            if child.tag in BACK_DEFAULT_TITLES:
                walk_titled(child, "", ctx, out, _default_title(child))
            else:
                walk_block(child, "", ctx, out)
    out.extend(funding)
    _drain_footnotes_and_supplements(ctx, out)
    for sub_article in article.findall("sub-article"):
        title = element_text(sub_article.find("front-stub/title-group/article-title")) or element_text(
            sub_article.find("front/article-meta/title-group/article-title")) or (
            sub_article.get("article-type") or "Sub-article")
        for part in (sub_article.find("body"), sub_article.find("back")):
            if part is not None:
                walk_children(part, title, ctx, out)
        _drain_footnotes_and_supplements(ctx, out)
    return out


def _default_title(container: etree._Element) -> str:
    """The generic heading ("Acknowledgements") for an untitled container, unless all its
    content sits in titled sections, whose own titles say it better."""
    if all(child.tag in ("sec", "label") for child in container):
        return ""
    return BACK_DEFAULT_TITLES[container.tag]


def _drain_footnotes_and_supplements(ctx: BodyContext, out: list[Paragraph]) -> None:
    while ctx.footnotes:
        note = ctx.footnotes.pop(0)
        if note.tag == "fn-group":
            section = container_title(note) or "Footnotes"
            for footnote in note.findall("fn"):
                walk_children(footnote, section, ctx, out)
        else:
            walk_children(note, "Footnotes", ctx, out)
    for supplement in ctx.supplements:
        text = block_text(supplement, frozenset({"object-id"}))
        if text:
            out.append(paragraph(text, "Supplementary material"))
    ctx.supplements.clear()


def funding_paragraphs(meta: etree._Element | None) -> list[Paragraph]:
    """Paragraphs for <funding-group>: its statement, else its sources and award ids."""
    if meta is None:
        return []
    out: list[Paragraph] = []
    for group in meta.findall("funding-group"):
        statements = [element_text(s) for s in group.iter("funding-statement")]
        texts = [s for s in statements if s]
        if not texts:
            awards = []
            for award in group.iter("award-group"):
                sources = ", ".join(element_text(s) for s in award.iter("funding-source") if element_text(s))
                numbers = ", ".join(element_text(a) for a in award.iter("award-id") if element_text(a))
                awards.append(f"{sources} ({numbers})" if sources and numbers else sources or numbers)
            texts = ["; ".join(a for a in awards if a)] if any(awards) else []
        out.extend(paragraph(t, "Funding") for t in texts)
    return out
