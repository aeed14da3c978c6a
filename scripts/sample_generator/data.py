"""The invented papers, full texts and source listings of the sample, read from scripts/sample_data/.

Every paper, name, identifier and sentence there is invented for the sample; nothing is
copied from a real article. scripts/sample_data/README.md says what each file holds.
"""
import json
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "sample_data"


@dataclass(frozen=True)
class Author:
    given: str  # first and middle names, e.g. "Daniel K"
    last: str
    affiliation: str
    suffix: str = ""
    email: str = ""

    @property
    def initials(self) -> str:
        return "".join(part[0] for part in self.given.replace("-", " ").split())


@dataclass(frozen=True)
class Paper:
    key: str
    title: str
    authors: tuple[Author, ...]
    abstract: tuple[tuple[str, str], ...]  # (label, text); label "" for unstructured
    date: str  # YYYY-MM-DD
    license: str  # as CORD-19's license column writes it
    journal: str = ""
    journal_abbrev: str = ""
    issn: str = ""
    publisher: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    pmcid: str = ""
    arxiv_id: str = ""  # with version, as the arXiv API gives it
    article_type: str = "research-article"
    category: str = ""  # preprint server subject area

    @property
    def abstract_text(self) -> str:
        return " ".join(f"{label}: {text}" if label else text for label, text in self.abstract)

    @property
    def year(self) -> str:
        return self.date[:4]


@dataclass(frozen=True)
class Reference:
    authors: tuple[tuple[str, str], ...]  # (last, initials)
    title: str
    journal: str
    year: int
    volume: str
    pages: str
    doi: str = ""


@dataclass(frozen=True)
class Section:
    """A section of a full text; its paragraphs carry the markers of markup.MARKER."""

    title: str
    paragraphs: tuple[str, ...] = ()
    subsections: tuple["Section", ...] = ()


@dataclass(frozen=True)
class TableSpec:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class FullText:
    sections: tuple[Section, ...]
    references: tuple[str, ...]  # keys of REFERENCES
    table: TableSpec | None = None
    figure: str = ""  # caption
    acknowledgements: str = ""
    jats_cite_style: str = "separate"  # separate | bracketed | grouped (see jats.jats_citation)
    table_after_section: str = "Results"


@dataclass(frozen=True)
class WhoRow:
    """One row of the WHO export; a row may restate a paper in its own formatting."""

    paper: str
    covidence: str
    tags: str
    title: str = ""  # "" = the paper's title
    authors: str = ""  # "" = "Last, First Middle; ..." from the paper
    doi: str = ""  # as the export writes it (may be a URL, mixed case)
    journal: str = ""  # "" = the paper's journal


def read_data(name: str) -> dict:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def paper_from_json(item: dict, default_affiliation: str) -> Paper:
    authors = tuple(Author(**({"affiliation": default_affiliation} | author)) for author in item["authors"])
    abstract = tuple((label, text) for label, text in item["abstract"])
    return Paper(**(item | {"authors": authors, "abstract": abstract}))


def section_from_json(item: dict) -> Section:
    return Section(item["title"], tuple(item.get("paragraphs", ())),
                   tuple(section_from_json(child) for child in item.get("subsections", ())))


def full_text_from_json(item: dict) -> FullText:
    table = item.get("table")
    if table is not None:
        table = TableSpec(table["caption"], tuple(table["header"]), tuple(tuple(row) for row in table["rows"]))
    sections = tuple(section_from_json(section) for section in item["sections"])
    return FullText(**(item | {"sections": sections, "references": tuple(item["references"]), "table": table}))


def reference_from_json(item: dict) -> Reference:
    return Reference(**(item | {"authors": tuple((last, initials) for last, initials in item["authors"])}))


_PAPERS_FILE = read_data("papers.json")
_TEXTS_FILE = read_data("full_texts.json")
SOURCES = read_data("sources.json")

PAPERS = tuple(paper_from_json(item, _PAPERS_FILE["default_affiliation"]) for item in _PAPERS_FILE["papers"])
PAPER = {paper.key: paper for paper in PAPERS}
# A PubMed record that reached the feed without its PMID (a dead letter on every build).
RECORD_WITHOUT_PMID = paper_from_json(SOURCES["pubmed"]["record_without_pmid"], _PAPERS_FILE["default_affiliation"])

FULL_TEXTS = {key: full_text_from_json(item) for key, item in _TEXTS_FILE["full_texts"].items()}
REFERENCES = {key: reference_from_json(item) for key, item in _TEXTS_FILE["references"].items()}
NOTICE_TEXTS: dict[str, str] = _TEXTS_FILE["notices"]  # the body of the PMC notices, which have no full text
PDF_DECLARATIONS = tuple((heading, text) for heading, text in _TEXTS_FILE["pdf_declarations"])

WHO_ROWS = tuple(WhoRow(**row) for row in SOURCES["who"]["rows"])
# paper key -> (source_x of the document, running header printed on every page)
PDF_PAPERS = {key: (item["source"], item["running_header"]) for key, item in SOURCES["documents"]["pdf"].items()}
HTML_ERROR_PAGE = (DATA_DIR / "error_page.html").read_bytes()  # saved as a "PDF": the download failed
