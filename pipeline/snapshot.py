"""The snapshot folder, the contract between ingest and build: its one reader and writer.

```
snapshot.json          {"created", "query", "sources": [{"name", "kind", "files"}], "files": {path: sha256}, "failures"}
feeds/<source>/<file>  raw responses exactly as received
documents/pdf/<sha1>.pdf, documents/pmc/<PMCID>.xml
documents.jsonl        one line per document, sorted by path and URL
```

`cord19 ingest` writes a snapshot with the functions below, `cord19 build` reads it
with the others; no other module spells these names.
"""
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from schemas import schema_errors
from schemas.files import atomic_write_bytes, sha256_file

SNAPSHOT_FILE = "snapshot.json"
DOCUMENTS_FILE = "documents.jsonl"
FEEDS_DIR = "feeds"
PDF_DIR = "documents/pdf"
JATS_DIR = "documents/pmc"


MAX_PATH_LENGTH = 1024


class SnapshotError(ValueError):
    """A snapshot folder or file that cannot be read (or written)."""

    reason = "snapshot_error"


class SnapshotIntegrityError(SnapshotError):
    """A file the snapshot lists that is missing, unreadable or not the bytes it lists: the build stops.

    Its message is one line that starts with INTEGRITY_PREFIX and names the file, so the
    launcher can find it in whatever a runner reports of a failed worker.
    """


INTEGRITY_PREFIX = "snapshot integrity: "


def integrity_error(relative_path: str, what: str) -> SnapshotIntegrityError:
    return SnapshotIntegrityError(f"{INTEGRITY_PREFIX}{relative_path}: {what}")


def find_integrity_message(text: str) -> str | None:
    """The first integrity error line in a runner's failure text, if any."""
    start = text.find(INTEGRITY_PREFIX)
    if start < 0:
        return None
    line = text[start:].splitlines()[0]
    return line.split(" [while running", 1)[0].rstrip("'\" ")


def safe_relative_path(path: object) -> str:
    """`path` when it names a file inside the snapshot; SnapshotError otherwise.

    A relative `/`-separated path without empty, `.` or `..` parts, backslashes or control
    characters, of at most MAX_PATH_LENGTH characters: nothing a snapshot lists can reach outside it.
    """
    if not isinstance(path, str) or not path or len(path) > MAX_PATH_LENGTH:
        raise SnapshotError(f"not a snapshot path: {str(path)[:80]!r}")
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or any(part in ("", ".", "..") for part in parts) \
            or any(ord(char) < 32 for char in path):
        raise SnapshotError(f"not a path inside the snapshot: {path[:200]!r}")
    return path


@dataclass(frozen=True)
class FeedFile:
    """One raw feed file of a snapshot and the parser kind that reads it."""

    source: str
    kind: str
    path: str  # relative to the snapshot folder
    sha256: str | None


# ---------------------------------------------------------------- names


def feed_path(source_name: str, file_name: str) -> str:
    """Where a source's raw feed file lives, relative to the snapshot folder."""
    return f"{FEEDS_DIR}/{source_name}/{file_name}"


def pdf_path(sha1: str) -> str:
    """Where a PDF lives, relative to the snapshot folder (named by its SHA-1)."""
    return f"{PDF_DIR}/{sha1}.pdf"


def jats_path(pmcid: str) -> str:
    """Where a PMC JATS file lives, relative to the snapshot folder (named by its PMCID)."""
    return f"{JATS_DIR}/{pmcid}.xml"


def is_finished(snapshot_dir: Path) -> bool:
    """Whether the folder holds a finished snapshot (its snapshot.json is written last)."""
    return (snapshot_dir / SNAPSHOT_FILE).exists()


def bundled_sample_snapshot() -> Path:
    """The sample snapshot shipped inside the package."""
    return Path(str(resources.files("pipeline").joinpath("sample_snapshot")))


# ---------------------------------------------------------------- reading


