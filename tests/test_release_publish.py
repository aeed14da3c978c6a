"""Publishing releases to moto's S3 server on loopback (and to a local mirror)."""
import base64
import hashlib
import io
import json
import logging
import os
import tarfile
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import EndpointConnectionError

from pipeline.cli import main
from release.errors import ChecksumMismatchError, NotAReleaseError, ReleaseConflictError, ReleaseError, StorageError
from release.publish import index_html_bytes, publish_release, read_local_release, release_index, tarball_size_bound
from release import storage as storage_module
from release.safe_tar import iter_tarball_files
from release.storage import ChecksumAccumulator, LocalStorage, Upload, file_checksums, stored_object_matches
from release.assemble import ReleaseContent, write_release
from tests.support.release_fixtures import make_row, write_small_release
from tests.support.s3_server import CorruptingProxy, all_objects, encrypt_by_default, new_bucket, storage_for

MiB = 1024 * 1024
SMALL_PARTS = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)
DATED_FILES = {
    "changelog", "cord_uid_registry.json", "dead_letters.jsonl", "dedup_report.jsonl",
    "document_parses.tar.gz", "manifest.json", "metadata.csv", "metadata.parquet", "report.html",
}


@pytest.fixture
def s3(moto_s3, s3_bucket):
    return storage_for(moto_s3.url, s3_bucket)


def write_big_release(out_dir: Path, date: str, rows: int = 2600) -> Path:
    """A release whose metadata.csv (~12 MiB of incompressible abstracts) needs a multipart upload."""
    release_dir = out_dir / date
    seed = date.encode()
    content = ReleaseContent(
        release_date=date,
        rows=[make_row(f"{i:08d}", title=f"Paper {i}", abstract=hashlib.sha512(seed + bytes(str(i), "ascii")).hexdigest() * 38,
                       publish_time="2020") for i in range(rows)],
        papers={}, registry_json="{}\n", parser_versions={"pdf_json": "t"},
    )
    write_release(release_dir, content)
    return release_dir


def test_full_publish_layout_and_checksums(s3, tmp_path: Path) -> None:
    release_dir = write_small_release(tmp_path / "out", "2026-01-02")
    result = publish_release(release_dir, s3, "cord19")
    assert result.latest_date == "2026-01-02" and result.skipped == ()

    objects = all_objects(s3, "cord19/")
    assert {key[len("2026-01-02/"):] for key in objects if key.startswith("2026-01-02/")} == DATED_FILES
    assert {key[len("latest/"):] for key in objects if key.startswith("latest/")} == DATED_FILES
    for name in DATED_FILES:
        local = (release_dir / name).read_bytes()
        assert objects[f"2026-01-02/{name}"][3] == local
        assert objects[f"latest/{name}"][3] == local
        assert objects[f"2026-01-02/{name}"][2]["sha256"] == hashlib.sha256(local).hexdigest()

    tarball = objects["historical_releases/cord-19_2026-01-02.tar.gz"][3]
    members = dict(iter_tarball_files(io.BytesIO(tarball)))
    assert members == {f"2026-01-02/{name}": (release_dir / name).read_bytes() for name in DATED_FILES}
    assert len(tarball) <= tarball_size_bound(read_local_release(release_dir))  # the part size was chosen from it

    index = json.loads(objects["releases.json"][3])
    assert index["releases"] == [{
        "date": "2026-01-02", "file": "historical_releases/cord-19_2026-01-02.tar.gz", "size": len(tarball),
        "md5": hashlib.md5(tarball).hexdigest(), "sha1": hashlib.sha1(tarball).hexdigest(),
        "sha256": hashlib.sha256(tarball).hexdigest(),
    }]
    page = objects["historical_releases.html"][3].decode()
    assert 'href="historical_releases/cord-19_2026-01-02.tar.gz"' in page and hashlib.sha1(tarball).hexdigest() in page
    assert 'href="2026-01-02/report.html"' in page  # each release's report, stored among its dated files
    # The tarball's digests, known only after it is written, are stored beside it once it is verified.
    checksums = json.loads(objects["historical_releases/cord-19_2026-01-02.checksums.json"][3])
    index_entry = {key: value for key, value in index["releases"][0].items() if key != "date"}
    assert checksums == {**index_entry, "etag": objects["historical_releases/cord-19_2026-01-02.tar.gz"][1],
                         "manifest_sha256": hashlib.sha256((release_dir / "manifest.json").read_bytes()).hexdigest()}
    latest = json.loads(objects["latest.json"][3])
    assert latest["release_date"] == "2026-01-02" and latest["path"] == "2026-01-02/"
    assert latest["manifest_sha256"] == hashlib.sha256((release_dir / "manifest.json").read_bytes()).hexdigest()


