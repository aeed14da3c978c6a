"""ParseDocuments: documents.jsonl lines -> parse files written where they are made, and small references.

A worker reads documents.jsonl from the snapshot's location and hands out its lines;
each document is read from the store, checked against its SHA-1 and parsed (JATS with
the JATS parser, PDFs through GROBID when a URL is given, else pdfminer), or taken from
the parse cache. The parse is written once, right there, into the staging folder as a
candidate named by its cache key (`_work/parses/<key>.json`; a cache hit copies the
cached bytes), and only a `ParsedRef` (kind, ids, paths, size, sha256) goes on through
the graph: full texts never enter a shuffle. HarmonizeMetadata later moves the
candidates of the parses that belong to the release to their release paths.

A document line that is not valid JSON, breaks its schema or names a path outside the
snapshot, and a document that fails to parse or whose parse breaks the schema, become
dead letters. A listed document that is missing or not the bytes documents.jsonl says
stops the build (SnapshotIntegrityError): that is the snapshot, not the document.
"""
import concurrent.futures
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import PurePosixPath

import apache_beam as beam
from apache_beam.utils.windowed_value import WindowedValue

from parsers.documents import DEFAULT_LIMITS, InputLimits, parse_document
from parsers.errors import ParseError
from parsers.grobid import DEFAULT_CONCURRENCY, GrobidClient
from pipeline.parse_cache import CachedParse, entry_names, parse_cache_key
from pipeline.snapshot import (
    DOCUMENTS_FILE,
    SnapshotError,
    documents_checksum,
    integrity_error,
    iter_document_lines,
    safe_relative_path,
)
from pipeline.stages import DEAD_LETTERS, files
from pipeline.stages.metrics import count
from pipeline.stages.read_records import read_snapshot
from release.layout import candidate_name, member_candidate_name, paper_relative_path
from release.tarball import file_member
from schemas import load_schema, schema_errors
from schemas.invariants import paper_problems
from schemas.records import DeadLetter, dead_letter, dead_letter_from_error, paper_json_bytes

logger = logging.getLogger(__name__)

STAGE = "parse_documents"
SCHEMA_BY_TYPE = {"jats": "pmc_json", "pdf": "pdf_json"}


@dataclass(frozen=True)
class ParsedRef:
    """One parsed document on its way to the release: everything but its bytes."""

    type: str  # "jats" | "pdf"
    sha1: str
    json_path: str  # its path inside the release
    ids: dict
    source: str
    candidate: str  # where its bytes are, relative to the staging folder
    member: str  # where its compressed tarball member is, relative to the staging folder
    size: int
    sha256: str


@dataclass(frozen=True)
class Outcome:
    """What parsing one documents.jsonl line gave: a reference or a dead letter, and counters."""

    parsed: ParsedRef | None = None
    dead_letter: DeadLetter | None = None
    counters: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class ParseSettings:
    """Where a worker reads and writes, and which parser versions it works under."""

    snapshot: str
    staging: str
    cache: str | None
    versions: dict[str, str]  # parser_versions(...), decided on the launcher
    store: tuple[str, ...] = ()  # files.store_flags: how workers reach the store
    limits: InputLimits = DEFAULT_LIMITS  # documents over these sizes are dead letters, never read


def read_document(settings: ParseSettings, document: dict) -> bytes:
    """The document's bytes, checked against the SHA-1 that documents.jsonl gives.

    A document over its size limit is not read (InputTooLargeError, a dead letter).
    """
    path = files.join(settings.snapshot, document["path"])
    try:
        settings.limits.check(document["type"], files.size(path))
        return files.read_checked(path, document["sha1"], "sha1")
    except files.ChecksumMismatchError as exc:
        raise integrity_error(document["path"], "SHA-1 differs from documents.jsonl") from exc
    except FileNotFoundError as exc:
        raise integrity_error(document["path"], "listed in documents.jsonl but missing") from exc


