"""The project's one HTTP retry policy: what is worth trying again, how long to wait, when to stop.

Every HTTP client of the project (the ingest's feed and document downloads, the
GROBID client) decides with these pieces; each adds only what is its own (the GROBID
client's machine-wide in-flight slots and busy pauses, the ingest's size limits).

- Retryable answers: HTTP 429 and every 5xx; timeouts; connections refused, reset or
  dropped; bodies cut short or undecodable (`transient_failure`).
- Waits: exponential backoff with jitter, `base x 2^doublings` times a random factor
  in [0.5, 1), never more than a maximum (`backoff_seconds`). Half of each wait is
  random, so clients that failed together do not retry together; the other half
  keeps the waits growing with every failure.
- A server's Retry-After, in delta seconds or as an HTTP date (`retry_after_seconds`).
- Bounds: a number of attempts and, optionally, a total time (`RetryBudget`).
"""
import datetime
import email.utils
import math
import random
import time
from collections.abc import Callable

import requests

TIMEOUT = "timeout"
BROKEN = "broken"  # refused, reset or dropped connections; bodies cut short or undecodable
_BROKEN_ERRORS = (
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def is_retryable_status(status: int) -> bool:
    """Whether an HTTP answer with this status is worth asking again (429 and 5xx)."""
    return status == 429 or 500 <= status <= 599


def transient_failure(error: BaseException) -> str | None:
    """TIMEOUT or BROKEN when `error` is a failed request worth retrying; None when it is not."""
    if isinstance(error, requests.Timeout):  # before ConnectionError: ConnectTimeout is both
        return TIMEOUT
    if isinstance(error, _BROKEN_ERRORS):
        return BROKEN
    return None


def backoff_seconds(doublings: int, base_seconds: float, max_seconds: float, rng: random.Random) -> float:
    """The wait after a failure: base x 2^doublings, times a random factor in [0.5, 1), at most max_seconds."""
    return min(max_seconds, base_seconds * 2**doublings * rng.uniform(0.5, 1.0))


def retry_after_seconds(value: str | None, now: datetime.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if math.isfinite(seconds):
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return max(0.0, (when - now).total_seconds())


class RetryBudget:
    """The attempts and the total time one request may spend (max_total_seconds None: no time bound)."""

    def __init__(self, max_attempts: int, max_total_seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic):
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = max_attempts
        self.clock = clock
        self.deadline = None if max_total_seconds is None else clock() + max_total_seconds

    def allows_retry(self, attempt: int, wait_seconds: float) -> bool:
        """Whether attempt number `attempt` (1-based) may be followed by another after `wait_seconds`."""
        if attempt >= self.max_attempts:
            return False
        return self.deadline is None or self.clock() + wait_seconds <= self.deadline
