"""Sorted files written in parts by many workers and merged, streaming, by one.

metadata.csv, dead_letters.jsonl and dedup_report.jsonl are sorted files too large to
gather in one process for a CORD-19-sized release. Workers each sort a part of the
records and write it as JSON lines; the final step merges the parts (a k-way merge
holding one line per part) into the release file. The merged order is the order of
sorting all records at once, so the result does not depend on how records were split
into parts. Lines are compared as strings: a file whose order is that of a field puts
that field first on each line (metadata parts hold `<cord_uid>\t<row JSON>`).
"""
import heapq
import json
from collections.abc import Iterable, Iterator
from typing import IO

PART_SUFFIX = ".jsonl"


def canonical_line(record: dict) -> str:
    """One record as the JSON line the release's .jsonl files hold (keys sorted)."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def metadata_line(row: dict) -> str:
    """A metadata part line: `<cord_uid>\t<row JSON>` (so lines sort by cord_uid; the row keeps its key order)."""
    return f"{row['cord_uid']}\t{json.dumps(row, ensure_ascii=False)}"


def parse_file_line(path: str, size: int, sha256: str) -> str:
    """A line of the parse-file list: `<release path>\t<size>\t<sha256>`."""
    return f"{path}\t{size}\t{sha256}"


def sorted_part_bytes(lines: Iterable[str]) -> bytes:
    """A part file: the lines, sorted."""
    return "".join(line + "\n" for line in sorted(lines)).encode("utf-8")


def iter_part_lines(handle: IO[bytes]) -> Iterator[str]:
    """The lines of one part file, without their newlines."""
    for raw in handle:
        yield raw.decode("utf-8").rstrip("\n")


def merge_sorted_lines(parts: Iterable[Iterator[str]]) -> Iterator[str]:
    """Every line of every sorted part, in the order of one sort over all of them."""
    return heapq.merge(*parts)
