"""JATS <front>: title, authors with affiliations and emails, ids, journal, date, licence, abstract.

Decisions: authors are the article's own contribs of type author (editors and
sub-article contribs are not), a group author (<collab>) is an author with only a last
name; an author's affiliation is the first one linked (an <aff> inside the contrib,
else its xref rid, else the article's only affiliation), with institution, laboratory
(department-like institutions) and location from tagged parts, or the whole wording as
institution when the <aff> is free text; the email is the contrib's own, else from its
corresponding-author note (matched on surname when the note lists several).
"""
import re
from dataclasses import dataclass

from lxml import etree

from parsers.jats.text import XLINK_HREF, clean_text, element_text, first_child
from parsers.normalize import make_author, normalize_date, normalize_license, split_author_name
from schemas.identifiers import normalize_doi, normalize_pmcid, normalize_pmid
from schemas.records import Affiliation, Author, PersonName, affiliation, author

ALI_LICENSE_REF = "{http://www.niso.org/schemas/ali/1.0/}license_ref"

AUTHOR_CONTRIB_TYPES = {"", "author", "authors"}
LABORATORY_TYPES = {"dept", "department", "division", "lab", "laboratory", "unit"}
LOCATION_PARTS = {
    "city": "settlement",
    "settlement": "settlement",
    "state": "region",
    "province": "region",
    "region": "region",
    "postal-code": "postCode",
    "postcode": "postCode",
    "zip": "postCode",
    "country": "country",
}
# Aff children that are not part of an unstructured affiliation's wording.
AFF_NOISE = frozenset({"label", "sup", "institution-id", "country", "xref", "email", "fn"})
TITLE_NOISE = frozenset({"xref", "fn"})
# Publication dates in order of preference (pub-type, or date-type/publication-format).
DATE_PREFERENCE = ("epub", "electronic", "ppub", "print", "pub", "collection", "pmc-release")
ABSTRACT_SKIPPED_TYPES = {"graphical", "teaser", "toc", "web-summary", "precis", "editor-summary"}
_CC_WORDS = (("noncommercial", "nc"), ("non-commercial", "nc"), ("sharealike", "sa"),
             ("share-alike", "sa"), ("share alike", "sa"), ("noderiv", "nd"), ("no deriv", "nd"))
_EMAIL_LOCAL = re.compile(r"[^a-z]")


@dataclass(frozen=True)
class FrontMatter:
    """What <front> says about the article."""

    title: str
    authors: list[Author]
    ids: dict
    journal: str
    publish_time: str
    license: str


def read_front(front: etree._Element) -> FrontMatter:
    """Read the article's own front matter (not that of sub-articles)."""
    meta = front.find("article-meta")
    journal_meta = front.find("journal-meta")
    if meta is None:
        meta = etree.Element("article-meta")
    return FrontMatter(
        title=element_text(meta.find("title-group/article-title"), TITLE_NOISE),
        authors=read_authors(meta),
        ids=read_ids(meta),
        journal=read_journal(journal_meta),
        publish_time=read_publish_time(meta),
        license=read_license(meta),
    )


def read_ids(meta: etree._Element) -> dict:
    """PMCID, PMID and DOI from <article-id>, in their normal forms (None when absent)."""
    ids: dict = {"pmcid": None, "pubmed_id": None, "doi": None}
    for article_id in meta.findall("article-id"):
        kind = (article_id.get("pub-id-type") or "").lower()
        value = clean_text(article_id.text)
        if kind in ("pmc", "pmcid") and ids["pmcid"] is None:
            ids["pmcid"] = normalize_pmcid(value)
        elif kind == "pmid" and ids["pubmed_id"] is None:
            ids["pubmed_id"] = normalize_pmid(value)
        elif kind == "doi" and ids["doi"] is None:
            ids["doi"] = normalize_doi(value)
    return ids


def read_journal(journal_meta: etree._Element | None) -> str:
    """The journal title, else its abbreviation, else its NLM title abbreviation."""
    if journal_meta is None:
        return ""
    for path in ("journal-title-group/journal-title", "journal-title",
                 "journal-title-group/abbrev-journal-title", "abbrev-journal-title",
                 "journal-id[@journal-id-type='nlm-ta']", "journal-id"):
        title = element_text(journal_meta.find(path))
        if title:
            return title
    return ""


