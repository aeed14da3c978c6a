"""A loopback HTTP server that speaks GROBID's REST API, for tests and benchmarks.

Endpoints: GET /api/isalive, GET /api/version, POST /api/processFulltextDocument
(multipart form, the PDF in the `input` part). It answers with real GROBID TEI: the
corpus TEI files named after their PDF's SHA-1 (`<sha1>.tei.xml`) plus any pairs a
test registers with `add_document(pdf, tei)`. A PDF it knows nothing about gets the
500 GROBID gives for an unusable PDF.

Knobs: `capacity` (concurrent requests served; more get 503 like a busy GROBID),
`latency_s` (time per request), and `inject([...])`, a queue of faults applied to the
next requests: "503", "500", "drop" (close the connection without answering),
"slow" (sleep `slow_s` before answering), "ok".
"""
import hashlib
import json
import multiprocessing
import re
import sys
import threading
import time
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

OPTION_FIELDS = ("consolidateHeader", "consolidateCitations", "includeRawCitations")
SHA1_NAME = re.compile(r"([0-9a-f]{40})\.tei\.xml$")


def corpus_tei_by_sha1(corpus_dir: Path) -> dict[str, bytes]:
    """TEI files of the corpus whose name is the SHA-1 of the PDF they were made from."""
    found = {}
    for path in sorted(corpus_dir.rglob("*.tei.xml")):
        match = SHA1_NAME.search(path.name)
        if match:
            found[match.group(1)] = path.read_bytes()
    return found


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?')
_FIELD_NAME = re.compile(rb'name="([^"]*)"')


def multipart_fields(content_type: str, body: bytes) -> dict[str, bytes]:
    """The fields of a multipart/form-data body, by name."""
    match = _BOUNDARY.search(content_type)
    if not content_type.startswith("multipart/form-data") or match is None:
        return {}
    fields = {}
    for part in body.split(b"--" + match.group(1).encode("latin-1"))[1:]:
        headers, separator, value = part.partition(b"\r\n\r\n")
        name = _FIELD_NAME.search(headers)
        if separator and name:
            fields[name.group(1).decode("utf-8")] = value[:-2] if value.endswith(b"\r\n") else value
    return fields