def test_the_index_page_links_a_report_only_for_releases_that_have_one() -> None:
    entries = [{"date": date, "file": f"historical_releases/cord-19_{date}.tar.gz", "size": 1, "md5": "m",
                "sha1": "s", "sha256": "h"} for date in ("2026-01-02", "2025-12-01")]
    page = index_html_bytes(entries, {"2026-01-02"}).decode()
    assert 'href="2026-01-02/report.html"' in page and "2025-12-01/report.html" not in page


def test_rerun_is_idempotent_and_the_tarball_is_deterministic(s3, tmp_path: Path) -> None:
    release_dir = write_small_release(tmp_path / "out", "2026-01-02")
    first = publish_release(release_dir, s3, "p")
    before = all_objects(s3, "p/")
    again = publish_release(release_dir, s3, "p")
    assert again.uploaded == () and again.uploaded_bytes == 0
    # one set of objects: what the first run uploaded, the second finds there (tarball, checksums, two index files)
    assert sorted(again.skipped) == sorted(first.uploaded) and len(again.skipped) == len(DATED_FILES) + 4
    assert all_objects(s3, "p/") == before
    # A fresh build of the historical tarball gives the same bytes (a new prefix builds it again).
    publish_release(release_dir, s3, "q")
    tar_key = "historical_releases/cord-19_2026-01-02.tar.gz"
    assert all_objects(s3, "q/")[tar_key] == before[tar_key]


def test_latest_moves_only_forward_and_the_index_lists_every_release(s3, tmp_path: Path) -> None:
    older = write_small_release(tmp_path / "out", "2026-01-02")
    newer = write_small_release(tmp_path / "out", "2026-01-03")
    assert publish_release(newer, s3, "p").latest_date == "2026-01-03"
    assert publish_release(older, s3, "p").latest_date == "2026-01-03"
    objects = all_objects(s3, "p/")
    assert json.loads(objects["latest.json"][3])["release_date"] == "2026-01-03"
    assert objects["latest/manifest.json"][3] == (newer / "manifest.json").read_bytes()
    assert [entry["date"] for entry in json.loads(objects["releases.json"][3])["releases"]] == ["2026-01-03", "2026-01-02"]


def test_a_different_release_under_the_same_date_needs_force(s3, tmp_path: Path) -> None:
    first = write_small_release(tmp_path / "a", "2026-01-02")
    second = write_big_release(tmp_path / "b", "2026-01-02", rows=3)
    publish_release(first, s3, "p")
    with pytest.raises(ReleaseConflictError, match="--force"):
        publish_release(second, s3, "p")
    assert all_objects(s3, "p/")["2026-01-02/manifest.json"][3] == (first / "manifest.json").read_bytes()

    s3.write_bytes("p/2026-01-02/stray.txt", b"a file neither release has")
    with pytest.raises(ReleaseConflictError, match="stray.txt"):
        publish_release(first, s3, "p")
    publish_release(second, s3, "p", force=True)
    objects = all_objects(s3, "p/")
    assert "2026-01-02/stray.txt" not in objects
    assert objects["2026-01-02/manifest.json"][3] == (second / "manifest.json").read_bytes()
    assert objects["latest/metadata.csv"][3] == (second / "metadata.csv").read_bytes()
    tar_members = dict(iter_tarball_files(io.BytesIO(objects["historical_releases/cord-19_2026-01-02.tar.gz"][3])))
    assert tar_members["2026-01-02/metadata.csv"] == (second / "metadata.csv").read_bytes()
    assert publish_release(second, s3, "p").uploaded == ()


def test_corrupted_upload_is_caught_by_checksum_and_sent_again(moto_s3, s3_bucket, tmp_path: Path) -> None:
    release_dir = write_small_release(tmp_path / "out", "2026-01-02")
    bucket = s3_bucket
    seen: list[str] = []

    def first_metadata_put(method: str, path: str) -> bool:
        hit = method == "PUT" and path.endswith("/2026-01-02/metadata.csv") and not seen
        seen.extend(["x"] if hit else [])
        return hit

    with CorruptingProxy(moto_s3.port, first_metadata_put) as proxy:
        publish_release(release_dir, storage_for(proxy.url, bucket), "p")
    assert proxy.corrupted == [f"/{bucket}/p/2026-01-02/metadata.csv"]
    stored = all_objects(storage_for(moto_s3.url, bucket), "p/")
    assert stored["2026-01-02/metadata.csv"][3] == (release_dir / "metadata.csv").read_bytes()


