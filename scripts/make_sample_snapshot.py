"""Generate the bundled sample snapshot (pipeline/sample_snapshot/).

The invented data lives in scripts/sample_data/ (papers, full texts, which paper
appears in which source; see its README.md); nothing there is copied from a real
article. The writers in scripts/sample_generator/ turn it into the real wire formats of
the sources CORD-19 drew on: PubMed efetch XML (pubmed.py), PMC efetch JATS and
PMC-style JATS full texts (jats.py), bioRxiv/medRxiv `details` JSON (rxiv.py), arXiv
Atom (arxiv.py), Crossref works JSON (crossref.py), the WHO database CSV export
(who.py) and text PDFs written with reportlab (pdf.py).

The sample is built to exercise every stage of `cord19 build`:
- the same paper in several sources (shared DOI / PMID / PMCID), and WHO rows without
  identifiers whose title, authors and year match another entry closely;
- papers outside the scope query, and non-papers (an erratum, a correction notice, an
  announcement, a table of contents);
- several JATS full texts (nested sections, citation xrefs in three real styles
  including ranges like [2-4], a table, a figure) and several PDFs (title, authors,
  abstract, numbered sections, a table, references, running headers);
- one truncated JATS file, one "PDF" that is an HTML error page and one PubMed record
  without a PMID, so the dead-letter path runs on every build.

The output is deterministic: the same bytes on every run (fixed dates, sorted files,
reportlab's invariant mode). Usage, from the project root:

    python scripts/make_sample_snapshot.py [--out pipeline/sample_snapshot]

reportlab is needed (in the `test` extra: pip install -e '.[test]').
"""
import argparse
import hashlib
import json
import logging
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_generator.arxiv import arxiv_feed  # noqa: E402
from sample_generator.crossref import crossref_list  # noqa: E402
from sample_generator.data import (  # noqa: E402,F401  (FULL_TEXTS, PDF_DECLARATIONS: read by tests)
    FULL_TEXTS,
    HTML_ERROR_PAGE,
    PAPER,
    PDF_DECLARATIONS,
    PDF_PAPERS,
    SOURCES,
    WHO_ROWS,
)
from sample_generator.jats import jats_document, pmc_articleset  # noqa: E402
from sample_generator.pdf import pdf_document, pdf_url  # noqa: E402
from sample_generator.pubmed import pubmed_page  # noqa: E402
from sample_generator.rxiv import rxiv_details  # noqa: E402
from sample_generator.who import who_csv  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT_ROOT / "pipeline" / "sample_snapshot"
ID_NAMES = ("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id", "s2_id")

log = logging.getLogger("make_sample_snapshot")


def document_ids(**values: str) -> dict:
    return {name: values.get(name) or None for name in ID_NAMES}


def truncated(data: bytes) -> bytes:
    """The first 60% of a document, as an interrupted download leaves it."""
    return data[: len(data) * 3 // 5]


@dataclass
class Snapshot:
    files: dict[str, bytes] = field(default_factory=dict)
    sources: list[dict] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)

    def add_source(self, name: str, kind: str, pages: list[tuple[str, bytes]]) -> None:
        paths = []
        for file_name, data in pages:
            path = f"feeds/{name}/{file_name}"
            self.files[path] = data
            paths.append(path)
        self.sources.append({"name": name, "kind": kind, "files": paths})

    def add_document(
        self, data: bytes, doc_type: str, source: str, url: str, license_: str, path: str = "", **ids: str
    ) -> None:
        sha1 = hashlib.sha1(data).hexdigest()
        path = path or f"documents/pdf/{sha1}.pdf"
        self.files[path] = data
        self.documents.append({
            "path": path,
            "sha1": sha1,
            "type": doc_type,
            "source": source,
            "ids": document_ids(**ids),
            "license": license_,
            "url": url,
        })


def add_feeds(snapshot: Snapshot) -> None:
    """One source per feed kind, in its wire format."""
    pubmed_pages = SOURCES["pubmed"]["pages"]
    snapshot.add_source("pubmed", "pubmed", [
        (f"page-{number:04d}.xml", pubmed_page(keys, with_record_without_pmid=number == len(pubmed_pages)))
        for number, keys in enumerate(pubmed_pages, start=1)
    ])
    snapshot.add_source("pmc", "pmc", [("page-0001.xml", pmc_articleset(SOURCES["pmc"]["papers"]))])
    for server in ("biorxiv", "medrxiv"):
        details = rxiv_details(server, SOURCES[server]["papers"], SOURCES[server]["interval"])
        snapshot.add_source(server, server, [("page-0001.json", details)])
    snapshot.add_source("arxiv", "arxiv", [("page-0001.atom.xml", arxiv_feed(SOURCES["arxiv"]["papers"]))])
    snapshot.add_source("crossref", "crossref", [("page-0001.json", crossref_list(SOURCES["crossref"]["papers"]))])
    snapshot.add_source("who", "who", [("export.csv", who_csv(WHO_ROWS))])


def add_documents(snapshot: Snapshot) -> None:
    """The JATS and PDF full texts, with the truncated JATS file and the HTML error page."""
    documents = SOURCES["documents"]
    for key in documents["jats"] + [documents["truncated_jats"]]:
        paper = PAPER[key]
        data = jats_document(paper)
        if key == documents["truncated_jats"]:
            data = truncated(data)
        snapshot.add_document(
            data, "jats", "PMC",
            url=f"https://www.ebi.ac.uk/europepmc/webservices/rest/{paper.pmcid}/fullTextXML",
            license_=paper.license,
            path=f"documents/pmc/{paper.pmcid}.xml",
            doi=paper.doi, pmcid=paper.pmcid, pubmed_id=paper.pmid,
        )
    for key, (source, header) in PDF_PAPERS.items():
        paper = PAPER[key]
        ids = {"arxiv_id": paper.arxiv_id.split("v")[0]} if source == "ArXiv" else {"doi": paper.doi}
        snapshot.add_document(pdf_document(paper, header), "pdf", source, pdf_url(paper), paper.license, **ids)
    broken = PAPER[documents["html_error_page"]]
    snapshot.add_document(HTML_ERROR_PAGE, "pdf", "MedRxiv", pdf_url(broken), broken.license, doi=broken.doi)


def build_snapshot() -> dict[str, bytes]:
    """Every file of the sample snapshot, by relative path."""
    snapshot = Snapshot()
    add_feeds(snapshot)
    add_documents(snapshot)
    files = dict(snapshot.files)
    files["documents.jsonl"] = "".join(
        json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n"
        for line in sorted(snapshot.documents, key=lambda line: line["path"])
    ).encode("utf-8")
    manifest = {
        "created": SOURCES["snapshot_created"],
        "query": {"terms": SOURCES["query_terms"], "fields": ["title", "abstract"]},
        "sources": sorted(snapshot.sources, key=lambda source: source["name"]),
        "files": {path: hashlib.sha256(files[path]).hexdigest() for path in sorted(files)},
        "failures": [],
    }
    files["snapshot.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return files


def write_snapshot(files: dict[str, bytes], out: Path) -> None:
    """Replace `out` with exactly `files` (refuses a non-empty folder that is not a snapshot)."""
    if out.exists():
        if any(out.iterdir()) and not (out / "snapshot.json").exists():
            raise SystemExit(f"{out} is not empty and holds no snapshot.json; refusing to replace it")
        shutil.rmtree(out)
    for path, data in sorted(files.items()):
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="snapshot folder to (re)write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    files = build_snapshot()
    write_snapshot(files, args.out)
    log.info("wrote %d files, %d bytes, to %s", len(files), sum(len(data) for data in files.values()), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
