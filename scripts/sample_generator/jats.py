"""PMC-style JATS: the full-text documents and the PMC efetch feed (a pmc-articleset)."""
from lxml import etree

from .data import FULL_TEXTS, NOTICE_TEXTS, PAPER, REFERENCES, FullText, Paper, Reference, Section, TableSpec
from .markup import MARKER, append_text, cite_label, cite_numbers, sub, xml_bytes

XLINK = "http://www.w3.org/1999/xlink"
MML = "http://www.w3.org/1998/Math/MathML"
JATS_DOCTYPE = (
    '<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.2 20190208//EN" '
    '"JATS-archivearticle1.dtd">'
)
PMC_ARTICLESET_DOCTYPE = (
    '<!DOCTYPE pmc-articleset PUBLIC "-//NLM//DTD ARTICLE SET 2.0//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pmc/articleset/nlm-articleset-2.0.dtd">'
)
LICENSE_URLS = {
    "cc-by": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-nc": "https://creativecommons.org/licenses/by-nc/4.0/",
    "cc-by-nd": "https://creativecommons.org/licenses/by-nd/4.0/",
    "cc-by-sa": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-by-nc-nd": "https://creativecommons.org/licenses/by-nc-nd/4.0/",
}
HEADINGS = {"correction": "Correction", "announcement": "Announcement"}  # article type -> subject heading
LICENSE_TEXT = ("This is an open access article distributed under the terms of the Creative Commons licence "
                "named in the link above.")


def jats_citation(parent: etree._Element, spec: str, style: str) -> None:
    """Citation xrefs in one of three styles seen in PMC files.

    separate:  <xref>[2]</xref>–<xref>[4]</xref>      (PLOS-like)
    bracketed: [<xref>2</xref>–<xref>4</xref>]        (BMC-like)
    grouped:   <xref rid="b2 b3 b4">[2–4]</xref>      (Elsevier-like)
    """
    numbers = cite_numbers(spec)
    is_range = "-" in spec
    if style == "grouped":
        rids = " ".join(f"bib{n}" for n in numbers)
        element = sub(parent, "xref", cite_label(spec), rid=rids, ref_type="bibr")
        element.tail = ""
        return
    shown = [numbers[0], numbers[-1]] if is_range else numbers
    separator = "–" if is_range else ", "
    if style == "bracketed":
        append_text(parent, "[")
    for index, number in enumerate(shown):
        if index:
            append_text(parent, separator)
        label = str(number) if style == "bracketed" else f"[{number}]"
        sub(parent, "xref", label, ref_type="bibr", rid=f"bib{number}").tail = ""
    if style == "bracketed":
        append_text(parent, "]")


def jats_paragraph(parent: etree._Element, text: str, style: str) -> None:
    p = sub(parent, "p")
    p.text = ""
    position = 0
    for match in MARKER.finditer(text):
        append_text(p, text[position:match.start()])
        kind, spec = match.groups()
        if kind == "c":
            jats_citation(p, spec, style)
        elif kind == "f":
            sub(p, "xref", f"Figure {spec}", ref_type="fig", rid=f"fig{spec}").tail = ""
        else:
            sub(p, "xref", f"Table {spec}", ref_type="table", rid=f"tbl{spec}").tail = ""
        position = match.end()
    append_text(p, text[position:])


def jats_section(parent: etree._Element, section: Section, full_text: FullText, paper: Paper, sec_id: str) -> None:
    sec = sub(parent, "sec", id=sec_id)
    sub(sec, "title", section.title)
    for text in section.paragraphs:
        jats_paragraph(sec, text, full_text.jats_cite_style)
    for index, child in enumerate(section.subsections, start=1):
        jats_section(sec, child, full_text, paper, f"{sec_id}.{index}")
    if section.title == full_text.table_after_section:
        if full_text.table:
            jats_table(sec, full_text.table)
        if full_text.figure:
            fig = sub(sec, "fig", id="fig1", position="float")
            sub(fig, "label", "Figure 1")
            sub(sub(fig, "caption"), "p", full_text.figure)
            sub(fig, "graphic", **{f"{{{XLINK}}}href": f"{paper.pmcid.lower()}-fig1.jpg"})


