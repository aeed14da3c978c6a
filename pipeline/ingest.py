"""`cord19 ingest`: fetch the configured source feeds over HTTP into a snapshot folder.

Plain Python (no Beam). For each `[[sources]]` entry of the sources file the pages of
its API are fetched in the API's own way (E-utilities history server, bioRxiv
cursors, arXiv start/max_results, Crossref and Europe PMC cursors, or whole files),
each checked by the feed parser and written atomically, exactly as received, to
`feeds/<name>/`. Then the PDFs and JATS files the records point to, when their
licence allows it, are downloaded into `documents/` and listed in `documents.jsonl`.

Requests are rate limited per host and retried with exponential backoff and jitter
on 429, 5xx, timeouts and broken bodies, honouring Retry-After, up to a bounded
number of attempts. A page that keeps failing stops its source and is recorded in
the snapshot's `failures`; the other sources go on. Progress is saved after every
page and document (`.ingest/`), so an interrupted ingest resumes where it stopped
and ends with the same snapshot as an uninterrupted one.
"""
import datetime
import email.utils
import hashlib
import json
import logging
import os
import random
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import requests

from parsers.errors import ParseError
from parsers.feeds import FEED_KINDS, iter_feed_records
from parsers.feeds.arxiv import parse_feed_root, total_results
from parsers.feeds.errors import FeedError
from parsers.feeds.record import load_json_payload
from parsers.jats import NotJatsError
from parsers.pdf_text import check_pdf_bytes
from parsers.xmlsafe import parse_xml_bytes
from release.errors import ReleaseError
from release.safe_tar import iter_tarball_files
from release.writer import sha256_file
from schemas import LICENSES, schema_errors

logger = logging.getLogger(__name__)

STATE_DIR = ".ingest"
STATE_FILE = "state.json"
DOCUMENT_LOG = "documents.log.jsonl"
DEFAULT_APIS = {
    "pubmed": "eutils",
    "pmc": "eutils",
    "biorxiv": "biorxiv",
    "medrxiv": "biorxiv",
    "arxiv": "arxiv",
    "crossref": "crossref",
    "europepmc": "europepmc",
    "who": "file",
}
PAGE_EXTENSIONS = {"eutils": ".xml", "arxiv": ".atom.xml", "biorxiv": ".json", "crossref": ".json", "europepmc": ".json"}
FILE_EXTENSIONS = {"who": ".csv", "pmc": ".csv", "pubmed": ".xml.gz"}
RETRY_STATUSES = {429, 500, 502, 503, 504}
_CHUNK_BYTES = 1 << 16


class IngestError(Exception):
    """An ingest that cannot run as configured (bad sources file, reused snapshot folder)."""


class SourcesFileError(IngestError):
    """The sources file is missing, not TOML, or holds a bad setting."""


class FetchError(Exception):
    """A request that failed for good; `reason` is a short machine code."""

    def __init__(self, reason: str, message: str, attempts: int = 1):
        super().__init__(message)
        self.reason = reason
        self.attempts = attempts


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class HttpSettings:
    user_agent: str = "cord19-pipeline ingest"
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    max_retry_after_seconds: float = 300.0
    connect_timeout: float = 10.0
    read_timeout: float = 60.0


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    api: str
    base_url: str
    query: str = ""
    date_from: str = ""
    date_to: str = ""
    page_size: int = 100
    rate_limit: float = 1.0
    api_key_env: str = ""
    api_key_param: str = "api_key"
    params: dict = field(default_factory=dict)
    files: tuple[str, ...] = ()
    max_pages: int = 0
    window_days: int = 0


@dataclass(frozen=True)
class IngestConfig:
    sources: tuple[SourceConfig, ...]
    query: dict | None
    http: HttpSettings
    download_documents: bool = True
    document_licenses: frozenset = frozenset(LICENSES) - {"unk"}
    max_document_bytes: int = 100 * 1024 * 1024
    document_rate_limit: float = 2.0
    mirrors: dict = field(default_factory=dict)

    def fingerprint(self) -> str:
        """What must not change between an interrupted ingest and its resumption."""
        sources = [[s.name, s.kind, s.api, s.query, s.date_from, s.date_to, s.page_size, s.window_days,
                    list(s.files)] for s in self.sources]
        return hashlib.sha256(json.dumps([sources, self.query], sort_keys=True).encode()).hexdigest()


