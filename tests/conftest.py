"""Shared test fixtures.

The real third-party corpus is read from CORD19_CORPUS (default ../shared/corpus next
to the project root); tests that need it skip cleanly when it is absent.
"""
import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def corpus_path() -> Path:
    """Where the shared corpus lives (it is never copied into the project)."""
    return Path(os.environ.get("CORD19_CORPUS", PROJECT_ROOT.parent / "shared" / "corpus")).resolve()


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    path = corpus_path()
    if not path.is_dir():
        pytest.skip(f"shared corpus not found at {path} (set CORD19_CORPUS)")
    return path
