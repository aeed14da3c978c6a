"""Beam's Flink runner for tests: the job-server jar `.ci/run` builds, and an SDK worker pool.

The job server runs Flink in-process (`--flink_master=[local]`); the Python SDK harness
runs in processes of its own, started by a worker pool (`--environment_type=EXTERNAL`)
that this helper starts on 127.0.0.1 and stops. Nothing leaves the machine.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.paths import PROJECT_ROOT

JOB_SERVER_JAR = PROJECT_ROOT / ".ci" / "cache" / "flink-job-server" / "flink-job-server.jar"
FLINK_VERSION = "1.19"


def job_server_jar() -> Path | None:
    """The Flink job-server jar (CORD19_FLINK_JOB_SERVER_JAR, else the one .ci/run builds), if present with java."""
    jar = Path(os.environ.get("CORD19_FLINK_JOB_SERVER_JAR", JOB_SERVER_JAR))
    return jar if jar.is_file() and shutil.which("java") else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def sdk_worker_pool(env: dict[str, str] | None = None, command_prefix: tuple[str, ...] = ()) -> Iterator[int]:
    """A Beam SDK worker pool on 127.0.0.1 (its port); each worker it starts is a process of its own.

    `env` is the pool's (and so its workers') whole environment; `command_prefix` runs the
    pool under another program (e.g. `unshare` to give the workers a private /tmp).
    """
    port = free_port()
    environment = dict(env if env is not None else os.environ)
    environment["PATH"] = os.path.dirname(sys.executable) + os.pathsep + environment.get("PATH", "")
    command = [*command_prefix, sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main",
               f"--service_port={port}"]
    process = subprocess.Popen(command, env=environment, cwd=environment.get("HOME", "/"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the SDK worker pool did not start (exit {process.poll()})")
                time.sleep(0.2)
        yield port
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def flink_args(jar: Path, pool_port: int, parallelism: int = 2) -> list[str]:
    """The Beam flags of a build on Flink through the job server, with the SDK harness in the worker pool."""
    return [
        "--runner=FlinkRunner", "--flink_master=[local]", f"--flink_version={FLINK_VERSION}",
        f"--flink_job_server_jar={jar}", f"--parallelism={parallelism}",
        "--environment_type=EXTERNAL", f"--environment_config=127.0.0.1:{pool_port}",
    ]