def test_persistent_corruption_fails_and_latest_stays(moto_s3, s3_bucket, tmp_path: Path) -> None:
    good = write_small_release(tmp_path / "a", "2026-01-02")
    bad = write_small_release(tmp_path / "b", "2026-01-03")
    bucket = s3_bucket
    direct = storage_for(moto_s3.url, bucket)
    publish_release(good, direct, "p")
    latest_before = {k: v for k, v in all_objects(direct, "p/").items() if k.startswith("latest")}

    def every_parquet_put(method: str, path: str) -> bool:
        return method == "PUT" and path.endswith("/2026-01-03/metadata.parquet")

    with CorruptingProxy(moto_s3.port, every_parquet_put) as proxy:
        with pytest.raises(ChecksumMismatchError, match="metadata.parquet"):
            publish_release(bad, storage_for(proxy.url, bucket), "p")
    assert len(proxy.corrupted) == 2
    after = all_objects(direct, "p/")
    assert "2026-01-03/metadata.parquet" not in after
    assert "2026-01-03/manifest.json" not in after
    assert {k: v for k, v in after.items() if k.startswith("latest")} == latest_before


def test_multipart_upload_corrupted_part_is_caught(moto_s3, s3_bucket, tmp_path: Path) -> None:
    release_dir = write_big_release(tmp_path / "out", "2026-02-01")
    assert (release_dir / "metadata.csv").stat().st_size > 10 * MiB
    bucket = s3_bucket
    corrupted_parts: list[str] = []

    def second_part_once(method: str, path: str) -> bool:
        hit = method == "PUT" and "metadata.csv" in path and "partNumber=2" in path and not corrupted_parts
        corrupted_parts.extend([path] if hit else [])
        return hit

    with CorruptingProxy(moto_s3.port, second_part_once) as proxy:
        publish_release(release_dir, storage_for(proxy.url, bucket, transfer_config=SMALL_PARTS), "p")
    assert len(corrupted_parts) == 1
    stored = all_objects(storage_for(moto_s3.url, bucket), "p/")
    size, etag, _, data = stored["2026-02-01/metadata.csv"]
    assert data == (release_dir / "metadata.csv").read_bytes() and etag.endswith("-3")
    # latest/ is a server-side CopyObject: a single-part object whose ETag is the plain MD5.
    assert stored["latest/metadata.csv"][1] == hashlib.md5(data).hexdigest()
    assert stored["latest/metadata.csv"][3] == data


def test_historical_tarball_part_corrupted_in_transit_is_caught(moto_s3, s3_bucket, tmp_path: Path) -> None:
    release_dir = write_big_release(tmp_path / "out", "2026-02-01")
    bucket = s3_bucket
    corrupted_parts: list[str] = []

    def second_tarball_part_once(method: str, path: str) -> bool:
        hit = method == "PUT" and "cord-19_2026-02-01.tar.gz" in path and "partNumber=2" in path and not corrupted_parts
        corrupted_parts.extend([path] if hit else [])
        return hit

    with CorruptingProxy(moto_s3.port, second_tarball_part_once) as proxy:
        result = publish_release(release_dir, storage_for(proxy.url, bucket, transfer_config=SMALL_PARTS), "p")
    assert len(corrupted_parts) == 1
    stored = all_objects(storage_for(moto_s3.url, bucket), "p/")
    size, etag, _, tarball = stored["historical_releases/cord-19_2026-02-01.tar.gz"]
    assert etag.endswith("-3") and result.uploaded_bytes > 2 * size  # sent twice, plus the dated files
    assert size <= tarball_size_bound(read_local_release(release_dir))
    members = dict(iter_tarball_files(io.BytesIO(tarball)))
    assert members["2026-02-01/metadata.csv"] == (release_dir / "metadata.csv").read_bytes()
    assert json.loads(stored["releases.json"][3])["releases"][0]["sha256"] == hashlib.sha256(tarball).hexdigest()


