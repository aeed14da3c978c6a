"""How long `cord19 parse` of one small JATS file takes, against starting Python with lxml.

The floor is `python -c "import lxml.etree, json"`: an interpreter that loads what the
JATS parser needs and does nothing else. Both run as fresh processes, several times;
the medians and their ratio are printed (target: within 4x of the floor, issue 17).

    python benchmarks/bench_cli_startup.py [--repeats N] [--input FILE]

The default input is the bundled sample snapshot's smallest JATS file.
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.snapshot import bundled_sample_snapshot

FLOOR = [sys.executable, "-c", "import lxml.etree, json"]


def smallest_jats() -> Path:
    """The smallest well-formed JATS file of the sample snapshot."""
    candidates = sorted((bundled_sample_snapshot() / "documents" / "pmc").glob("*.xml"), key=lambda p: p.stat().st_size)
    return next(path for path in candidates if path.read_bytes().rstrip().endswith(b"</article>"))


def seconds(command: list[str]) -> float:
    """Wall time of one run of `command` (which must succeed)."""
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def median_seconds(command: list[str], repeats: int) -> float:
    seconds(command)  # one warm-up run: the file cache, .pyc files
    return statistics.median(seconds(command) for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--input", type=Path, default=None, help="a JATS file (default: the sample's smallest)")
    args = parser.parse_args()
    source = args.input or smallest_jats()
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "pipeline.cli", "parse", str(source), "--out", out]
        floor = median_seconds(FLOOR, args.repeats)
        parse = median_seconds(command, args.repeats)
    print(f"input: {source.name} ({source.stat().st_size:,} bytes), {args.repeats} runs each, medians")
    print(f"floor  python -c 'import lxml.etree, json'  {floor * 1000:8.1f} ms")
    print(f"cord19 parse <one JATS file>              {parse * 1000:8.1f} ms")
    print(f"ratio {parse / floor:.2f}x (target: within 4x)")


if __name__ == "__main__":
    main()