def read_publish_time(meta: etree._Element) -> str:
    """The preferred publication date as YYYY-MM-DD, YYYY-MM or YYYY ("" when none)."""
    dated: list[tuple[int, str]] = []
    for position, pub_date in enumerate(meta.findall("pub-date")):
        value = _pub_date_value(pub_date)
        if not value:
            continue
        kinds = {(pub_date.get(name) or "").lower() for name in ("pub-type", "date-type", "publication-format")}
        rank = min((DATE_PREFERENCE.index(k) for k in kinds if k in DATE_PREFERENCE), default=len(DATE_PREFERENCE))
        dated.append((rank * 1000 + position, value))
    return min(dated)[1] if dated else ""


def _pub_date_value(pub_date: etree._Element) -> str:
    iso = normalize_date(pub_date.get("iso-8601-date"))
    if iso:
        return iso
    year = clean_text(pub_date.findtext("year"))
    month = clean_text(pub_date.findtext("month"))
    day = clean_text(pub_date.findtext("day"))
    if not year:
        return ""
    if month.isdigit() or not month:
        return normalize_date("-".join(part for part in (year, month, day if month else "") if part))
    return normalize_date(f"{day} {month} {year}" if day else f"{month} {year}")


def read_license(meta: etree._Element) -> str:
    """The licence as a contract value, from <license> (URL, type or wording), else from
    the wording of a copyright statement (old NLM articles have no <license>). Elsevier's
    COVID-19 resource-centre grant is "els-covid"; anything else "unk"."""
    for license_elem in meta.iter("license"):
        candidates = [license_elem.get(XLINK_HREF), license_elem.get("license-type")]
        candidates += [elem.text for elem in license_elem.iter(ALI_LICENSE_REF)]
        candidates += [elem.get(XLINK_HREF) for elem in license_elem.iter("ext-link", "uri")]
        for candidate in candidates:
            value = normalize_license(candidate, default="")
            if value:
                return value
        value = _license_from_wording(element_text(license_elem))
        if value:
            return value
    for statement in meta.iter("copyright-statement"):
        value = _license_from_wording(element_text(statement))
        if value:
            return value
    return "unk"


def _license_from_wording(text: str) -> str:
    """A licence named in prose: a Creative Commons URL or name, or Elsevier's COVID-19 grant."""
    value = normalize_license(text, default="")
    if value:
        return value
    lowered = text.lower()
    if "creative commons attribution" in lowered:
        codes = [code for word, code in _CC_WORDS if word in lowered]
        return "cc-by" + "".join(f"-{code}" for code in dict.fromkeys(codes))
    if "covid-19 resource centre" in lowered or "covid-19 resource center" in lowered:
        return "els-covid"
    return ""


def read_abstract(meta: etree._Element | None) -> str:
    """The main abstract as one line; structured-abstract headings stay inline ("Methods: ...")."""
    if meta is None:
        return ""
    abstracts = [a for a in meta.findall("abstract")
                 if (a.get("abstract-type") or "").lower() not in ABSTRACT_SKIPPED_TYPES]
    if not abstracts:
        return ""
    main = next((a for a in abstracts if not a.get("abstract-type")), abstracts[0])
    parts: list[str] = []
    _abstract_parts(main, parts, heading=False)
    return " ".join(part for part in parts if part)


def _abstract_parts(elem: etree._Element, parts: list[str], heading: bool) -> None:
    for child in elem:
        tag = child.tag
        if tag == "title":
            if heading:
                title = element_text(child, TITLE_NOISE)
                parts.append(title if title.endswith((":", ".", "?")) else f"{title}:")
        elif tag == "sec":
            _abstract_parts(child, parts, heading=True)
        elif tag in ("label", "object-id", "fig", "table-wrap", "graphic", "fn"):
            continue
        elif isinstance(tag, str):
            parts.append(element_text(child, frozenset({"fn"})))


def read_authors(meta: etree._Element) -> list[Author]:
    """Every author contrib of the article, with affiliation and email resolved.

    Each contrib's children are read in one pass; an <aff> shared by several authors
    is read once (each author still gets its own dict)."""
    affs_by_id = {aff.get("id"): aff for aff in meta.iter("aff") if aff.get("id")}
    loose_affs = [aff for aff in meta.iter("aff") if aff.getparent().tag != "contrib"]
    default_aff = loose_affs[0] if len(loose_affs) == 1 else None
    corresp_by_id = {note.get("id"): note for note in meta.iter("corresp") if note.get("id")}
    all_corresp = list(meta.iter("corresp"))
    shared_affiliations: dict[str, Affiliation | dict] = {}
    authors = []
    for group in meta.iterchildren("contrib-group"):
        for contrib in group.iterchildren("contrib"):
            if (contrib.get("contrib-type") or "").lower() not in AUTHOR_CONTRIB_TYPES:
                continue
            children: dict[str, etree._Element] = {}
            xrefs: list[etree._Element] = []
            alternative_name = None
            for child in contrib:
                tag = child.tag
                if tag == "xref":
                    xrefs.append(child)
                elif tag == "name-alternatives":
                    if alternative_name is None:
                        alternative_name = first_child(child, "name")
                elif tag not in children:
                    children[tag] = child
            name = _contrib_name(children, alternative_name)
            if name is None:
                continue
            own_aff = children.get("aff")
            if own_aff is not None:
                where = read_affiliation(own_aff)
            else:
                where = _shared_affiliation(xrefs, affs_by_id, default_aff, shared_affiliations)
            email = _contrib_email(contrib, xrefs, name["last"], corresp_by_id, all_corresp)
            authors.append(author(name, where, email))
    return authors


