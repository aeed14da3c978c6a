"""parsers.grobid and parsers.pdf.document against the loopback GROBID test server."""
import concurrent.futures
import hashlib
import multiprocessing
import pickle
import socket
import uuid

import pytest

from parsers.grobid import (
    GrobidBadInputError,
    GrobidBusyError,
    GrobidClient,
    GrobidConnectionError,
    GrobidDownError,
    GrobidServerError,
    GrobidTimeoutError,
    _InFlightLimit,
)
from schemas.invariants import paper_problems
from parsers.pdf.document import pdf_to_pdf_json
from parsers.pdf.errors import NotPdfError
from schemas import schema_errors
from tests.support.grobid_server import GrobidTestServer, corpus_tei_by_sha1, pdf_variants

DOC2JSON = "expected/doc2json_pdf_f2235cd"
PDF_SHA1 = "f2235cd28c171f9f3b6a8bcebe246159c464980c"


@pytest.fixture(scope="module")
def corpus_pdf(corpus_dir) -> bytes:
    return (corpus_dir / DOC2JSON / "5cd28c171f9f3b6a8bcebe246159c464980c.pdf").read_bytes()


@pytest.fixture(scope="module")
def corpus_tei(corpus_dir) -> bytes:
    return (corpus_dir / DOC2JSON / f"{PDF_SHA1}.tei.xml").read_bytes()


@pytest.fixture
def server(corpus_dir):
    with GrobidTestServer(corpus_tei_by_sha1(corpus_dir)) as running:
        yield running


def fast_client(url: str, **options) -> GrobidClient:
    """A client whose backoff is short, so retry tests stay fast."""
    settings = {"backoff_base_s": 0.01, "backoff_max_s": 0.05, "max_attempts": 4, "timeout_s": 5.0}
    settings.update(options)
    return GrobidClient(url, **settings)


def free_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_server_maps_corpus_tei_by_pdf_sha1(corpus_dir, corpus_pdf):
    mapping = corpus_tei_by_sha1(corpus_dir)
    assert hashlib.sha1(corpus_pdf).hexdigest() == PDF_SHA1 and PDF_SHA1 in mapping


def test_health_check_and_version(server):
    client = fast_client(server.url)
    client.check_alive()
    assert client.version() == "0.5.5"
    server.version_as_json = False
    assert fast_client(server.url).version() == "0.5.5"


def test_health_check_failures_are_clear(server):
    server.alive = False
    with pytest.raises(GrobidDownError, match="not alive"):
        fast_client(server.url).check_alive()
    url = free_port_url()
    with pytest.raises(GrobidDownError) as exc:
        fast_client(url).check_alive()
    assert url in str(exc.value) and exc.value.reason == "grobid_down"


def test_process_fulltext_returns_the_corpus_tei_with_explicit_options(server, corpus_pdf, corpus_tei):
    assert fast_client(server.url).process_fulltext(corpus_pdf) == corpus_tei
    assert server.received_options == [
        {"consolidateHeader": "0", "consolidateCitations": "0", "includeRawCitations": "1"}
    ]
    fast_client(server.url, consolidate_header=True, include_raw_citations=False).process_fulltext(corpus_pdf)
    assert server.received_options[1]["consolidateHeader"] == "1"
    assert server.received_options[1]["includeRawCitations"] == "0"


def test_busy_dropped_and_failing_answers_are_retried(server, corpus_pdf, corpus_tei):
    server.inject(["503", "drop", "500"])
    assert fast_client(server.url).process_fulltext(corpus_pdf) == corpus_tei
    assert server.stats["requests"] == 4
    assert (server.stats["503"], server.stats["dropped"], server.stats["500"]) == (1, 1, 1)


@pytest.mark.parametrize(
    "fault, error, reason",
    [
        ("503", GrobidBusyError, "grobid_busy"),
        ("500", GrobidServerError, "grobid_server_error"),
        ("drop", GrobidConnectionError, "grobid_connection_error"),
    ],
)
def test_retries_are_bounded_in_attempts(server, corpus_pdf, fault, error, reason):
    server.inject([fault] * 10)
    with pytest.raises(error) as exc:
        fast_client(server.url, max_attempts=3).process_fulltext(corpus_pdf)
    assert exc.value.reason == reason and "3 attempt" in str(exc.value)
    assert server.stats["requests"] == 3


def test_timeouts_are_retried_then_reported(server, corpus_pdf, corpus_tei):
    server.slow_s = 1.0
    server.inject(["slow", "slow"])
    with pytest.raises(GrobidTimeoutError) as exc:
        fast_client(server.url, timeout_s=0.2, max_attempts=2).process_fulltext(corpus_pdf)
    assert exc.value.reason == "grobid_timeout"
    server.inject(["slow"])
    assert fast_client(server.url, timeout_s=0.5, max_attempts=2).process_fulltext(corpus_pdf) == corpus_tei


