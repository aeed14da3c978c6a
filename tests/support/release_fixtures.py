"""A small, valid release written by our own writer, for tests of validate, publish and load."""
from pathlib import Path

from schemas import METADATA_COLUMNS
from release.layout import paper_relative_path
from release.assemble import ReleaseContent, write_release
from schemas.records import paper_json_bytes

PDF_SHA1 = "0" * 39 + "1"


def make_row(uid: str, **values: str) -> dict:
    row = {column: "" for column in METADATA_COLUMNS}
    row.update({"cord_uid": uid, "license": "unk"})
    row.update(values)
    return row


def make_pdf_paper() -> dict:
    text = "Coronaviruses spread [1] as Fig. 1 shows."
    return {
        "paper_id": PDF_SHA1,
        "metadata": {"title": "A coronavirus study", "authors": [
            {"first": "Ada", "middle": ["B"], "last": "Lovelace", "suffix": "", "affiliation": {}, "email": ""}]},
        "abstract": [{"text": "We study coronaviruses.", "cite_spans": [], "ref_spans": [], "section": "Abstract"}],
        "body_text": [{
            "text": text,
            "cite_spans": [{"start": 21, "end": 24, "text": "[1]", "ref_id": "BIBREF0"}],
            "ref_spans": [{"start": 28, "end": 34, "text": "Fig. 1", "ref_id": "FIGREF0"}],
            "section": "Introduction",
        }],
        "bib_entries": {"BIBREF0": {"ref_id": "b0", "title": "Earlier work", "authors": [], "year": 2003,
                                    "venue": "J Virol", "volume": "1", "issn": "", "pages": "1--2", "other_ids": {}}},
        "ref_entries": {"FIGREF0": {"text": "Spread over time", "type": "figure", "latex": None}},
        "back_matter": [],
    }


def write_small_release(out_dir: Path, date: str = "2026-01-02") -> Path:
    """Write a two-row release with one pdf_json parse into `out_dir/<date>/`; return that folder."""
    release_dir = out_dir / date
    paper_path = paper_relative_path("pdf", PDF_SHA1)
    rows = [
        make_row("abcd1234", sha=PDF_SHA1, source_x="Medline; PMC", title="A coronavirus study",
                 doi="10.1000/xyz", pubmed_id="123", publish_time="2020-03-01",
                 authors="Lovelace, Ada B", pdf_json_files=paper_path, license="cc-by"),
        make_row("efgh5678", source_x="WHO", title="Another, \"quoted\" title", who_covidence_id="#42",
                 publish_time="2020"),
    ]
    content = ReleaseContent(
        release_date=date, rows=rows, papers={paper_path: paper_json_bytes(make_pdf_paper())},
        dead_letters=[{"schema_version": "1", "stage": "parse_documents", "input": "documents/pdf/x.pdf",
                       "source": "PMC", "error": "PdfCorruptError", "reason": "corrupt_pdf", "message": "broken"}],
        registry_json='{"keys": {}}\n', dedup_report=[], cord_uid_changes={}, parser_versions={"pdf_json": "test-1"},
        source_record_count=3,
    )
    write_release(release_dir, content)
    return release_dir