def _contrib_name(children: dict[str, etree._Element], alternative_name: etree._Element | None) -> PersonName | None:
    """The author from the contrib's first <name> (else the first inside <name-alternatives>),
    else <string-name>, else <collab>; None when there is none."""
    name = children.get("name")
    if name is None:
        name = alternative_name
    if name is not None:
        return _name_author(name)
    string_name = children.get("string-name")
    if string_name is not None:
        if first_child(string_name, "surname") is not None:
            return _name_author(string_name)
        return split_author_name(element_text(string_name))
    collab = children.get("collab")
    if collab is not None:
        text = element_text(collab, frozenset({"contrib-group", "xref", "fn"}))
        return make_author("", text) if text else None
    return None


def _name_author(name: etree._Element) -> PersonName:
    """make_author from the first given-names, surname and suffix of a (string-)name."""
    parts: dict[str, etree._Element] = {}
    for part in name:
        parts.setdefault(part.tag, part)
    return make_author(element_text(parts.get("given-names")), element_text(parts.get("surname")),
                       element_text(parts.get("suffix")))


def _shared_affiliation(xrefs: list[etree._Element], affs_by_id: dict, default_aff,
                        cache: dict[str, Affiliation | dict]) -> Affiliation | dict:
    """The affiliation of the first <aff> an xref links to, else of the article's only
    affiliation; read once per <aff> and copied for each author."""
    key = None
    for xref in xrefs:
        if xref.get("ref-type") == "aff":
            key = next((rid for rid in (xref.get("rid") or "").split() if rid in affs_by_id), None)
            if key is not None:
                break
    if key is None:
        if default_aff is None:
            return {}
        key = ""  # no XML id is empty, so "" stands for the default affiliation
    if key not in cache:
        cache[key] = read_affiliation(affs_by_id[key] if key else default_aff)
    copy = dict(cache[key])
    if "location" in copy:
        copy["location"] = dict(copy["location"])
    return copy


def read_affiliation(aff: etree._Element) -> Affiliation | dict:
    """{laboratory, institution, location{...}} from a structured or free-text <aff>."""
    laboratories, institutions = [], []
    for institution in aff.iter("institution"):
        text = element_text(institution).strip(" ,;")
        if not text:
            continue
        if (institution.get("content-type") or "").lower() in LABORATORY_TYPES:
            laboratories.append(text)
        else:
            institutions.append(text)
    location = {}
    for elem in aff.iter("named-content", "city", "state", "postal-code", "country"):
        kind = elem.tag if elem.tag != "named-content" else (elem.get("content-type") or "").lower()
        key = LOCATION_PARTS.get(kind)
        text = element_text(elem).strip(" ,;")
        if key and text and key not in location:
            location[key] = text
    if not institutions and not laboratories:
        free_text = element_text(aff, AFF_NOISE).strip(" ,;")
        if free_text:
            institutions.append(free_text)
    if not institutions and not laboratories and not location:
        return {}
    return affiliation(", ".join(laboratories), ", ".join(institutions),
                       dict(sorted(location.items())) if location else None)


def _contrib_email(contrib, xrefs: list[etree._Element], surname: str, corresp_by_id: dict,
                   all_corresp: list) -> str | None:
    """The contrib's own email, else one from its corresponding-author note."""
    own = element_text(next(contrib.iter("email"), None))
    if own:
        return own
    notes = [corresp_by_id[rid] for xref in xrefs if xref.get("ref-type") == "corresp"
             for rid in (xref.get("rid") or "").split() if rid in corresp_by_id]
    if not notes and contrib.get("corresp") == "yes":
        notes = all_corresp
    emails = [element_text(email) for note in notes for email in note.iter("email")]
    emails = [email for email in dict.fromkeys(emails) if email]
    key = _EMAIL_LOCAL.sub("", surname.lower())
    matching = [email for email in emails if key and key in email.lower().partition("@")[0]]
    if len(matching) == 1:
        return matching[0]
    return emails[0] if len(emails) == 1 else None