def test_a_failed_tarball_stream_is_aborted_and_the_rerun_completes(moto_s3, s3_bucket, tmp_path: Path) -> None:
    release_dir = write_big_release(tmp_path / "out", "2026-02-01")
    bucket = s3_bucket
    storage = storage_for(moto_s3.url, bucket, transfer_config=SMALL_PARTS)

    def fail_tarball_part_two(params, **kwargs) -> None:
        if "cord-19_" in params["Key"] and params["PartNumber"] == 2:
            raise EndpointConnectionError(endpoint_url=moto_s3.url)

    storage.client.meta.events.register("before-parameter-build.s3.UploadPart", fail_tarball_part_two)
    with pytest.raises(StorageError, match="part 2"):
        publish_release(release_dir, storage, "p")
    storage.client.meta.events.unregister("before-parameter-build.s3.UploadPart", fail_tarball_part_two)
    assert "Uploads" not in storage.client.list_multipart_uploads(Bucket=bucket)
    stored = all_objects(storage, "p/")
    assert not any(key.startswith(("historical_releases/", "latest")) for key in stored)

    resumed = publish_release(release_dir, storage, "p")
    assert "p/historical_releases/cord-19_2026-02-01.tar.gz" in resumed.uploaded
    assert json.loads(all_objects(storage, "p/")["latest.json"][3])["release_date"] == "2026-02-01"


def test_a_tampered_historical_tarball_leaves_the_index_and_is_sent_again(s3, tmp_path: Path) -> None:
    release_dir = write_small_release(tmp_path / "out", "2026-01-02")
    publish_release(release_dir, s3, "p")
    tar_key = "p/historical_releases/cord-19_2026-01-02.tar.gz"
    good = s3.read_bytes(tar_key)
    manifest_sha256 = hashlib.sha256((release_dir / "manifest.json").read_bytes()).hexdigest()
    s3.write_bytes(tar_key, good[:-1] + bytes([good[-1] ^ 1]), {"manifest-sha256": manifest_sha256})
    assert release_index(s3, "p") == []
    repaired = publish_release(release_dir, s3, "p")
    assert tar_key in repaired.uploaded and s3.read_bytes(tar_key) == good
    assert [entry["date"] for entry in release_index(s3, "p")] == ["2026-01-02"]

    # A checksums object that is not JSON (cut short, say) marks nothing as verified either.
    s3.write_bytes("p/historical_releases/cord-19_2026-01-02.checksums.json", b'{"size": 12')
    assert release_index(s3, "p") == []
    assert tar_key in publish_release(release_dir, s3, "p").uploaded
    assert [entry["date"] for entry in release_index(s3, "p")] == ["2026-01-02"]


def test_objects_under_sse_kms_are_verified_by_their_crc32(moto_s3, s3_bucket, tmp_path: Path, caplog) -> None:
    """Under SSE-KMS, S3's ETag is no MD5 of the bytes: publish checks S3's CRC32 instead."""
    release_dir = write_big_release(tmp_path / "out", "2026-02-01")
    bucket = s3_bucket
    direct = storage_for(moto_s3.url, bucket, transfer_config=SMALL_PARTS)
    encrypt_by_default(direct, "aws:kms")
    with CorruptingProxy(moto_s3.port, lambda method, path: False, opaque_etags=True) as proxy:
        kms = storage_for(proxy.url, bucket, transfer_config=SMALL_PARTS)
        first = publish_release(release_dir, kms, "p")
        csv_key = "p/2026-02-01/metadata.csv"
        found = kms.stat(csv_key)
        assert not found.etag_is_md5 and found.etag != direct.stat(csv_key).etag
        good = direct.read_bytes(csv_key)
        whole_file_crc32 = base64.b64encode(zlib.crc32(good).to_bytes(4, "big")).decode()
        assert found.crc32.partition("-")[0] != whole_file_crc32  # a multipart CRC32 of the parts' CRC32s
        assert "attempt" not in caplog.text  # every object verified at the first upload
        assert json.loads(kms.read_bytes("p/latest.json"))["release_date"] == "2026-02-01"
        assert [entry["date"] for entry in release_index(kms, "p")] == ["2026-02-01"]
        assert publish_release(release_dir, kms, "p").uploaded == ()

        direct.write_bytes(csv_key, good[:-1] + b"!", found.metadata)  # same size and recorded sha256
        repaired = publish_release(release_dir, kms, "p")
    assert csv_key in repaired.uploaded and direct.read_bytes(csv_key) == good
    assert first.latest_date == repaired.latest_date == "2026-02-01"


