"""One tiny helper for Beam counters, named `<stage>.<what>[.<source>]`."""
from apache_beam.metrics import Metrics

NAMESPACE = "cord19"


def count(stage: str, what: str, source: str | None = None, amount: int = 1) -> None:
    """Increment the counter for `stage` and `what`, per source when one is given."""
    name = f"{stage}.{what}" if source is None else f"{stage}.{what}.{source}"
    Metrics.counter(NAMESPACE, name).inc(amount)
