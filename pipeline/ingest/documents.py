"""The documents of an ingest: PDFs and PMC JATS files the records point to.

A document is downloaded when its record's licence is allowed (`[documents]
licenses`), through `[mirrors]`, at most `max_bytes` long, and only when its
content is what it claims (a PDF, not an HTML error page; a JATS article, also
from inside a PMC OA package). PDFs are named by their SHA-1, JATS files by their
PMCID (one per PMCID, the first source wins). Every download is appended to a log in
the ingest's state folder, so a resumed ingest fetches no document twice.
"""
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

from parsers.feeds import iter_feed_records
from parsers.jats import NotJatsError
from parsers.pdf.errors import check_pdf_bytes
from parsers.xmlsafe import parse_xml_bytes
from pipeline.ingest.config import IngestConfig, SourceConfig
from pipeline.ingest.errors import FetchError
from pipeline.ingest.http import HttpClient
from pipeline.snapshot import JATS_DIR, PDF_DIR, jats_path, partial_path, pdf_path
from release.errors import ReleaseError
from release.safe_tar import iter_tarball_files
from schemas.files import atomic_write_bytes
from schemas.records import DocumentLink, SourceRecord

logger = logging.getLogger(__name__)

DOCUMENT_LOG = "documents.log.jsonl"


def mirrored_url(url: str, mirrors: dict) -> str:
    """`url` with its longest matching mirror prefix replaced (unchanged when none matches)."""
    for prefix in sorted(mirrors, key=len, reverse=True):
        if url.startswith(prefix):
            return mirrors[prefix] + url[len(prefix):]
    return url


def check_pdf(path: Path) -> None:
    """A downloaded PDF must look like one (an HTML error page does not); reads the first KiB only."""
    with path.open("rb") as handle:
        check_pdf_bytes(handle.read(1024))


