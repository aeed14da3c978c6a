"""The parse cache: parses of documents keyed by parser version and document SHA-1.

A build with a cache folder reuses the parse of every document whose bytes and parser
version it has seen before; the nightly job fills it from the previous release.
"""
import json
import os
import threading
from pathlib import Path


def parse_cache_folder(cache_dir: Path, version: str) -> Path:
    """Where the parse cache keeps the parses of one parser version (`<sha1>.json` each)."""
    return cache_dir / "parses" / version


def write_cached_parse(cache_file: Path, paper: dict, ids: dict) -> None:
    """Store one parse in the cache (atomically: a reader never sees half a file)."""
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    partial = cache_file.with_name(f"{cache_file.name}.{os.getpid()}-{threading.get_ident()}.part")
    partial.write_text(json.dumps({"paper": paper, "ids": ids}, ensure_ascii=False), encoding="utf-8")
    partial.replace(cache_file)


def read_cached_parse(cache_file: Path) -> tuple[dict, dict] | None:
    """(paper, ids) stored by `write_cached_parse`, or None when the cache has no such parse."""
    if not cache_file.is_file():
        return None
    cached = json.loads(cache_file.read_bytes())
    return cached["paper"], cached["ids"]
