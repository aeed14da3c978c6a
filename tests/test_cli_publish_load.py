"""`cord19 publish` and `cord19 load` print one summary each, and publish's numbers add up to one set."""
import logging

from pipeline.cli import main
from tests.support.release_fixtures import write_small_release


def test_publish_prints_one_consistent_line_per_run(tmp_path, capsys, caplog):
    release = write_small_release(tmp_path / "releases")
    mirror = tmp_path / "mirror"
    caplog.set_level(logging.INFO)
    assert main(["publish", str(release), str(mirror)]) == 0
    first = capsys.readouterr().out.splitlines()
    assert main(["publish", str(release), str(mirror)]) == 0
    second = capsys.readouterr().out.splitlines()
    assert len(first) == len(second) == 1
    total = int(first[0].split(": ")[1].split(" files")[0])
    assert first[0].startswith(f"published 2026-01-02: {total} files: {total} uploaded (")
    assert first[0].endswith(", 0 already there; latest is 2026-01-02")
    assert second[0] == f"published 2026-01-02: {total} files: 0 uploaded (0 bytes), {total} already there; " \
                        "latest is 2026-01-02"
    assert not [r for r in caplog.records if r.levelno >= logging.INFO and "published" in r.getMessage()]


def test_load_prints_one_summary(tmp_path, capsys, caplog):
    release = write_small_release(tmp_path / "releases")
    caplog.set_level(logging.INFO)
    out = tmp_path / "papers.jsonl"
    assert main(["load", str(release), "--out", str(out)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"2 records -> {out} (full text: 0 pmc_json, 1 pdf_json; 0 listed parse files missing)"]
    assert not [r for r in caplog.records if r.levelno >= logging.INFO and "records" in r.getMessage()]
