"""A loopback HTTP server that speaks the source APIs over the real corpus feed files.

It serves the records of ../shared/corpus/feeds (and JATS/PDF files as documents)
through each API's own paging protocol:

  /eutils/esearch.fcgi, /eutils/efetch.fcgi   E-utilities history server (db=pubmed, db=pmc;
                                               PubMed searches honour mindate/maxdate)
  /biorxiv-api/details/<server>/<from>/<to>/<cursor>[/json]   bioRxiv/medRxiv cursors
  /arxiv-api/query?start=&max_results=         arXiv Atom paging
  /crossref/works?cursor=&rows=                Crossref deep paging cursors
  /europepmc/webservices/rest/search?cursorMark=&pageSize=   Europe PMC cursors
  /europepmc/webservices/rest/<PMCID>/fullTextXML            JATS documents
  /pub/pmc/oa_package/<xx>/<yy>/<PMCID>.tar.gz   OA packages (404 when the JATS is not in the corpus)
  /files/<name>                                whole files (WHO export, PMC OA list)
  /pdf/<anything>                              a corpus PDF (chosen by the path)
  /html-error/<anything>                       an HTML error page served as application/pdf

Faults are injected by rule: `Fault(path_part, nth, kind)` hits the nth request
(1-based) whose path contains `path_part`; kind is "429" (with Retry-After), "503",
"timeout" (answers after `slow_seconds`), "truncate" (half the body, then the
connection closes) or "always503" (every matching request). `requests` logs every
request path+query in order.
"""
import base64
import glob
import hashlib
import io
import json
import re
import tarfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
_PROLOG = re.compile(rb"^\s*(<\?xml[^>]*\?>)?\s*(<!DOCTYPE[^>]*>)?\s*")
PUBMED_HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
    b' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'
)
PMC_HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE pmc-articleset PUBLIC "-//NLM//DTD ARTICLE SET 2.0//EN"'
    b' "https://dtd.nlm.nih.gov/ncbi/pmc/articleset/nlm-articleset-2.0.dtd">\n<pmc-articleset>'
)


def pmc_articleset(articles: list[bytes]) -> bytes:
    """An efetch db=pmc response holding the given JATS <article> elements."""
    return PMC_HEAD + b"".join(articles) + b"</pmc-articleset>\n"