def _setting(table: dict, key: str, kind: type, default, where: str):
    value = table.get(key, default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise SourcesFileError(f"{where}: {key} must be {kind.__name__}, not {value!r}")
    return value


def _source_config(table: dict, index: int) -> SourceConfig:
    where = f"sources[{index}]"
    name = _setting(table, "name", str, "", where)
    if not name or "/" in name or name.startswith("."):
        raise SourcesFileError(f"{where}: name must be a plain folder name, not {name!r}")
    kind = _setting(table, "kind", str, "", where)
    if kind not in FEED_KINDS:
        raise SourcesFileError(f"{where} ({name}): kind {kind!r} is not one of {', '.join(FEED_KINDS)}")
    api = _setting(table, "api", str, DEFAULT_APIS[kind], where)
    if api not in set(DEFAULT_APIS.values()):
        raise SourcesFileError(f"{where} ({name}): unknown api {api!r}")
    base_url = _setting(table, "base_url", str, "", where)
    if not base_url.startswith(("http://", "https://")):
        raise SourcesFileError(f"{where} ({name}): base_url must be an http(s) URL, not {base_url!r}")
    files = tuple(_setting(table, "files", list, [], where))
    if api == "file" and not files:
        raise SourcesFileError(f"{where} ({name}): api 'file' needs a files list")
    page_size = _setting(table, "page_size", int, 100, where)
    rate_limit = _setting(table, "rate_limit", float, 1.0, where)
    if page_size < 1 or rate_limit <= 0:
        raise SourcesFileError(f"{where} ({name}): page_size and rate_limit must be positive")
    params = _setting(table, "params", dict, {}, where)
    return SourceConfig(
        name=name,
        kind=kind,
        api=api,
        base_url=base_url,
        query=_setting(table, "query", str, "", where),
        date_from=str(table.get("date_from", "")),
        date_to=str(table.get("date_to", "")),
        page_size=page_size,
        rate_limit=rate_limit,
        api_key_env=_setting(table, "api_key_env", str, "", where),
        api_key_param=_setting(table, "api_key_param", str, "api_key", where),
        params={str(k): str(v) for k, v in params.items()},
        files=tuple(str(f) for f in files),
        max_pages=_setting(table, "max_pages", int, 0, where),
        window_days=_setting(table, "window_days", int, 0, where),
    )


def load_sources(path: Path) -> IngestConfig:
    """Read and check a sources file (TOML: [query], [http], [documents], [mirrors], [[sources]])."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourcesFileError(f"cannot read sources file {path}: {exc}") from exc
    tables = data.get("sources")
    if not isinstance(tables, list) or not tables:
        raise SourcesFileError(f"{path}: no [[sources]] tables")
    sources = tuple(_source_config(table, index) for index, table in enumerate(tables))
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise SourcesFileError(f"{path}: source names must be unique, got {names}")
    query_table = data.get("query")
    query = None
    if query_table:
        query = {"terms": list(query_table.get("terms", [])), "fields": list(query_table.get("fields", ["title", "abstract"]))}
        problems = schema_errors("snapshot", {"created": "", "query": query, "sources": [], "files": {}})
        if problems:
            raise SourcesFileError(f"{path}: [query] {problems[0]}")
    http_table = data.get("http", {})
    http = HttpSettings(
        user_agent=_setting(http_table, "user_agent", str, HttpSettings.user_agent, "http"),
        max_attempts=_setting(http_table, "max_attempts", int, HttpSettings.max_attempts, "http"),
        backoff_seconds=_setting(http_table, "backoff_seconds", float, HttpSettings.backoff_seconds, "http"),
        max_backoff_seconds=_setting(http_table, "max_backoff_seconds", float, HttpSettings.max_backoff_seconds, "http"),
        max_retry_after_seconds=_setting(
            http_table, "max_retry_after_seconds", float, HttpSettings.max_retry_after_seconds, "http"
        ),
        connect_timeout=_setting(http_table, "connect_timeout", float, HttpSettings.connect_timeout, "http"),
        read_timeout=_setting(http_table, "read_timeout", float, HttpSettings.read_timeout, "http"),
    )
    if http.max_attempts < 1:
        raise SourcesFileError(f"{path}: http.max_attempts must be at least 1")
    documents_table = data.get("documents", {})
    licenses = _setting(documents_table, "licenses", list, sorted(IngestConfig.document_licenses), "documents")
    unknown = sorted(set(licenses) - set(LICENSES))
    if unknown:
        raise SourcesFileError(f"{path}: documents.licenses has unknown values {unknown}")
    mirrors = data.get("mirrors", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in mirrors.items()):
        raise SourcesFileError(f"{path}: [mirrors] maps URL prefixes to URL prefixes")
    return IngestConfig(
        sources=sources,
        query=query,
        http=http,
        download_documents=_setting(documents_table, "download", bool, True, "documents"),
        document_licenses=frozenset(licenses),
        max_document_bytes=_setting(documents_table, "max_bytes", int, IngestConfig.max_document_bytes, "documents"),
        document_rate_limit=_setting(documents_table, "rate_limit", float, IngestConfig.document_rate_limit, "documents"),
        mirrors=dict(mirrors),
    )


def mirrored_url(url: str, mirrors: dict) -> str:
    """`url` with its longest matching mirror prefix replaced (unchanged when none matches)."""
    for prefix in sorted(mirrors, key=len, reverse=True):
        if url.startswith(prefix):
            return mirrors[prefix] + url[len(prefix):]
    return url


# ---------------------------------------------------------------- HTTP


class HostRateLimiter:
    """At most `rate` requests per second to each host (shared by every source)."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self.sleep = sleep
        self.clock = clock
        self.next_allowed: dict[str, float] = {}

    def wait(self, url: str, rate: float) -> None:
        host = urlsplit(url).netloc
        now = self.clock()
        ready = self.next_allowed.get(host, now)
        if ready > now:
            self.sleep(ready - now)
            now = ready
        self.next_allowed[host] = now + 1.0 / rate


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())


