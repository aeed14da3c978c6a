"""`cord19 validate`: clean releases pass; tampered ones and real CORD-19 defects are reported."""
import json
import shutil
import tarfile

from pipeline.cli import main
from release.validate import validate_path
from tests.support.release_fixtures import PDF_SHA1, write_small_release


def test_a_release_written_by_the_writer_is_valid(tmp_path, capsys):
    release = write_small_release(tmp_path)
    assert validate_path(release) == []
    assert main(["validate", str(release)]) == 0


def test_tampered_span_offsets_are_reported_precisely(tmp_path, capsys):
    release = write_small_release(tmp_path)
    path = release / f"document_parses/pdf_json/{PDF_SHA1}.json"
    paper = json.loads(path.read_text())
    paper["body_text"][0]["cite_spans"][0]["start"] += 1
    path.write_text(json.dumps(paper))
    assert main(["validate", str(release)]) == 1
    out = capsys.readouterr().out
    assert f"document_parses/pdf_json/{PDF_SHA1}.json: body_text[0].cite_spans[0]: text[22:24] is '1]', span says '[1]'" in out
    assert f"manifest.json: document_parses/pdf_json/{PDF_SHA1}.json" in out


def test_tampered_checksum_with_same_size_is_reported(tmp_path, capsys):
    release = write_small_release(tmp_path)
    csv_path = release / "metadata.csv"
    data = csv_path.read_bytes()
    csv_path.write_bytes(data.replace(b"A coronavirus study", b"A coronavirus STUDY"))
    assert main(["validate", str(release)]) == 1
    assert "manifest.json: metadata.csv sha256 does not match the manifest" in capsys.readouterr().out


def test_missing_parse_file_and_unlisted_file_are_reported(tmp_path):
    release = write_small_release(tmp_path)
    (release / f"document_parses/pdf_json/{PDF_SHA1}.json").unlink()
    (release / "stray.txt").write_text("x")
    problems = validate_path(release)
    assert any("pdf_json_files names document_parses/pdf_json/" in p and "not in the release" in p for p in problems)
    assert "manifest.json: stray.txt is in the release but not in the manifest" in problems
    assert any("document_parses.tar.gz: document_parses/pdf_json/" in p and "is not in document_parses/" in p for p in problems)


def test_validate_reads_a_release_tarball(tmp_path):
    release = write_small_release(tmp_path / "r")
    tarball = tmp_path / "cord-19_2026-01-02.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(release, arcname=release.name)
    assert validate_path(tarball) == []


def test_hostile_tarball_is_refused_with_one_line(tmp_path, capsys):
    evil = tmp_path / "evil.tar.gz"
    payload = tmp_path / "payload.txt"
    payload.write_text("x")
    with tarfile.open(evil, "w:gz") as tar:
        tar.add(payload, arcname="../escaped.txt")
    assert main(["validate", str(evil)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cord19 validate: error:") and "Traceback" not in err
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_usage_errors_exit_2(capsys):
    try:
        main(["validate"])
    except SystemExit as exc:
        assert exc.code == 2


def test_real_cord19_files_report_their_real_defects(corpus_dir, tmp_path, capsys):
    folder = tmp_path / "cord19"
    shutil.copytree(corpus_dir / "cord19", folder)
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    # CORD-19's final metadata wrote ids as floats: "32661911.0".
    assert "metadata_sample_200rows_final2022.csv: line 5 (cord_uid th80oiuu): pubmed_id: '32661911.0'" in out
    assert "s2_id: '214729920.0'" in out
    assert "Traceback" not in out
    assert validate_path(corpus_dir / "cord19/hf_datasets_dummy_2020-11-29/pdf_json_d1aafb70c066a2068b02786f8929fd9c900897fb.json") == []