def test_retries_are_bounded_in_total_time(server, corpus_pdf):
    # The first backoff (>= 5 s) would overrun the 1 s budget: give up after one attempt.
    server.inject(["503"] * 5)
    client = GrobidClient(server.url, max_attempts=5, max_total_s=1.0, backoff_base_s=10.0, backoff_max_s=10.0)
    with pytest.raises(GrobidBusyError):
        client.process_fulltext(corpus_pdf)
    assert server.stats["requests"] == 1


def test_unusable_pdfs_are_not_retried(server):
    with pytest.raises(GrobidBadInputError) as exc:
        fast_client(server.url).process_fulltext(b"%PDF-1.4 but not really a PDF")
    assert exc.value.reason == "grobid_bad_input" and "[NO_BLOCKS]" in str(exc.value)
    with pytest.raises(GrobidBadInputError):
        fast_client(server.url).process_fulltext(b"plain text, not a PDF")
    assert server.stats["requests"] == 2


def test_cache_means_a_rerun_never_sends_a_pdf_twice(server, corpus_pdf, corpus_tei, tmp_path):
    cache = str(tmp_path / "tei-cache")
    assert fast_client(server.url, cache_dir=cache).process_fulltext(corpus_pdf) == corpus_tei
    assert fast_client(server.url, cache_dir=cache).process_fulltext(corpus_pdf) == corpus_tei
    assert server.stats["requests"] == 1
    cached = list((tmp_path / "tei-cache").rglob("*.tei.xml"))
    assert len(cached) == 1 and cached[0].name.startswith(PDF_SHA1)
    # Other options or another GROBID version are other cache entries.
    fast_client(server.url, cache_dir=cache, consolidate_header=True).process_fulltext(corpus_pdf)
    server.version = "0.8.0"
    fast_client(server.url, cache_dir=cache).process_fulltext(corpus_pdf)
    assert server.stats["requests"] == 3
    assert len(list((tmp_path / "tei-cache").rglob("*.tei.xml"))) == 3


def test_cache_keeps_definitive_refusals_but_not_transient_failures(server, tmp_path):
    cache = str(tmp_path / "tei-cache")
    for _ in range(2):
        with pytest.raises(GrobidBadInputError, match="NO_BLOCKS"):
            fast_client(server.url, cache_dir=cache).process_fulltext(b"%PDF-1.4 unknown to the server")
    assert server.stats["requests"] == 1
    server.inject(["503"] * 2)
    for _ in range(2):
        with pytest.raises(GrobidBusyError):
            fast_client(server.url, cache_dir=cache, max_attempts=1).process_fulltext(b"%PDF-1.4 busy")
    assert server.stats["requests"] == 3


def test_client_is_picklable_after_use(server, corpus_pdf, corpus_tei):
    client = fast_client(server.url)
    client.process_fulltext(corpus_pdf)
    copy = pickle.loads(pickle.dumps(client))
    assert copy.process_fulltext(corpus_pdf) == corpus_tei


def test_concurrency_is_bounded_per_client(server, corpus_pdf, corpus_tei):
    pdfs = pdf_variants(corpus_pdf, 6)
    for pdf in pdfs:
        server.add_document(pdf, corpus_tei)
    server.latency_s = 0.2
    results = list(fast_client(server.url, concurrency=2).process_many(pdfs))
    assert results == [corpus_tei] * 6
    assert server.max_in_flight == 2


def test_concurrency_bound_is_shared_by_the_clients_of_a_process(server, corpus_pdf, corpus_tei):
    pdfs = pdf_variants(corpus_pdf, 6)
    for pdf in pdfs:
        server.add_document(pdf, corpus_tei)
    server.latency_s = 0.2
    clients = [fast_client(server.url, concurrency=2) for _ in range(3)]  # like 3 DoFn instances
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda i: clients[i % 3].process_fulltext(pdfs[i]), range(6)))
    assert results == [corpus_tei] * 6
    assert server.max_in_flight == 2


def test_busy_server_is_answered_by_backoff_not_failures(server, corpus_pdf, corpus_tei):
    pdfs = pdf_variants(corpus_pdf, 8)
    for pdf in pdfs:
        server.add_document(pdf, corpus_tei)
    server.capacity, server.latency_s = 2, 0.1
    client = fast_client(server.url, concurrency=6, max_attempts=50, max_total_s=60.0)
    results = list(client.process_many(pdfs))
    assert results == [corpus_tei] * 8
    assert server.stats["503"] > 0 and server.stats["served"] == 8
    assert server.max_in_flight <= 2