def jats_bytes(path: Path) -> bytes:
    """The JATS XML of a download: the file itself, or the .nxml inside a PMC OA package."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            members = [(name, body) for name, body in iter_tarball_files(path) if name.endswith((".nxml", ".xml"))]
        except ReleaseError as exc:
            raise NotJatsError(f"unsafe or broken OA package: {exc}") from exc
        if not members:
            raise NotJatsError("the OA package holds no .nxml file")
        data = sorted(members, key=lambda item: (not item[0].endswith(".nxml"), item[0]))[0][1]
    root = parse_xml_bytes(data)
    if root.tag != "article":
        raise NotJatsError(f"not a JATS article (root element {root.tag!r})")
    return data


class DocumentDownloads:
    """The documents downloaded into one snapshot folder so far, and the downloading of more.

    `failures` is the ingest's list of failures; a document that cannot be fetched is
    added to it and tried again only by a later run.
    """

    def __init__(self, config: IngestConfig, snapshot_dir: Path, state_dir: Path, client: HttpClient,
                 failures: list[dict]):
        self.config = config
        self.dir = snapshot_dir
        self.log_path = state_dir / DOCUMENT_LOG
        self.client = client
        self.failures = failures
        self.by_url = self._load_log()
        self.tried_urls: set[str] = set()  # a URL that failed is tried once per run, whichever source links it

    def count(self, source_name: str) -> int:
        """Documents downloaded for one source."""
        return sum(1 for entry in self.by_url.values() if entry["source_name"] == source_name)

    def lines(self) -> list[dict]:
        """The documents.jsonl line of every document."""
        return [entry["line"] for entry in self.by_url.values()]

    def checksums(self) -> dict[str, str]:
        """The sha256 of every document by its path in the snapshot."""
        return {entry["line"]["path"]: entry["sha256"] for entry in self.by_url.values()}

    def fetch_for_source(self, source: SourceConfig, feed_files: list[str],
                         on_document: Callable[[int], None]) -> None:
        """Download the licensed documents of a source's records (skipping those already done).

        `feed_files` are the source's pages (paths relative to the snapshot);
        `on_document` is told the source's document count after each download.
        """
        done_here = self.count(source.name)
        jats_paths = {entry["line"]["path"] for entry in self.by_url.values() if entry["line"]["type"] == "jats"}
        for record in self._records(source, feed_files):
            if record["license"] not in self.config.document_licenses:
                continue
            for document in record["documents"]:
                url = document["url"]
                if url in self.by_url or url in self.tried_urls:
                    continue
                self.tried_urls.add(url)
                if document["type"] == "jats" and (
                    not record["ids"]["pmcid"] or jats_path(record["ids"]["pmcid"]) in jats_paths
                ):
                    continue  # a JATS file is named by its PMCID: one per PMCID, the first source wins
                entry = self._fetch(source, record, document)
                if entry is not None:
                    self._remember(entry)
                    if document["type"] == "jats":
                        jats_paths.add(entry["line"]["path"])
                    done_here += 1
                    on_document(done_here)

    def _records(self, source: SourceConfig, feed_files: list[str]) -> Iterator[SourceRecord]:
        for relative in feed_files:
            yield from iter_feed_records(source.kind, str(self.dir / relative), on_error=lambda error: None)

    def _fetch(self, source: SourceConfig, record: SourceRecord, document: DocumentLink) -> dict | None:
        """Download one document into the snapshot; its log entry, or None when it failed (recorded)."""
        url = document["url"]
        is_pdf = document["type"] == "pdf"
        folder = self.dir / (PDF_DIR if is_pdf else JATS_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        partial = partial_path(folder / f"download-{hashlib.sha1(url.encode()).hexdigest()}")
        try:
            result = self.client.fetch_to_file(mirrored_url(url, self.config.mirrors), None, partial,
                                               self.config.document_rate_limit, self.config.max_document_bytes,
                                               check_pdf if is_pdf else jats_bytes, retry_invalid=False)
        except FetchError as exc:
            partial.unlink(missing_ok=True)
            self.failures.append({"source": source.name, "stage": "document", "url": url, "reason": exc.reason,
                                  "message": str(exc), "attempts": exc.attempts})
            logger.warning("%s: document %s not downloaded: %s", source.name, url, exc)
            return None
        if is_pdf:
            data = partial.read_bytes()
            sha1 = hashlib.sha1(data).hexdigest()
            relative = pdf_path(sha1)
            os.replace(partial, self.dir / relative)
        else:
            data = cast(bytes, result)  # what jats_bytes returned
            sha1 = hashlib.sha1(data).hexdigest()
            relative = jats_path(record["ids"]["pmcid"])  # type: ignore[arg-type]  # only JATS with a PMCID get here
            atomic_write_bytes(self.dir / relative, data, fsync=True)
            partial.unlink(missing_ok=True)
        line = {"path": relative, "sha1": sha1, "type": document["type"], "source": record["source"],
                "ids": record["ids"], "license": record["license"], "url": url}
        return {"line": line, "sha256": hashlib.sha256(data).hexdigest(), "source_name": source.name}

    def _remember(self, entry: dict) -> None:
        """Add a downloaded document, on disk in the log before the next one is fetched."""
        self.by_url[entry["line"]["url"]] = entry
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(json.dumps(entry, sort_keys=True) + "\n")
            log.flush()
            os.fsync(log.fileno())

    def _load_log(self) -> dict:
        """Downloaded documents by URL, from the append-only log.

        A line torn by an interruption is dropped (and cut from the log, so the next
        append starts on a fresh line); its document is simply fetched again.
        """
        documents: dict[str, dict] = {}
        if not self.log_path.is_file():
            return documents
        kept = []
        for line in self.log_path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            documents[entry["line"]["url"]] = entry
            kept.append(line + "\n")
        atomic_write_bytes(self.log_path, "".join(kept).encode(), fsync=True)
        return documents