SECRET_PARAMS = {"api_key", "apikey", "key", "token", "access_token"}


def redact(message: str, params: dict | None) -> str:
    """`message` without the values of secret query parameters (API keys end up in error texts)."""
    for name, value in (params or {}).items():
        if name.lower() in SECRET_PARAMS and value:
            message = message.replace(str(value), "***")
    return message


class HttpClient:
    """GETs with timeouts, per-host rate limits, bounded retries, backoff with jitter."""

    def __init__(self, settings: HttpSettings, limiter: HostRateLimiter | None = None,
                 sleep: Callable[[float], None] = time.sleep, session: requests.Session | None = None,
                 rng: random.Random | None = None):
        self.settings = settings
        self.sleep = sleep
        self.limiter = limiter or HostRateLimiter(sleep=sleep)
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = settings.user_agent
        self.rng = rng or random.Random()

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter for retry number `attempt` (1-based)."""
        base = self.settings.backoff_seconds
        return min(self.settings.max_backoff_seconds, base * 2 ** (attempt - 1)) + self.rng.uniform(0, base)

    def fetch_to_file(self, url: str, params: dict | None, target: Path, rate: float, max_bytes: int,
                      check: Callable[[Path], object], retry_invalid: bool = True) -> object:
        """Download `url` into `target` and return `check(target)`; retried as configured.

        `check` raises a ParseError for a body that is not what was asked for. A feed
        page that does not parse was probably cut short and is retried like a 5xx
        (`retry_invalid`); a document of the wrong kind (an HTML error page instead of
        a PDF) fails at once with the error's reason.
        """
        reason, message = "", ""
        for attempt in range(1, self.settings.max_attempts + 1):
            wait = None
            try:
                self.limiter.wait(url, rate)
                with self.session.get(url, params=params, stream=True,
                                      timeout=(self.settings.connect_timeout, self.settings.read_timeout)) as response:
                    if response.status_code in RETRY_STATUSES:
                        reason, message = f"http_{response.status_code}", f"HTTP {response.status_code} from {url}"
                        wait = retry_after_seconds(response.headers.get("Retry-After"))
                    elif response.status_code != 200:
                        raise FetchError(f"http_{response.status_code}", f"HTTP {response.status_code} from {url}", attempt)
                    else:
                        self._save_body(response, target, max_bytes, attempt)
                        return check(target)
            except requests.Timeout as exc:
                reason, message = "timeout", redact(f"timed out: {exc}", params)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                reason, message = "broken_response", redact(f"connection failed or body cut short: {exc}", params)
            except ParseError as exc:
                if not retry_invalid:
                    target.unlink(missing_ok=True)
                    raise FetchError(exc.reason, f"{type(exc).__name__}: {exc}", attempt) from exc
                reason, message = "invalid_response", f"{type(exc).__name__}: {exc}"
            except FetchError:
                target.unlink(missing_ok=True)
                raise
            if attempt == self.settings.max_attempts:
                break
            if wait is None:
                wait = self.backoff(attempt)
            wait = min(wait, self.settings.max_retry_after_seconds)
            logger.debug("retrying %s in %.1fs after %s (attempt %d)", url, wait, reason, attempt)
            self.sleep(wait)
        target.unlink(missing_ok=True)
        raise FetchError(reason, f"{message} (after {self.settings.max_attempts} attempts)", self.settings.max_attempts)

    @staticmethod
    def _save_body(response: requests.Response, target: Path, max_bytes: int, attempt: int) -> None:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise FetchError("too_large", f"{declared} bytes, over the {max_bytes} byte limit", attempt)
        size = 0
        with target.open("wb") as handle:
            for chunk in response.iter_content(_CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError("too_large", f"over the {max_bytes} byte limit", attempt)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())


# ---------------------------------------------------------------- paging, one class per API


@dataclass
class Page:
    """What a fetched page says about paging: items seen and the state after it (None: done)."""

    items: int
    next_state: dict | None


class Paging:
    """How one API pages. `state` is a JSON-able dict, saved after every page."""

    def __init__(self, source: SourceConfig, api_key: str | None):
        self.source = source
        self.api_key = api_key

    def url(self, path: str) -> str:
        return self.source.base_url.rstrip("/") + "/" + path.lstrip("/")

    def key_params(self) -> dict:
        return {self.source.api_key_param: self.api_key} if self.api_key else {}

    def prepare(self, client: HttpClient, work_dir: Path, state: dict) -> dict | None:
        """The state for the next page after any request it needs first (an E-utilities
        search), or None when there is no next page."""
        return state

    def request(self, state: dict) -> tuple[str, dict]:
        raise NotImplementedError

    def read(self, path: Path, state: dict) -> Page:
        """Check a fetched page (FeedError when it is not a valid page) and compute the next state."""
        raise NotImplementedError

    def records_in(self, path: Path) -> int:
        """Items in a page: records plus items the parser could not read (the build dead-letters those)."""
        bad_items: list = []
        records = sum(1 for _ in iter_feed_records(self.source.kind, str(path), on_error=bad_items.append))
        return records + len(bad_items)


class EutilsPaging(Paging):
    """NCBI E-utilities: esearch with usehistory=y, then efetch pages by retstart/retmax.

    PubMed's history server hands out only the first 10,000 records of a search, so
    with a `date_from` the range is searched in windows (`window_days` long, or one
    window), and a PubMed window holding more is split in two until each fits. The
    remaining windows are part of the saved state, so a resume pages the same windows.
    """

    PUBMED_HISTORY_LIMIT = 10_000

    def __init__(self, source: SourceConfig, api_key: str | None):
        super().__init__(source, api_key)
        self.searched = False  # the current window is searched again in every process: a WebEnv expires

    def database(self) -> str:
        return "pmc" if self.source.kind == "pmc" else "pubmed"

    def initial_windows(self, date_to: str) -> list[list[str]]:
        """[mindate, maxdate] of each search, "" for an open end."""
        if not (self.source.window_days and self.source.date_from):
            return [[self.source.date_from, date_to]]
        first = datetime.date.fromisoformat(self.source.date_from)
        last = datetime.date.fromisoformat(date_to)
        step = datetime.timedelta(days=self.source.window_days)
        windows = []
        while first <= last:
            end = min(first + step - datetime.timedelta(days=1), last)
            windows.append([first.isoformat(), end.isoformat()])
            first = end + datetime.timedelta(days=1)
        return windows

    @staticmethod
    def split(window: list[str]) -> list[list[str]] | None:
        """The two halves of a dated window, or None when it cannot be split (open, one day)."""
        if not (window[0] and window[1]):
            return None
        first, last = datetime.date.fromisoformat(window[0]), datetime.date.fromisoformat(window[1])
        if last <= first:
            return None
        middle = first + (last - first) // 2
        return [[window[0], middle.isoformat()], [(middle + datetime.timedelta(days=1)).isoformat(), window[1]]]

    def prepare(self, client: HttpClient, work_dir: Path, state: dict) -> dict | None:
        state = dict(state)
        if "windows" not in state:
            today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
            date_to = self.source.date_to or (today if self.source.date_from else "")
            state.update(windows=self.initial_windows(date_to), retstart=0)
        while state["windows"]:
            if not self.searched:
                search = self.search(client, work_dir, *state["windows"][0])
                halves = self.split(state["windows"][0])
                if (self.database() == "pubmed" and search["count"] > self.PUBMED_HISTORY_LIMIT
                        and state["retstart"] == 0 and halves):
                    state["windows"][0:1] = halves
                    continue
                state.update(search)
                self.searched = True
            if state["retstart"] < state["count"]:
                return state
            state.update(windows=state["windows"][1:], retstart=0)
            self.searched = False
        return None

    def search(self, client: HttpClient, work_dir: Path, mindate: str, maxdate: str) -> dict:
        params = {"db": self.database(), "term": self.source.query, "usehistory": "y", "retmax": "0"}
        if mindate or maxdate:
            params.update(datetype="pdat", mindate=mindate.replace("-", "/") or "1800",
                          maxdate=maxdate.replace("-", "/") or "3000")
        params.update(self.source.params, **self.key_params())
        search = client.fetch_to_file(self.url("esearch.fcgi"), params, work_dir / "esearch.xml",
                                      self.source.rate_limit, 10 * 1024 * 1024, _read_esearch)
        if self.database() == "pubmed" and search["count"] > self.PUBMED_HISTORY_LIMIT and not self.split([mindate, maxdate]):
            logger.warning("%s: %d records from %s to %s, but PubMed serves only the first %d of a search; "
                           "set date_from so the range can be split", self.source.name, search["count"],
                           mindate or "the start", maxdate or "now", self.PUBMED_HISTORY_LIMIT)
        return search

    def request(self, state: dict) -> tuple[str, dict]:
        params = {"db": self.database(), "WebEnv": state["webenv"], "query_key": state["query_key"],
                  "retstart": str(state["retstart"]), "retmax": str(self.source.page_size), "retmode": "xml"}
        params.update(self.source.params, **self.key_params())
        return self.url("efetch.fcgi"), params

    def read(self, path: Path, state: dict) -> Page:
        items = self.records_in(path)
        expected = min(self.source.page_size, state["count"] - state["retstart"])
        if items < expected:
            raise FeedError(f"efetch page holds {items} articles, expected {expected}")
        return Page(items, dict(state, retstart=state["retstart"] + self.source.page_size))


def _read_esearch(path: Path) -> dict:
    root = parse_xml_bytes(path.read_bytes())
    error = root.findtext("ERROR")
    if root.tag != "eSearchResult" or error:
        raise FeedError(f"not an esearch result: {error or root.tag}")
    try:
        count = int(root.findtext("Count") or "")
    except ValueError as exc:
        raise FeedError("esearch result without a Count") from exc
    return {"count": count, "webenv": root.findtext("WebEnv") or "", "query_key": root.findtext("QueryKey") or ""}


class BiorxivPaging(Paging):
    """api.biorxiv.org details/<server>/<from>/<to>/<cursor>/json; the server sets the page size."""

    def prepare(self, client: HttpClient, work_dir: Path, state: dict) -> dict | None:
        """Fix the interval's end on the first run (today when date_to is empty) so a resume pages the same set."""
        today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        return dict(state, date_to=state.get("date_to") or self.source.date_to or today)

    def request(self, state: dict) -> tuple[str, dict]:
        interval = f"{self.source.date_from or '2013-11-01'}/{state['date_to']}"
        cursor = state.get("cursor", 0)
        return self.url(f"details/{self.source.kind}/{interval}/{cursor}/json"), dict(self.source.params)

    def read(self, path: Path, state: dict) -> Page:
        payload = _load_json(path)
        messages = payload.get("messages") or [{}]
        message = messages[0] if isinstance(messages[0], dict) else {}
        if "collection" not in payload and str(message.get("status", "")).startswith("no posts found"):
            return Page(0, None)
        items = self.records_in(path)
        cursor = state.get("cursor", 0) + int(message.get("count", items))
        total = int(message.get("total", 0))
        return Page(items, dict(state, cursor=cursor) if items and cursor < total else None)


