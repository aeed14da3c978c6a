"""Shared test fixtures.

The real third-party corpus is read from CORD19_CORPUS (default ../shared/corpus next
to the project root); tests that need it skip cleanly when it is absent. Helpers that
are not fixtures (loopback servers, small releases, writers) live in tests/support/.
"""
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import corpus_path


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


@pytest.fixture(scope="session")
def moto_s3():
    """moto's S3 server on 127.0.0.1, one for the whole session, stopped at its end.

    Fake AWS credentials are in the environment while it runs. Started on first use, so a
    run without S3 tests starts no server. A test may stop and start it (it keeps its
    objects and its port); use `s3_bucket` for a bucket of your own.
    """
    from tests.support.s3_server import running_moto  # boto3 and moto load only when a test needs S3

    with running_moto() as server:
        yield server


@pytest.fixture
def s3_bucket(moto_s3) -> str:
    """The name of a new, empty bucket on the session's moto server: tests never share a bucket."""
    from tests.support.s3_server import new_bucket

    return new_bucket(moto_s3.url)
