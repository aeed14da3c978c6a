"""The nightly run: ingest from loopback feeds, build on the previous release from moto's S3, publish."""
import csv
import filecmp
import gzip
import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from release.layout import read_manifest
from pipeline.nightly import (
    EXIT_FAILURE,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_PARTIAL,
    NightlyConfigError,
    load_nightly_config,
    nightly_lock,
    run_nightly,
    seed_parse_cache,
)
from pipeline.snapshot import bundled_sample_snapshot
from tests.support.feed_server import FeedServer
from tests.support.feed_sources import write_sources


def write_config(folder: Path, store: str, **settings) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["[nightly]", 'work_dir = "work"', f'store = "{store}"']
    for key, value in settings.items():
        lines.append(f"{key} = {json.dumps(value)}")
    path = folder / "nightly.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cord_uids(release_dir: Path) -> dict[str, str]:
    """title -> cord_uid of a release's metadata.csv."""
    with open(release_dir / "metadata.csv", encoding="utf-8", newline="") as handle:
        return {row["title"]: row["cord_uid"] for row in csv.DictReader(handle)}


def test_two_nights_against_s3_on_fresh_hosts(moto_s3, s3_bucket, tmp_path: Path) -> None:
    """Night 2 runs on another host: it gets the previous release from the store, seeds its parse cache."""
    store = f"s3://{s3_bucket}/cord19"
    sample = str(bundled_sample_snapshot())
    first = run_nightly(load_nightly_config(write_config(tmp_path / "host1", store, endpoint_url=moto_s3.url,
                                                         snapshot=sample)), "2026-01-05")
    assert (first.status, first.exit_code, first.previous_date) == ("ok", EXIT_OK, None), first.line()
    # 11 dated files, the historical tarball and its checksums, releases.json and historical_releases.html
    assert first.counts["metadata_rows"] > 0 and first.published_objects == 15

    config = load_nightly_config(write_config(tmp_path / "host2", store, endpoint_url=moto_s3.url, snapshot=sample))
    second = run_nightly(config, "2026-01-06")
    assert (second.status, second.previous_date) == ("ok", "2026-01-05"), second.line()
    assert second.seeded_parses == first.counts["pdf_json"] > 0
    day1 = tmp_path / "host1/work/releases/2026-01-05"
    day2 = tmp_path / "host2/work/releases/2026-01-06"
    assert cord_uids(day2) == cord_uids(day1)
    comparison = filecmp.dircmp(day1 / "document_parses/pdf_json", day2 / "document_parses/pdf_json")
    assert comparison.left_only == comparison.right_only == comparison.diff_files == []
    assert "2026-01-05" in (day2 / "changelog").read_text(encoding="utf-8")

    # The same night again: nothing new to send, still ok.
    again = run_nightly(config, "2026-01-06")
    assert (again.status, again.published_objects) == ("ok", 0), again.line()
    loaded = tmp_path / "latest.jsonl"
    assert main(["load", f"{store}/latest", "--out", str(loaded), "--endpoint-url", moto_s3.url]) == 0
    assert len(loaded.read_text(encoding="utf-8").splitlines()) == second.counts["metadata_rows"]


def test_nightly_with_ingest_from_loopback_feeds(corpus_dir: Path, moto_s3, s3_bucket, tmp_path: Path, capsys) -> None:
    bucket = s3_bucket
    with FeedServer(corpus_dir) as server:
        sources = write_sources(tmp_path, server.url)
        config = write_config(tmp_path / "host", f"s3://{bucket}/p", endpoint_url=moto_s3.url, sources=str(sources))
        code = main(["nightly", "--config", str(config), "--release-date", "2020-03-13"])
    line = capsys.readouterr().out.strip()
    assert code in (EXIT_OK, EXIT_PARTIAL) and line.startswith("nightly 2020-03-13 ") and "\n" not in line
    assert "ingest" in line and "papers" in line
    assert (tmp_path / "host/work/snapshots/2020-03-13/snapshot.json").is_file()
    assert main(["load", f"s3://{bucket}/p/2020-03-13", "--out", str(tmp_path / "x.jsonl"),
                 "--endpoint-url", moto_s3.url]) == 0


def test_dead_letters_over_the_threshold_give_partial(tmp_path: Path) -> None:
    config = load_nightly_config(write_config(tmp_path, "store", snapshot=str(bundled_sample_snapshot()),
                                              max_dead_letter_fraction=0.0))
    result = run_nightly(config, "2026-01-05")
    assert (result.status, result.exit_code) == ("partial", EXIT_PARTIAL), result.line()
    assert result.failed_inputs > 0
    assert json.loads((tmp_path / "store/latest.json").read_text())["release_date"] == "2026-01-05"


def test_a_snapshot_that_is_not_what_it_lists_publishes_nothing(tmp_path: Path, capsys) -> None:
    snapshot = tmp_path / "snapshot"
    shutil.copytree(bundled_sample_snapshot(), snapshot)
    (snapshot / "feeds" / "who" / "export.csv").write_bytes(b"Title\nstale checksum\n")
    path = write_config(tmp_path, str(tmp_path / "store"), snapshot=str(snapshot))
    assert main(["nightly", "--config", str(path), "--release-date", "2026-01-05"]) == EXIT_FAILURE
    out = capsys.readouterr().out
    assert out.startswith("nightly 2026-01-05 failed at build: SnapshotError: snapshot integrity: "
                          "feeds/who/export.csv: sha256 differs from snapshot.json")
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").iterdir())