def jats_table(parent: etree._Element, table: TableSpec) -> None:
    wrap = sub(parent, "table-wrap", id="tbl1", position="float")
    sub(wrap, "label", "Table 1")
    sub(sub(wrap, "caption"), "p", table.caption)
    table_el = sub(wrap, "table", frame="hsides", rules="groups")
    header = sub(sub(table_el, "thead"), "tr")
    for cell in table.header:
        sub(header, "th", cell, align="left")
    body = sub(table_el, "tbody")
    for row in table.rows:
        row_el = sub(body, "tr")
        for cell in row:
            sub(row_el, "td", cell, align="left")


def jats_mixed_citation(ref: etree._Element, reference: Reference) -> etree._Element:
    """A mixed-citation: punctuation kept as text between the elements."""
    citation = sub(ref, "mixed-citation", publication_type="journal")
    group = sub(citation, "person-group", person_group_type="author")
    for index, (last, initials) in enumerate(reference.authors):
        if index:
            append_text(group, ", ")
        name = sub(group, "string-name")
        sub(name, "surname", last).tail = " "
        sub(name, "given-names", initials)
    append_text(citation, ". ")
    sub(citation, "article-title", reference.title).tail = ". "
    sub(citation, "source", reference.journal).tail = " "
    sub(citation, "year", str(reference.year)).tail = ";"
    sub(citation, "volume", reference.volume).tail = ":"
    first, last = reference.pages.split("-")
    sub(citation, "fpage", first).tail = "–"
    sub(citation, "lpage", last).tail = "."
    return citation


def jats_element_citation(ref: etree._Element, reference: Reference) -> etree._Element:
    """An element-citation: elements only, no punctuation."""
    citation = sub(ref, "element-citation", publication_type="journal")
    group = sub(citation, "person-group", person_group_type="author")
    for last, initials in reference.authors:
        name = sub(group, "name")
        sub(name, "surname", last)
        sub(name, "given-names", initials)
    sub(citation, "article-title", reference.title)
    sub(citation, "source", reference.journal)
    sub(citation, "year", str(reference.year))
    sub(citation, "volume", reference.volume)
    first, last = reference.pages.split("-")
    sub(citation, "fpage", first)
    sub(citation, "lpage", last)
    return citation


def jats_reference(parent: etree._Element, number: int, reference: Reference, mixed: bool) -> None:
    ref = sub(parent, "ref", id=f"bib{number}")
    sub(ref, "label", str(number))
    citation = jats_mixed_citation(ref, reference) if mixed else jats_element_citation(ref, reference)
    if reference.doi:
        if mixed:
            append_text(citation, " doi: ")
        sub(citation, "pub-id", reference.doi, pub_id_type="doi")


def jats_journal_meta(front: etree._Element, paper: Paper) -> None:
    journal_meta = sub(front, "journal-meta")
    sub(journal_meta, "journal-id", paper.journal_abbrev, journal_id_type="nlm-ta")
    sub(journal_meta, "journal-id", paper.journal_abbrev, journal_id_type="iso-abbrev")
    sub(sub(journal_meta, "journal-title-group"), "journal-title", paper.journal)
    sub(journal_meta, "issn", paper.issn, pub_type="epub")
    sub(sub(journal_meta, "publisher"), "publisher-name", paper.publisher)


def jats_contributors(meta: etree._Element, paper: Paper) -> None:
    """The contrib-group and one <aff> per distinct affiliation, in order of first mention."""
    affiliations = list(dict.fromkeys(author.affiliation for author in paper.authors))
    group = sub(meta, "contrib-group")
    for author in paper.authors:
        contrib = sub(group, "contrib", contrib_type="author")
        if author.email:
            contrib.set("corresp", "yes")
        name = sub(contrib, "name")
        sub(name, "surname", author.last)
        sub(name, "given-names", author.given)
        if author.suffix:
            sub(name, "suffix", author.suffix)
        number = affiliations.index(author.affiliation) + 1
        sub(contrib, "xref", str(number), ref_type="aff", rid=f"aff{number}")
        if author.email:
            sub(contrib, "email", author.email)
    for number, affiliation in enumerate(affiliations, start=1):
        department, institution, city, country = affiliation.split(", ")
        aff = sub(meta, "aff", id=f"aff{number}")
        sub(aff, "label", str(number))
        wrap = sub(aff, "institution-wrap")
        sub(wrap, "institution", department, content_type="dept").tail = ", "
        sub(wrap, "institution", institution)
        append_text(aff, ", ")
        sub(aff, "addr-line", city).tail = ", "
        sub(aff, "country", country)


