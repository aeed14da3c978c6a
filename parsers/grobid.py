"""A small, bounded GROBID REST client.

Talks to GROBID's REST API with `requests` directly: grobid-client-python retries a
busy server forever with a fixed sleep and works on folders, while a pipeline worker
needs one call per PDF with bounded retries and typed failures.

- `check_alive()` before a run (GrobidDownError with a clear message when down);
- `process_fulltext(pdf)` posts to /api/processFulltextDocument with explicit
  options; 503 (and 429) is back-pressure: it lowers the machine's in-flight limit,
  or, when none of the machine's other requests is in flight, pauses the machine's
  requests with exponential backoff and jitter; timeouts, other 5xx and connection errors are
  retried after exponential backoff with jitter; all bounded in attempts and total
  time, then a typed GrobidError (a ParseError). What is retryable, the backoff, the
  Retry-After header and the bounds are the project's one policy (parsers.http_retry);
- a disk cache keyed by the PDF's SHA-1, GROBID's version and the options, so a rerun
  never sends a PDF twice (definitive refusals are cached as well);
- at most `concurrency` requests in flight to one server per machine (shared by all
  clients of all processes, e.g. every Beam DoFn instance of every worker process on a
  worker machine, through small lock files), fewer while the server answers 503: the
  machine's limit adapts (see _InFlightLimit), so machines that share one GROBID
  settle on shares of its capacity instead of racing each other into 503s.

The client is picklable (its HTTP session and lock are rebuilt lazily), so a Beam
DoFn can be given one and use it from `setup()`.
"""
import collections
import concurrent.futures
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import random
import struct
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from typing import NamedTuple

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
from schemas.files import atomic_write_bytes

logger = logging.getLogger(__name__)

FULLTEXT_PATH = "/api/processFulltextDocument"
DEFAULT_CONCURRENCY = 4  # requests in flight per worker machine
# GROBID answers 500 with one of these prefixes when the PDF itself is unusable;
# sending it again cannot help.
_BAD_INPUT_MARKERS = ("[BAD_INPUT_DATA]", "[NO_BLOCKS]", "[TOO_MANY_BLOCKS]", "[PDFALTO_CONVERSION_FAILURE]")


class GrobidError(ParseError):
    """GROBID could not turn a PDF into TEI."""

    reason = "grobid_error"


class GrobidDownError(GrobidError):
    """The GROBID server is not reachable or not alive."""

    reason = "grobid_down"


class GrobidBusyError(GrobidError):
    """GROBID kept answering 503 (busy) until the retry budget ran out."""

    reason = "grobid_busy"


class GrobidTimeoutError(GrobidError):
    """Requests kept timing out until the retry budget ran out."""

    reason = "grobid_timeout"


class GrobidConnectionError(GrobidError):
    """Connections kept failing (refused, reset, dropped) until the retry budget ran out."""

    reason = "grobid_connection_error"


class GrobidServerError(GrobidError):
    """GROBID kept answering 5xx until the retry budget ran out."""

    reason = "grobid_server_error"


class GrobidBadInputError(GrobidError):
    """GROBID refused the PDF itself (4xx, or 500 with a bad-input code)."""

    reason = "grobid_bad_input"


class GrobidNoContentError(GrobidError):
    """GROBID answered 204: it found nothing to structure in the PDF."""

    reason = "grobid_no_content"