class ArxivPaging(Paging):
    """export.arxiv.org/api/query with search_query, start and max_results."""

    def request(self, state: dict) -> tuple[str, dict]:
        params = {"search_query": self.source.query, "start": str(state.get("start", 0)),
                  "max_results": str(self.source.page_size), "sortBy": "submittedDate", "sortOrder": "ascending"}
        params.update(self.source.params)
        return self.url("query"), params

    def read(self, path: Path, state: dict) -> Page:
        root = parse_feed_root(path.read_bytes())
        total = total_results(root)
        start = state.get("start", 0)
        items = self.records_in(path)
        if items == 0 and start < total:
            raise FeedError(f"empty arXiv page at start={start} of {total} (a known transient answer)")
        start += self.source.page_size
        return Page(items, dict(state, start=start) if items and start < total else None)


class CrossrefPaging(Paging):
    """api.crossref.org/works with cursor=* deep paging; an empty page ends it."""

    def request(self, state: dict) -> tuple[str, dict]:
        params = {"rows": str(self.source.page_size), "cursor": state.get("cursor", "*")}
        if self.source.query:
            params["query"] = self.source.query
        filters = [f"from-pub-date:{self.source.date_from}"] if self.source.date_from else []
        filters += [f"until-pub-date:{self.source.date_to}"] if self.source.date_to else []
        extra = dict(self.source.params)
        if extra.get("filter"):
            filters.append(extra.pop("filter"))
        if filters:
            params["filter"] = ",".join(filters)
        params.update(extra)
        return self.url("works"), params

    def read(self, path: Path, state: dict) -> Page:
        message = _load_json(path).get("message") or {}
        items = self.records_in(path)
        next_cursor = message.get("next-cursor")
        done = items == 0 or not next_cursor
        return Page(items, None if done else dict(state, cursor=next_cursor))