def test_pdf_to_pdf_json_through_grobid(server, corpus_pdf, corpus_dir):
    paper = pdf_to_pdf_json(corpus_pdf, fast_client(server.url))
    assert paper["paper_id"] == PDF_SHA1
    assert len(paper["body_text"]) == 40 and len(paper["bib_entries"]) == 39
    assert schema_errors("pdf_json", paper) == [] and paper_problems(paper) == []


def test_pdf_to_pdf_json_checks_bytes_before_sending(server):
    with pytest.raises(NotPdfError):
        pdf_to_pdf_json(b"<html><body>Service Unavailable</body></html>", fast_client(server.url))
    assert server.stats["requests"] == 0


def test_pdf_to_pdf_json_without_grobid_uses_pdfminer(corpus_pdf):
    paper = pdf_to_pdf_json(corpus_pdf, None)
    assert paper["paper_id"] == PDF_SHA1 and paper["body_text"]


def _process_many_in_child(url: str, pdfs: list[bytes], concurrency: int) -> int:
    """Run in a worker process: how many of `pdfs` came back as TEI."""
    results = fast_client(url, concurrency=concurrency).process_many(pdfs)
    return sum(1 for result in results if isinstance(result, bytes))


def test_concurrency_bound_is_shared_by_the_processes_of_a_machine(server, corpus_pdf, corpus_tei):
    pdfs = pdf_variants(corpus_pdf, 12)
    for pdf in pdfs:
        server.add_document(pdf, corpus_tei)
    server.latency_s = 0.1
    context = multiprocessing.get_context("spawn")  # like Beam's worker processes: no state shared
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        parsed = list(pool.map(_process_many_in_child, [server.url] * 2, [pdfs[:6], pdfs[6:]], [2, 2]))
    assert parsed == [6, 6] and server.stats["served"] == 12
    assert server.max_in_flight == 2


def test_clients_sharing_a_busy_server_cut_their_limits_and_do_not_fail(server, corpus_pdf, corpus_tei):
    # Two clients with their own limits (different concurrencies, like two machines)
    # ask for 3 + 4 requests at once from a server that serves 4: the 503s must end in
    # retries, not failures, and each client's limit must come down from its maximum.
    pdfs = pdf_variants(corpus_pdf, 24)
    for pdf in pdfs:
        server.add_document(pdf, corpus_tei)
    server.capacity, server.latency_s = 4, 0.05
    clients = [fast_client(server.url, concurrency=n, max_attempts=30, max_total_s=120.0) for n in (3, 4)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        batches = list(pool.map(lambda client, batch: list(client.process_many(batch)), clients, [pdfs[::2], pdfs[1::2]]))
    assert batches == [[corpus_tei] * 12] * 2
    assert server.stats["503"] > 0 and server.stats["served"] == 24


def test_in_flight_limit_is_cut_by_busy_answers_and_grows_back():
    limit = _InFlightLimit(f"http://limit-test.invalid/{uuid.uuid4().hex}", 4)
    slots = [limit.acquire() for _ in range(4)]
    assert sorted(slots) == [0, 1, 2, 3] and limit.in_flight == 4
    limit.release_busy(slots.pop(), pause_s=10.0)  # 3 others still in flight: no pause
    assert limit.limit == 3 and limit.pause_left_s() == 0
    limit.release_busy(slots.pop(), pause_s=10.0)
    assert limit.limit == 2
    limit.release(slots.pop(), answer_s=0.5)
    assert limit.limit == 2.5 and limit.typical_answer_s == 0.5
    limit.release_busy(slots.pop(), pause_s=10.0)  # none of ours left in flight: the process pauses
    assert limit.limit == 1 and limit.pause_left_s() > 0 and limit.busy_pauses == 1


def test_in_flight_limit_never_goes_below_one_nor_above_its_maximum():
    limit = _InFlightLimit(f"http://limit-test.invalid/{uuid.uuid4().hex}", 2)
    for _ in range(3):
        limit.release_busy(limit.acquire(), pause_s=0.0)
    assert limit.limit == 1
    for _ in range(10):
        limit.release(limit.acquire(), answer_s=None)
    assert limit.limit == 2 and limit.busy_pauses == 0


def test_in_flight_limit_is_one_for_the_whole_machine():
    url = f"http://limit-test.invalid/{uuid.uuid4().hex}"
    first, second = _InFlightLimit(url, 4), _InFlightLimit(url, 4)  # as in two worker processes
    first.release_busy(first.acquire(), pause_s=0.0)
    assert second.limit == 1  # the cut is seen by every process of the machine
    held = second.acquire()
    with first._machine():
        assert first._take_slot(1) is None  # the machine's one slot is taken
    second.release(held, answer_s=0.2)
    assert first.limit == 2 and first.typical_answer_s == 0.2
