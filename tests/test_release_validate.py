"""`cord19 validate`: every form we publish passes; tampered, hostile and real CORD-19 defects are reported, grouped."""
import csv
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from pipeline.cli import main
from release.layout import paper_relative_path
from release.problems import Problem, Report, group_problems, report_lines
from release.publish import publish_release
from release.storage import LocalStorage
from release.validate import validate_path, validate_source
from schemas import METADATA_COLUMNS
from tests.support.audit import recorded_opens
from tests.support.hostile_archives import (
    cut_gzip_trailer,
    flip_gzip_crc,
    make_fifo,
    write_gzip_bomb,
    write_gzip_members,
)
from tests.support.real_cord19 import real_cord19_folder, real_cord19_tarball
from tests.support.release_fixtures import PDF_SHA1, make_row, write_small_release
from tests.support.s3_server import storage_for

PDF_PATH = paper_relative_path("pdf", PDF_SHA1)


def texts(problems: list[Problem]) -> list[str]:
    return [str(problem) for problem in problems]


def validate_cli(source: Path | str, capsys) -> tuple[int, str]:
    code = main(["validate", str(source)])
    return code, capsys.readouterr().out


def set_manifest_entry(release: Path, name: str, entry: dict | None = None) -> None:
    """Point manifest.json's entry for `name` at the file's current bytes (or at `entry`)."""
    manifest = json.loads((release / "manifest.json").read_text())
    if entry is None:
        data = (release / name).read_bytes()
        entry = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest["files"][name] = entry
    (release / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def test_a_release_written_by_the_writer_is_valid(tmp_path, capsys):
    release = write_small_release(tmp_path)
    assert validate_path(release) == []
    assert validate_cli(release, capsys) == (0, f"{release}: valid\n")


def test_tampered_span_offsets_are_reported_precisely(tmp_path, capsys):
    release = write_small_release(tmp_path)
    path = release / PDF_PATH
    paper = json.loads(path.read_text())
    paper["body_text"][0]["cite_spans"][0]["start"] += 1
    path.write_text(json.dumps(paper))
    code, out = validate_cli(release, capsys)
    assert code == 1
    assert f"{PDF_PATH}: body_text[0].cite_spans[0]: text[22:24] is '1]', span says '[1]'" in out
    assert f"manifest.json: {PDF_PATH}: " in out
    assert f"document_parses.tar.gz: {PDF_PATH}: differs from document_parses/" in out


def test_tampered_checksum_with_same_size_is_reported(tmp_path, capsys):
    release = write_small_release(tmp_path)
    csv_path = release / "metadata.csv"
    csv_path.write_bytes(csv_path.read_bytes().replace(b"A coronavirus study", b"A coronavirus STUDY"))
    code, out = validate_cli(release, capsys)
    assert code == 1
    assert "manifest.json: metadata.csv: sha256 does not match the manifest" in out


def test_missing_parse_file_and_unlisted_file_are_reported(tmp_path):
    release = write_small_release(tmp_path)
    (release / PDF_PATH).unlink()
    (release / "stray.txt").write_text("x")
    problems = texts(validate_path(release))
    assert any(f"pdf_json_files names '{PDF_PATH}', which is not in the release" in p for p in problems)
    assert "manifest.json: stray.txt: in the release but not in the manifest" in problems
    assert f"document_parses.tar.gz: {PDF_PATH}: not in document_parses/" in problems


# ---------------------------------------------------------------- every form we publish


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    """A local store holding two published releases; latest is 2026-03-01."""
    store = tmp_path / "mirror"
    publish_release(write_small_release(tmp_path / "a", "2026-01-02"), LocalStorage(store))
    publish_release(write_small_release(tmp_path / "b", "2026-03-01"), LocalStorage(store))
    return store


@pytest.mark.parametrize("form, expected_date", [
    ("2026-01-02", "2026-01-02"),  # <store>/<date>/: document_parses.tar.gz without document_parses/
    ("latest", "2026-03-01"),  # <store>/latest/, through latest.json
    ("", "2026-03-01"),  # the mirror root, through latest.json
    ("historical_releases/cord-19_2026-01-02.tar.gz", "2026-01-02"),  # the historical tarball holding <date>/
])
def test_every_published_form_is_valid(mirror: Path, form: str, expected_date: str, capsys) -> None:
    source = mirror / form if form else mirror
    report = validate_source(source)
    assert report.problems == [], texts(report.problems)
    assert report.notes == ["no document_parses/ folder: the parse files were checked inside document_parses.tar.gz"]
    assert expected_date in report.source
    code, out = validate_cli(source, capsys)
    assert code == 0 and out.endswith(": valid\n")


def test_latest_is_followed_through_latest_json(mirror: Path) -> None:
    # latest/ is being rewritten by a publish (its files are copied before latest.json moves):
    (mirror / "latest/metadata.csv").write_text("half copied")
    assert validate_source(mirror / "latest").problems == []
    pointer = json.loads((mirror / "latest.json").read_text())
    (mirror / "latest.json").write_text(json.dumps({**pointer, "release_date": "2026-01-02"}))
    assert "2026-01-02 (through latest.json)" in validate_source(mirror).source
    (mirror / "latest.json").write_text(json.dumps({"release_date": "../../etc"}))
    with pytest.raises(Exception, match="names no release date"):
        validate_source(mirror)


def test_a_store_on_s3_is_read_through_latest_json(moto_s3, s3_bucket, tmp_path: Path, capsys) -> None:
    storage = storage_for(moto_s3.url, s3_bucket)
    publish_release(write_small_release(tmp_path / "a", "2026-01-02"), storage, "cord19")
    for source in (f"s3://{s3_bucket}/cord19/latest", f"s3://{s3_bucket}/cord19",
                   f"s3://{s3_bucket}/cord19/historical_releases/cord-19_2026-01-02.tar.gz"):
        assert main(["validate", source, "--endpoint-url", moto_s3.url]) == 0, capsys.readouterr()
    assert main(["validate", f"s3://{s3_bucket}/cord19/1999-01-01", "--endpoint-url", moto_s3.url]) == 2


def write_fragmented_tarball(release: Path) -> None:
    """Rewrite document_parses.tar.gz as concatenated gzip members, the form release/tarball.py writes."""
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(release / "document_parses", arcname="document_parses")
    write_gzip_members(release / "document_parses.tar.gz", stream.getvalue())
    set_manifest_entry(release, "document_parses.tar.gz")


def test_a_tarball_of_gzip_members_is_read_and_each_trailer_checked(tmp_path: Path) -> None:
    release = write_small_release(tmp_path)
    write_fragmented_tarball(release)
    assert validate_path(release) == []
    shutil.rmtree(release / "document_parses")
    assert validate_path(release) == []
    flip_gzip_crc(release / "document_parses.tar.gz")
    set_manifest_entry(release, "document_parses.tar.gz")
    problems = texts(validate_path(release))
    assert any(p.startswith("document_parses.tar.gz: refused: corrupt gzip member") for p in problems), problems


def test_parse_files_inside_the_tarball_are_checked(tmp_path: Path) -> None:
    release = write_small_release(tmp_path)
    paper = json.loads((release / PDF_PATH).read_text())
    paper["body_text"][0]["cite_spans"][0]["start"] += 1
    (release / PDF_PATH).write_text(json.dumps(paper))
    write_fragmented_tarball(release)
    shutil.rmtree(release / "document_parses")
    problems = texts(validate_path(release))
    assert (f"document_parses.tar.gz: {PDF_PATH}: body_text[0].cite_spans[0]: text[22:24] is '1]', "
            "span says '[1]'") in problems
    assert f"manifest.json: {PDF_PATH}: sha256 does not match the manifest (file changed or corrupt)" in problems


# ---------------------------------------------------------------- real CORD-19 releases


def test_a_real_cord19_release_has_no_manifest_a_note_not_a_problem(corpus_dir: Path, tmp_path: Path) -> None:
    release = real_cord19_folder(corpus_dir, tmp_path / "folder")
    folder_report = validate_source(release)
    assert folder_report.notes[0].startswith("no manifest.json: not a release written by cord19-pipeline")
    # The excerpt holds one of the parses its four rows name: the others are reported, nothing else.
    assert {problem.kind for problem in folder_report.problems} == {
        "metadata.csv: pdf_json_files names '…', which is not in the release",
        "metadata.csv: pmc_json_files names '…', which is not in the release",
    }
    # The way CORD-19 shipped it: cord-19_<date>.tar.gz holding <date>/metadata.csv and document_parses.tar.gz.
    tarball_report = validate_source(real_cord19_tarball(release, tmp_path))
    assert texts(tarball_report.problems) == texts(folder_report.problems)
    assert len(tarball_report.notes) == 2


def test_real_cord19_files_report_their_real_defects_grouped(corpus_dir, tmp_path, capsys):
    folder = tmp_path / "cord19"
    shutil.copytree(corpus_dir / "cord19", folder)
    code, out = validate_cli(folder / "metadata_sample_200rows_final2022.csv", capsys)
    assert code == 1
    lines = out.splitlines()
    # CORD-19's final metadata wrote ids as floats: "32661911.0"; 248 problems, in two groups.
    assert lines[0].endswith("metadata_sample_200rows_final2022.csv: 248 problems of 2 kinds")
    assert "188 x metadata.csv: s2_id: '…' does not match '…'" in lines
    assert "60 x metadata.csv: pubmed_id: '…' does not match '…'" in lines
    assert ("    metadata_sample_200rows_final2022.csv: line 5 (cord_uid th80oiuu): pubmed_id: '32661911.0' "
            "does not match '^([0-9]+)?$'") in lines
    assert len(lines) == 11
    code, out = validate_cli(folder, capsys)
    assert code == 1 and "Traceback" not in out
    real_parse = "cord19/hf_datasets_dummy_2020-11-29/pdf_json_d1aafb70c066a2068b02786f8929fd9c900897fb.json"
    assert validate_path(corpus_dir / real_parse) == []


def test_grouping_counts_kinds_and_keeps_examples() -> None:
    problems = [Problem("metadata.csv", f"m.csv: line {n} (cord_uid u{n:07d})", f"pubmed_id: '{n}.0' does not match"
                        " '^([0-9]+)?$'") for n in range(5)] + [Problem("pdf_json", "x.json", "not a JSON object")]
    groups = group_problems(problems, examples=2)
    assert [(group.kind, group.count, len(group.examples)) for group in groups] == [
        ("metadata.csv: pubmed_id: '…' does not match '…'", 5, 2), ("pdf_json: not a JSON object", 1, 1)]
    lines = list(report_lines(Report("r", problems, ["a note"]), examples=2))
    assert lines == ["note: a note", "r: 6 problems of 2 kinds",
                     "5 x metadata.csv: pubmed_id: '…' does not match '…'",
                     f"    {problems[0]}", f"    {problems[1]}", "    ... and 3 more",
                     "1 x pdf_json: not a JSON object", "    x.json: not a JSON object"]


# ---------------------------------------------------------------- identifiers across rows


def write_rows(release: Path, rows: list[dict]) -> None:
    with open(release / "metadata.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=METADATA_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    set_manifest_entry(release, "metadata.csv")


def test_a_doi_or_pmcid_on_two_papers_is_a_problem_grouped(tmp_path: Path, capsys) -> None:
    release = write_small_release(tmp_path)
    write_rows(release, [
        make_row("aaaa0001", doi="10.1000/ONE", pmcid="PMC1"),
        make_row("aaaa0002", doi="10.1000/one"),  # DOIs are case-insensitive
        make_row("aaaa0003", doi="https://doi.org/10.1000/one", pmcid="PMC1"),
        make_row("aaaa0004", doi="10.1000/two"),
    ])
    code, out = validate_cli(release, capsys)
    assert code == 1
    assert "2 x metadata.csv: doi '…' is also on line N (cord_uid '…')" in out
    assert "1 x metadata.csv: pmcid '…' is also on line N (cord_uid '…')" in out
    assert "metadata.csv: line 3 (cord_uid aaaa0002): doi '10.1000/one' is also on line 2 (cord_uid 'aaaa0001')" in out


def test_a_shared_doi_the_dedup_report_explains_is_a_note(tmp_path: Path) -> None:
    release = write_small_release(tmp_path)
    write_rows(release, [make_row("aaaa0001", doi="10.15252/embr.202050334", who_covidence_id="#8904"),
                         make_row("aaaa0002", doi="10.15252/embr.202050334", who_covidence_id="#8905")])
    (release / "dedup_report.jsonl").write_text(json.dumps({
        "kind": "id_conflict", "key": "doi:10.15252/embr.202050334", "record": "who:#8905",
        "kept_apart_from": ["who:#8904"], "fields": ["who_covidence_id"]}) + "\n")
    set_manifest_entry(release, "dedup_report.jsonl")
    report = validate_source(release)
    assert [p for p in texts(report.problems) if "is also on line" in p] == []
    assert "1 rows share a DOI or PMCID with another paper, each kept apart on purpose" in report.notes[0]


# ---------------------------------------------------------------- exit codes


def test_exit_codes(tmp_path: Path, capsys) -> None:
    assert main(["validate", "/nonexistent"]) == 2
    assert "cord19 validate: error: /nonexistent does not exist" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["validate", str(tmp_path / "notes.txt")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["validate", str(tmp_path / "empty")]) == 2
    with pytest.raises(SystemExit) as usage:
        main(["validate"])
    assert usage.value.code == 2
    release = write_small_release(tmp_path)
    assert main(["validate", str(release)]) == 0
    (release / "stray.txt").write_text("x")
    assert main(["validate", str(release)]) == 1


# ---------------------------------------------------------------- hostile releases (#15)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the release holding a secret that must never be opened, measured or printed."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.json").write_text(json.dumps({"paper_id": PDF_SHA1, "secret": "SECRET-TEXT" * 393}))
    return folder


def check_outside_untouched(opened: list[str], outside: Path, out: str) -> None:
    assert [path for path in opened if path.startswith(str(outside)) or path == "/etc/passwd"] == []
    assert "SECRET-TEXT" not in out and "root:" not in out
    assert str((outside / "secret.json").stat().st_size) not in out


def test_a_symlinked_parse_file_is_reported_and_never_read(tmp_path, outside, capsys):
    release = write_small_release(tmp_path)
    (release / PDF_PATH).unlink()
    (release / PDF_PATH).symlink_to(outside / "secret.json")
    with recorded_opens() as opened:
        code, out = validate_cli(release, capsys)
    assert code == 1
    assert f"{PDF_PATH}: a symbolic link: not followed or read" in out
    assert f"manifest.json: {PDF_PATH}: {PDF_PATH!r} is a symbolic link, not a regular file: not read" in out
    check_outside_untouched(opened, outside, out)


def test_a_symlinked_document_parses_folder_is_reported_and_never_entered(tmp_path, outside, capsys):
    release = write_small_release(tmp_path)
    (outside / "pdf_json").mkdir()
    shutil.move(release / PDF_PATH, outside / "pdf_json" / f"{PDF_SHA1}.json")
    shutil.rmtree(release / "document_parses")
    (release / "document_parses").symlink_to(outside, target_is_directory=True)
    with recorded_opens() as opened:
        code, out = validate_cli(release, capsys)
    assert code == 1 and "document_parses: a symbolic link: not followed or read" in out
    assert [path for path in opened if path.startswith(str(outside))] == []


def test_a_symlinked_metadata_csv_pointing_at_etc_passwd_is_never_read(tmp_path, outside, capsys):
    release = write_small_release(tmp_path)
    (release / "metadata.csv").unlink()
    (release / "metadata.csv").symlink_to("/etc/passwd")
    with recorded_opens() as opened:
        code, out = validate_cli(release, capsys)
    assert code == 1 and "metadata.csv: a symbolic link: not followed or read" in out
    check_outside_untouched(opened, outside, out)


def test_a_hard_link_to_an_outside_file_is_reported_and_never_read(tmp_path, outside, capsys):
    release = write_small_release(tmp_path)
    os.link(outside / "secret.json", release / "document_parses/pdf_json/other.json")
    with recorded_opens() as opened:
        code, out = validate_cli(release, capsys)
    assert code == 1 and "document_parses/pdf_json/other.json: a hard link: not followed or read" in out
    assert [path for path in opened if path.endswith("other.json")] == []
    check_outside_untouched(opened, outside, out)


def test_a_fifo_in_document_parses_does_not_hang_validate(tmp_path: Path) -> None:
    release = write_small_release(tmp_path)
    make_fifo(release / "document_parses/pdf_json/waiting.json")
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "validate", str(release)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "document_parses/pdf_json/waiting.json: a FIFO: not followed or read" in done.stdout


def test_a_device_in_a_release_is_reported_and_never_read(tmp_path: Path, capsys) -> None:
    release = write_small_release(tmp_path)
    try:
        os.mknod(release / "document_parses/pdf_json/zero.json", 0o600 | stat.S_IFCHR, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    code, out = validate_cli(release, capsys)
    assert code == 1 and "document_parses/pdf_json/zero.json: a device: not followed or read" in out


def test_metadata_paths_that_leave_the_release_are_problems_never_opened(tmp_path, outside, capsys):
    release = write_small_release(tmp_path)
    escape = "document_parses/../../outside/secret.json"
    assert (release / escape).is_file()
    text = (release / "metadata.csv").read_text(encoding="utf-8")
    (release / "metadata.csv").write_text(text.replace(PDF_PATH, f"{escape}; {outside / 'secret.json'}"),
                                          encoding="utf-8")
    set_manifest_entry(release, "metadata.csv")
    with recorded_opens() as opened:
        code, out = validate_cli(release, capsys)
    assert code == 1
    assert f"pdf_json_files: {escape!r} climbs out with '..': not a parse file of the release" in out
    assert f"pdf_json_files: {str(outside / 'secret.json')!r} is an absolute path" in out
    check_outside_untouched(opened, outside, out)


def test_manifest_entries_naming_outside_files_are_never_measured(tmp_path, outside, capsys):
    release = write_small_release(tmp_path)
    for name in ("../outside/secret.json", str(outside / "secret.json"), "/etc/passwd"):
        set_manifest_entry(release, name, {"size": 1, "sha256": "0" * 64})
    with recorded_opens() as opened:
        code, out = validate_cli(release, capsys)
    assert code == 1
    assert "manifest.json: ../outside/secret.json: '../outside/secret.json' climbs out with '..': a path outside" in out
    assert "manifest.json: /etc/passwd: '/etc/passwd' is an absolute path: a path outside the release, not read" in out
    check_outside_untouched(opened, outside, out)


def test_a_decompression_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    release = write_small_release(tmp_path)
    shutil.rmtree(release / "document_parses")
    write_gzip_bomb(release / "document_parses.tar.gz", f"document_parses/pdf_json/{PDF_SHA1}.json")
    set_manifest_entry(release, "document_parses.tar.gz")
    # The child reports its own peak (VmHWM of its image; ru_maxrss would count the forked test process).
    report_peak = ("import sys; from pipeline.cli import main; code = main(sys.argv[1:]); "
                   "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')), file=sys.stderr); "
                   "sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", report_peak, "validate", str(release)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "document_parses.tar.gz: refused: the archive expands to more than" in done.stdout
    peak_kib = int(done.stderr.rsplit("VmHWM:", 1)[1].split()[0])
    assert peak_kib < 400 * 1024  # what a Python process with our imports needs, not 1.5 GiB


@pytest.mark.parametrize("damage", [cut_gzip_trailer, flip_gzip_crc])
def test_a_tarball_with_a_cut_or_corrupt_trailer_is_refused(tmp_path: Path, damage, capsys) -> None:
    release = write_small_release(tmp_path / "r")
    damage(release / "document_parses.tar.gz")
    set_manifest_entry(release, "document_parses.tar.gz")
    code, out = validate_cli(release, capsys)
    assert code == 1 and "document_parses.tar.gz: refused: " in out
    historical = tmp_path / "cord-19_2026-01-02.tar.gz"
    with tarfile.open(historical, "w:gz") as tar:
        tar.add(write_small_release(tmp_path / "s"), arcname="2026-01-02")
    damage(historical)
    assert main(["validate", str(historical)]) == 1
    assert "cord19 validate: error:" in capsys.readouterr().err


def test_hostile_tarball_is_refused_with_one_line(tmp_path, capsys):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    assert main(["validate", str(evil)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cord19 validate: error:") and "Traceback" not in err
    assert not (tmp_path.parent / "escaped.txt").exists()
