"""Where releases are published and read from: a local folder or an S3 bucket.

Both stores speak the same small interface (`Storage`): upload files, write and read
small objects, copy, stat, list, delete. `open_store(url)` picks one from a URL:
`s3://bucket/prefix` (boto3, credentials from the standard AWS chain, an optional
`endpoint_url` for S3-compatible stores) or a local path.

Integrity: `Checksums` holds a file's size, md5, sha1, sha256, CRC32s and the ETag S3
computes for it. S3 computes the ETag from the bytes it stored (the MD5, or for a
multipart upload the MD5 of the parts' MD5s plus "-<parts>"), so comparing the stored
ETag with the one computed locally from the same part size proves the object holds our
bytes. Objects encrypted with SSE-KMS or SSE-C are the exception: their ETag is not an
MD5 of the data, so for them the CRC32 checksum S3 keeps (computed from the bytes it
received, for the whole object or as the CRC32 of the parts' CRC32s plus "-<parts>") is
compared instead (`stored_object_matches`). The local store computes the MD5 of the
file it holds.
"""
import base64
import hashlib
import json
import logging
import shutil
import threading
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

import boto3
import botocore.config
import botocore.exceptions
from boto3.s3.transfer import S3UploadFailedError, TransferConfig, create_transfer_manager
from s3transfer.utils import ChunksizeAdjuster

from release.errors import ChecksumMismatchError, StorageError
from release.folders import ByteSink
from schemas.files import atomic_output

HASH_CHUNK_BYTES = 8 * 1024 * 1024
MAX_COPY_OBJECT_BYTES = 5 * 1024**3
LOCAL_METADATA_FOLDER = ".cord19-metadata"
PARTIAL_PREFIX = ".partial-"  # a local store's file being written
PART_CHECKSUM = "CRC32"  # sent with every object and part: S3 checks it on receipt and keeps it
# Server-side encryptions whose ETag is not the MD5 of the object's bytes.
NON_MD5_ETAG_ENCRYPTIONS = frozenset({"aws:kms", "aws:kms:dsse"})

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".gz": "application/gzip",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".parquet": "application/vnd.apache.parquet",
}


def content_type_for(name: str) -> str:
    """The Content-Type an object called `name` is stored with."""
    return CONTENT_TYPES.get(PurePosixPath(name).suffix, "text/plain; charset=utf-8")


@dataclass(frozen=True)
class Checksums:
    """Size and digests of one file; `etag` is what S3 reports for it after an upload.

    `md5` and `sha1` of the whole file are taken only when asked for (the release index
    lists them); a single-part file always has its md5, which is its ETag. `crc32` is the
    whole file's, `part_crc32s` those of its upload parts (empty for a single part).
    """

    size: int
    sha256: str
    etag: str
    crc32: int
    md5: str | None = None
    sha1: str | None = None
    part_crc32s: tuple[int, ...] = ()

    def s3_crc32_values(self) -> set[str]:
        """The ChecksumCRC32 values S3 can keep for these bytes, without the "-<parts>" a
        multipart one ends with: the whole object's CRC32, and for a multipart upload
        the CRC32 of its parts' CRC32s."""
        values = {_base64_crc32(self.crc32)}
        if self.part_crc32s:
            values.add(_base64_crc32(zlib.crc32(b"".join(crc.to_bytes(4, "big") for crc in self.part_crc32s))))
        return values


def _base64_crc32(crc32: int) -> str:
    return base64.b64encode(crc32.to_bytes(4, "big")).decode("ascii")


