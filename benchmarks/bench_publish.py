"""Publish throughput against plain boto3 `upload_file` of the same bytes, same server.

Starts moto's S3 server in its own process on 127.0.0.1 (a free port), writes a
synthetic release of about --size-mb (a real tar.gz of JSON parse files, a metadata.csv
and a manifest), then, --repeat times each, on a fresh bucket:

  upload_file   boto3 `upload_file` of every byte publish sends (the dated files and the
                historical tarball), one file after another, default TransferConfig
  verified      publish's upload step alone for the same files: the same multipart
                uploads plus local checksums and a check of every stored object
  publish       `release.publish.publish_release` end to end: the dated uploads, the
                historical tarball built and streamed into its multipart upload at the
                same time, the index written, latest/ copied server-side
  re-run        publish again: every object found intact, nothing sent
  latest copy   the server-side copy of document_parses.tar.gz alone (S3Storage.copy),
                the largest of the copies publish makes into latest/ once all is verified

and prints the median wall seconds, MB/s, the client's and the S3 server's CPU seconds,
and each method's throughput over upload_file's (target >= 0.9). Run by hand:
`python benchmarks/bench_publish.py [--size-mb 256] [--repeat 3]`.
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from concurrent.futures import ThreadPoolExecutor  # noqa: E402

from release.publish import _upload_verified, publish_release, read_local_release, write_historical_tarball  # noqa: E402
from release.storage import S3Storage, file_checksums  # noqa: E402
from schemas import METADATA_COLUMNS, schema_versions  # noqa: E402

MiB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto(port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto server did not start")


def write_synthetic_release(folder: Path, size_mb: int, date: str = "2026-05-01") -> Path:
    """A release folder whose document_parses.tar.gz is about 90% of size_mb (random text compresses ~25%)."""
    release_dir = folder / date
    release_dir.mkdir(parents=True)
    rows = max(1, size_mb * 100)
    with open(release_dir / "metadata.csv", "w", encoding="utf-8") as out:
        out.write(",".join(METADATA_COLUMNS) + "\n")
        for i in range(rows):
            out.write(f"{i:08x},,PMC,Title {i},,,,unk,{'An abstract about coronaviruses. ' * 30},2020,,,,,,,,,\n")
    paper_bytes = int(size_mb * MiB * 0.9 / 0.77)
    with gzip.GzipFile(release_dir / "document_parses.tar.gz", "wb", compresslevel=1, mtime=0) as zipped, \
            tarfile.open(fileobj=zipped, mode="w") as tar:
        written, index = 0, 0
        while written < paper_bytes:
            text = base64.b64encode(os.urandom(600_000)).decode()
            data = json.dumps({"paper_id": f"{index:040x}", "body_text": [{"text": text}]}).encode()
            info = tarfile.TarInfo(f"document_parses/pdf_json/{index:040x}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            written += len(data)
            index += 1
    for name in ("changelog", "dead_letters.jsonl", "dedup_report.jsonl", "cord_uid_registry.json"):
        (release_dir / name).write_text("{}\n" if name.endswith(".json") else "")
    files = {}
    for path in sorted(release_dir.iterdir()):
        files[path.name] = {"size": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    manifest = {"release_date": date, "schema_versions": schema_versions(), "parser_versions": {},
                "counts": {"metadata_rows": rows, "pdf_json": index, "pmc_json": 0, "dead_letters": 0}, "files": files}
    (release_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return release_dir


LARGEST = "document_parses.tar.gz"


def process_cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(action, server_pid: int) -> tuple[float, float, float]:
    """(wall, client CPU, server CPU) seconds of one call."""
    server_before, client_before, start = process_cpu_seconds(server_pid), time.process_time(), time.perf_counter()
    action()
    return (time.perf_counter() - start, time.process_time() - client_before,
            process_cpu_seconds(server_pid) - server_before)


def new_bucket(client) -> str:
    name = f"bench-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    port = free_port()
    server = start_moto(port)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as scratch_name:
            scratch = Path(scratch_name)
            release_dir = write_synthetic_release(scratch, args.size_mb)
            client = boto3.client("s3", endpoint_url=endpoint)
            release = read_local_release(release_dir)
            tarball = scratch / "cord-19_historical.tar.gz"
            with open(tarball, "wb") as out:
                write_historical_tarball(release, out)
            baseline_files = [release_dir / name for name in release.names] + [tarball]
            total = sum(path.stat().st_size for path in baseline_files)
            verified_files = [(f"verified/{path.name}", path, {"sha256": file_checksums(path, None).sha256})
                              for path in baseline_files]
            methods = ("upload_file", "verified", "publish", "re-run", "latest copy")
            runs: dict[str, list[tuple[float, float, float]]] = {m: [] for m in methods}
            for _ in range(args.repeat):
                bucket = new_bucket(client)
                runs["upload_file"].append(measure(
                    lambda: [client.upload_file(str(p), bucket, f"plain/{p.name}") for p in baseline_files], server.pid))
                plain = S3Storage(bucket, client=client)
                runs["latest copy"].append(measure(
                    lambda: plain.copy(f"plain/{LARGEST}", f"latest/{LARGEST}"), server.pid))
                storage = S3Storage(new_bucket(client), client=client)
                with ThreadPoolExecutor(max_workers=2) as pool:
                    runs["verified"].append(measure(lambda: _upload_verified(storage, verified_files, pool), server.pid))
                storage = S3Storage(new_bucket(client), client=client)
                runs["publish"].append(measure(
                    lambda: publish_release(release_dir, storage, "cord19"), server.pid))
                runs["re-run"].append(measure(
                    lambda: publish_release(release_dir, storage, "cord19"), server.pid))
            print(f"synthetic release of ~{args.size_mb} MB; {total} bytes sent by upload_file, verified and publish "
                  f"(publish also writes the index and copies latest/ server-side); median of {args.repeat}")
            print("wall seconds per run: " + "; ".join(
                f"{m} " + " ".join(f"{r[0]:.2f}" for r in values) for m, values in runs.items()))
            base_wall = statistics.median(r[0] for r in runs["upload_file"])
            print(f"{'method':<12} {'wall s':>7} {'MB/s':>7} {'client CPU s':>13} {'server CPU s':>13} {'vs upload_file':>15}")
            for method, values in runs.items():
                wall = statistics.median(r[0] for r in values)
                client_cpu = statistics.median(r[1] for r in values)
                server_cpu = statistics.median(r[2] for r in values)
                sends_all = method in ("upload_file", "verified", "publish")
                rate = total / MiB / wall if sends_all else 0.0
                ratio = f"{base_wall / wall:.2f}" if sends_all else "-"
                print(f"{method:<12} {wall:>7.2f} {rate:>7.1f} {client_cpu:>13.2f} {server_cpu:>13.2f} {ratio:>15}")
            floor = base_wall + statistics.median(r[0] for r in runs["latest copy"])
            print(f"upload_file + latest copy: {floor:.2f} s, ratio {base_wall / floor:.2f} (what any publish that copies "
                  "latest/ after verifying everything would take on this server)")
            print("target: publish throughput >= 0.90 of upload_file's")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
