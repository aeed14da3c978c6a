"""A build from an s3:// snapshot to s3:// output (moto's S3 on 127.0.0.1) on Flink, whose SDK workers
share no disk with the launcher: they run in a mount namespace of their own where /tmp (the launcher's
test folders) is an empty tmpfs, and reach the snapshot and the output only through the store."""
import os
import shutil
import subprocess

import boto3
import pytest

from pipeline.cli import main
from pipeline.snapshot import bundled_sample_snapshot
from tests.support.flink import flink_args, job_server_jar, sdk_worker_pool

DATE = "2026-01-01"


def private_tmp_prefix() -> tuple[str, ...]:
    """A command prefix that runs a program with a /tmp of its own (empty), or () where that is not allowed."""
    prefix = ("unshare", "--mount", "--propagation", "private", "sh", "-c", 'mount -t tmpfs tmpfs /tmp && exec "$@"', "sh")
    if shutil.which("unshare") and subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
        return prefix
    return ()


def upload_folder(client, bucket: str, folder, prefix: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(folder).as_posix()}")


def download_prefix(client, bucket: str, prefix: str) -> dict[str, bytes]:
    objects = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for item in page.get("Contents", []):
            objects[item["Key"][len(prefix) + 1:]] = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return objects


def test_an_s3_build_with_workers_that_share_no_disk_is_byte_identical_to_a_local_build(tmp_path, moto_s3, s3_bucket):
    jar = job_server_jar()
    if jar is None:
        pytest.skip("no Flink job-server jar (.ci/run builds it with mvn) or no java")
    client = boto3.client("s3", endpoint_url=moto_s3.url)
    upload_folder(client, s3_bucket, bundled_sample_snapshot(), "snapshot")
    assert main(["build", "--out", str(tmp_path / "local"), "--release-date", DATE]) == 0
    prefix = private_tmp_prefix()
    home = "/tmp/worker-home" if prefix else str(tmp_path / "worker-home")
    os.makedirs(tmp_path / "worker-home", exist_ok=True)
    worker_env = {**os.environ, "AWS_ENDPOINT_URL": moto_s3.url, "TMPDIR": "/tmp" if prefix else home, "HOME": "/tmp"}
    with sdk_worker_pool(worker_env, prefix) as port:
        assert main(["build", "--snapshot", f"s3://{s3_bucket}/snapshot", "--out", f"s3://{s3_bucket}/releases",
                     "--release-date", DATE, "--endpoint-url", moto_s3.url, *flink_args(jar, port)]) == 0
    local = {p.relative_to(tmp_path / "local" / DATE).as_posix(): p.read_bytes()
             for p in sorted((tmp_path / "local" / DATE).rglob("*")) if p.is_file()}
    assert download_prefix(client, s3_bucket, f"releases/{DATE}") == local
    assert download_prefix(client, s3_bucket, f"releases/.staging-{DATE}") == {}