class _QuietServer(ThreadingHTTPServer):
    """A threading server that does not print the broken pipes of clients that gave up."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class GrobidTestServer:
    """Start with `with GrobidTestServer(...) as server:`; `server.url` is the base URL."""

    def __init__(
        self,
        tei_by_sha1: dict[str, bytes] | None = None,
        capacity: int | None = None,
        latency_s: float = 0.0,
        slow_s: float = 5.0,
        version: str = "0.5.5",
        version_as_json: bool = True,
    ) -> None:
        self.tei_by_sha1 = dict(tei_by_sha1 or {})
        self.capacity = capacity
        self.latency_s = latency_s
        self.slow_s = slow_s
        self.version = version
        self.version_as_json = version_as_json
        self.alive = True
        self.stats: Counter = Counter()
        self.max_in_flight = 0
        self.received_options: list[dict[str, str]] = []
        self.served_at: list[float] = []  # time.monotonic() of each TEI answer
        self._faults: deque[str] = deque()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add_document(self, pdf: bytes, tei: bytes) -> str:
        """Answer `tei` for `pdf` from now on; returns the PDF's SHA-1."""
        sha1 = hashlib.sha1(pdf).hexdigest()
        self.tei_by_sha1[sha1] = tei
        return sha1

    def inject(self, faults: list[str]) -> None:
        """Queue faults for the next processFulltextDocument requests, one per request."""
        with self._lock:
            self._faults.extend(faults)

    def start(self) -> "GrobidTestServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
                return

            def do_GET(self):
                if self.path == "/api/isalive":
                    self._answer(200 if server.alive else 503, b"true" if server.alive else b"false")
                elif self.path == "/api/version":
                    body = server.version
                    if server.version_as_json:
                        body = json.dumps({"version": server.version, "revision": "test"})
                    self._answer(200, body.encode())
                else:
                    self._answer(404, b"not found")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path != "/api/processFulltextDocument":
                    self._answer(404, b"not found")
                    return
                server._count("requests")
                fault = server._next_fault()
                if fault == "drop":
                    server._count("dropped")
                    self.close_connection = True
                    return
                if fault in ("503", "500"):
                    server._count(fault)
                    self._answer(int(fault), b"[GENERAL] injected fault")
                    return
                if not server._enter():
                    server._count("503")
                    self._answer(503, b"", {"Retry-After": "0"})
                    return
                try:
                    time.sleep(server.slow_s if fault == "slow" else server.latency_s)
                    answer = self._process(body)
                finally:
                    # Out of flight before the answer is sent: a client gives its slot back only once it
                    # has read the answer, so the server never counts more requests than the client holds.
                    server._leave()
                self._answer(*answer)

            def _process(self, body: bytes) -> tuple[int, bytes, dict | None]:
                """The answer to a conversion request: (status, body, headers)."""
                fields = multipart_fields(self.headers.get("Content-Type", ""), body)
                pdf = fields.pop("input", None)
                if pdf is None:
                    return 400, b"missing multipart field 'input'", None
                options = {name: fields[name].decode() for name in OPTION_FIELDS if name in fields}
                with server._lock:
                    server.received_options.append(options)
                if not pdf.startswith(b"%PDF"):
                    server._count("bad_input")
                    return 500, b"[BAD_INPUT_DATA] PDF to XML conversion failed with error code: 1", None
                tei = server.tei_by_sha1.get(hashlib.sha1(pdf).hexdigest())
                if tei is None:
                    server._count("unknown")
                    return 500, b"[NO_BLOCKS] the test server has no TEI for this PDF", None
                server._count("served")
                return 200, tei, {"Content-Type": "application/xml"}

            def _answer(self, status: int, body: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = None

    def __enter__(self) -> "GrobidTestServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _next_fault(self) -> str:
        with self._lock:
            return self._faults.popleft() if self._faults else "ok"

    def _enter(self) -> bool:
        with self._lock:
            if self.capacity is not None and self._in_flight >= self.capacity:
                return False
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return True

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _count(self, name: str) -> None:
        with self._lock:
            self.stats[name] += 1
            if name == "served":
                self.served_at.append(time.monotonic())


def _serve_in_child(connection, settings: dict) -> None:
    with GrobidTestServer(**settings) as server:
        connection.send(server.url)
        connection.recv()  # the parent's "stop"
        connection.send({"served_at": server.served_at, "stats": dict(server.stats), "max_in_flight": server.max_in_flight})


class GrobidServerProcess:
    """A GrobidTestServer (same settings) in a process of its own, like a real GROBID.

    For benchmarks: in one process, the client's threads (Beam's multi_threading mode
    runs every worker in the benchmark's process) would slow the server's answers through
    the GIL. `results()` stops the server and returns its served_at, stats and
    max_in_flight (served_at is time.monotonic(), one clock for every process on Linux).
    """

    def __init__(self, **settings) -> None:
        self.settings = settings
        self.url = ""
        self._connection = None
        self._process = None

    def __enter__(self) -> "GrobidServerProcess":
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve_in_child, args=(child, self.settings), daemon=True)
        self._process.start()
        self.url = self._connection.recv()
        return self

    def results(self) -> dict:
        self._connection.send("stop")
        answer = self._connection.recv()
        self._process.join()
        self._process = None
        return answer

    def __exit__(self, *exc_info) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()


def pdf_variants(pdf: bytes, count: int) -> list[bytes]:
    """`count` copies of a PDF with distinct SHA-1s (a comment line after %%EOF)."""
    return [pdf + b"\n% copy " + str(n).encode() + b"\n" for n in range(count)]