def checked_document_line(number: int, line: str) -> tuple[dict | None, DeadLetter | None]:
    """(document, None) for a usable documents.jsonl line, else (None, its dead letter)."""
    where = f"{DOCUMENTS_FILE}:{number}"
    try:
        document = json.loads(line)
    except ValueError as exc:
        return None, dead_letter(STAGE, where, "JSONDecodeError", "invalid_document_line", str(exc))
    problems = schema_errors("document_line", document)
    if not problems:
        try:
            safe_relative_path(document["path"])
        except SnapshotError as exc:
            problems = [str(exc)]
    if problems:
        source = document.get("source") if isinstance(document, dict) else None
        source = source if isinstance(source, str) else None
        return None, dead_letter(STAGE, where, "SchemaError", "invalid_document_line", "; ".join(problems), source)
    return document, None


def parse_or_reuse(settings: ParseSettings, document: dict, grobid: GrobidClient | None) -> tuple[ParsedRef, bool]:
    """Write the document's parse as a staging candidate (parsed now, or copied from the cache).

    Returns its reference and whether it came from the cache; ParseError when it does
    not parse, InvalidParse when its parse breaks the schema or the span invariants.
    """
    doc_type, fallback_id = document["type"], PurePosixPath(document["path"]).stem
    schema_version = load_schema(SCHEMA_BY_TYPE[doc_type])["version"]
    key = parse_cache_key(doc_type, settings.versions[SCHEMA_BY_TYPE[doc_type]], schema_version,
                          document["sha1"], fallback_id)
    candidate, member = candidate_name(key), member_candidate_name(key)
    candidate_path, member_path = files.join(settings.staging, candidate), files.join(settings.staging, member)
    data = read_document(settings, document)  # checked even when the cache has its parse
    cache = settings.cache
    cached = lookup_cache(cache, key) if cache else None
    if cache and cached is not None:
        data_name, member_name, _ = entry_names(key)
        files.copy(files.join(cache, data_name), candidate_path)
        files.copy(files.join(cache, member_name), member_path)
        entry, reused = cached, True
    else:
        paper, found_ids = parse_document(doc_type, data, fallback_id, grobid)
        problems = schema_errors(SCHEMA_BY_TYPE[doc_type], paper) + paper_problems(paper)
        if problems:
            raise InvalidParse("; ".join(problems[:5]))
        parse = paper_json_bytes(paper)
        entry = CachedParse(paper_id=paper["paper_id"], ids=found_ids, size=len(parse),
                            sha256=hashlib.sha256(parse).hexdigest())
        json_path = paper_relative_path(doc_type, entry.paper_id)
        files.write_bytes(candidate_path, parse)
        files.write_bytes(member_path, file_member(json_path, parse))
        if cache:
            store_cache(cache, key, candidate_path, member_path, entry)
        reused = False
    ids = {k: v for k, v in document["ids"].items() if v}
    ids.update({k: v for k, v in entry.ids.items() if k not in ids})
    ref = ParsedRef(type=doc_type, sha1=document["sha1"], json_path=paper_relative_path(doc_type, entry.paper_id),
                    ids=dict(sorted(ids.items())), source=document["source"], candidate=candidate, member=member,
                    size=entry.size, sha256=entry.sha256)
    return ref, reused


class InvalidParse(ParseError):
    """A parse that breaks its schema or the span invariants."""

    reason = "invalid_parse"


def lookup_cache(cache: str, key: str) -> CachedParse | None:
    """The cache entry of `key`, or None (no entry, or half of one)."""
    try:
        return CachedParse.from_json(files.read_bytes(files.join(cache, entry_names(key)[2])))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store_cache(cache: str, key: str, candidate_path: str, member_path: str, entry: CachedParse) -> None:
    """Copy a fresh parse and its tarball member into the cache, its ref file last."""
    data_name, member_name, ref_name = entry_names(key)
    files.copy(candidate_path, files.join(cache, data_name))
    files.copy(member_path, files.join(cache, member_name))
    files.write_bytes(files.join(cache, ref_name), entry.to_json())


def parse_document_line(number: int, line: str, settings: ParseSettings, grobid: GrobidClient | None) -> Outcome:
    """Check one documents.jsonl line, then parse (or reuse) and write its document."""
    document, letter = checked_document_line(number, line)
    if document is None:
        return Outcome(dead_letter=letter)
    source, doc_type = document["source"], document["type"]
    try:
        ref, reused = parse_or_reuse(settings, document, grobid)
    except ParseError as exc:
        what = "invalid" if isinstance(exc, InvalidParse) else "failed"
        return Outcome(dead_letter=dead_letter_from_error(STAGE, document["path"], exc, source),
                       counters=((f"{what}_{doc_type}", source),))
    counters = ((f"parsed_{doc_type}", source),) + ((("reused_parses", None),) if reused else ())
    return Outcome(parsed=ref, counters=counters)


