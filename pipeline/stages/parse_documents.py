"""ParseDocuments: documents.jsonl lines -> full-text papers (pmc_json / pdf_json).

Each document is read from the snapshot, checked against its SHA-1 and parsed:
JATS with `parse_jats`, PDFs with `pdf_to_pdf_json` (GROBID when a URL is given, else
pdfminer). With a parse cache folder, a document whose bytes and parser version were
parsed before is not parsed again. Failures become dead letters; every parse is
checked against its schema and the span invariants before it goes on.
"""
import concurrent.futures
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import apache_beam as beam
from apache_beam.utils.windowed_value import WindowedValue

from parsers.documents import parse_document, parser_version
from parsers.errors import ParseError
from parsers.grobid import DEFAULT_CONCURRENCY, GrobidClient
from schemas.invariants import paper_problems
from pipeline.stages import DEAD_LETTERS
from schemas.records import dead_letter, dead_letter_from_error
from pipeline.stages.metrics import count
from pipeline.parse_cache import parse_cache_folder, read_cached_parse, write_cached_parse
from pipeline.snapshot import SnapshotError
from release.layout import paper_relative_path
from release.writer import paper_json_bytes
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


def paper_validation_problems(doc_type: str, paper: dict) -> list[str]:
    return schema_errors(SCHEMA_BY_TYPE[doc_type], paper) + paper_problems(paper)


@dataclass(frozen=True)
class Outcome:
    """What parsing one documents.jsonl line gave: a parsed document or a dead letter, and counters."""

    parsed: ParsedDocument | None = None
    dead_letter: dict | None = None
    counters: tuple[tuple[str, str | None], ...] = ()


def read_document(snapshot_dir: Path, document: dict) -> bytes:
    """The document's bytes, checked against the SHA-1 that documents.jsonl gives."""
    path = snapshot_dir / document["path"]
    if not path.is_file():
        raise SnapshotError(f"{document['path']}: listed in documents.jsonl but missing")
    data = path.read_bytes()
    if hashlib.sha1(data).hexdigest() != document["sha1"]:
        raise SnapshotError(f"{document['path']}: SHA-1 differs from documents.jsonl")
    return data


def parse_or_reuse(doc_type: str, data: bytes, document: dict, grobid: GrobidClient | None,
                   cache_dir: Path | None) -> tuple[dict, dict, bool]:
    """(paper, ids found in it, whether it came from the parse cache)."""
    cache_file = None
    if cache_dir:
        version = parser_version(doc_type, grobid is not None)
        cache_file = parse_cache_folder(cache_dir, version) / f"{document['sha1']}.json"
        cached = read_cached_parse(cache_file)
        if cached is not None:
            return cached[0], cached[1], True
    paper, found_ids = parse_document(doc_type, data, Path(document["path"]).stem, grobid)
    if cache_file is not None:
        write_cached_parse(cache_file, paper, found_ids)
    return paper, found_ids, False


def parse_document_line(number: int, line: str, snapshot_dir: Path, grobid: GrobidClient | None,
                        cache_dir: Path | None) -> Outcome:
    """Read, check, parse (or reuse a cached parse) and validate the document of one line."""
    input_ref = f"documents.jsonl:{number}"
    try:
        document = json.loads(line)
    except ValueError as exc:
        return Outcome(dead_letter=dead_letter(STAGE, input_ref, "JSONDecodeError", "invalid_document_line", str(exc)))
    problems = schema_errors("document_line", document)
    if problems:
        source = document.get("source") if isinstance(document, dict) else None
        return Outcome(dead_letter=dead_letter(STAGE, input_ref, "SchemaError", "invalid_document_line", "; ".join(problems), source))
    source, doc_type, input_ref = document["source"], document["type"], document["path"]
    try:
        data = read_document(snapshot_dir, document)
        paper, found_ids, reused = parse_or_reuse(doc_type, data, document, grobid, cache_dir)
    except (ParseError, SnapshotError) as exc:
        return Outcome(dead_letter=dead_letter_from_error(STAGE, input_ref, exc, source), counters=((f"failed_{doc_type}", source),))
    problems = paper_validation_problems(doc_type, paper)
    if problems:
        letter = dead_letter(STAGE, input_ref, "SchemaError", "invalid_parse", "; ".join(problems[:5]), source)
        return Outcome(dead_letter=letter, counters=((f"invalid_{doc_type}", source),))
    ids = {k: v for k, v in document["ids"].items() if v}
    ids.update({k: v for k, v in found_ids.items() if k not in ids})
    parsed = ParsedDocument(
        type=doc_type,
        sha1=document["sha1"],
        json_path=paper_relative_path(doc_type, paper["paper_id"]),
        ids=dict(sorted(ids.items())),
        source=source,
        paper_json=paper_json_bytes(paper),
    )
    counters = ((f"parsed_{doc_type}", source),) + ((("reused_parses", None),) if reused else ())
    return Outcome(parsed=parsed, counters=counters)


