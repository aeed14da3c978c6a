"""`cord19 build` on the bundled sample: a valid release, deterministic, ids kept across releases."""
import csv
import json

import pytest

from pipeline.cli import main
from release.validate import validate_path
from tests.support.sample_release_checksums import SAMPLE_DATE, recorded_checksums, release_checksums

DATE = SAMPLE_DATE


def build(out, date=DATE, *extra):
    assert main(["build", "--out", str(out), "--release-date", date, *extra]) == 0
    return out / date


def all_files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def first_release(tmp_path_factory):
    return build(tmp_path_factory.mktemp("first"))


def test_sample_build_is_a_valid_release_with_merges_and_dead_letters(first_release, capsys):
    assert validate_path(first_release) == []
    assert main(["validate", str(first_release)]) == 0
    manifest = json.loads((first_release / "manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["source_records"] > counts["metadata_rows"] > 0  # duplicates were merged
    assert counts["pdf_json"] > 0 and counts["pmc_json"] > 0
    reasons = {json.loads(line)["reason"] for line in (first_release / "dead_letters.jsonl").read_text().splitlines()}
    assert {"not_xml", "not_pdf", "out_of_scope", "not_a_paper"} <= reasons
    rows = list(csv.DictReader((first_release / "metadata.csv").open(encoding="utf-8")))
    assert any("; " in row["source_x"] for row in rows)
    assert len({row["cord_uid"] for row in rows}) == len(rows)
    for name in ("metadata.csv", "metadata.parquet", "document_parses.tar.gz", "changelog", "manifest.json",
                 "cord_uid_registry.json", "dead_letters.jsonl", "dedup_report.jsonl", "report.html"):
        assert (first_release / name).is_file(), name
    assert not any(p.name.startswith(".staging") for p in first_release.parent.iterdir())


def test_the_sample_release_matches_its_checksum_list(first_release):
    recorded, built = recorded_checksums(), release_checksums(first_release)
    assert built["versions"] == recorded["versions"], (
        "schema, parser or writer versions changed: regenerate with `python -m tests.support.sample_release_checksums`")
    assert built["files"] == recorded["files"], (
        "the release changed without a version bump: bump the version of what changed, then regenerate the list")


def test_two_builds_are_byte_identical_even_with_two_worker_processes(first_release, tmp_path):
    second = build(tmp_path, DATE, "--direct_running_mode=multi_processing", "--direct_num_workers=2")
    assert all_files(second) == all_files(first_release)


def test_a_build_on_top_of_the_previous_release_keeps_every_cord_uid(first_release, tmp_path):
    nxt = build(tmp_path, "2026-01-02", "--previous", str(first_release))
    old = {r["cord_uid"] for r in csv.DictReader((first_release / "metadata.csv").open(encoding="utf-8"))}
    new = {r["cord_uid"] for r in csv.DictReader((nxt / "metadata.csv").open(encoding="utf-8"))}
    assert new == old
    changelog = (nxt / "changelog").read_text()
    assert changelog.startswith("2026-01-02\n---SUMMARY---")
    assert "CORD UIDs (new: 0, removed: 0)" in changelog
    assert f"\n{DATE}\n---SUMMARY---" in changelog
    assert validate_path(nxt) == []


def test_build_errors_are_one_line_without_traceback(tmp_path, capsys):
    assert main(["build", "--snapshot", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "is not a snapshot: snapshot.json is missing" in err and "Traceback" not in err
