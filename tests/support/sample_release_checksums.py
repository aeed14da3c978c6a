"""The checksum list of the sample release: a refactoring must not change a single byte.

`tests/data/sample_release_checksums.json` holds the sha256 of every file of the
release built from the bundled sample for SAMPLE_DATE, with the schema and parser
versions it was built under. When a change is meant to alter the release, bump the
version it concerns and regenerate the list:

    python -m tests.support.sample_release_checksums
"""
import hashlib
import json
import sys
import tempfile
from pathlib import Path

CHECKSUMS_FILE = Path(__file__).resolve().parents[1] / "data" / "sample_release_checksums.json"
SAMPLE_DATE = "2026-01-01"


def release_checksums(release_dir: Path) -> dict:
    """{"versions": ..., "files": {relative path: sha256}} of a built release."""
    manifest = json.loads((release_dir / "manifest.json").read_text(encoding="utf-8"))
    files = {
        path.relative_to(release_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(release_dir.rglob("*"))
        if path.is_file()
    }
    versions = {"schema_versions": manifest["schema_versions"], "parser_versions": manifest["parser_versions"],
                "writer_version": manifest.get("writer_version")}
    return {"versions": versions, "files": files}


def recorded_checksums() -> dict:
    return json.loads(CHECKSUMS_FILE.read_text(encoding="utf-8"))


def main() -> int:
    from pipeline.cli import main as cord19

    with tempfile.TemporaryDirectory() as out:
        if cord19(["build", "--out", out, "--release-date", SAMPLE_DATE]) != 0:
            return 1
        checksums = release_checksums(Path(out) / SAMPLE_DATE)
    CHECKSUMS_FILE.write_text(json.dumps(checksums, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