@pytest.mark.parametrize("encryption", ["AES256", "aws:kms"])
def test_latest_copies_above_the_copy_object_limit_are_multipart_and_verified(moto_s3, s3_bucket, tmp_path: Path, monkeypatch,
                                                                               encryption: str) -> None:
    """Files over 5 GiB (here: over 1 MiB) reach latest/ by a multipart copy with the upload's parts."""
    monkeypatch.setattr(storage_module, "MAX_COPY_OBJECT_BYTES", MiB)
    release_dir = write_big_release(tmp_path / "out", "2026-02-01")
    bucket = s3_bucket
    direct = storage_for(moto_s3.url, bucket)
    encrypt_by_default(direct, encryption)
    with CorruptingProxy(moto_s3.port, lambda method, path: False, opaque_etags=encryption == "aws:kms") as proxy:
        store = storage_for(proxy.url, bucket, transfer_config=SMALL_PARTS)
        publish_release(release_dir, store, "p")
        assert publish_release(release_dir, store, "p").uploaded == ()
    latest = direct.stat("p/latest/metadata.csv")
    assert latest.etag.endswith("-3") and latest.etag == direct.stat("p/2026-02-01/metadata.csv").etag
    assert direct.read_bytes("p/latest/metadata.csv") == (release_dir / "metadata.csv").read_bytes()


def test_interrupted_publish_resumes_to_the_same_end_state(moto_s3, s3_bucket, tmp_path: Path) -> None:
    old = write_small_release(tmp_path / "a", "2026-01-02")
    new = write_big_release(tmp_path / "b", "2026-02-01")
    bucket, reference_bucket = s3_bucket, new_bucket(moto_s3.url)
    publish_release(old, storage_for(moto_s3.url, bucket), "p")
    latest_before = {k: v for k, v in all_objects(storage_for(moto_s3.url, bucket), "p/").items() if k.startswith("latest")}

    storage = storage_for(moto_s3.url, bucket, transfer_config=SMALL_PARTS)
    uploads: list[str] = []

    def stop_server_half_way(**kwargs) -> None:
        """Stop once a whole object is stored and a multipart upload is under way (not before: a race)."""
        uploads.append(kwargs["model"].name)
        if uploads.count("PutObject") >= 1 and uploads.count("UploadPart") == 2:
            moto_s3.stop()

    storage.client.meta.events.register("after-call.s3.PutObject", stop_server_half_way)
    storage.client.meta.events.register("after-call.s3.UploadPart", stop_server_half_way)
    try:
        with pytest.raises(StorageError):
            publish_release(new, storage, "p")
    finally:
        moto_s3.start()
    storage.client.meta.events.unregister("after-call.s3.PutObject", stop_server_half_way)
    storage.client.meta.events.unregister("after-call.s3.UploadPart", stop_server_half_way)

    interrupted = all_objects(storage_for(moto_s3.url, bucket), "p/")
    assert {k: v for k, v in interrupted.items() if k.startswith("latest")} == latest_before
    assert "2026-02-01/manifest.json" not in interrupted
    # The server was gone, so the interrupted multipart uploads could not be aborted then.
    assert storage.client.list_multipart_uploads(Bucket=bucket).get("Uploads")

    resumed = publish_release(new, storage, "p")
    assert resumed.skipped, "objects stored before the interruption are not sent again"
    assert "Uploads" not in storage.client.list_multipart_uploads(Bucket=bucket)
    publish_release(old, storage_for(moto_s3.url, reference_bucket), "p")
    publish_release(new, storage_for(moto_s3.url, reference_bucket, transfer_config=SMALL_PARTS), "p")
    assert all_objects(storage_for(moto_s3.url, bucket), "p/") == all_objects(storage_for(moto_s3.url, reference_bucket), "p/")


def test_a_folder_that_does_not_match_its_manifest_is_refused(s3, tmp_path: Path) -> None:
    release_dir = write_small_release(tmp_path / "out", "2026-01-02")
    (release_dir / "changelog").write_text("edited after the build\n")
    with pytest.raises(ReleaseError, match="does not match the sha256"):
        publish_release(release_dir, s3, "p")
    assert s3.list_keys("p/latest") == [] and s3.stat("p/2026-01-02/changelog") is None
    with pytest.raises(NotAReleaseError):
        publish_release(tmp_path, s3, "p")