def jats_publication(meta: etree._Element, paper: Paper) -> None:
    """pub-date, volume, elocation-id and the permissions of the article."""
    year, month, day = paper.date.split("-")
    date = sub(meta, "pub-date", pub_type="epub")
    sub(date, "day", day)
    sub(date, "month", month)
    sub(date, "year", year)
    sub(meta, "volume", paper.volume)
    sub(meta, "elocation-id", paper.pages)
    permissions = sub(meta, "permissions")
    sub(permissions, "copyright-statement", f"© {year} The Author(s)")
    sub(permissions, "copyright-year", year)
    license_el = sub(permissions, "license", license_type="open-access")
    license_el.set(f"{{{XLINK}}}href", LICENSE_URLS[paper.license])
    sub(license_el, "license-p", LICENSE_TEXT)


def jats_abstract(meta: etree._Element, paper: Paper) -> None:
    abstract = sub(meta, "abstract")
    for label, text in paper.abstract:
        if label:
            sec = sub(abstract, "sec")
            sub(sec, "title", label)
            sub(sec, "p", text)
        else:
            sub(abstract, "p", text)


def jats_article_meta(front: etree._Element, paper: Paper) -> None:
    meta = sub(front, "article-meta")
    if paper.pmid:
        sub(meta, "article-id", paper.pmid, pub_id_type="pmid")
    sub(meta, "article-id", paper.pmcid.removeprefix("PMC"), pub_id_type="pmc")
    sub(meta, "article-id", paper.doi, pub_id_type="doi")
    heading = HEADINGS.get(paper.article_type, "Research Article")
    sub(sub(sub(meta, "article-categories"), "subj-group", subj_group_type="heading"), "subject", heading)
    sub(sub(meta, "title-group"), "article-title", paper.title)
    if paper.authors:
        jats_contributors(meta, paper)
    jats_publication(meta, paper)
    if paper.abstract:
        jats_abstract(meta, paper)


def jats_body_and_back(article: etree._Element, paper: Paper) -> None:
    """The full text and its back matter, or the one paragraph of a notice."""
    full_text = FULL_TEXTS.get(paper.key)
    body = sub(article, "body")
    if not full_text:
        sub(body, "p", NOTICE_TEXTS[paper.key])
        return
    for index, section in enumerate(full_text.sections, start=1):
        jats_section(body, section, full_text, paper, f"sec{index}")
    back = sub(article, "back")
    if full_text.acknowledgements:
        ack = sub(back, "ack")
        sub(ack, "title", "Acknowledgements")
        sub(ack, "p", full_text.acknowledgements)
    ref_list = sub(back, "ref-list")
    sub(ref_list, "title", "References")
    for number, key in enumerate(full_text.references, start=1):
        jats_reference(ref_list, number, REFERENCES[key], mixed=full_text.jats_cite_style == "bracketed")


def jats_article(paper: Paper) -> etree._Element:
    """A PMC-style JATS <article> for `paper`, with its full text when it has one."""
    article = etree.Element("article", nsmap={"xlink": XLINK, "mml": MML})
    article.set("article-type", paper.article_type)
    article.set("dtd-version", "1.2")
    article.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    front = sub(article, "front")
    jats_journal_meta(front, paper)
    jats_article_meta(front, paper)
    jats_body_and_back(article, paper)
    return article


def jats_document(paper: Paper) -> bytes:
    """The standalone JATS file of a PMC open-access article."""
    return xml_bytes(jats_article(paper), JATS_DOCTYPE, pretty=False)


def pmc_articleset(keys: list[str]) -> bytes:
    """A PMC efetch (db=pmc) answer: a pmc-articleset of full JATS articles."""
    root = etree.Element("pmc-articleset")
    for key in keys:
        root.append(jats_article(PAPER[key]))
    return xml_bytes(root, PMC_ARTICLESET_DOCTYPE, pretty=False)
