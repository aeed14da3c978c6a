"""A progress line per stage of a running build, on a terminal only.

`ProgressPrinter` polls a function returning the run's counters so far (names
`<stage>.<what>[.<source>]`, pipeline/stages/metrics.py) and, at most every `interval`
seconds, writes one line per stage whose counts moved: its counts by kind and its rate
since the start. Nothing is written when the stream is not a terminal.
"""
import threading
import time
from collections.abc import Callable
from typing import TextIO

DEFAULT_INTERVAL = 10.0  # seconds between two reports


def counts_by_stage(counters: dict[str, int]) -> dict[str, dict[str, int]]:
    """`{"read_records.records.pubmed": 3, ...}` -> `{"read_records": {"records": 3}}` (sources summed)."""
    stages: dict[str, dict[str, int]] = {}
    for name, value in sorted(counters.items()):
        stage, _, rest = name.partition(".")
        what = rest.split(".", 1)[0] or "count"
        kinds = stages.setdefault(stage, {})
        kinds[what] = kinds.get(what, 0) + value
    return stages


def progress_lines(counters: dict[str, int], elapsed: float, previous: dict[str, int] | None = None) -> list[str]:
    """One line per stage: `progress parse_documents: parsed_pdf 1,200, reused_parses 40 (12.3/s)`.

    The rate is the stage's counts per second since the start; with `previous` (the
    counters of the last report), stages whose counts did not move are left out.
    """
    now, before = counts_by_stage(counters), counts_by_stage(previous or {})
    lines = []
    for stage, kinds in now.items():
        if kinds == before.get(stage):
            continue
        total = sum(kinds.values())
        rate = total / elapsed if elapsed > 0 else 0.0
        shown = ", ".join(f"{what} {value:,}" for what, value in kinds.items())
        lines.append(f"progress {stage}: {shown} ({rate:,.1f}/s)")
    return lines


class ProgressPrinter:
    """A thread writing `progress_lines` of `source()` to `stream` every `interval` seconds, on a terminal."""

    def __init__(self, source: Callable[[], dict[str, int]], stream: TextIO, interval: float = DEFAULT_INTERVAL):
        self.source = source
        self.stream = stream
        self.interval = interval
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: dict[str, int] = {}

    def __enter__(self) -> "ProgressPrinter":
        if self.stream.isatty():
            self._thread = threading.Thread(target=self._run, name="build-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def report(self) -> None:
        """Write the lines of the stages that moved since the last report."""
        try:
            counters = self.source()
        except Exception:  # a runner that cannot tell its metrics yet: no line this time
            return
        for line in progress_lines(counters, time.monotonic() - self.started, self._last):
            self.stream.write(line + "\n")
        self.stream.flush()
        self._last = counters

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.report()