class EuropePmcPaging(Paging):
    """Europe PMC REST search with cursorMark; the same mark again (or no results) ends it."""

    def request(self, state: dict) -> tuple[str, dict]:
        query = self.source.query
        if self.source.date_from or self.source.date_to:
            query = f"({query}) AND FIRST_PDATE:[{self.source.date_from or '1800-01-01'} TO {self.source.date_to or '3000-01-01'}]"
        params = {"query": query, "format": "json", "resultType": "core", "pageSize": str(self.source.page_size),
                  "cursorMark": state.get("cursor", "*")}
        params.update(self.source.params)
        return self.url("search"), params

    def read(self, path: Path, state: dict) -> Page:
        payload = _load_json(path)
        items = self.records_in(path)
        current = state.get("cursor", "*")
        next_mark = payload.get("nextCursorMark")
        done = items == 0 or not next_mark or next_mark == current
        return Page(items, None if done else dict(state, cursor=next_mark))


class FilePaging(Paging):
    """Whole files (the WHO export, PMC OA file list, PubMed baseline), one per page."""

    def request(self, state: dict) -> tuple[str, dict]:
        name = self.source.files[state.get("index", 0)]
        url = name if name.startswith(("http://", "https://")) else self.url(name)
        return url, dict(self.source.params)

    def read(self, path: Path, state: dict) -> Page:
        items = self.records_in(path)
        index = state.get("index", 0) + 1
        return Page(items, dict(state, index=index) if index < len(self.source.files) else None)

    def file_name(self, state: dict) -> str:
        """The file's own name, or file-<n> plus the kind's usual extension for a query URL."""
        index = state.get("index", 0)
        name = Path(urlsplit(self.source.files[index]).path).name
        return name or f"file-{index + 1:05d}{FILE_EXTENSIONS.get(self.source.kind, '.dat')}"