@beam.typehints.with_output_types(ParsedDocument)
class ParseDocument(beam.DoFn):
    """Thin wrapper over `parse_document_line`.

    With GROBID, the documents of a bundle are parsed by a thread pool twice as wide as
    the client's concurrency, so one worker keeps several requests in flight (GROBID is
    slow and remote; a single request at a time leaves it idle). The client's in-flight
    limit is the bound on requests; the extra threads read the next PDFs and convert
    the TEI of finished ones meanwhile, so a slot freed by an answer is taken again at
    once. Outcomes are emitted as they complete, and the rest at the end of the bundle.
    """

    def __init__(self, snapshot_dir: str, grobid_url: str | None, cache_dir: str | None,
                 grobid_concurrency: int = DEFAULT_CONCURRENCY):
        self.snapshot_dir = snapshot_dir
        self.grobid_url = grobid_url
        self.cache_dir = cache_dir
        self.grobid_concurrency = grobid_concurrency
        self.grobid: GrobidClient | None = None
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.pending: list[tuple[concurrent.futures.Future, object, object]] = []

    def setup(self):
        if self.grobid_url:
            cache = str(Path(self.cache_dir) / "tei") if self.cache_dir else None
            self.grobid = GrobidClient(self.grobid_url, cache_dir=cache, concurrency=self.grobid_concurrency)
            self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=2 * self.grobid.concurrency)

    def teardown(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True)

    def parse(self, numbered_line: tuple[int, str]) -> Outcome:
        number, line = numbered_line
        cache = Path(self.cache_dir) if self.cache_dir else None
        return parse_document_line(number, line, Path(self.snapshot_dir), self.grobid, cache)

    def start_bundle(self):
        self.pending = []

    def process(self, numbered_line: tuple[int, str], window=beam.DoFn.WindowParam, timestamp=beam.DoFn.TimestampParam):
        if self.pool is None:
            yield from emit(self.parse(numbered_line))
            return
        self.pending.append((self.pool.submit(self.parse, numbered_line), window, timestamp))
        if len(self.pending) >= 4 * self.grobid.concurrency:  # every pool thread busy, as many queued
            concurrent.futures.wait([future for future, _, _ in self.pending], return_when=concurrent.futures.FIRST_COMPLETED)
        still_pending = []
        for future, future_window, future_timestamp in self.pending:
            if future.done():
                yield from emit(future.result())
            else:
                still_pending.append((future, future_window, future_timestamp))
        self.pending = still_pending

    def finish_bundle(self):
        for future, window, timestamp in self.pending:
            for output in emit(future.result()):
                if isinstance(output, beam.pvalue.TaggedOutput):
                    yield beam.pvalue.TaggedOutput(output.tag, WindowedValue(output.value, timestamp, [window]))
                else:
                    yield WindowedValue(output, timestamp, [window])
        self.pending = []


def emit(outcome: Outcome):
    """Count, then yield the parsed document or the dead letter (in the DoFn's own thread)."""
    for what, source in outcome.counters:
        count(STAGE, what, source)
    if outcome.parsed is not None:
        yield outcome.parsed
    else:
        yield beam.pvalue.TaggedOutput(DEAD_LETTERS, outcome.dead_letter)


@dataclass
class ParseDocuments(beam.PTransform):
    """(line number, documents.jsonl line) -> ParsedDocument (main output) and dead letters."""

    snapshot_dir: str
    grobid_url: str | None = None
    cache_dir: str | None = None
    grobid_concurrency: int = DEFAULT_CONCURRENCY

    def __post_init__(self):
        super().__init__()

    def expand(self, lines):
        return (
            lines
            | "SpreadDocuments" >> beam.Reshuffle()
            | "Parse" >> beam.ParDo(ParseDocument(self.snapshot_dir, self.grobid_url, self.cache_dir, self.grobid_concurrency)).with_outputs(DEAD_LETTERS, main="parsed")
        )