def test_a_published_night_prunes_old_dated_work_folders(tmp_path: Path) -> None:
    config = load_nightly_config(write_config(tmp_path, "store", snapshot=str(bundled_sample_snapshot()), keep_runs=2))
    work = tmp_path / "work"
    for folder in ("releases/2026-01-01", "releases/2026-01-03", "previous/2026-01-02", "snapshots/2026-01-04",
                   "releases/notes"):
        (work / folder).mkdir(parents=True)
        (work / folder / "file").write_text("x")
    result = run_nightly(config, "2026-01-05")
    assert result.status in ("ok", "partial"), result.line()
    assert sorted(p.name for p in (work / "releases").iterdir()) == ["2026-01-03", "2026-01-05", "notes"]
    assert sorted(p.name for p in (work / "previous").iterdir()) == ["2026-01-02"]
    assert sorted(p.name for p in (work / "snapshots").iterdir()) == ["2026-01-04"]
    assert (work / "parse_cache").is_dir()


def test_a_held_lock_stops_a_second_run(tmp_path: Path, capsys) -> None:
    path = write_config(tmp_path, "store", snapshot=str(bundled_sample_snapshot()))
    with nightly_lock(tmp_path / "work"):
        assert main(["nightly", "--config", str(path), "--release-date", "2026-01-05"]) == EXIT_LOCKED
    assert "locked" in capsys.readouterr().out
    assert not (tmp_path / "store").exists() and not (tmp_path / "work/releases").exists()


def test_an_unreachable_store_fails_without_building(tmp_path: Path, capsys) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    path = write_config(tmp_path, "s3://nowhere/p", endpoint_url=f"http://127.0.0.1:{closed_port}",
                        snapshot=str(bundled_sample_snapshot()))
    assert main(["nightly", "--config", str(path), "--release-date", "2026-01-05"]) == EXIT_FAILURE
    out = capsys.readouterr().out
    assert out.startswith("nightly 2026-01-05 failed at fetch_previous: StorageError")
    assert not (tmp_path / "work/releases").exists()


def test_seeded_parses_are_keyed_under_the_versions_of_the_release_they_come_from(tmp_path: Path) -> None:
    from pipeline.parse_cache import CachedParse, entry_names, parse_cache_key
    from tests.support.release_fixtures import PDF_SHA1, write_small_release

    release_dir = write_small_release(tmp_path / "out", "2026-01-02")  # parser_versions pdf_json: test-1
    assert seed_parse_cache(release_dir, tmp_path / "cache") == 1
    key = parse_cache_key("pdf", "test-1", read_manifest(release_dir)["schema_versions"]["pdf_json"], PDF_SHA1, PDF_SHA1)
    data_name, member_name, ref_name = entry_names(key)
    parse = (release_dir / f"document_parses/pdf_json/{PDF_SHA1}.json").read_bytes()
    assert (tmp_path / "cache" / data_name).read_bytes() == parse
    assert CachedParse.from_json((tmp_path / "cache" / ref_name).read_bytes()).paper_id == PDF_SHA1
    assert gzip.decompress((tmp_path / "cache" / member_name).read_bytes())[512:512 + len(parse)] == parse


@pytest.mark.parametrize("text, message", [
    ("[other]\n", "no \\[nightly\\] table"),
    ('[nightly]\nwork_dir = "w"\n', "'store' must be"),
    ('[nightly]\nwork_dir = "w"\nstore = "s"\ncolour = "blue"\n', "unknown settings colour"),
    ('[nightly]\nwork_dir = "w"\nstore = "s"\nmax_dead_letter_fraction = 2\n', "from 0 to 1"),
    ('[nightly]\nwork_dir = "w"\nstore = "s"\nbeam_args = "--x"\n', "list of strings"),
    ('[nightly]\nwork_dir = "w"\nstore = "s"\nkeep_runs = 0\n', "'keep_runs' must be"),
    ('[nightly]\nwork_dir = "w"\nstore = "s"\nkeep_runs = "3"\n', "'keep_runs' must be"),
    ('[nightly]\nwork_dir = "w"\nstore = "s"\ngrobid_concurrency = 0\n', "'grobid_concurrency' must be"),
    ("not toml [", "nightly.toml"),
])
def test_bad_config_files_are_refused(tmp_path: Path, text: str, message: str, capsys) -> None:
    path = tmp_path / "nightly.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(NightlyConfigError, match=message):
        load_nightly_config(path)
    assert main(["nightly", "--config", str(path)]) == 1
    assert "cord19 nightly: error:" in capsys.readouterr().err


def test_relative_paths_come_from_the_config_folder(tmp_path: Path) -> None:
    path = write_config(tmp_path / "etc", "mirror", sources="sources.toml", beam_args=["--direct_num_workers=2"],
                        grobid_concurrency=8)
    config = load_nightly_config(path)
    assert (config.grobid_concurrency, config.keep_runs) == (8, 3)
    assert config.work_dir == tmp_path / "etc/work" and config.store == str(tmp_path / "etc/mirror")
    assert config.sources == tmp_path / "etc/sources.toml" and config.snapshot is None
    assert config.beam_args == ("--direct_num_workers=2",)