class GrobidClient:
    """Client for one GROBID server; see the module docstring."""

    def __init__(
        self,
        url: str,
        timeout_s: float = 120.0,
        max_attempts: int = 6,
        max_total_s: float = 600.0,
        concurrency: int = DEFAULT_CONCURRENCY,
        cache_dir: str | None = None,
        consolidate_header: bool = False,
        include_raw_citations: bool = True,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
    ) -> None:
        if max_attempts < 1 or concurrency < 1:
            raise ValueError("max_attempts and concurrency must be at least 1")
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.max_total_s = max_total_s
        self.concurrency = concurrency
        self.cache_dir = cache_dir
        self.consolidate_header = consolidate_header
        self.include_raw_citations = include_raw_citations
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._local: threading.local | None = None
        self._in_flight: _InFlightLimit | None = None
        self._version: str | None = None
        self._lock = threading.Lock()

    # -- pickling: sessions, locks and semaphores are per process
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.update(_local=None, _in_flight=None, _lock=None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def options(self) -> dict[str, str]:
        """The form fields sent with every processFulltextDocument request."""
        return {
            "consolidateHeader": "1" if self.consolidate_header else "0",
            "consolidateCitations": "0",
            "includeRawCitations": "1" if self.include_raw_citations else "0",
            "segmentSentences": "0",
        }

    def _process_state(self) -> tuple[threading.local, "_InFlightLimit"]:
        """This process's per-thread sessions and the machine's in-flight limit, made once per process."""
        with self._lock:
            if self._local is None or self._in_flight is None:
                self._local = threading.local()
                self._in_flight = _shared_in_flight_limit(self.url, self.concurrency)
            return self._local, self._in_flight

    def _session(self) -> requests.Session:
        local, _ = self._process_state()
        session = getattr(local, "session", None)
        if session is None:
            session = requests.Session()
            local.session = session
        return session

    def check_alive(self) -> None:
        """Raise GrobidDownError unless GET /api/isalive answers true."""
        try:
            response = self._session().get(f"{self.url}/api/isalive", timeout=min(self.timeout_s, 10.0))
        except requests.RequestException as exc:
            raise GrobidDownError(f"GROBID at {self.url} is not reachable ({exc.__class__.__name__}: {exc})") from exc
        if response.status_code != 200 or response.text.strip().lower() != "true":
            raise GrobidDownError(
                f"GROBID at {self.url} is not alive (/api/isalive answered HTTP {response.status_code}: "
                f"{response.text.strip()[:100]!r})"
            )

    def version(self) -> str:
        """GROBID's version string (plain text in old servers, JSON in new ones); cached."""
        if self._version is None:
            try:
                response = self._session().get(f"{self.url}/api/version", timeout=min(self.timeout_s, 10.0))
                response.raise_for_status()
            except requests.RequestException as exc:
                raise GrobidDownError(f"GROBID at {self.url} did not give its version ({exc})") from exc
            text = response.text.strip()
            try:
                self._version = str(json.loads(text)["version"])
            except (ValueError, KeyError, TypeError):
                self._version = text
        return self._version

    def cache_path(self, pdf_sha1: str) -> str | None:
        """Where the TEI of the PDF with this SHA-1 is cached (None without a cache)."""
        if self.cache_dir is None:
            return None
        key = json.dumps({"version": self.version(), "options": self.options}, sort_keys=True)
        options_hash = hashlib.sha1(key.encode()).hexdigest()[:12]
        return os.path.join(self.cache_dir, pdf_sha1[:2], f"{pdf_sha1}.{options_hash}.tei.xml")

    def process_fulltext(self, pdf: bytes) -> bytes:
        """The TEI GROBID makes of `pdf` (from the cache when it was seen before).

        Definitive refusals (bad input, no content) are cached too and raised again;
        transient failures (busy, timeouts, 5xx, connections) are not.
        """
        sha1 = hashlib.sha1(pdf).hexdigest()
        path = self.cache_path(sha1)
        if path is not None:
            if os.path.exists(path):
                with open(path, "rb") as handle:
                    return handle.read()
            if os.path.exists(path + _REFUSAL_SUFFIX):
                with open(path + _REFUSAL_SUFFIX, encoding="utf-8") as handle:
                    refusal = json.load(handle)
                raise _DEFINITIVE_ERRORS[refusal["error"]](refusal["message"] + " (cached answer)")
        try:
            tei = self._post_with_retries(pdf, sha1)
        except (GrobidBadInputError, GrobidNoContentError) as exc:
            if path is not None:
                refusal = {"error": type(exc).__name__, "message": str(exc)}
                atomic_write_bytes(path + _REFUSAL_SUFFIX, json.dumps(refusal).encode())
            raise
        if path is not None:
            atomic_write_bytes(path, tei)
        return tei

    def process_many(self, pdfs: Iterable[bytes]) -> Iterator[bytes | GrobidError]:
        """TEI (or the GrobidError) for each PDF, in input order, `concurrency` at a time."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = [pool.submit(self.process_fulltext, pdf) for pdf in pdfs]
            for future in futures:
                try:
                    yield future.result()
                except GrobidError as exc:
                    yield exc

    def _post_with_retries(self, pdf: bytes, sha1: str) -> bytes:
        session = self._session()
        _, limit = self._process_state()
        budget = RetryBudget(self.max_attempts, self.max_total_s)
        jitter = random.Random()
        failure: GrobidError  # set by every attempt that does not return
        for attempt in range(1, self.max_attempts + 1):
            response = None
            slot = limit.acquire()
            started = time.monotonic()
            try:
                response = session.post(
                    self.url + FULLTEXT_PATH,
                    files={"input": (f"{sha1}.pdf", pdf, "application/pdf")},
                    data=self.options,
                    timeout=(min(self.timeout_s, 10.0), self.timeout_s),
                )
            except requests.RequestException as exc:
                failure = self._request_failure(exc, sha1)
            finally:
                status = None if response is None else response.status_code
                if response is not None and status in _BUSY_STATUSES:
                    limit.release_busy(slot, self._busy_pause_s(limit, response, jitter))
                else:
                    limit.release(slot, answer_s=time.monotonic() - started if status == 200 else None)
            if response is not None:
                if status == 200:
                    return response.content
                failure = self._answer_failure(response, sha1)
            # A busy answer is paced by the limit (lowered, or paused); other failures back off here.
            if status in _BUSY_STATUSES:
                delay, wait_s = 0.0, limit.pause_left_s()
            else:
                delay = wait_s = backoff_seconds(attempt - 1, self.backoff_base_s, self.backoff_max_s, jitter)
            if not budget.allows_retry(attempt, wait_s):
                break
            logger.debug("GROBID attempt %d for %s failed (%s); retrying in %.2fs", attempt, sha1, failure, wait_s)
            time.sleep(delay)
        raise failure.__class__(f"{failure} (gave up after {attempt} attempt(s))")

    def _request_failure(self, exc: requests.RequestException, sha1: str) -> GrobidError:
        """The retryable error for a request that got no answer; raised at once when retrying cannot help."""
        kind = transient_failure(exc)
        if kind == TIMEOUT:
            return GrobidTimeoutError(f"GROBID timed out after {self.timeout_s:g}s on {sha1}: {exc}")
        if kind is None:  # a bad URL, too many redirects: the same again would fail the same way
            raise GrobidConnectionError(f"request to GROBID failed on {sha1}: {exc}") from exc
        return GrobidConnectionError(f"connection to GROBID failed on {sha1}: {exc}")  # refused, reset, dropped

    @staticmethod
    def _answer_failure(response: requests.Response, sha1: str) -> GrobidError:
        """The retryable error for an answer other than 200; raised at once for a definitive refusal."""
        status = response.status_code
        body = response.text.strip()[:300]
        if status == 204:
            raise GrobidNoContentError(f"GROBID found no content to structure in {sha1}")
        if status in _BUSY_STATUSES:
            return GrobidBusyError(f"GROBID stayed busy (HTTP {status}) for {sha1}")
        if is_retryable_status(status) and not body.startswith(_BAD_INPUT_MARKERS):
            return GrobidServerError(f"GROBID answered HTTP {status} for {sha1}: {body!r}")
        raise GrobidBadInputError(f"GROBID refused {sha1} (HTTP {status}): {body!r}")

    def _busy_pause_s(self, limit: "_InFlightLimit", response: requests.Response, jitter: random.Random) -> float:
        """How long to pause the machine's requests when GROBID is busy and none of them is in flight.

        Doubles with each such pause since the machine's last success; starts at one
        typical answer time when that is shorter than `backoff_base_s` (a full server
        frees a slot within about one answer time); never shorter than the server's
        Retry-After.
        """
        base = min(self.backoff_base_s, limit.typical_answer_s or self.backoff_base_s)
        pause = backoff_seconds(limit.busy_pauses, base, self.backoff_max_s, jitter)
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        return max(pause, min(retry_after or 0.0, self.backoff_max_s))


class _InFlightLimit:
    """How many requests the worker processes of one machine may have in flight to one GROBID.

    The state is shared by every process of the machine through small files in the temp
    folder, named after the server and `maximum`: slot i is an exclusive flock on file
    `slot-<i>` (the kernel drops the locks of a process that dies), and the adaptive
    limit lives in file `state`, read and changed under its own flock. A request takes a
    slot only while fewer than the limit are taken, so the machine as a whole never has
    more requests in flight than the limit, however many processes it runs.

    GROBID answers 503 when all its threads are taken; machines sharing one server do
    not know each other's load, so the limit adapts, never above `maximum` nor below 1:

    - a busy answer cuts it to what the server was accepting from this machine (its
      other requests in flight), and at least by one;
    - each success raises it by 1/limit (one more request per round of answers);
    - a busy answer while none of the machine's other requests is in flight means the
      server is full with other clients: the whole machine pauses (exponential backoff
      with jitter, see GrobidClient._busy_pause_s) instead of every queued request
      trying its luck in turn.

    Within a process, requests are served first come, first served (the head of the
    queue polls the slots every _SLOT_POLL_S, and at once when one of this process's
    requests gives its slot back), and a retry queues again behind the
    others: while the server stays full, each new try is made by another document,
    instead of one document spending all its attempts.
    """

    def __init__(self, url: str, maximum: int) -> None:
        self.maximum = maximum
        key = hashlib.sha1(f"{url} {maximum}".encode()).hexdigest()[:16]
        folder = os.path.join(tempfile.gettempdir(), f"cord19-grobid-slots-{os.getuid()}", key)
        os.makedirs(folder, exist_ok=True)
        self._slots = [open(os.path.join(folder, f"slot-{n}"), "ab") for n in range(maximum)]
        self._held: set[int] = set()  # flock is per open file: our own threads are told apart here
        self._next = random.randrange(maximum)
        self._state = os.open(os.path.join(folder, "state"), os.O_RDWR | os.O_CREAT, 0o600)  # no O_APPEND: pwrite at 0
        self._users = open(os.path.join(folder, "users"), "ab")
        self._lock = threading.Lock()  # our threads, around the machine-wide flock
        self._queue: collections.deque[object] = collections.deque()
        self._turns = threading.Condition()
        self._slot_given = threading.Condition()  # wakes the head of the queue early
        if _try_lock(self._users):  # no other live process uses this state: start afresh
            with self._machine():
                self._write(_LimitState(float(maximum), 0.0, 0, 0.0))
        fcntl.flock(self._users, fcntl.LOCK_SH)  # held while this process lives

    @property
    def limit(self) -> float:
        with self._machine():
            return self._read().limit

    @property
    def busy_pauses(self) -> int:
        """Pauses since the machine's last success."""
        with self._machine():
            return self._read().busy_pauses

    @property
    def typical_answer_s(self) -> float | None:
        """A moving average of successful answer times (None before the first)."""
        with self._machine():
            return self._read().typical_answer_s or None

    @property
    def in_flight(self) -> int:
        """This process's requests in flight."""
        with self._lock:
            return len(self._held)

    def pause_left_s(self) -> float:
        """How long the machine still waits before its next request to the server."""
        with self._machine():
            return max(0.0, self._read().paused_until - time.monotonic())

    def acquire(self) -> int:
        """Wait for our turn, then for a free slot under the limit (not paused); its number."""
        turn = object()
        with self._turns:
            self._queue.append(turn)
            self._turns.wait_for(lambda: self._queue[0] is turn)
        try:
            while True:
                with self._machine():
                    state = self._read()
                    wait_s = state.paused_until - time.monotonic()
                    slot = self._take_slot(int(state.limit)) if wait_s <= 0 else None
                if slot is not None:
                    return slot
                with self._slot_given:
                    self._slot_given.wait(timeout=max(wait_s, _SLOT_POLL_S))
        finally:
            with self._turns:
                self._queue.popleft()
                self._turns.notify_all()

    def release(self, slot: int, answer_s: float | None) -> None:
        """Give a slot back after any answer but a busy one (`answer_s`: a success's duration)."""
        with self._machine():
            state = self._read()
            typical = state.typical_answer_s
            if answer_s is not None:
                typical = answer_s if not typical else 0.8 * typical + 0.2 * answer_s
            limit = min(float(self.maximum), state.limit + 1.0 / state.limit)
            self._write(_LimitState(limit, state.paused_until, 0, typical))
            self._give_slot(slot)

    def release_busy(self, slot: int, pause_s: float) -> None:
        """Give a slot back after a busy answer: cut the limit; pause when nothing else is in flight."""
        with self._machine():
            state = self._read()
            self._give_slot(slot)
            others = self._slots_taken()
            limit = float(max(1, min(int(state.limit) - 1, others)))
            if others:
                self._write(state._replace(limit=limit))
            else:
                paused_until = max(state.paused_until, time.monotonic() + pause_s)
                self._write(state._replace(limit=limit, paused_until=paused_until, busy_pauses=state.busy_pauses + 1))

    @contextlib.contextmanager
    def _machine(self) -> Iterator[None]:
        with self._lock:
            fcntl.flock(self._state, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._state, fcntl.LOCK_UN)

    def _read(self) -> "_LimitState":
        data = os.pread(self._state, _LIMIT_STATE.size, 0)
        return _LimitState(*_LIMIT_STATE.unpack(data))

    def _write(self, state: "_LimitState") -> None:
        os.pwrite(self._state, _LIMIT_STATE.pack(*state), 0)

    def _slots_taken(self) -> int:
        """Slots taken by any process of the machine (inside _machine())."""
        taken = 0
        for number, handle in enumerate(self._slots):
            if number in self._held or not _try_lock(handle):
                taken += 1
            else:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return taken

    def _take_slot(self, limit: int) -> int | None:
        """A free slot, now held, if fewer than `limit` are taken (inside _machine())."""
        if self._slots_taken() >= limit:
            return None
        for step in range(self.maximum):
            number = (self._next + step) % self.maximum
            if number not in self._held and _try_lock(self._slots[number]):
                self._held.add(number)
                self._next = number + 1
                return number
        return None

    def _give_slot(self, slot: int) -> None:
        fcntl.flock(self._slots[slot], fcntl.LOCK_UN)
        self._held.discard(slot)
        with self._slot_given:
            self._slot_given.notify()


class _LimitState(NamedTuple):
    limit: float
    paused_until: float  # time.monotonic(): one clock for every process of the machine
    busy_pauses: int
    typical_answer_s: float  # 0.0 before the first success


_LIMIT_STATE = struct.Struct("<ddqd")
_SLOT_POLL_S = 0.002


def _try_lock(handle) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


_LIMITS: dict[tuple[int, str, int], _InFlightLimit] = {}
_LIMITS_LOCK = threading.Lock()


def _shared_in_flight_limit(url: str, concurrency: int) -> _InFlightLimit:
    """One limit object per server and process, shared by every client (e.g. one per Beam
    DoFn instance and thread); keyed by process id too, so a forked child opens its own
    lock files (flocks belong to open files, which a fork shares)."""
    key = (os.getpid(), url, concurrency)
    with _LIMITS_LOCK:
        if key not in _LIMITS:
            _LIMITS[key] = _InFlightLimit(url, concurrency)
        return _LIMITS[key]


_DEFINITIVE_ERRORS = {cls.__name__: cls for cls in (GrobidBadInputError, GrobidNoContentError)}
_REFUSAL_SUFFIX = ".refused.json"
_BUSY_STATUSES = (503, 429)  # back-pressure: paced by the machine's in-flight limit