def oa_package(pmcid: str, article: bytes) -> bytes:
    """A PMC OA package: a .tar.gz holding <PMCID>/main.nxml."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        member = tarfile.TarInfo(f"{pmcid}/main.nxml")
        member.size = len(article)
        member.mtime = 0
        archive.addfile(member, io.BytesIO(article))
    return buffer.getvalue()


def pmc_corpus_articles(corpus_dir: Path) -> list[tuple[str, bytes]]:
    """(PMCID, bare <article> bytes) of every UTF-8 corpus JATS file that has a PMC id."""
    articles = []
    for path in sorted(glob.glob(str(corpus_dir / "jats" / "*"))):
        data = Path(path).read_bytes()
        match = re.search(rb'<article-id pub-id-type="pmc">(\d+)</article-id>', data)
        if not match:
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        articles.append((f"PMC{match.group(1).decode()}", _PROLOG.sub(b"", data)))
    return articles


def pubmed_corpus_articles(corpus_dir: Path) -> list[bytes]:
    """Every <PubmedArticle> of the corpus PubMed files, serialised as found."""
    articles = []
    for path in sorted(glob.glob(str(corpus_dir / "feeds" / "pubmed" / "*.xml"))):
        root = etree.fromstring(Path(path).read_bytes(), etree.XMLParser(load_dtd=False, no_network=True))
        articles.extend(etree.tostring(article, encoding="utf-8") for article in root.iter("PubmedArticle"))
    return articles


def arxiv_corpus_entries(corpus_dir: Path) -> list[bytes]:
    """Every <entry> of the corpus arXiv result feeds (the error feed left out)."""
    entries = []
    for path in sorted(glob.glob(str(corpus_dir / "feeds" / "arxiv" / "*.xml"))):
        root = etree.fromstring(Path(path).read_bytes())
        for entry in root.iter(f"{{{ATOM_NS}}}entry"):
            if "/api/errors" not in (entry.findtext(f"{{{ATOM_NS}}}id") or ""):
                entries.append(etree.tostring(entry, encoding="utf-8"))
    return entries


MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def pubmed_date(article: bytes) -> str:
    """The journal issue date of a PubmedArticle as "YYYY/MM/DD" (missing parts: 01), what
    an esearch with datetype=pdat and mindate/maxdate filters on."""
    pub_date = re.search(rb"<PubDate>(.*?)</PubDate>", article, re.DOTALL)
    text = pub_date.group(1).decode() if pub_date else ""
    year = re.search(r"<Year>(\d{4})</Year>", text) or re.search(r"<MedlineDate>(\d{4})", text)
    month = re.search(r"<Month>(\w+)</Month>", text)
    day = re.search(r"<Day>(\d+)</Day>", text)
    month_number = 1
    if month:
        value = month.group(1)
        month_number = int(value) if value.isdigit() else MONTHS.index(value[:3].lower()) + 1
    return f"{year.group(1) if year else '0000'}/{month_number:02d}/{int(day.group(1)) if day else 1:02d}"


@dataclass
class Fault:
    path_part: str
    nth: int
    kind: str


class FeedServer:
    """Start with `with FeedServer(corpus_dir) as server:`; `server.url` is the base URL."""

    def __init__(self, corpus_dir: Path, faults: list[Fault] | None = None, page_limit: int = 3,
                 slow_seconds: float = 1.5, delay_seconds: float = 0.0):
        self.corpus_dir = corpus_dir
        self.faults = list(faults or [])
        self.page_limit = page_limit
        self.slow_seconds = slow_seconds
        self.delay_seconds = delay_seconds
        self.requests: list[str] = []
        self.searches: dict[str, list[bytes]] = {}  # E-utilities history server: WebEnv -> articles
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        feeds = corpus_dir / "feeds"
        self.pubmed = pubmed_corpus_articles(corpus_dir)
        self.pmc = pmc_corpus_articles(corpus_dir)
        self.biorxiv = json.loads((feeds / "biorxiv" / "biorxiv_details_2013-01-01_2013-11-07.json").read_bytes())
        self.arxiv = arxiv_corpus_entries(corpus_dir)
        self.crossref = [
            json.loads(Path(p).read_bytes())["message"] for p in sorted(glob.glob(str(feeds / "crossref" / "*.json")))
        ]
        self.europepmc = json.loads((feeds / "europepmc" / "pyeuropepmc_search_cancer.json").read_bytes())
        self.files = {
            "who.csv": (feeds / "who" / "who_covid19_database_2020-03-18_first150.csv").read_bytes(),
            "oa_file_list.csv": (feeds / "pmc_oa_file_list_excerpt_seanBr97.csv").read_bytes(),
        }
        self.pdfs = [Path(p).read_bytes() for p in sorted(glob.glob(str(corpus_dir / "pdf" / "grobid_*.pdf")))]
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "FeedServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fault_for(self, path: str) -> str:
        """The fault to inject into this request, counting matching requests."""
        with self._lock:
            self.requests.append(path)
            for fault in self.faults:
                if fault.path_part in path:
                    key = f"{fault.path_part}|{fault.nth}|{fault.kind}"
                    self._counts[key] = self._counts.get(key, 0) + 1
                    if fault.kind == "always503" or self._counts[key] == fault.nth:
                        return fault.kind
        return ""

    # ---- API answers: (status, content type, body) ----

    def answer(self, path: str, query: dict) -> tuple[int, str, bytes]:
        param = {key: values[0] for key, values in query.items()}
        if path == "/eutils/esearch.fcgi":
            if param.get("db") == "pubmed":
                low, high = param.get("mindate", "0000/01/01"), param.get("maxdate", "9999/12/31")
                found = [a for a in self.pubmed if low <= pubmed_date(a) <= high]
            else:
                found = [a for _, a in self.pmc]
            with self._lock:
                web_env = f"MCID_{len(self.searches) + 1}"
                self.searches[web_env] = found
            body = (
                f'<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><Count>{len(self.searches[web_env])}</Count>'
                f"<RetMax>0</RetMax><RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>{web_env}</WebEnv>"
                "<IdList/></eSearchResult>\n"
            )
            return 200, "text/xml", body.encode()
        if path == "/eutils/efetch.fcgi":
            found = self.searches.get(param.get("WebEnv", ""))
            if found is None:
                return 400, "text/xml", b"<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>"
            start, size = int(param.get("retstart", 0)), int(param.get("retmax", 20))
            if param.get("db") == "pubmed":
                return 200, "text/xml", PUBMED_HEAD + b"\n".join(found[start:start + size]) + b"\n</PubmedArticleSet>\n"
            return 200, "text/xml", pmc_articleset(found[start:start + size])
        if path.startswith("/biorxiv-api/details/"):
            cursor = int(path.split("/")[6])
            page = self.biorxiv[cursor:cursor + self.page_limit]
            message = {"status": "ok", "cursor": cursor, "count": len(page), "total": len(self.biorxiv)}
            if not page:
                return 200, "application/json", json.dumps({"messages": [{"status": "no posts found"}]}).encode()
            return 200, "application/json", json.dumps({"messages": [message], "collection": page}).encode()
        if path == "/arxiv-api/query":
            start, size = int(param.get("start", 0)), int(param.get("max_results", 10))
            body = (
                f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="{ATOM_NS}" '
                'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
                f"  <title>arXiv Query</title>\n  <opensearch:totalResults>{len(self.arxiv)}</opensearch:totalResults>\n"
                f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
                f"  <opensearch:itemsPerPage>{size}</opensearch:itemsPerPage>\n"
            ).encode() + b"\n".join(self.arxiv[start:start + size]) + b"\n</feed>\n"
            return 200, "application/atom+xml", body
        if path == "/crossref/works":
            cursor = param.get("cursor", "*")
            offset = 0 if cursor == "*" else int(base64.b64decode(cursor))
            size = min(int(param.get("rows", 20)), self.page_limit)
            items = self.crossref[offset:offset + size]
            next_cursor = base64.b64encode(str(offset + len(items)).encode()).decode()
            message = {"total-results": len(self.crossref), "items": items, "next-cursor": next_cursor, "items-per-page": size}
            payload = {"status": "ok", "message-type": "work-list", "message-version": "1.0.0", "message": message}
            return 200, "application/json", json.dumps(payload).encode()
        if path == "/europepmc/webservices/rest/search":
            results = self.europepmc["resultList"]["result"]
            cursor = param.get("cursorMark", "*")
            offset = 0 if cursor == "*" else int(base64.b64decode(cursor))
            size = int(param.get("pageSize", 25))
            page = results[offset:offset + size]
            next_mark = base64.b64encode(str(offset + len(page)).encode()).decode() if page else cursor
            payload = {"version": "6.9", "hitCount": len(results), "nextCursorMark": next_mark,
                       "request": {"cursorMark": cursor, "pageSize": size}, "resultList": {"result": page}}
            return 200, "application/json", json.dumps(payload).encode()
        match = re.fullmatch(r"/europepmc/webservices/rest/(PMC\d+)/fullTextXML", path)
        if match:
            for pmcid, article in self.pmc:
                if pmcid == match.group(1):
                    return 200, "application/xml", b'<?xml version="1.0" encoding="UTF-8"?>\n' + article
            return 404, "text/plain", b"not found"
        match = re.fullmatch(r"/pub/pmc/oa_package/\w+/\w+/(PMC\d+)\.tar\.gz", path)
        if match:
            for pmcid, article in self.pmc:
                if pmcid == match.group(1):
                    return 200, "application/gzip", oa_package(pmcid, article)
            return 404, "text/plain", b"not found"
        if path.startswith("/files/") and path[len("/files/"):] in self.files:
            return 200, "text/csv", self.files[path[len("/files/"):]]
        if path.startswith("/pdf/"):
            index = int(hashlib.sha1(path.encode()).hexdigest(), 16) % len(self.pdfs)
            return 200, "application/pdf", self.pdfs[index]
        if path.startswith("/html-error/"):
            return 200, "application/pdf", b"<!DOCTYPE html><html><body><h1>Access denied</h1></body></html>"
        return 404, "text/plain", b"not found"

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                return

            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                parts = urlsplit(self.path)
                fault = server.fault_for(self.path)
                if server.delay_seconds:
                    time.sleep(server.delay_seconds)
                if fault == "429":
                    self._send(429, "text/plain", b"Too Many Requests", {"Retry-After": "2"})
                    return
                if fault in ("503", "always503"):
                    self._send(503, "text/plain", b"Service Unavailable")
                    return
                if fault == "timeout":
                    time.sleep(server.slow_seconds)
                status, content_type, body = server.answer(parts.path, parse_qs(parts.query))
                if fault == "truncate":
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._send(status, content_type, body)

            def _send(self, status: int, content_type: str, body: bytes, headers: dict | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        return Handler