PAGINGS = {"eutils": EutilsPaging, "biorxiv": BiorxivPaging, "arxiv": ArxivPaging, "crossref": CrossrefPaging,
           "europepmc": EuropePmcPaging, "file": FilePaging}


def _load_json(path: Path) -> dict:
    payload = load_json_payload(path.read_bytes())
    if not isinstance(payload, dict):
        raise FeedError("expected a JSON object")
    return payload


# ---------------------------------------------------------------- documents


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


# ---------------------------------------------------------------- progress and summary


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


# ---------------------------------------------------------------- the ingest


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.part")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


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
        self.tried_urls: set[str] = set()

    # -- state

    def load_state(self) -> dict:
        path = self.state_dir / STATE_FILE
        if not path.is_file():
            if (self.dir / "snapshot.json").exists():
                raise IngestError(f"{self.dir} already holds a finished snapshot; ingest into a new folder")
            created = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
            return {"created": created, "fingerprint": self.config.fingerprint(), "sources": {}}
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("fingerprint") != self.config.fingerprint():
            raise IngestError(f"{self.dir} was started with other sources or query; ingest into a new folder")
        return state

    def save_state(self, state: dict) -> None:
        _write_atomically(self.state_dir / STATE_FILE, json.dumps(state, sort_keys=True, indent=1).encode())

    # -- run

    def run(self) -> IngestSummary:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        state = self.load_state()
        self.save_state(state)
        for leftover in self.dir.glob("*/**/.*.part"):  # downloads cut short by an interruption
            leftover.unlink()
        documents = self.load_document_log()
        for source in self.config.sources:
            source_state = state["sources"].setdefault(
                source.name, {"status": "pending", "paging": {}, "files": {}, "pages": 0, "records": 0})
            self.fetch_source(source, source_state, state)
            if self.config.download_documents:
                self.fetch_documents(source, source_state, documents)
            self.progress.done()
        self.write_snapshot(state, documents)
        counts = {
            name: {"status": s["status"], "pages": s["pages"], "records": s["records"],
                   "documents": sum(1 for d in documents.values() if d["source_name"] == name)}
            for name, s in state["sources"].items()
        }
        return IngestSummary(counts, self.failures)

    @staticmethod
    def counts(source_state: dict, documents: int = 0) -> dict:
        return {"pages": source_state["pages"], "records": source_state["records"], "documents": documents}

    def fetch_source(self, source: SourceConfig, source_state: dict, state: dict) -> None:
        """Fetch the pages of one source from where it stopped (nothing when it is done)."""
        if source_state["status"] == "done":
            return
        feed_dir = self.dir / "feeds" / source.name
        feed_dir.mkdir(parents=True, exist_ok=True)
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
                number = source_state["pages"] + 1
                name = paging.file_name(paging_state) if isinstance(paging, FilePaging) else (
                    f"page-{number:05d}{PAGE_EXTENSIONS[source.api]}")
                partial = feed_dir / f".{name}.part"
                page = self.client.fetch_to_file(url, params, partial, source.rate_limit, sys.maxsize,
                                                 lambda path, s=paging_state: paging.read(path, s))
                if page.items:
                    relative = f"feeds/{source.name}/{name}"
                    digest = sha256_file(partial)
                    os.replace(partial, self.dir / relative)
                    source_state["files"][relative] = digest
                    source_state["pages"] = number
                    source_state["records"] += page.items
                else:
                    partial.unlink(missing_ok=True)
                paging_state = page.next_state
                source_state["paging"] = paging_state
                if paging_state is None:
                    source_state["status"] = "done"  # saved with the last page: a resume must not start over
                self.save_state(state)
                self.progress.update(source.name, self.counts(source_state))
                if paging_state is None:
                    break
            source_state["status"] = "done"
        except FetchError as exc:
            source_state["status"] = "failed"
            self.failures.append({"source": source.name, "stage": "page", "page": source_state["pages"] + 1,
                                  "url": url, "reason": exc.reason, "message": str(exc), "attempts": exc.attempts})
            logger.warning("%s: stopped at page %d: %s", source.name, source_state["pages"] + 1, exc)
        self.save_state(state)

    # -- documents

    def load_document_log(self) -> dict:
        """Downloaded documents by URL, from the append-only log.

        A line torn by an interruption is dropped (and cut from the log, so the next
        append starts on a fresh line); its document is simply fetched again.
        """
        documents = {}
        path = self.state_dir / DOCUMENT_LOG
        if not path.is_file():
            return documents
        kept = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            documents[entry["line"]["url"]] = entry
            kept.append(line + "\n")
        _write_atomically(path, "".join(kept).encode())
        return documents

    def source_records(self, source: SourceConfig, source_state: dict) -> Iterator[dict]:
        for relative in source_state["files"]:
            yield from iter_feed_records(source.kind, str(self.dir / relative), on_error=lambda error: None)

    def fetch_documents(self, source: SourceConfig, source_state: dict, documents: dict) -> None:
        """Download the licensed documents of a source's records (skipping those already done)."""
        done_here = sum(1 for d in documents.values() if d["source_name"] == source.name)
        jats_paths = {d["line"]["path"] for d in documents.values() if d["line"]["type"] == "jats"}
        for record in self.source_records(source, source_state):
            if record["license"] not in self.config.document_licenses:
                continue
            for document in record["documents"]:
                url = document["url"]
                if url in documents or url in self.tried_urls:
                    continue
                self.tried_urls.add(url)  # a URL that failed is tried once per run, whichever source links it
                if document["type"] == "jats" and (
                    not record["ids"]["pmcid"] or f"documents/pmc/{record['ids']['pmcid']}.xml" in jats_paths
                ):
                    continue  # a JATS file is named by its PMCID: one per PMCID, the first source wins
                entry = self.fetch_document(source, record, document)
                if entry is not None:
                    documents[url] = entry
                    if document["type"] == "jats":
                        jats_paths.add(entry["line"]["path"])
                    with (self.state_dir / DOCUMENT_LOG).open("a", encoding="utf-8") as log:
                        log.write(json.dumps(entry, sort_keys=True) + "\n")
                        log.flush()
                        os.fsync(log.fileno())
                    done_here += 1
                    self.progress.update(source.name, self.counts(source_state, done_here))

    def fetch_document(self, source: SourceConfig, record: dict, document: dict) -> dict | None:
        url = document["url"]
        folder = self.dir / "documents" / ("pdf" if document["type"] == "pdf" else "pmc")
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".download-{hashlib.sha1(url.encode()).hexdigest()}.part"
        check = check_pdf if document["type"] == "pdf" else jats_bytes
        try:
            result = self.client.fetch_to_file(mirrored_url(url, self.config.mirrors), None, partial,
                                               self.config.document_rate_limit, self.config.max_document_bytes, check,
                                               retry_invalid=False)
        except FetchError as exc:
            partial.unlink(missing_ok=True)
            self.failures.append({"source": source.name, "stage": "document", "url": url, "reason": exc.reason,
                                  "message": str(exc), "attempts": exc.attempts})
            logger.warning("%s: document %s not downloaded: %s", source.name, url, exc)
            return None
        if document["type"] == "pdf":
            data = partial.read_bytes()
            sha1 = hashlib.sha1(data).hexdigest()
            relative = f"documents/pdf/{sha1}.pdf"
            os.replace(partial, self.dir / relative)
        else:
            data = result
            sha1 = hashlib.sha1(data).hexdigest()
            relative = f"documents/pmc/{record['ids']['pmcid']}.xml"
            _write_atomically(self.dir / relative, data)
            partial.unlink(missing_ok=True)
        line = {"path": relative, "sha1": sha1, "type": document["type"], "source": record["source"],
                "ids": record["ids"], "license": record["license"], "url": url}
        return {"line": line, "sha256": hashlib.sha256(data).hexdigest(), "source_name": source.name}

    # -- snapshot.json

    def write_snapshot(self, state: dict, documents: dict) -> None:
        files = {}
        sources = []
        for source in self.config.sources:
            source_state = state["sources"][source.name]
            files.update(source_state["files"])
            sources.append({"name": source.name, "kind": source.kind, "files": list(source_state["files"])})
        lines = sorted((entry["line"] for entry in documents.values()), key=lambda line: (line["path"], line["url"]))
        for entry in documents.values():
            files[entry["line"]["path"]] = entry["sha256"]
        documents_path = self.dir / "documents.jsonl"
        _write_atomically(documents_path, "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines).encode())
        files["documents.jsonl"] = sha256_file(documents_path)
        snapshot = {"created": state["created"], "query": self.config.query, "sources": sources,
                    "files": dict(sorted(files.items())), "failures": self.failures}
        problems = schema_errors("snapshot", snapshot)
        if problems:
            raise IngestError(f"snapshot.json would break its schema: {problems[0]}")
        _write_atomically(self.dir / "snapshot.json", (json.dumps(snapshot, indent=2, sort_keys=True) + "\n").encode())


def ingest(config: IngestConfig, snapshot_dir: Path, client: HttpClient | None = None,
           progress: Progress | None = None) -> IngestSummary:
    """Fetch every configured source into `snapshot_dir` (resuming an interrupted run there)."""
    return Ingest(config, snapshot_dir, client=client, progress=progress).run()