def test_publish_to_a_local_mirror(tmp_path: Path) -> None:
    release_dir = write_small_release(tmp_path / "out", "2026-01-02")
    mirror = LocalStorage(tmp_path / "mirror")
    publish_release(release_dir, mirror, "")
    assert (tmp_path / "mirror/latest/metadata.csv").read_bytes() == (release_dir / "metadata.csv").read_bytes()
    assert json.loads((tmp_path / "mirror/latest.json").read_text())["release_date"] == "2026-01-02"
    with tarfile.open(tmp_path / "mirror/historical_releases/cord-19_2026-01-02.tar.gz") as tar:
        assert sorted(tar.getnames()) == ["2026-01-02"] + sorted(f"2026-01-02/{n}" for n in DATED_FILES)
    left_by_a_killed_run = ["2026-01-02/.partial-metadata.csv.k1ll3d",
                             "historical_releases/.partial-cord-19_2026-01-02.tar.gz.k1ll3d",
                             "historical_releases/.partial-cord-19_2026-01-01.tar.gz.0th3r"]
    for name in left_by_a_killed_run:
        (tmp_path / "mirror" / name).write_bytes(b"half a file")
    assert publish_release(release_dir, mirror, "").uploaded == ()
    assert [(tmp_path / "mirror" / name).exists() for name in left_by_a_killed_run] == [False, False, True]
    (tmp_path / "mirror/2026-01-02/metadata.csv").write_bytes(b"tampered")
    repaired = publish_release(release_dir, mirror, "")
    assert repaired.uploaded == ("2026-01-02/metadata.csv",)
    assert (tmp_path / "mirror/2026-01-02/metadata.csv").read_bytes() == (release_dir / "metadata.csv").read_bytes()


def test_cli_publish_with_endpoint_url(moto_s3, s3_bucket, tmp_path: Path, capsys, caplog) -> None:
    release_dir = write_small_release(tmp_path / "out", "2026-01-02")
    bucket = s3_bucket
    with caplog.at_level(logging.DEBUG):
        assert main(["-v", "publish", str(release_dir), f"s3://{bucket}/cord19", "--endpoint-url", moto_s3.url]) == 0
    assert "published 2026-01-02" in capsys.readouterr().out
    assert "published 2026-01-02" in caplog.text
    assert "Credential=" not in caplog.text and os.environ["AWS_SECRET_ACCESS_KEY"] not in caplog.text
    other = write_big_release(tmp_path / "other", "2026-01-02", rows=2)
    assert main(["publish", str(other), f"s3://{bucket}/cord19", "--endpoint-url", moto_s3.url]) == 1
    assert "--force" in capsys.readouterr().err


def test_checksums_match_s3_etag_rules_whatever_the_chunking(moto_s3, s3_bucket, tmp_path: Path) -> None:
    data = os.urandom(11 * MiB + 123)
    path = tmp_path / "blob"
    path.write_bytes(data)
    part = 5 * MiB
    parts = [data[i:i + part] for i in range(0, len(data), part)]
    expected_etag = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-3"
    accumulator = ChecksumAccumulator(part, index_digests=True)
    for start in range(0, len(data), 3 * MiB + 17):
        accumulator.update(data[start:start + 3 * MiB + 17])
    chunked = accumulator.result()
    assert chunked == file_checksums(path, part, index_digests=True)
    assert (chunked.etag, chunked.md5, chunked.sha1) == (expected_etag, hashlib.md5(data).hexdigest(),
                                                         hashlib.sha1(data).hexdigest())
    assert file_checksums(path, None).etag == hashlib.md5(data).hexdigest()
    crc_parts = [zlib.crc32(p) for p in parts]
    assert chunked.part_crc32s == tuple(crc_parts) and chunked.crc32 == zlib.crc32(data)
    storage = storage_for(moto_s3.url, s3_bucket, transfer_config=SMALL_PARTS)
    storage.upload_files([Upload("k", path, {})])
    assert storage.stat("k").etag == expected_etag
    composite = zlib.crc32(b"".join(crc.to_bytes(4, "big") for crc in crc_parts)).to_bytes(4, "big")
    assert storage.stat("k").crc32.partition("-")[0] == base64.b64encode(composite).decode()
    assert stored_object_matches(replace(storage.stat("k"), etag_is_md5=False), chunked)
    assert not stored_object_matches(replace(storage.stat("k"), etag_is_md5=False),
                                     replace(chunked, part_crc32s=(1, 2, 3)))
    storage.copy("k", "copy")
    assert storage.holds_copy("copy", chunked)
    assert not storage.holds_copy("copy", replace(chunked, crc32=chunked.crc32 ^ 1))
    assert not storage.holds_copy("missing", chunked)