class ListDocumentLines(files.StoreDoFn):
    """The snapshot's location -> (line number, line) of its documents.jsonl, checked against snapshot.json."""

    def process(self, snapshot: str):
        expected = documents_checksum(read_snapshot(snapshot))
        path = files.join(snapshot, DOCUMENTS_FILE)
        if expected is None and not files.exists(path):
            return
        try:
            with files.checked_stream(path, expected) as stream:
                yield from iter_document_lines(stream)
        except files.ChecksumMismatchError as exc:
            raise integrity_error(DOCUMENTS_FILE, "sha256 differs from snapshot.json") from exc
        except FileNotFoundError as exc:
            raise integrity_error(DOCUMENTS_FILE, "listed in snapshot.json but missing") from exc


@beam.typehints.with_output_types(ParsedRef)
class ParseDocument(files.StoreDoFn):
    """Thin wrapper over `parse_document_line`.

    With GROBID, the documents of a bundle are parsed by a thread pool twice as wide as
    the client's concurrency, so one worker keeps several requests in flight (GROBID is
    slow and remote; a single request at a time leaves it idle). The client's in-flight
    limit is the bound on requests; the extra threads read the next PDFs and convert
    the TEI of finished ones meanwhile, so a slot freed by an answer is taken again at
    once. Outcomes are emitted as they complete, and the rest at the end of the bundle.
    """

    def __init__(self, settings: ParseSettings, grobid_url: str | None, grobid_concurrency: int = DEFAULT_CONCURRENCY):
        super().__init__(settings.store)
        self.settings = settings
        self.grobid_url = grobid_url
        self.grobid_concurrency = grobid_concurrency
        self.grobid: GrobidClient | None = None
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.pool_size = 0
        self.pending: list[tuple[concurrent.futures.Future, object, object]] = []

    def setup(self):
        super().setup()
        if self.grobid_url:
            cache = self.settings.cache
            tei_cache = files.join(cache, "tei") if cache and files.is_local(cache) else None
            self.grobid = GrobidClient(self.grobid_url, cache_dir=tei_cache, concurrency=self.grobid_concurrency)
            self.pool_size = 2 * self.grobid.concurrency
            self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=self.pool_size)

    def teardown(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True)

    def parse(self, numbered_line: tuple[int, str]) -> Outcome:
        number, line = numbered_line
        return parse_document_line(number, line, self.settings, self.grobid)

    def start_bundle(self):
        self.pending = []

    def process(self, numbered_line: tuple[int, str], window=beam.DoFn.WindowParam, timestamp=beam.DoFn.TimestampParam):
        if self.pool is None:
            yield from emit(self.parse(numbered_line))
            return
        self.pending.append((self.pool.submit(self.parse, numbered_line), window, timestamp))
        if len(self.pending) >= 2 * self.pool_size:  # every pool thread busy, as many queued
            concurrent.futures.wait([future for future, _, _ in self.pending],
                                    return_when=concurrent.futures.FIRST_COMPLETED)
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
    """Count, then yield the reference or the dead letter (in the DoFn's own thread)."""
    for what, source in outcome.counters:
        count(STAGE, what, source)
    if outcome.parsed is not None:
        yield outcome.parsed
    else:
        yield beam.pvalue.TaggedOutput(DEAD_LETTERS, outcome.dead_letter)


@dataclass
class ParseDocuments(beam.PTransform):
    """The snapshot's location -> ParsedRef (main output) and dead letters; parses written into staging."""

    settings: ParseSettings
    grobid_url: str | None = None
    grobid_concurrency: int = DEFAULT_CONCURRENCY

    def __post_init__(self):
        super().__init__()

    def expand(self, pipeline):
        return (
            pipeline
            | "SnapshotLocation" >> beam.Create([self.settings.snapshot])
            | "ListDocumentLines" >> beam.ParDo(ListDocumentLines(self.settings.store))
            | "SpreadDocuments" >> beam.Reshuffle()
            | "Parse" >> beam.ParDo(ParseDocument(self.settings, self.grobid_url, self.grobid_concurrency))
            .with_outputs(DEAD_LETTERS, main="parsed")
        )
