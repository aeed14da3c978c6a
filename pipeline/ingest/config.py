"""The sources file (TOML): reading and checking it, and the shipped default."""
import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from parsers.feeds import FEED_KINDS
from pipeline.ingest.errors import SourcesFileError
from schemas import LICENSES, schema_errors

# The paging protocol of each feed kind unless a source sets `api`.
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


def default_sources_file() -> Path:
    """The shipped sources file mirroring CORD-19's sources and query."""
    return Path(str(resources.files("pipeline").joinpath("sources.toml")))


@dataclass(frozen=True)
class HttpSettings:
    user_agent: str = "cord19-pipeline ingest"
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    max_retry_after_seconds: float = 300.0
    max_total_seconds: float = 0.0  # all attempts of one request together; 0: no bound
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
        query=_query(data.get("query"), path),
        http=_http_settings(data.get("http", {}), path),
        download_documents=_setting(documents_table, "download", bool, True, "documents"),
        document_licenses=frozenset(licenses),
        max_document_bytes=_setting(documents_table, "max_bytes", int, IngestConfig.max_document_bytes, "documents"),
        document_rate_limit=_setting(
            documents_table, "rate_limit", float, IngestConfig.document_rate_limit, "documents"
        ),
        mirrors=dict(mirrors),
    )


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


def _query(table: dict | None, path: Path) -> dict | None:
    """The [query] table as snapshot.json holds it (None without one)."""
    if not table:
        return None
    query = {"terms": list(table.get("terms", [])), "fields": list(table.get("fields", ["title", "abstract"]))}
    problems = schema_errors("snapshot", {"created": "", "query": query, "sources": [], "files": {}})
    if problems:
        raise SourcesFileError(f"{path}: [query] {problems[0]}")
    return query


def _http_settings(table: dict, path: Path) -> HttpSettings:
    defaults = asdict(HttpSettings())
    http = HttpSettings(**{key: _setting(table, key, type(value), value, "http") for key, value in defaults.items()})
    if http.max_attempts < 1:
        raise SourcesFileError(f"{path}: http.max_attempts must be at least 1")
    if http.max_total_seconds < 0:
        raise SourcesFileError(f"{path}: http.max_total_seconds must not be negative")
    return http
