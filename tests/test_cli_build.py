"""`cord19 build` as a user runs it: refusals before any build, the summary on stdout (as the
README shows it), parse-cache hits, -v without Beam's DEBUG, progress lines only on a terminal."""
import io
import re
import shutil
import subprocess
import sys

import pytest

from pipeline.cli import main
from pipeline.progress import ProgressPrinter, counts_by_stage, progress_lines
from tests.support.paths import PROJECT_ROOT
from tests.support.sample_release_checksums import SAMPLE_DATE

DATE = SAMPLE_DATE


def readme_sample_summary() -> list[str]:
    """The sample build's summary as the README shows it (the block after "It ends with a summary")."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"It ends with a summary.*?```\n(.*?)```", readme, re.S)
    assert block, "README.md shows no sample build summary"
    return block.group(1).splitlines()


@pytest.fixture(scope="module")
def verbose_build(tmp_path_factory):
    """`cord19 -v build` of the sample in its own interpreter: (out folder, stdout, stderr)."""
    out = tmp_path_factory.mktemp("verbose") / "releases"
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "-v", "build", "--out", str(out),
                             "--release-date", DATE], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return out, result.stdout, result.stderr


def test_the_summary_is_the_readmes_and_comes_from_the_release(verbose_build):
    out, stdout, _ = verbose_build
    expected = [line.replace("releases/", f"{out}/") for line in readme_sample_summary()]
    assert stdout.splitlines() == expected
    assert (out / DATE / "dead_letters.jsonl").is_file()


def test_verbose_logs_ours_at_debug_and_keeps_beams_quiet(verbose_build):
    _, _, stderr = verbose_build
    lines = stderr.splitlines()
    assert any(line.startswith("DEBUG pipeline.build: counters of the run:") for line in lines)
    assert not [line for line in lines if line.startswith(("DEBUG apache_beam", "INFO apache_beam"))]
    assert len(lines) < 20, lines[:20]
    assert not [line for line in lines if line.startswith("progress ")]  # stderr is no terminal


def test_an_existing_release_is_refused_without_force(verbose_build, capsys):
    out, _, _ = verbose_build
    manifest = (out / DATE / "manifest.json").read_bytes()
    assert main(["build", "--out", str(out), "--release-date", DATE]) == 1
    assert capsys.readouterr().err == f"cord19 build: error: {out / DATE} already exists; use --force to replace it\n"
    assert (out / DATE / "manifest.json").read_bytes() == manifest


def test_a_previous_release_on_or_after_the_build_date_is_refused(verbose_build, tmp_path, capsys):
    out, _, _ = verbose_build
    args = ["build", "--out", str(tmp_path / "out"), "--release-date", DATE, "--previous", str(out / DATE)]
    assert main(args) == 1
    assert capsys.readouterr().err.strip() == (
        f"cord19 build: error: --previous {out / DATE} is the release of {DATE}, not one before {DATE}")
    # A release without manifest (a real CORD-19 folder) is dated by its folder name.
    later = tmp_path / "2026-02-01"
    later.mkdir()
    shutil.copyfile(out / DATE / "metadata.csv", later / "metadata.csv")
    assert main(["build", "--out", str(tmp_path / "out"), "--release-date", DATE, "--previous", str(later)]) == 1
    assert "is the release of 2026-02-01, not one before 2026-01-01" in capsys.readouterr().err
    assert not (tmp_path / "out" / DATE).exists()


def test_an_out_that_cannot_be_written_is_one_line(capsys):
    assert main(["build", "--out", "/proc/forbidden", "--release-date", DATE]) == 1
    err = capsys.readouterr().err
    assert err == "cord19 build: error: cannot write to --out /proc/forbidden: No such file or directory\n"


def test_parse_cache_hits_are_reported_and_force_replaces_a_release(tmp_path, capsys):
    out, cache = tmp_path / "releases", tmp_path / "cache"
    args = ["build", "--out", str(out), "--release-date", DATE, "--parse-cache", str(cache)]
    assert main(args) == 0
    first = capsys.readouterr()
    assert "parse cache: 0 parses reused" in first.out.splitlines()
    assert main([*args, "--force"]) == 0
    second = capsys.readouterr()
    assert "parse cache: 10 parses reused" in second.out.splitlines()  # the 5 pmc_json and 5 pdf_json parses
    assert "full texts: 5 pmc_json, 5 pdf_json" in second.out.splitlines()
    assert "progress " not in first.err + second.err


def test_progress_lines_sum_sources_per_stage_and_skip_stages_that_did_not_move():
    counters = {"read_records.records.pubmed": 1200, "read_records.records.who": 34, "read_records.bad_items.who": 2,
                "parse_documents.parsed_pdf.PMC": 5}
    assert counts_by_stage(counters) == {"parse_documents": {"parsed_pdf": 5},
                                         "read_records": {"bad_items": 2, "records": 1234}}
    assert progress_lines(counters, elapsed=10.0) == [
        "progress parse_documents: parsed_pdf 5 (0.5/s)",
        "progress read_records: bad_items 2, records 1,234 (123.6/s)",
    ]
    moved = {**counters, "parse_documents.parsed_pdf.PMC": 9}
    assert progress_lines(moved, elapsed=20.0, previous=counters) == ["progress parse_documents: parsed_pdf 9 (0.5/s)"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_written_on_a_terminal_only():
    counters = {"harmonize.rows": 3}
    quiet = io.StringIO()
    with ProgressPrinter(lambda: counters, quiet, interval=0.001) as printer:
        assert printer._thread is None  # no thread, so never a line
    assert quiet.getvalue() == ""
    terminal = Terminal()
    with ProgressPrinter(lambda: counters, terminal, interval=3600) as printer:
        assert printer._thread is not None
        printer.report()
        printer.report()  # nothing moved: no second line
    assert terminal.getvalue().startswith("progress harmonize: rows 3 (")
    assert terminal.getvalue().count("\n") == 1