class ChecksumAccumulator:
    """Feeds bytes to sha256, CRC32, the ETag's MD5(s) and, with `index_digests`, md5 and sha1."""

    def __init__(self, part_size: int | None, index_digests: bool = False) -> None:
        self.part_size = part_size
        self.index_digests = index_digests
        self.size = 0
        self._crc32 = 0
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5() if index_digests and part_size is not None else None
        self._sha1 = hashlib.sha1() if index_digests else None
        self._part_digests: list[bytes] = []
        self._part_crc32s: list[int] = []
        self._part = hashlib.md5()
        self._part_crc32 = 0
        self._part_filled = 0

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._crc32 = zlib.crc32(chunk, self._crc32)
        self._sha256.update(chunk)
        for digest in (self._md5, self._sha1):
            if digest is not None:
                digest.update(chunk)
        if self.part_size is None:
            self._part.update(chunk)
            return
        view = memoryview(chunk)
        while view:
            take = min(len(view), self.part_size - self._part_filled)
            self._part.update(view[:take])
            self._part_crc32 = zlib.crc32(view[:take], self._part_crc32)
            self._part_filled += take
            view = view[take:]
            if self._part_filled == self.part_size:
                self._part_digests.append(self._part.digest())
                self._part_crc32s.append(self._part_crc32)
                self._part = hashlib.md5()
                self._part_crc32 = 0
                self._part_filled = 0

    def result(self) -> Checksums:
        part_crc32s: tuple[int, ...] = ()
        md5: str | None
        if self.part_size is None:
            etag = md5 = self._part.hexdigest()
        else:
            digests = list(self._part_digests)
            part_crc32s = tuple(self._part_crc32s)
            if self._part_filled or not digests:
                digests.append(self._part.digest())
                part_crc32s += (self._part_crc32,)
            etag = f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"
            md5 = self._md5.hexdigest() if self._md5 is not None else None
        sha1 = self._sha1.hexdigest() if self._sha1 is not None else None
        return Checksums(self.size, self._sha256.hexdigest(), etag, self._crc32, md5, sha1, part_crc32s)


def file_checksums(path: Path, part_size: int | None, index_digests: bool = False) -> Checksums:
    """Checksums of the file at `path`, read once; `part_size` None means a single-part upload."""
    accumulator = ChecksumAccumulator(part_size, index_digests)
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            accumulator.update(chunk)
    return accumulator.result()


@dataclass(frozen=True)
class ObjectStat:
    """What a store says about one object: size, ETag, user metadata, whether the ETag
    is an MD5 of the bytes (not under SSE-KMS or SSE-C) and the CRC32 checksum S3 keeps."""

    size: int
    etag: str
    metadata: dict[str, str] = field(default_factory=dict)
    etag_is_md5: bool = True
    crc32: str | None = None


@dataclass(frozen=True)
class Upload:
    """One local file to store under `key`, with its user metadata."""

    key: str
    path: Path
    metadata: dict[str, str] = field(default_factory=dict)


