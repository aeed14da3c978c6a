"""The shapes of the records the pipeline passes around, and small builders for them.

One model per record. A dead letter (schemas/dead_letter.json) is built only by
`dead_letter` / `dead_letter_from_error`, wherever an input is given up on. A paper
(schemas/pmc_json.json, schemas/pdf_json.json) and its parts are built only by the
builders below (`paper`, `paragraph`, `span` / `mention_span`, `author`, `affiliation`,
`bib_entry`, `ref_entry` / `table_entry` (pdf_json), `pmc_ref_entry` (pmc_json)), whichever
parser read it; each builder writes the keys, value types and text formats of the real
CORD-19 files (tests/test_format_against_cord19.py compares them), in their order.
"""
import json
from collections.abc import Mapping
from typing import NotRequired, TypedDict

from schemas import load_schema

DEAD_LETTER_SCHEMA_VERSION: str = load_schema("dead_letter")["version"]


class DeadLetter(TypedDict):
    """An input record or document that is not in the release, and why."""

    schema_version: str
    stage: str
    input: str
    source: str | None
    error: str
    reason: str
    message: str


# Dead-letter reasons of records left out on purpose (the scope filter), not inputs that failed.
FILTERED_REASONS = ("not_a_paper", "out_of_scope")


def dead_letter(stage: str, input_ref: str, error: str, reason: str, message: str,
                source: str | None = None) -> DeadLetter:
    """A dead-letter record (schemas/dead_letter.json)."""
    return {
        "schema_version": DEAD_LETTER_SCHEMA_VERSION,
        "stage": stage,
        "input": input_ref,
        "source": source,
        "error": error,
        "reason": reason,
        "message": message,
    }


def dead_letter_from_error(stage: str, input_ref: str, exc: Exception, source: str | None = None,
                           default_reason: str | None = None) -> DeadLetter:
    """A dead letter for an expected, typed error (its class name and its `reason` attribute)."""
    reason = getattr(exc, "reason", None) or default_reason or type(exc).__name__
    return dead_letter(stage, input_ref, type(exc).__name__, reason, str(exc), source)


# ---------------------------------------------------------------- the paper
#
# pdf_json and pmc_json differ where the real CORD-19 files differ (the contract,
# section 3): a span's surface text is `text` in pdf_json and `mention` in pmc_json; a
# pdf_json bib entry carries GROBID's `ref_id` (b0, b1, ...), a pmc_json one has none and
# always an `other_ids["DOI"]` list; a pdf_json ref entry has `latex` (null) and a
# pmc_json one does not; table cells are HTML wrapped in <html><body>.

SURFACE_KEYS = ("text", "mention")  # the span surface-text key of pdf_json, of pmc_json
TABLE_HTML_PREFIX, TABLE_HTML_SUFFIX = "<html><body>", "</body></html>"


class PersonName(TypedDict):
    """A person's name: a source record's author, a bibliography entry's author."""

    first: str
    middle: list[str]
    last: str
    suffix: str


class Affiliation(TypedDict):
    """Where an author works. An author whose affiliation is unknown has `{}` instead."""

    laboratory: str
    institution: str
    location: dict[str, str]  # postCode, settlement, region, country; {} when unknown


class Author(TypedDict):
    """A paper's author: the name, the affiliation (`{}` when unknown) and the e-mail address."""

    first: str
    middle: list[str]
    last: str
    suffix: str
    affiliation: Affiliation | dict
    email: str | None  # pdf_json: "" when none; pmc_json: None when none


class Span(TypedDict):
    """A pdf_json citation (cite span) or figure/table reference (ref span) in a paragraph."""

    start: int
    end: int
    text: str
    ref_id: str | None  # a key of bib_entries / ref_entries, or None when unresolved


class MentionSpan(TypedDict):
    """A pmc_json span: the same as Span, with the surface text under `mention`."""

    start: int
    end: int
    mention: str
    ref_id: str | None


class Paragraph(TypedDict):
    text: str
    cite_spans: list[Span] | list[MentionSpan]
    ref_spans: list[Span] | list[MentionSpan]
    section: str


class BibEntry(TypedDict):
    ref_id: NotRequired[str]  # pdf_json only: GROBID's id of the entry (b0, b1, ...)
    title: str
    authors: list[PersonName]
    year: int | None
    venue: str
    volume: str
    issn: str
    pages: str
    other_ids: dict[str, list[str]]  # "DOI", "PMID", "PMCID", "arXiv" -> values


class RefEntry(TypedDict):
    """A figure or table: its caption and, for tables, its cells as HTML."""

    text: str
    latex: NotRequired[None]  # pdf_json only
    type: str  # "figure" | "table"
    html: NotRequired[str]  # tables with cells only


class PaperMetadata(TypedDict):
    title: str
    authors: list[Author]


class Paper(TypedDict):
    """One full-text parse: pmc_json (no abstract) or pdf_json."""

    paper_id: str
    metadata: PaperMetadata
    abstract: NotRequired[list[Paragraph]]
    body_text: list[Paragraph]
    bib_entries: dict[str, BibEntry]
    ref_entries: dict[str, RefEntry]
    back_matter: list[Paragraph]


def person_name(first: str, middle: list[str], last: str, suffix: str) -> PersonName:
    return {"first": first, "middle": middle, "last": last, "suffix": suffix}


