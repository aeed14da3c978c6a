"""The sample build on Apache Flink (Beam's FlinkRunner through its job server, Flink in-process,
parallelism 2, the SDK harness in processes of its own) writes the same bytes as the local runner."""
import pytest

from pipeline.cli import main
from tests.support.flink import flink_args, job_server_jar, sdk_worker_pool

DATE = "2026-01-01"


def all_files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_sample_build_on_flink_is_byte_identical_to_the_local_build(tmp_path):
    jar = job_server_jar()
    if jar is None:
        pytest.skip("no Flink job-server jar (.ci/run builds it with mvn) or no java")
    assert main(["build", "--out", str(tmp_path / "local"), "--release-date", DATE]) == 0
    with sdk_worker_pool() as port:
        assert main(["build", "--out", str(tmp_path / "flink"), "--release-date", DATE, *flink_args(jar, port)]) == 0
    assert all_files(tmp_path / "flink" / DATE) == all_files(tmp_path / "local" / DATE)