class Storage(Protocol):
    """The operations publish and load need from a store."""

    description: str

    def part_size(self, size: int) -> int | None:
        """The multipart part size used for a file of `size` bytes (None: one part)."""

    def upload_files(self, uploads: Iterable[Upload]) -> None:
        """Store every file (concurrently where the store allows); existing keys are replaced."""

    def open_upload(
        self, key: str, part_size: int | None, metadata: dict[str, str]
    ) -> AbstractContextManager[ByteSink]:
        """A stream stored under `key` (in parts of `part_size` bytes, while it is written)
        when its `with` block ends without error; on an error nothing is stored."""

    def write_bytes(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        """Store a small object."""

    def read_bytes(self, key: str) -> bytes:
        """The bytes of an object; StorageError when it is missing."""

    def download_file(self, key: str, path: Path) -> None:
        """Copy an object to a local file."""

    def copy(self, source_key: str, dest_key: str) -> None:
        """Copy an object inside the store, metadata included."""

    def holds_copy(self, key: str, checksums: Checksums) -> bool:
        """True when the object at `key`, made by `copy`, holds the file of `checksums`."""

    def stat(self, key: str) -> ObjectStat | None:
        """Size, ETag and metadata of an object, None when it does not exist."""

    def list_keys(self, prefix: str) -> list[str]:
        """Sorted keys that start with `prefix`."""

    def delete(self, key: str) -> None:
        """Remove an object (no error when it is already gone)."""

    def abort_unfinished_uploads(self, prefix: str) -> int:
        """Drop what interrupted uploads to keys under `prefix` left behind; return how many."""


def join_key(*parts: str) -> str:
    """Join key parts with single slashes, ignoring empty parts."""
    return "/".join(part.strip("/") for part in parts if part.strip("/"))


def stored_object_matches(found: ObjectStat, expected: Checksums) -> bool:
    """True when the stored object `found` holds the bytes of `expected`: by ETag, or by
    S3's CRC32 checksum when the ETag is not an MD5 (SSE-KMS, SSE-C)."""
    if found.size != expected.size:
        return False
    if found.etag_is_md5:
        return found.etag == expected.etag
    # Some stores (moto's HeadObject among them) leave out the "-<parts>" suffix.
    return found.crc32 is not None and found.crc32.partition("-")[0] in expected.s3_crc32_values()


def verify_object(storage: Storage, key: str, expected: Checksums) -> ObjectStat:
    """The stored object's stat; ChecksumMismatchError unless it holds exactly the expected bytes."""
    found = storage.stat(key)
    if found is None:
        raise ChecksumMismatchError(f"{storage.description}/{key}: missing after upload")
    if not stored_object_matches(found, expected):
        if found.etag_is_md5:
            stored, wanted = f"etag {found.etag}", f"etag {expected.etag}"
        else:
            stored = f"CRC32 {found.crc32 or '(none kept)'}"
            wanted = f"CRC32 {' or '.join(sorted(expected.s3_crc32_values()))}"
        raise ChecksumMismatchError(
            f"{storage.description}/{key}: stored size {found.size} {stored}, expected size {expected.size} {wanted}"
        )
    return found


class LocalStorage:
    """A folder used as a store; user metadata lives in `<root>/.cord19-metadata/<key>.json`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.description = str(self.root)

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not key or key.startswith("/") or ".." in parts or parts[0] == LOCAL_METADATA_FOLDER:
            raise StorageError(f"invalid key {key!r} for a local store")
        return self.root.joinpath(*parts)

    def _metadata_path(self, key: str) -> Path:
        return self.root / LOCAL_METADATA_FOLDER / f"{key}.json"

    def _open_atomically(self, key: str) -> AbstractContextManager[BinaryIO]:
        """A temporary file beside the object (`.partial-<name>.<random>`), moved into place
        when the block ends without error."""
        return atomic_output(self._path(key), prefix=PARTIAL_PREFIX)

    def _write_metadata(self, key: str, metadata: dict[str, str]) -> None:
        path = self._metadata_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(metadata, sort_keys=True), encoding="utf-8")

    def part_size(self, size: int) -> int | None:
        return None

    def upload_files(self, uploads: Iterable[Upload]) -> None:
        for upload in uploads:
            with open(upload.path, "rb") as source, self._open_atomically(upload.key) as out:
                shutil.copyfileobj(source, out, HASH_CHUNK_BYTES)
            self._write_metadata(upload.key, upload.metadata)

    @contextmanager
    def open_upload(self, key: str, part_size: int | None, metadata: dict[str, str]) -> Iterator[ByteSink]:
        with self._open_atomically(key) as out:
            yield out
        self._write_metadata(key, metadata)

    def write_bytes(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        with self._open_atomically(key) as out:
            out.write(data)
        self._write_metadata(key, metadata or {})

    def read_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StorageError(f"{self.description}/{key}: no such object") from exc

    def download_file(self, key: str, path: Path) -> None:
        source = self._path(key)
        if not source.is_file():
            raise StorageError(f"{self.description}/{key}: no such object")
        shutil.copyfile(source, path)

    def copy(self, source_key: str, dest_key: str) -> None:
        metadata = self.stat(source_key)
        if metadata is None:
            raise StorageError(f"{self.description}/{source_key}: no such object")
        with open(self._path(source_key), "rb") as source, self._open_atomically(dest_key) as out:
            shutil.copyfileobj(source, out, HASH_CHUNK_BYTES)
        self._write_metadata(dest_key, metadata.metadata)

    def holds_copy(self, key: str, checksums: Checksums) -> bool:
        found = self.stat(key)
        return found is not None and (found.size, found.etag) == (checksums.size, checksums.etag)

    def stat(self, key: str) -> ObjectStat | None:
        path = self._path(key)
        if not path.is_file():
            return None
        metadata_path = self._metadata_path(key)
        metadata = json.loads(metadata_path.read_text(encoding="utf-8")) if metadata_path.is_file() else {}
        md5 = hashlib.md5()
        with open(path, "rb") as handle:
            while chunk := handle.read(HASH_CHUNK_BYTES):
                md5.update(chunk)
        return ObjectStat(path.stat().st_size, md5.hexdigest(), metadata)

    def list_keys(self, prefix: str) -> list[str]:
        keys = []
        for path in self.root.rglob("*"):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and key.startswith(prefix) and not key.startswith(LOCAL_METADATA_FOLDER + "/"):
                if not path.name.startswith(PARTIAL_PREFIX):
                    keys.append(key)
        return sorted(keys)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
        self._metadata_path(key).unlink(missing_ok=True)

    def abort_unfinished_uploads(self, prefix: str) -> int:
        """Remove the temporary files a killed run left (a clean failure removes its own).

        A temporary file is `<folder>/.partial-<name>.<random>` for the key `<folder>/<name>`.
        """
        removed = 0
        for path in self.root.rglob(f"{PARTIAL_PREFIX}*"):
            name = path.name[len(PARTIAL_PREFIX):].rpartition(".")[0]
            if path.is_file() and (path.parent / name).relative_to(self.root).as_posix().startswith(prefix):
                path.unlink()
                removed += 1
        return removed


# Errors boto3 and s3transfer raise for a store that fails or cannot be reached.
_S3_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, S3UploadFailedError)


class S3Storage:
    """An S3 bucket (or an S3-compatible store at `endpoint_url`)."""

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        client=None,
        transfer_config: TransferConfig | None = None,
    ) -> None:
        self.bucket = bucket
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            config=botocore.config.Config(retries={"max_attempts": 5, "mode": "standard"}),
        )
        self.transfer_config = transfer_config or TransferConfig()
        self.description = f"s3://{bucket}"

    def part_size(self, size: int) -> int | None:
        if size < self.transfer_config.multipart_threshold:
            return None
        return ChunksizeAdjuster().adjust_chunksize(self.transfer_config.multipart_chunksize, size)

    def upload_files(self, uploads: Iterable[Upload]) -> None:
        try:
            with create_transfer_manager(self.client, self.transfer_config) as manager:
                futures = [
                    manager.upload(
                        str(upload.path),
                        self.bucket,
                        upload.key,
                        extra_args={"Metadata": upload.metadata, "ContentType": content_type_for(upload.key),
                                    "ChecksumAlgorithm": PART_CHECKSUM},
                    )
                    for upload in uploads
                ]
                for future in futures:
                    future.result()
        except _S3_ERRORS as exc:
            raise StorageError(f"{self.description}: upload failed: {exc}") from exc

    @contextmanager
    def open_upload(self, key: str, part_size: int | None, metadata: dict[str, str]) -> Iterator[ByteSink]:
        upload = _S3StreamingUpload(self, key, part_size, metadata)
        try:
            yield upload
            upload.finish()
        except BaseException:
            upload.abort()
            raise

    def write_bytes(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, Metadata=metadata or {}, ContentType=content_type_for(key),
                ChecksumAlgorithm=PART_CHECKSUM,
            )
        except _S3_ERRORS as exc:
            raise StorageError(f"{self.description}/{key}: write failed: {exc}") from exc

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except _S3_ERRORS as exc:
            raise StorageError(f"{self.description}/{key}: read failed: {exc}") from exc

    def download_file(self, key: str, path: Path) -> None:
        try:
            with create_transfer_manager(self.client, self.transfer_config) as manager:
                manager.download(self.bucket, key, str(path)).result()
        except _S3_ERRORS as exc:
            raise StorageError(f"{self.description}/{key}: download failed: {exc}") from exc

    def copy(self, source_key: str, dest_key: str) -> None:
        """One server-side CopyObject up to 5 GiB (S3's limit), a multipart copy above."""
        source = {"Bucket": self.bucket, "Key": source_key}
        try:
            size = self.client.head_object(**source)["ContentLength"]
            if size <= MAX_COPY_OBJECT_BYTES:
                # A fresh full-object CRC32 for the copy: a multipart source's composite
                # checksum does not describe a single-part copy.
                self.client.copy_object(Bucket=self.bucket, Key=dest_key, CopySource=source,
                                        MetadataDirective="COPY", ChecksumAlgorithm=PART_CHECKSUM)
                return
            with create_transfer_manager(self.client, self.transfer_config) as manager:
                manager.copy(source, self.bucket, dest_key, extra_args={"ChecksumAlgorithm": PART_CHECKSUM}).result()
        except _S3_ERRORS as exc:
            raise StorageError(f"{self.description}: copy {source_key} -> {dest_key} failed: {exc}") from exc

    def holds_copy(self, key: str, checksums: Checksums) -> bool:
        """A CopyObject copy carries the CRC32 S3 computed from its bytes; a multipart copy
        uses the upload's part size, so it is checked like the upload (its ETag, or under
        SSE-KMS its CRC32 of the parts' CRC32s)."""
        found = self.stat(key)
        if found is None:
            return False
        if checksums.size > MAX_COPY_OBJECT_BYTES:
            return stored_object_matches(found, checksums)
        return found.size == checksums.size and found.crc32 == _base64_crc32(checksums.crc32)

    def _head(self, key: str, **options) -> dict | None:
        """HeadObject's answer, or None when the object does not exist."""
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key, **options)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StorageError(f"{self.description}/{key}: stat failed: {exc}") from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise StorageError(f"{self.description}/{key}: stat failed: {exc}") from exc

    def stat(self, key: str) -> ObjectStat | None:
        head = self._head(key, ChecksumMode="ENABLED")
        if head is None:
            return None
        etag_is_md5 = (head.get("ServerSideEncryption") not in NON_MD5_ETAG_ENCRYPTIONS
                       and "SSECustomerAlgorithm" not in head)
        return ObjectStat(head["ContentLength"], head["ETag"].strip('"'), dict(head.get("Metadata", {})),
                          etag_is_md5, head.get("ChecksumCRC32"))

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                keys.extend(item["Key"] for item in page.get("Contents", []))
        except _S3_ERRORS as exc:
            raise StorageError(f"{self.description}/{prefix}: list failed: {exc}") from exc
        return sorted(keys)

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except _S3_ERRORS as exc:
            raise StorageError(f"{self.description}/{key}: delete failed: {exc}") from exc

    def abort_unfinished_uploads(self, prefix: str) -> int:
        """Abort the multipart uploads an interrupted run could not abort (S3 bills their parts)."""
        aborted = 0
        try:
            for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=prefix):
                for upload in page.get("Uploads", []):
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
        except _S3_ERRORS as exc:
            raise StorageError(f"{self.description}/{prefix}: aborting unfinished uploads failed: {exc}") from exc
        return aborted


