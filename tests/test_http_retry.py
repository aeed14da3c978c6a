"""The one HTTP retry policy (parsers/http_retry.py), used by the ingest and the GROBID client."""
import datetime
import email.utils
import random

import pytest
import requests

from parsers.http_retry import (
    BROKEN,
    TIMEOUT,
    RetryBudget,
    backoff_seconds,
    is_retryable_status,
    retry_after_seconds,
    transient_failure,
)

NOW = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 501, 599])
def test_429_and_5xx_are_retryable(status):
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [200, 204, 301, 400, 403, 404, 428, 600])
def test_other_statuses_are_not(status):
    assert not is_retryable_status(status)


@pytest.mark.parametrize(
    "error, kind",
    [
        (requests.ReadTimeout("slow"), TIMEOUT),
        (requests.ConnectTimeout("slow to connect"), TIMEOUT),  # a ConnectionError too: still a timeout
        (requests.ConnectionError("refused"), BROKEN),
        (requests.exceptions.ChunkedEncodingError("cut short"), BROKEN),
        (requests.exceptions.ContentDecodingError("bad gzip"), BROKEN),
        (requests.exceptions.InvalidURL("no host"), None),
        (requests.TooManyRedirects("loop"), None),
        (ValueError("not a request failure"), None),
    ],
)
def test_transient_failures_are_told_apart(error, kind):
    assert transient_failure(error) == kind


def test_backoff_doubles_with_jitter_and_stays_under_its_maximum():
    rng = random.Random(7)
    for doublings in range(12):
        for _ in range(50):
            wait = backoff_seconds(doublings, 0.5, 30.0, rng)
            assert min(30.0, 0.25 * 2**doublings) <= wait <= min(30.0, 0.5 * 2**doublings)
    waits = {round(backoff_seconds(3, 1.0, 60.0, rng), 6) for _ in range(20)}
    assert len(waits) > 15  # jittered: clients that failed together do not retry together


@pytest.mark.parametrize(
    "value, seconds",
    [("7", 7.0), (" 12 ", 12.0), ("1.5", 1.5), ("0", 0.0), ("-3", 0.0), (None, None), ("", None), ("soon", None),
     ("inf", None)],
)
def test_retry_after_in_seconds(value, seconds):
    assert retry_after_seconds(value, now=NOW) == seconds


def test_retry_after_as_an_http_date():
    later = email.utils.format_datetime(NOW + datetime.timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(later, now=NOW) == 90.0
    earlier = email.utils.format_datetime(NOW - datetime.timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(earlier, now=NOW) == 0.0
    assert retry_after_seconds("Wed, 01 May 2024 12:00:30 -0000", now=NOW) == 30.0  # no zone: read as UTC


def test_budget_bounds_attempts():
    budget = RetryBudget(3)
    assert budget.allows_retry(1, 1000.0) and budget.allows_retry(2, 1000.0)
    assert not budget.allows_retry(3, 0.0)
    with pytest.raises(ValueError):
        RetryBudget(0)


def test_budget_bounds_total_time():
    clock = [100.0]
    budget = RetryBudget(10, max_total_seconds=5.0, clock=lambda: clock[0])
    assert budget.allows_retry(1, 5.0)
    assert not budget.allows_retry(1, 5.1)
    clock[0] = 104.0
    assert budget.allows_retry(2, 1.0) and not budget.allows_retry(2, 1.5)