def load_snapshot(snapshot_dir: Path) -> dict:
    """snapshot.json of a local snapshot folder, checked against its schema."""
    path = snapshot_dir / SNAPSHOT_FILE
    if not path.is_file():
        raise SnapshotError(f"{snapshot_dir} is not a snapshot: {SNAPSHOT_FILE} is missing")
    return parse_snapshot(path.read_bytes(), str(path))


def parse_snapshot(data: bytes, where: str) -> dict:
    """The snapshot.json in `data`, checked against its schema; every path it lists stays inside the snapshot."""
    try:
        snapshot = json.loads(data)
    except ValueError as exc:
        raise SnapshotError(f"{where}: not valid JSON ({exc})") from exc
    problems = schema_errors("snapshot", snapshot)
    if problems:
        raise SnapshotError(f"{where}: {problems[0]}")
    for source in snapshot["sources"]:
        for file in source["files"]:
            safe_relative_path(file)
    for file in snapshot.get("files", {}):
        safe_relative_path(file)
    return snapshot


def feed_files(snapshot: dict) -> list[FeedFile]:
    """Every feed file of the snapshot, sorted by path."""
    checksums = snapshot.get("files", {})
    files = [
        FeedFile(source=source["name"], kind=source["kind"], path=path, sha256=checksums.get(path))
        for source in snapshot["sources"]
        for path in source["files"]
    ]
    return sorted(files, key=lambda f: f.path)


def documents_checksum(snapshot: dict) -> str | None:
    """The sha256 snapshot.json lists for documents.jsonl (None when it lists none)."""
    return snapshot.get("files", {}).get(DOCUMENTS_FILE)


def iter_document_lines(stream: Iterable[bytes]) -> Iterator[tuple[int, str]]:
    """(line number, line) of each non-blank line of a documents.jsonl stream (bytes lines)."""
    for number, raw in enumerate(stream, start=1):
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line.strip():
            yield number, line


def count_documents(snapshot_dir: Path) -> int:
    """How many document lines a local snapshot's documents.jsonl holds (0 without one)."""
    path = snapshot_dir / DOCUMENTS_FILE
    if not path.is_file():
        return 0
    with path.open("rb") as handle:
        return sum(1 for _ in iter_document_lines(handle))


# ---------------------------------------------------------------- writing


def partial_path(target: Path) -> Path:
    """The temporary file a download into `target` goes to before it is checked and renamed."""
    return target.with_name(f".{target.name}.part")


def remove_partial_files(snapshot_dir: Path) -> None:
    """Delete what interrupted writes left in a snapshot folder being written.

    Downloads under way (`partial_path`) and atomic writes use temporary files named
    with a leading dot beside their targets; no file of the snapshot is named so.
    """
    for path in snapshot_dir.rglob(".*"):
        if path.is_file():
            path.unlink()


def write_documents_file(snapshot_dir: Path, lines: list[dict]) -> str:
    """Write documents.jsonl (sorted by path, then URL; durably) and return its sha256."""
    ordered = sorted(lines, key=lambda line: (line["path"], line["url"]))
    path = snapshot_dir / DOCUMENTS_FILE
    atomic_write_bytes(path, "".join(json.dumps(line, sort_keys=True) + "\n" for line in ordered).encode(), fsync=True)
    return sha256_file(path)


def write_snapshot_file(snapshot_dir: Path, created: str, query: dict | None, sources: list[dict],
                        files: dict[str, str], failures: list[dict]) -> dict:
    """Write snapshot.json, the last file of a snapshot (durably), and return it.

    `sources` are {"name", "kind", "files"} entries, `files` every file's sha256 by
    relative path (documents.jsonl included); SnapshotError when the result would
    break its schema.
    """
    snapshot = {"created": created, "query": query, "sources": sources,
                "files": dict(sorted(files.items())), "failures": failures}
    problems = schema_errors("snapshot", snapshot)
    if problems:
        raise SnapshotError(f"{SNAPSHOT_FILE} would break its schema: {problems[0]}")
    data = (json.dumps(snapshot, indent=2, sort_keys=True) + "\n").encode()
    atomic_write_bytes(snapshot_dir / SNAPSHOT_FILE, data, fsync=True)
    return snapshot
