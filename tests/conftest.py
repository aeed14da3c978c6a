"""Shared test fixtures.

The real third-party corpus is read from CORD19_CORPUS (default ../shared/corpus next
to the project root); tests that need it skip cleanly when it is absent.
"""
import os
import tempfile
from collections.abc import Iterator
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


@pytest.fixture(scope="session", autouse=True)
def session_temp_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point `tempfile` (and spawned worker processes, through TMPDIR) at pytest's own temp area.

    Code under test keeps machine-wide state in the temp folder (e.g. the GROBID client's
    per-server slot files); this way a test run leaves nothing behind in /tmp.
    """
    folder = tmp_path_factory.mktemp("tmp")
    saved_tempdir, saved_env = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = str(folder)
    os.environ["TMPDIR"] = str(folder)
    yield folder
    tempfile.tempdir = saved_tempdir
    if saved_env is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = saved_env
