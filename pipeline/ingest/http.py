"""The ingest's HTTP: one session, rate limits per host, downloads retried by the project's policy.

What is retried, the backoff, Retry-After and the bounds come from
`parsers.http_retry` (the GROBID client uses the same); this module adds the
per-host rate limits, the size limits and the ingest's failure reasons.
"""
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import requests

from parsers.errors import ParseError
from parsers.http_retry import (
    TIMEOUT,
    RetryBudget,
    backoff_seconds,
    is_retryable_status,
    retry_after_seconds,
    transient_failure,
)
from pipeline.ingest.config import HttpSettings
from pipeline.ingest.errors import FetchError

logger = logging.getLogger(__name__)

Checked = TypeVar("Checked")  # what a download's check returns

SECRET_PARAMS = {"api_key", "apikey", "key", "token", "access_token"}
_CHUNK_BYTES = 1 << 16


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


def redact(message: str, params: dict | None) -> str:
    """`message` without the values of secret query parameters (API keys end up in error texts)."""
    for name, value in (params or {}).items():
        if name.lower() in SECRET_PARAMS and value:
            message = message.replace(str(value), "***")
    return message


class _RetryableFailure(Exception):
    """One attempt that failed in a way worth retrying (inside HttpClient only)."""

    def __init__(self, reason: str, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.reason = reason
        self.retry_after = retry_after


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
        """The wait after failed attempt number `attempt` (1-based): the first is 1-2 x backoff_seconds."""
        return backoff_seconds(attempt, self.settings.backoff_seconds, self.settings.max_backoff_seconds, self.rng)

    def fetch_to_file(self, url: str, params: dict | None, target: Path, rate: float, max_bytes: int,
                      check: Callable[[Path], Checked], retry_invalid: bool = True) -> Checked:
        """Download `url` into `target` and return `check(target)`; retried as configured.

        `check` raises a ParseError for a body that is not what was asked for. A feed
        page that does not parse was probably cut short and is retried like a 5xx
        (`retry_invalid`); a document of the wrong kind (an HTML error page instead of
        a PDF) fails at once with the error's reason.
        """
        budget = RetryBudget(self.settings.max_attempts, self.settings.max_total_seconds or None)
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(url, params, target, rate, max_bytes, check, retry_invalid, attempt)
            except _RetryableFailure as failure:
                wait = failure.retry_after if failure.retry_after is not None else self.backoff(attempt)
                wait = min(wait, self.settings.max_retry_after_seconds)
                if not budget.allows_retry(attempt, wait):
                    target.unlink(missing_ok=True)
                    raise FetchError(failure.reason, f"{failure} (after {attempt} attempts)", attempt) from None
                logger.debug("retrying %s in %.1fs after %s (attempt %d)", url, wait, failure.reason, attempt)
                self.sleep(wait)
            except FetchError:
                target.unlink(missing_ok=True)
                raise

    def _attempt(self, url: str, params: dict | None, target: Path, rate: float, max_bytes: int,
                 check: Callable[[Path], Checked], retry_invalid: bool, attempt: int) -> Checked:
        """One GET: `check(target)`, or FetchError (final) or _RetryableFailure (worth another try)."""
        try:
            self.limiter.wait(url, rate)
            timeout = (self.settings.connect_timeout, self.settings.read_timeout)
            with self.session.get(url, params=params, stream=True, timeout=timeout) as response:
                status = response.status_code
                if is_retryable_status(status):
                    raise _RetryableFailure(f"http_{status}", f"HTTP {status} from {url}",
                                            retry_after_seconds(response.headers.get("Retry-After")))
                if status != 200:
                    raise FetchError(f"http_{status}", f"HTTP {status} from {url}", attempt)
                self._save_body(response, target, max_bytes, attempt)
                return check(target)
        except requests.RequestException as exc:
            kind = transient_failure(exc)
            if kind == TIMEOUT:
                raise _RetryableFailure("timeout", redact(f"timed out: {exc}", params)) from exc
            if kind is None:  # a malformed URL, too many redirects: trying again cannot help
                raise FetchError("request_error", redact(f"{type(exc).__name__}: {exc}", params), attempt) from exc
            raise _RetryableFailure("broken_response",
                                    redact(f"connection failed or body cut short: {exc}", params)) from exc
        except ParseError as exc:
            if not retry_invalid:
                raise FetchError(exc.reason, f"{type(exc).__name__}: {exc}", attempt) from exc
            raise _RetryableFailure("invalid_response", f"{type(exc).__name__}: {exc}") from exc

    @staticmethod
    def _save_body(response: requests.Response, target: Path, max_bytes: int, attempt: int) -> None:
        """Stream the body into `target` (on disk before the caller renames it), at most `max_bytes`."""
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