class _S3StreamingUpload:
    """Bytes written here go up as the parts of one multipart upload while they are written.

    Like boto3's own multipart uploads, every part carries a CRC32 that the store checks
    on receipt. Parts are sent by a pool as wide as the transfer config's concurrency; the writer
    waits while that many parts are in flight, so memory stays at about
    `concurrency x part_size`. A stream that ends before its first full part (or has no
    part size) is stored with one PutObject. Publish verifies the whole object's ETag
    afterwards, as for every other upload.
    """

    def __init__(self, storage: S3Storage, key: str, part_size: int | None, metadata: dict[str, str]) -> None:
        self.storage = storage
        self.key = key
        self.part_size = part_size
        self.metadata = metadata
        self.buffer = bytearray()
        self.upload_id: str | None = None
        concurrency = storage.transfer_config.max_request_concurrency
        self.pool = ThreadPoolExecutor(max_workers=concurrency)
        self.slots = threading.BoundedSemaphore(concurrency)
        self.parts: list[Future] = []

    def write(self, data: bytes) -> int:
        self.buffer += data
        while self.part_size is not None and len(self.buffer) >= self.part_size:
            self._send_part(bytes(self.buffer[: self.part_size]))
            del self.buffer[: self.part_size]
        return len(data)

    def _send_part(self, data: bytes) -> None:
        client, bucket = self.storage.client, self.storage.bucket
        try:
            if self.upload_id is None:
                self.upload_id = client.create_multipart_upload(
                    Bucket=bucket, Key=self.key, Metadata=self.metadata, ContentType=content_type_for(self.key),
                    ChecksumAlgorithm=PART_CHECKSUM,
                )["UploadId"]
        except _S3_ERRORS as exc:
            raise StorageError(f"{self.storage.description}/{self.key}: upload failed: {exc}") from exc
        for part in self.parts:
            if part.done():
                part.result()  # a failed part stops the stream now
        self.slots.acquire()
        self.parts.append(self.pool.submit(self._upload_part, len(self.parts) + 1, data))

    def _upload_part(self, number: int, data: bytes) -> dict:
        try:
            answer = self.storage.client.upload_part(
                Bucket=self.storage.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data,
                ChecksumAlgorithm=PART_CHECKSUM,
            )
            part = {"PartNumber": number, "ETag": answer["ETag"]}
            if "ChecksumCRC32" in answer:  # some S3-compatible stores do not echo it
                part["ChecksumCRC32"] = answer["ChecksumCRC32"]
            return part
        except _S3_ERRORS as exc:
            raise StorageError(f"{self.storage.description}/{self.key}: part {number} failed: {exc}") from exc
        finally:
            self.slots.release()

    def finish(self) -> None:
        """Send what is left and complete the upload (one PutObject when no part was sent)."""
        client, bucket = self.storage.client, self.storage.bucket
        if self.upload_id is None:
            self.pool.shutdown()
            self.storage.write_bytes(self.key, bytes(self.buffer), self.metadata)
            return
        if self.buffer:
            self._send_part(bytes(self.buffer))
            self.buffer.clear()
        parts = [part.result() for part in self.parts]
        self.pool.shutdown()
        try:
            client.complete_multipart_upload(
                Bucket=bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": parts}
            )
        except _S3_ERRORS as exc:
            raise StorageError(f"{self.storage.description}/{self.key}: completing the upload failed: {exc}") from exc

    def abort(self) -> None:
        """Stop the parts still waiting and abort the multipart upload (best effort: the store may be down)."""
        self.pool.shutdown(cancel_futures=True)
        if self.upload_id is None:
            return
        try:
            self.storage.client.abort_multipart_upload(
                Bucket=self.storage.bucket, Key=self.key, UploadId=self.upload_id
            )
        except _S3_ERRORS as exc:
            logger.warning("%s/%s: could not abort the multipart upload %s: %s",
                           self.storage.description, self.key, self.upload_id, exc)


# botocore's DEBUG log prints signed request headers (the access key id among them).
BOTO_LOGGERS = ("boto3", "botocore", "s3transfer", "urllib3")


def keep_credentials_out_of_logs() -> None:
    """Cap the AWS SDK loggers at INFO, so `-v` never prints signed request headers."""
    for name in BOTO_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)


def open_store(url: str, endpoint_url: str | None = None) -> tuple[Storage, str]:
    """The store named by `url` and the key prefix inside it.

    `s3://bucket/some/prefix` gives an S3Storage and "some/prefix"; a local path (or
    `file://` URL) gives a LocalStorage rooted there and "".
    """
    if url.startswith("s3://"):
        bucket, _, prefix = url[len("s3://"):].partition("/")
        if not bucket:
            raise StorageError(f"no bucket in {url!r}")
        return S3Storage(bucket, endpoint_url=endpoint_url), prefix.strip("/")
    if "://" in url and not url.startswith("file://"):
        raise StorageError(f"unsupported store URL {url!r} (use s3://bucket/prefix or a local path)")
    return LocalStorage(url.removeprefix("file://")), ""
