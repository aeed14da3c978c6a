"""One ingest run: every source's pages, then its documents, then the snapshot files; resumable.

Progress is saved after every page (`.ingest/state.json`) and every document (the
document log, see `documents`), so an interrupted ingest resumes where it stopped and
ends with the same snapshot as an uninterrupted one. A page that keeps failing stops
its source and is recorded in the snapshot's `failures`; the other sources go on.
"""
import datetime
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pipeline import snapshot
from pipeline.ingest.arxiv import ArxivPaging
from pipeline.ingest.biorxiv import BiorxivPaging
from pipeline.ingest.config import IngestConfig, SourceConfig
from pipeline.ingest.cursors import CrossrefPaging, EuropePmcPaging
from pipeline.ingest.documents import DocumentDownloads
from pipeline.ingest.errors import FetchError, IngestError
from pipeline.ingest.eutils import EutilsPaging
from pipeline.ingest.http import HttpClient
from pipeline.ingest.paging import Paging
from pipeline.ingest.whole_files import FilePaging
from schemas.files import atomic_write_bytes, sha256_file

logger = logging.getLogger(__name__)

STATE_DIR = ".ingest"
STATE_FILE = "state.json"
PAGINGS: dict[str, type[Paging]] = {
    "eutils": EutilsPaging,
    "biorxiv": BiorxivPaging,
    "arxiv": ArxivPaging,
    "crossref": CrossrefPaging,
    "europepmc": EuropePmcPaging,
    "file": FilePaging,
}


