"""The ingest's HTTP client (pipeline/ingest/http.py): retries, backoff, rate limits, size limits, secrets."""
import datetime
import email.utils

import pytest

from parsers.http_retry import retry_after_seconds
from pipeline.ingest import FetchError, HostRateLimiter, HttpClient, HttpSettings, check_pdf
from tests.support.feed_server import FeedServer
from tests.support.ingest_helpers import LoopbackOnlySession

def test_api_keys_stay_out_of_failure_messages(tmp_path):
    settings = HttpSettings(max_attempts=2, connect_timeout=0.5)
    client = HttpClient(settings, sleep=lambda s: None, session=LoopbackOnlySession())
    with pytest.raises(FetchError) as caught:
        client.fetch_to_file("http://127.0.0.1:9/eutils/efetch.fcgi", {"db": "pubmed", "api_key": "sekrit-123"},
                             tmp_path / "page.xml", 1000.0, 1000, lambda path: None)
    assert caught.value.reason == "broken_response" and caught.value.attempts == 2
    assert "sekrit-123" not in str(caught.value) and "api_key=***" in str(caught.value)


def test_retry_after_seconds_and_backoff():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=120)
    assert 60 < retry_after_seconds(email.utils.format_datetime(later, usegmt=True)) <= 120
    client = HttpClient(HttpSettings(backoff_seconds=1.0, max_backoff_seconds=5.0))
    waits = [client.backoff(attempt) for attempt in range(1, 8)]
    assert all(1.0 <= w <= 2.0 for w in waits[:1]) and all(w <= 6.0 for w in waits)
    assert waits[2] >= 4.0


def test_rate_limit_is_per_host():
    clock = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock[0] += seconds

    limiter = HostRateLimiter(sleep=sleep, clock=lambda: clock[0])
    for url in ("http://a/1", "http://a/2", "http://b/1", "http://a/3"):
        limiter.wait(url, 2.0)
    assert sleeps == [0.5, 0.5]


def test_oversized_documents_are_refused(corpus_dir, tmp_path):
    settings = HttpSettings(max_attempts=1)
    with FeedServer(corpus_dir) as server:
        client = HttpClient(settings, sleep=lambda s: None, session=LoopbackOnlySession())
        with pytest.raises(Exception) as caught:
            client.fetch_to_file(f"{server.url}/pdf/x", None, tmp_path / "x.pdf", 1000.0, 100, check_pdf)
    assert caught.value.reason == "too_large"
    assert not (tmp_path / "x.pdf").exists()


def test_a_request_that_cannot_succeed_fails_at_once(tmp_path):
    sleeps = []
    client = HttpClient(HttpSettings(max_attempts=4), sleep=sleeps.append, session=LoopbackOnlySession())
    with pytest.raises(FetchError) as caught:
        client.fetch_to_file("http://127.0.0.1:notaport/x", None, tmp_path / "x", 1000.0, 100, lambda path: None)
    assert caught.value.reason == "request_error" and caught.value.attempts == 1 and sleeps == []
