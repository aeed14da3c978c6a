"""ParseDocuments: documents.jsonl lines -> full-text papers (pmc_json / pdf_json).

Each document is read from the snapshot, checked against its SHA-1 and parsed:
JATS with `parse_jats`, PDFs with `pdf_to_pdf_json` (GROBID when a URL is given, else
pdfminer). With a parse cache folder, a document whose bytes and parser version were
parsed before is not parsed again. Failures become dead letters; every parse is
checked against its schema and the span invariants before it goes on.
"""
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import apache_beam as beam

from parsers import jats, pdf_text, tei
from parsers.errors import ParseError
from parsers.grobid import GrobidClient
from schemas.invariants import paper_problems
from parsers.jats import parse_jats
from parsers.pdf_document import pdf_to_pdf_json
from pipeline.dead_letters import DEAD_LETTERS, dead_letter, dead_letter_from_error
from pipeline.metrics import count
from pipeline.snapshot import SnapshotError
from release.writer import paper_json_bytes, paper_relative_path
from schemas import schema_errors

logger = logging.getLogger(__name__)

STAGE = "parse_documents"
SCHEMA_BY_TYPE = {"jats": "pmc_json", "pdf": "pdf_json"}


@dataclass(frozen=True)
class ParsedDocument:
    """One parsed document on its way to the release."""

    type: str  # "jats" | "pdf"
    sha1: str
    json_path: str  # relative path inside the release
    ids: dict
    source: str
    paper_json: bytes = field(repr=False)


def parser_version(doc_type: str, grobid_configured: bool) -> str:
    """The version string that keys the parse cache and goes into the manifest."""
    if doc_type == "jats":
        return jats.PARSER_VERSION
    return tei.PARSER_VERSION if grobid_configured else pdf_text.PARSER_VERSION


def parser_versions(grobid_configured: bool) -> dict[str, str]:
    return {"pmc_json": parser_version("jats", grobid_configured), "pdf_json": parser_version("pdf", grobid_configured)}


def parse_document_bytes(doc_type: str, data: bytes, fallback_id: str, grobid: GrobidClient | None) -> tuple[dict, dict]:
    """(paper, ids found in the document) for one document's bytes."""
    if doc_type == "jats":
        parsed = parse_jats(data, fallback_paper_id=fallback_id)
        return parsed.paper, {k: v for k, v in parsed.ids.items() if v}
    return pdf_to_pdf_json(data, grobid), {}


def paper_validation_problems(doc_type: str, paper: dict) -> list[str]:
    return schema_errors(SCHEMA_BY_TYPE[doc_type], paper) + paper_problems(paper)


@beam.typehints.with_output_types(ParsedDocument)
class ParseDocument(beam.DoFn):
    """Thin wrapper: read, check, parse (or reuse a cached parse), validate, emit."""

    def __init__(self, snapshot_dir: str, grobid_url: str | None, cache_dir: str | None):
        self.snapshot_dir = snapshot_dir
        self.grobid_url = grobid_url
        self.cache_dir = cache_dir
        self.grobid: GrobidClient | None = None

    def setup(self):
        if self.grobid_url:
            cache = str(Path(self.cache_dir) / "tei") if self.cache_dir else None
            self.grobid = GrobidClient(self.grobid_url, cache_dir=cache)

    def process(self, numbered_line: tuple[int, str]):
        number, line = numbered_line
        input_ref = f"documents.jsonl:{number}"
        try:
            document = json.loads(line)
        except ValueError as exc:
            yield beam.pvalue.TaggedOutput(DEAD_LETTERS, dead_letter(STAGE, input_ref, "JSONDecodeError", "invalid_document_line", str(exc)))
            return
        problems = schema_errors("document_line", document)
        if problems:
            yield beam.pvalue.TaggedOutput(DEAD_LETTERS, dead_letter(STAGE, input_ref, "SchemaError", "invalid_document_line", "; ".join(problems), document.get("source") if isinstance(document, dict) else None))
            return
        source, doc_type, input_ref = document["source"], document["type"], document["path"]
        try:
            data = self.read_document(document)
            paper, found_ids = self.parse_or_reuse(doc_type, data, document)
        except (ParseError, SnapshotError) as exc:
            count(STAGE, f"failed_{doc_type}", source)
            yield beam.pvalue.TaggedOutput(DEAD_LETTERS, dead_letter_from_error(STAGE, input_ref, exc, source))
            return
        problems = paper_validation_problems(doc_type, paper)
        if problems:
            count(STAGE, f"invalid_{doc_type}", source)
            yield beam.pvalue.TaggedOutput(DEAD_LETTERS, dead_letter(STAGE, input_ref, "SchemaError", "invalid_parse", "; ".join(problems[:5]), source))
            return
        count(STAGE, f"parsed_{doc_type}", source)
        ids = {k: v for k, v in document["ids"].items() if v}
        ids.update({k: v for k, v in found_ids.items() if k not in ids})
        yield ParsedDocument(
            type=doc_type,
            sha1=document["sha1"],
            json_path=paper_relative_path(doc_type, paper["paper_id"]),
            ids=dict(sorted(ids.items())),
            source=source,
            paper_json=paper_json_bytes(paper),
        )

    def read_document(self, document: dict) -> bytes:
        path = Path(self.snapshot_dir) / document["path"]
        if not path.is_file():
            raise SnapshotError(f"{document['path']}: listed in documents.jsonl but missing")
        data = path.read_bytes()
        if hashlib.sha1(data).hexdigest() != document["sha1"]:
            raise SnapshotError(f"{document['path']}: SHA-1 differs from documents.jsonl")
        return data

    def parse_or_reuse(self, doc_type: str, data: bytes, document: dict) -> tuple[dict, dict]:
        cache_file = None
        if self.cache_dir:
            version = parser_version(doc_type, self.grobid is not None)
            cache_file = Path(self.cache_dir) / "parses" / version / f"{document['sha1']}.json"
            if cache_file.is_file():
                count(STAGE, "reused_parses")
                cached = json.loads(cache_file.read_bytes())
                return cached["paper"], cached["ids"]
        paper, found_ids = parse_document_bytes(doc_type, data, Path(document["path"]).stem, self.grobid)
        if cache_file is not None:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            partial = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.part")
            partial.write_text(json.dumps({"paper": paper, "ids": found_ids}, ensure_ascii=False), encoding="utf-8")
            partial.replace(cache_file)
        return paper, found_ids


@dataclass
class ParseDocuments(beam.PTransform):
    """(line number, documents.jsonl line) -> ParsedDocument (main output) and dead letters."""

    snapshot_dir: str
    grobid_url: str | None = None
    cache_dir: str | None = None

    def __post_init__(self):
        super().__init__()

    def expand(self, lines):
        return (
            lines
            | "SpreadDocuments" >> beam.Reshuffle()
            | "Parse" >> beam.ParDo(ParseDocument(self.snapshot_dir, self.grobid_url, self.cache_dir)).with_outputs(DEAD_LETTERS, main="parsed")
        )