def affiliation(laboratory: str, institution: str, location: dict[str, str] | None = None) -> Affiliation:
    """An affiliation; `location` is `{}` when unknown (the key is always there, as in CORD-19)."""
    return {"laboratory": laboratory, "institution": institution, "location": {} if location is None else location}


def author(name: PersonName, affiliation: Affiliation | dict, email: str | None) -> Author:
    """A paper author from a name, an affiliation (`{}` when unknown) and an e-mail address."""
    return {
        "first": name["first"],
        "middle": name["middle"],
        "last": name["last"],
        "suffix": name["suffix"],
        "affiliation": affiliation,
        "email": email,
    }


def span(start: int, end: int, text: str, ref_id: str | None) -> Span:
    """A pdf_json span whose `text` is the paragraph's text[start:end]."""
    return {"start": start, "end": end, "text": text, "ref_id": ref_id}


def mention_span(start: int, end: int, mention: str, ref_id: str | None) -> MentionSpan:
    """A pmc_json span whose `mention` is the paragraph's text[start:end]."""
    return {"start": start, "end": end, "mention": mention, "ref_id": ref_id}


def span_surface(found: Span | MentionSpan | dict) -> object:
    """A span's surface text, whichever variant it is (None when it has neither key)."""
    fields: Mapping[str, object] = found
    if "text" in fields:
        return fields["text"]
    return fields.get("mention")


def paragraph(text: str, section: str, cite_spans: list | None = None, ref_spans: list | None = None) -> Paragraph:
    return {
        "text": text,
        "cite_spans": [] if cite_spans is None else cite_spans,
        "ref_spans": [] if ref_spans is None else ref_spans,
        "section": section,
    }


def bib_entry(ref_id: str | None, title: str = "", authors: list[PersonName] | None = None, year: int | None = None,
              venue: str = "", volume: str = "", issn: str = "", pages: str = "",
              other_ids: dict[str, list[str]] | None = None) -> BibEntry:
    """A bib entry; `ref_id` is GROBID's id in pdf_json, None in pmc_json (the key is then left out)."""
    entry: BibEntry = {
        "title": title,
        "authors": [] if authors is None else authors,
        "year": year,
        "venue": venue,
        "volume": volume,
        "issn": issn,
        "pages": pages,
        "other_ids": {} if other_ids is None else other_ids,
    }
    if ref_id is None:
        return entry
    return {"ref_id": ref_id, **entry}


def grobid_bib_id(position: int) -> str:
    """GROBID's id of the bibliography's `position`-th entry (b0, b1, ...), for pdf_json."""
    return f"b{position}"


def ref_entry(text: str, kind: str) -> RefEntry:
    """A pdf_json figure or table entry without cells (`kind` is "figure" or "table")."""
    return {"text": text, "latex": None, "type": kind}


def table_entry(text: str, table_html: str | None) -> RefEntry:
    """A pdf_json table entry; its cells (a bare <table>...</table>) are stored wrapped in
    <html><body>, as in CORD-19; a table without cells has no `html` key."""
    entry = ref_entry(text, "table")
    if table_html is not None:
        entry["html"] = wrap_table_html(table_html)
    return entry


def pmc_ref_entry(text: str, kind: str, table_html: str | None = None) -> RefEntry:
    """A pmc_json figure or table entry, `{text, type}` (+ `html`, ours, for a table with cells)."""
    entry: RefEntry = {"text": text, "type": kind}
    if table_html is not None:
        entry["html"] = wrap_table_html(table_html)
    return entry


def wrap_table_html(table_html: str) -> str:
    """A bare <table>...</table> as CORD-19 stores it: <html><body><table>...</table></body></html>."""
    return f"{TABLE_HTML_PREFIX}{table_html}{TABLE_HTML_SUFFIX}"


def paper(paper_id: str, title: str, authors: list[Author], body_text: list[Paragraph],
          bib_entries: dict[str, BibEntry], ref_entries: dict[str, RefEntry], back_matter: list[Paragraph],
          abstract: list[Paragraph] | None = None) -> Paper:
    """A paper; without `abstract` the key is left out (pmc_json has none)."""
    metadata: PaperMetadata = {"title": title, "authors": authors}
    if abstract is None:
        return {"paper_id": paper_id, "metadata": metadata, "body_text": body_text, "bib_entries": bib_entries,
                "ref_entries": ref_entries, "back_matter": back_matter}
    return {"paper_id": paper_id, "metadata": metadata, "abstract": abstract, "body_text": body_text,
            "bib_entries": bib_entries, "ref_entries": ref_entries, "back_matter": back_matter}


def paper_json_bytes(paper: Paper | dict) -> bytes:
    """The bytes of one full-text JSON file (one line, UTF-8, key order as built)."""
    return json.dumps(paper, ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------- source records


class DocumentLink(TypedDict):
    type: str  # "pdf" | "jats"
    url: str


class SourceRecord(TypedDict):
    """One entry of one source feed, normalised (schemas/source_record.json); built by
    `parsers.feeds.record.make_record`."""

    source: str
    source_id: str
    ids: dict[str, str | None]
    title: str
    abstract: str
    authors: list[PersonName]
    publish_time: str
    journal: str
    license: str
    urls: list[str]
    documents: list[DocumentLink]
    article_type: NotRequired[str]
