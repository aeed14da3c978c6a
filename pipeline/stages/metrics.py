"""One tiny helper for Beam counters, named `<stage>.<what>[.<source>]`, and reading them back.

Each count also goes to a tally of this process (`local_counts`): a runner that runs the
pipeline in this process (our default) returns its result, and so its metrics, only at
the end, and the launcher's progress line reads the tally meanwhile.
"""
import threading
from collections import Counter

from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter

NAMESPACE = "cord19"
REUSED_PARSES = "parse_documents.reused_parses"  # parses taken from the parse cache

_tally: Counter[str] = Counter()
_tally_lock = threading.Lock()


def count(stage: str, what: str, source: str | None = None, amount: int = 1) -> None:
    """Increment the counter for `stage` and `what`, per source when one is given."""
    name = f"{stage}.{what}" if source is None else f"{stage}.{what}.{source}"
    Metrics.counter(NAMESPACE, name).inc(amount)
    with _tally_lock:
        _tally[name] += amount


def local_counts() -> dict[str, int]:
    """The counts made in this process so far (by name)."""
    with _tally_lock:
        return dict(_tally)


def reset_local_counts() -> None:
    with _tally_lock:
        _tally.clear()


def counter_values(result) -> dict[str, int]:
    """Our counters of a pipeline result, summed over steps (committed values, else attempted ones)."""
    values: Counter[str] = Counter()
    for counter in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        values[counter.key.metric.name] += value or 0
    return dict(values)