class Progress:
    """Per-source progress line on a terminal; silent when the stream is not a TTY."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, name: str, counts: dict) -> None:
        if self.enabled:
            line = f"{name}: pages {counts['pages']}, records {counts['records']}, documents {counts['documents']}"
            self.stream.write("\r" + line.ljust(78))
            self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


@dataclass
class IngestSummary:
    sources: dict
    failures: list

    def lines(self) -> list[str]:
        lines = [
            f"{name}: {c['status']}, {c['pages']} pages, {c['records']} records, {c['documents']} documents"
            for name, c in self.sources.items()
        ]
        lines.append(f"failures: {len(self.failures)}")
        lines.extend(f"  {f['source']} {f['stage']}: {f['reason']} ({f['url']})" for f in self.failures)
        return lines


def _counts(source_state: dict, documents: int = 0) -> dict:
    return {"pages": source_state["pages"], "records": source_state["records"], "documents": documents}


class Ingest:
    """One ingest run into `snapshot_dir`, resuming from its saved state when there is one."""

    def __init__(self, config: IngestConfig, snapshot_dir: Path, client: HttpClient | None = None,
                 progress: Progress | None = None, environ: dict | None = None):
        self.config = config
        self.dir = snapshot_dir
        self.client = client or HttpClient(config.http)
        self.progress = progress or Progress()
        self.environ = os.environ if environ is None else environ
        self.state_dir = snapshot_dir / STATE_DIR
        self.failures: list[dict] = []

    # -- state

    def load_state(self) -> dict:
        path = self.state_dir / STATE_FILE
        if not path.is_file():
            if snapshot.is_finished(self.dir):
                raise IngestError(f"{self.dir} already holds a finished snapshot; ingest into a new folder")
            created = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
            return {"created": created, "fingerprint": self.config.fingerprint(), "sources": {}}
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("fingerprint") != self.config.fingerprint():
            raise IngestError(f"{self.dir} was started with other sources or query; ingest into a new folder")
        return state

    def save_state(self, state: dict) -> None:
        state_bytes = json.dumps(state, sort_keys=True, indent=1).encode()
        atomic_write_bytes(self.state_dir / STATE_FILE, state_bytes, fsync=True)

    # -- run

    def run(self) -> IngestSummary:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        state = self.load_state()
        self.save_state(state)
        snapshot.remove_partial_files(self.dir)  # downloads and writes cut short by an interruption
        documents = DocumentDownloads(self.config, self.dir, self.state_dir, self.client, self.failures)
        for source in self.config.sources:
            source_state = state["sources"].setdefault(
                source.name, {"status": "pending", "paging": {}, "files": {}, "pages": 0, "records": 0})
            self.fetch_source(source, source_state, state)
            if self.config.download_documents:
                self.fetch_documents(documents, source, source_state)
            self.progress.done()
        self.write_snapshot(state, documents)
        counts = {
            name: {"status": s["status"], "pages": s["pages"], "records": s["records"],
                   "documents": documents.count(name)}
            for name, s in state["sources"].items()
        }
        return IngestSummary(counts, self.failures)

    def fetch_source(self, source: SourceConfig, source_state: dict, state: dict) -> None:
        """Fetch the pages of one source from where it stopped (nothing when it is done)."""
        if source_state["status"] == "done":
            return
        (self.dir / snapshot.FEEDS_DIR / source.name).mkdir(parents=True, exist_ok=True)
        api_key = self.environ.get(source.api_key_env) if source.api_key_env else None
        if source.api_key_env and not api_key:
            logger.debug("%s: %s is not set; fetching without an API key", source.name, source.api_key_env)
        paging = PAGINGS[source.api](source, api_key)
        paging_state = source_state["paging"]
        url = source.base_url
        try:
            while True:
                paging_state = paging.prepare(self.client, self.state_dir, paging_state)
                if paging_state is None or (source.max_pages and source_state["pages"] >= source.max_pages):
                    break
                url, params = paging.request(paging_state)
                paging_state = self._fetch_page(source, paging, paging_state, url, params, source_state)
                if paging_state is None:
                    source_state["status"] = "done"  # saved with the last page: a resume must not start over
                self.save_state(state)
                self.progress.update(source.name, _counts(source_state))
                if paging_state is None:
                    break
            source_state["status"] = "done"
        except FetchError as exc:
            source_state["status"] = "failed"
            self.failures.append({"source": source.name, "stage": "page", "page": source_state["pages"] + 1,
                                  "url": url, "reason": exc.reason, "message": str(exc), "attempts": exc.attempts})
            logger.warning("%s: stopped at page %d: %s", source.name, source_state["pages"] + 1, exc)
        self.save_state(state)

    def fetch_documents(self, documents: DocumentDownloads, source: SourceConfig, source_state: dict) -> None:
        """Download the documents of a source's records, showing the count as it grows."""
        documents.fetch_for_source(source, list(source_state["files"]),
                                   lambda count: self.progress.update(source.name, _counts(source_state, count)))

    def _fetch_page(self, source: SourceConfig, paging: Paging, paging_state: dict, url: str, params: dict,
                    source_state: dict) -> dict | None:
        """Fetch, check and keep one page (an empty one is not kept); the paging state after it."""
        number = source_state["pages"] + 1
        relative = snapshot.feed_path(source.name, paging.file_name(paging_state, number))
        partial = snapshot.partial_path(self.dir / relative)
        page = self.client.fetch_to_file(url, params, partial, source.rate_limit, sys.maxsize,
                                         lambda path: paging.read(path, paging_state))
        if page.items:
            digest = sha256_file(partial)
            os.replace(partial, self.dir / relative)
            source_state["files"][relative] = digest
            source_state["pages"] = number
            source_state["records"] += page.items
        else:
            partial.unlink(missing_ok=True)
        source_state["paging"] = page.next_state
        return page.next_state

    # -- the snapshot files

    def write_snapshot(self, state: dict, documents: DocumentDownloads) -> None:
        """documents.jsonl, then snapshot.json (its presence marks a finished snapshot)."""
        files: dict[str, str] = {}
        sources = []
        for source in self.config.sources:
            source_state = state["sources"][source.name]
            files.update(source_state["files"])
            sources.append({"name": source.name, "kind": source.kind, "files": list(source_state["files"])})
        files.update(documents.checksums())
        files[snapshot.DOCUMENTS_FILE] = snapshot.write_documents_file(self.dir, documents.lines())
        snapshot.write_snapshot_file(self.dir, state["created"], self.config.query, sources, files, self.failures)


def ingest(config: IngestConfig, snapshot_dir: Path, client: HttpClient | None = None,
           progress: Progress | None = None) -> IngestSummary:
    """Fetch every configured source into `snapshot_dir` (resuming an interrupted run there)."""
    return Ingest(config, snapshot_dir, client=client, progress=progress).run()
