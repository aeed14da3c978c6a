"""Loopback S3 for tests: moto's standalone server, and an HTTP proxy that corrupts uploads.

Both listen on 127.0.0.1 on a free port. Tests get moto's server from the session
fixture `moto_s3` (tests/conftest.py), which starts it once and stops it at the end, and
a fresh bucket from `s3_bucket`; a test that starts a proxy stops it.
"""
import hashlib
import http.client
import http.server
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import boto3
import botocore.config
from moto.server import ThreadedMotoServer

from release.storage import S3Storage

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


class MotoS3:
    """moto's S3 server on 127.0.0.1; its state lives in this process, so a restart keeps the objects."""

    def __init__(self) -> None:
        self.port = 0
        self._server: ThreadedMotoServer | None = None

    def start(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def fast_failing_client(endpoint_url: str):
    """A boto3 S3 client that gives up quickly when the server is gone."""
    config = botocore.config.Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=10)
    return boto3.client("s3", endpoint_url=endpoint_url, config=config)


def new_bucket(endpoint_url: str) -> str:
    name = f"test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint_url).create_bucket(Bucket=name)
    return name


def storage_for(endpoint_url: str, bucket: str, **kwargs) -> S3Storage:
    return S3Storage(bucket, client=fast_failing_client(endpoint_url), **kwargs)


def encrypt_by_default(storage: S3Storage, algorithm: str) -> None:
    """Give the storage's bucket a default server-side encryption ("AES256", "aws:kms")."""
    storage.client.put_bucket_encryption(Bucket=storage.bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm}}]})


def all_objects(storage: S3Storage, prefix: str) -> dict[str, tuple]:
    """key (relative to prefix) -> (size, etag, metadata, bytes) for every object under prefix."""
    found = {}
    for key in storage.list_keys(prefix):
        stat = storage.stat(key)
        found[key[len(prefix):]] = (stat.size, stat.etag, stat.metadata, storage.read_bytes(key))
    return found


class CorruptingProxy:
    """Forwards HTTP requests to `upstream`; flips one byte of the body of chosen uploads.

    `should_corrupt(method, path)` is asked for every request with a body; it decides.
    With `opaque_etags`, the ETag of every HEAD answer is replaced by one that is no MD5
    of the object's bytes (stable per object), as S3 answers for SSE-KMS objects.
    """

    def __init__(self, upstream_port: int, should_corrupt: Callable[[str, str], bool],
                 opaque_etags: bool = False) -> None:
        self.corrupted: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length) if length else b""
                if body and should_corrupt(self.command, self.path):
                    middle = len(body) // 2
                    body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1:]
                    proxy.corrupted.append(self.path)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("expect", "connection")}
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    data = response.read()
                finally:
                    upstream.close()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if opaque_etags and self.command == "HEAD" and key.lower() == "etag":
                        value = '"' + hashlib.sha1(value.encode()).hexdigest() + '"'
                    if key.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                        self.send_header(key, value)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(data)))
                elif response.getheader("Content-Length") is not None:
                    self.send_header("Content-Length", response.getheader("Content-Length"))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "CorruptingProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running_moto() -> Iterator[MotoS3]:
    """moto's S3 server with fake credentials in the environment, stopped on exit."""
    saved = {key: os.environ.get(key) for key in FAKE_CREDENTIALS}
    os.environ.update(FAKE_CREDENTIALS)
    server = MotoS3()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
