"""The release layout: file names and paths, reading a manifest, reading the previous release."""
import json
from pathlib import Path

import pytest

from release.errors import ManifestError, NotAReleaseError, ReleaseError
from release.folders import LocalFolder
from release.layout import (
    MANIFEST,
    historical_checksums_name,
    historical_tarball_date,
    historical_tarball_name,
    paper_relative_path,
    pdf_sha1_of_path,
    read_manifest,
    check_previous_release,
    read_previous_release,
    release_folder,
    staging_folder,
)
from tests.support.release_fixtures import PDF_SHA1, write_small_release


def test_parse_paths_follow_the_cord19_layout():
    assert paper_relative_path("pdf", PDF_SHA1) == f"document_parses/pdf_json/{PDF_SHA1}.json"
    assert paper_relative_path("jats", "PMC123") == "document_parses/pmc_json/PMC123.xml.json"
    with pytest.raises(ReleaseError, match="unknown document kind"):
        paper_relative_path("html", "x")


def test_pdf_sha1_of_path_reverses_paper_relative_path_for_pdfs_only():
    assert pdf_sha1_of_path(paper_relative_path("pdf", PDF_SHA1)) == PDF_SHA1
    assert pdf_sha1_of_path(paper_relative_path("jats", "PMC123")) is None
    assert pdf_sha1_of_path("document_parses/pdf_json/sub/x.json") is None
    assert pdf_sha1_of_path("document_parses/pdf_json/") is None


def test_folders_and_store_names():
    assert release_folder(Path("out"), "2026-01-02") == Path("out/2026-01-02")
    assert staging_folder(Path("out"), "2026-01-02") == Path("out/.staging-2026-01-02")
    assert historical_tarball_name("2026-01-02") == "cord-19_2026-01-02.tar.gz"
    assert historical_checksums_name("2026-01-02") == "cord-19_2026-01-02.checksums.json"
    assert historical_tarball_date("cord-19_2026-01-02.tar.gz") == "2026-01-02"
    assert historical_tarball_date("cord-19_2026-01-02.checksums.json") is None
    assert historical_tarball_date("other.tar.gz") is None


def test_read_manifest_of_a_written_release(tmp_path):
    release_dir = write_small_release(tmp_path)
    manifest = read_manifest(release_dir)
    assert manifest == json.loads((release_dir / MANIFEST).read_text())
    assert manifest["counts"]["metadata_rows"] == 2


@pytest.mark.parametrize("text, message", [
    (None, "has no manifest.json"),
    ("{not json", "is not JSON"),
    ('{"release_date": "2026-01-02"}', "breaks the manifest schema"),
    ("[]", "breaks the manifest schema"),
])
def test_a_missing_or_invalid_manifest_is_a_typed_error(tmp_path, text, message):
    if text is not None:
        (tmp_path / MANIFEST).write_text(text)
    with pytest.raises(ManifestError, match=message) as caught:
        read_manifest(tmp_path)
    assert isinstance(caught.value, NotAReleaseError)


def test_read_previous_release(tmp_path):
    release_dir = write_small_release(tmp_path)
    previous = read_previous_release(LocalFolder(release_dir))
    assert previous.cord_uids == {"abcd1234", "efgh5678"}
    assert previous.release_date == "2026-01-02"
    assert previous.parse_files == {f"document_parses/pdf_json/{PDF_SHA1}.json"}
    assert previous.changelog.startswith("2026-01-02\n---SUMMARY---\n")


def test_a_previous_release_needs_only_its_metadata(tmp_path):
    (tmp_path / "metadata.csv").write_text("cord_uid,title\nabcd1234,x\n")
    previous = read_previous_release(LocalFolder(tmp_path))
    assert (previous.cord_uids, previous.release_date, previous.parse_files, previous.changelog) == (
        {"abcd1234"}, None, frozenset(), "")
    with pytest.raises(ReleaseError, match="is not a release folder"):
        read_previous_release(LocalFolder(tmp_path / "nothing"))


def test_the_previous_release_must_be_older(tmp_path):
    release_dir = write_small_release(tmp_path, "2026-01-02")
    assert check_previous_release(LocalFolder(release_dir), "2026-01-03") == "2026-01-02"
    for date in ("2026-01-02", "2026-01-01"):
        with pytest.raises(ReleaseError, match="not one before"):
            check_previous_release(LocalFolder(release_dir), date)
