"""A nightly survives whatever the feeds send: one build over the sample snapshot plus mutated copies of
its feed files (tests/support/mutators.py, fixed seeds) and the real bad inputs of issue #15
(tests/support/feed_faults.py) ends with a valid release, and every record of every feed file is
in it or in the dead letters."""
import hashlib
import json
import shutil
from pathlib import Path

from pipeline.cli import main
from pipeline.snapshot import bundled_sample_snapshot
from release.validate import validate_path
from tests.support.feed_accounting import account
from tests.support.feed_faults import FEED_FAULTS
from tests.support.mutators import mutations
from tests.support.parser_fuzz import feed_mutators
from tests.support.paths import corpus_path

DATE = "2026-01-01"
SEEDS = [11]


def fuzzed_snapshot(folder: Path) -> Path:
    """The sample snapshot, each feed file joined by its mutations and the issue's faults, checksums rewritten."""
    shutil.copytree(bundled_sample_snapshot(), folder)
    snapshot = json.loads((folder / "snapshot.json").read_text(encoding="utf-8"))
    for source in snapshot["sources"]:
        for path in list(source["files"]):
            data = (folder / path).read_bytes()
            for name, seed, mutated in mutations(data, feed_mutators(source["kind"], data), SEEDS):
                source["files"].append(add_file(folder, snapshot, f"{path}.fuzz-{name}-{seed}", mutated))
    corpus = corpus_path() / "feeds"
    if corpus.is_dir():
        by_kind = {source["kind"]: source for source in snapshot["sources"]}
        for number, (kind, real_file, build, _) in enumerate(FEED_FAULTS.values()):
            target = by_kind.get(kind) or by_kind["biorxiv" if kind == "medrxiv" else kind]
            faulty = build((corpus / real_file).read_bytes())
            target["files"].append(add_file(folder, snapshot, f"feeds/{target['name']}/fault-{number:02d}", faulty))
    (folder / "snapshot.json").write_text(json.dumps(snapshot, indent=2, sort_keys=True), encoding="utf-8")
    return folder


def add_file(folder: Path, snapshot: dict, path: str, data: bytes) -> str:
    (folder / path).write_bytes(data)
    snapshot["files"][path] = hashlib.sha256(data).hexdigest()
    return path


def expected_outcomes(snapshot_dir: Path, scratch: Path) -> dict[str, int]:
    """What the feed parsers make of every feed file: records, record errors and refused files."""
    snapshot = json.loads((snapshot_dir / "snapshot.json").read_text(encoding="utf-8"))
    totals = {"records": 0, "record_errors": 0, "refused_files": 0}
    scratch.mkdir()
    for source in snapshot["sources"]:
        for path in source["files"]:
            result = account(source["kind"], (snapshot_dir / path).read_bytes(), scratch)
            assert result.problems() == [], path
            totals["records"] += len(result.records)
            totals["record_errors"] += len(result.errors)
            totals["refused_files"] += result.file_error is not None
    return totals


def test_a_build_over_mutated_and_faulty_feeds_ends_valid_and_accounts_for_every_record(tmp_path, capsys):
    snapshot = fuzzed_snapshot(tmp_path / "snapshot")
    expected = expected_outcomes(snapshot, tmp_path / "scratch")
    assert main(["build", "--snapshot", str(snapshot), "--out", str(tmp_path / "out"), "--release-date", DATE]) == 0
    assert "Traceback" not in capsys.readouterr().err
    release = tmp_path / "out" / DATE
    assert validate_path(release) == []
    letters = [json.loads(line) for line in (release / "dead_letters.jsonl").read_text(encoding="utf-8").splitlines()]
    read = [letter for letter in letters if letter["stage"] == "read_records"]
    refused = [letter for letter in read if "#" not in letter["input"]]
    record_errors = [letter for letter in read if letter["reason"] == "feed_record_error"]
    invalid = [letter for letter in read if "#" in letter["input"] and letter["reason"] != "feed_record_error"]
    filtered = [letter for letter in letters if letter["stage"] == "filter_by_query"]
    released = json.loads((release / "manifest.json").read_text(encoding="utf-8"))["counts"]["source_records"]
    assert len(refused) == expected["refused_files"]
    assert len(record_errors) == expected["record_errors"]
    assert released + len(filtered) + len(invalid) == expected["records"]
    assert expected["refused_files"] > 10 and expected["record_errors"] > 10  # the mutations did reach the parsers
