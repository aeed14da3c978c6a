"""Reading a snapshot folder (the only input of a build)."""
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from schemas import schema_errors

SNAPSHOT_FILE = "snapshot.json"
DOCUMENTS_FILE = "documents.jsonl"


class SnapshotError(ValueError):
    """A snapshot folder or file that cannot be read."""

    reason = "snapshot_error"


@dataclass(frozen=True)
class FeedFile:
    """One raw feed file of a snapshot and the parser kind that reads it."""

    source: str
    kind: str
    path: str  # relative to the snapshot folder
    sha256: str | None


def bundled_sample_snapshot() -> Path:
    """The sample snapshot shipped inside the package."""
    return Path(str(resources.files("pipeline").joinpath("sample_snapshot")))


def load_snapshot(snapshot_dir: Path) -> dict:
    """snapshot.json, checked against its schema."""
    path = snapshot_dir / SNAPSHOT_FILE
    if not path.is_file():
        raise SnapshotError(f"{snapshot_dir} is not a snapshot: {SNAPSHOT_FILE} is missing")
    try:
        snapshot = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SnapshotError(f"{path}: not valid JSON ({exc})") from exc
    problems = schema_errors("snapshot", snapshot)
    if problems:
        raise SnapshotError(f"{path}: {problems[0]}")
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


def checked_path(snapshot_dir: Path, relative_path: str, expected_sha256: str | None) -> Path:
    """The path of a snapshot file; SnapshotError when it is missing or its sha256 differs."""
    path = snapshot_dir / relative_path
    if not path.is_file():
        raise SnapshotError(f"{relative_path}: listed in the snapshot but missing")
    if expected_sha256:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected_sha256:
            raise SnapshotError(f"{relative_path}: sha256 differs from snapshot.json")
    return path


def document_lines(snapshot_dir: Path) -> list[tuple[int, str]]:
    """(line number, raw line) of documents.jsonl, empty when the snapshot has no documents."""
    path = snapshot_dir / DOCUMENTS_FILE
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
