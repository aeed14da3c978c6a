"""Loading releases: folders, tarballs, S3 (moto on loopback) and real CORD-19 files."""
import csv
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from release.errors import (
    ChecksumMismatchError,
    CorruptArchiveError,
    NotAReleaseError,
    ReleaseNotFoundError,
    UnsafeArchiveError,
    UnsafePathError,
)
from release.layout import paper_relative_path
from release.load import RECORD_COLUMNS, LoadStats, iter_papers, load_table
from release.publish import publish_release
from release.storage import LocalStorage
from release.assemble import ReleaseContent, write_release
from schemas.records import paper_json_bytes
from schemas import METADATA_COLUMNS
from tests.support.hostile_archives import cut_gzip_trailer, flip_gzip_crc, make_fifo, write_gzip_bomb
from tests.support.real_cord19 import HF_SHA, real_cord19_folder, real_cord19_tarball
from tests.support.release_fixtures import PDF_SHA1, make_pdf_paper, make_row, write_small_release
from tests.support.s3_server import storage_for

PMC_PAPER = {"paper_id": "PMC7000001", "metadata": {"title": "From PMC", "authors": []}, "body_text": [],
             "bib_entries": {}, "ref_entries": {}, "back_matter": []}


def write_mixed_release(out_dir: Path, date: str = "2026-03-01") -> Path:
    """Three rows: pmc_json + pdf_json (pmc wins), pdf_json only, no full text."""
    release_dir = out_dir / date
    pdf_path = paper_relative_path("pdf", PDF_SHA1)
    pmc_path = paper_relative_path("jats", "PMC7000001")
    rows = [
        make_row("aaaa1111", sha=PDF_SHA1, pmcid="PMC7000001", pdf_json_files=pdf_path, pmc_json_files=pmc_path,
                 pubmed_id="32000001", title="Both parses"),
        make_row("bbbb2222", sha=PDF_SHA1, pdf_json_files=pdf_path, title="PDF only"),
        make_row("cccc3333", title="Metadata only, with a \"quote\", a comma and\na newline"),
    ]
    papers = {pdf_path: paper_json_bytes(make_pdf_paper()), pmc_path: paper_json_bytes(PMC_PAPER)}
    content = ReleaseContent(release_date=date, rows=rows, papers=papers, registry_json="{}\n",
                             parser_versions={"pdf_json": "t", "pmc_json": "t"})
    write_release(release_dir, content)
    return release_dir


def metadata_uids(release_dir: Path) -> list[str]:
    with open(release_dir / "metadata.csv", encoding="utf-8", newline="") as handle:
        return [row["cord_uid"] for row in csv.DictReader(handle)]


def check_mixed_records(records: list[dict], release_dir: Path) -> None:
    assert [r["cord_uid"] for r in records] == metadata_uids(release_dir)
    by_uid = {r["cord_uid"]: r for r in records}
    assert by_uid["aaaa1111"]["full_text_source"] == "pmc_json"
    assert by_uid["aaaa1111"]["full_text"] == PMC_PAPER
    assert by_uid["aaaa1111"]["pubmed_id"] == "32000001"
    assert by_uid["bbbb2222"]["full_text_source"] == "pdf_json"
    assert by_uid["bbbb2222"]["full_text"] == make_pdf_paper()
    assert by_uid["cccc3333"]["full_text"] is None and by_uid["cccc3333"]["full_text_source"] is None
    assert by_uid["cccc3333"]["title"].endswith("a comma and\na newline")
    assert all(list(r) == list(RECORD_COLUMNS) for r in records)


def test_folder_with_parse_tree(tmp_path: Path) -> None:
    release_dir = write_mixed_release(tmp_path)
    stats = LoadStats()
    check_mixed_records(list(iter_papers(release_dir, stats=stats)), release_dir)
    assert (stats.records, stats.pmc_json, stats.pdf_json, stats.missing_files) == (3, 1, 1, 0)


def test_folder_with_only_the_parses_tarball(tmp_path: Path) -> None:
    release_dir = write_mixed_release(tmp_path)
    shutil.rmtree(release_dir / "document_parses")
    check_mixed_records(list(iter_papers(release_dir)), release_dir)


def test_historical_tarball_read_in_one_go(tmp_path: Path) -> None:
    release_dir = write_mixed_release(tmp_path / "out")
    publish_release(release_dir, LocalStorage(tmp_path / "mirror"))
    tarball = tmp_path / "mirror/historical_releases/cord-19_2026-03-01.tar.gz"
    check_mixed_records(list(iter_papers(tarball)), release_dir)
    check_mixed_records(list(iter_papers(tmp_path / "mirror/latest")), release_dir)


def test_every_store_form_reads_the_same_records(tmp_path: Path) -> None:
    old = write_small_release(tmp_path / "a", "2026-01-02")
    new = write_mixed_release(tmp_path / "b", "2026-03-01")
    store = tmp_path / "mirror"
    publish_release(old, LocalStorage(store))
    publish_release(new, LocalStorage(store))
    check_mixed_records(list(iter_papers(store)), new)  # the mirror root, through latest.json
    check_mixed_records(list(iter_papers(store / "2026-03-01")), new)
    (store / "latest/metadata.csv").write_text("half copied by a publish that is still running")
    check_mixed_records(list(iter_papers(store / "latest")), new)  # through latest.json, not latest/'s files
    assert [r["cord_uid"] for r in iter_papers(store / "2026-01-02")] == metadata_uids(old)
    with pytest.raises(ReleaseNotFoundError):
        list(iter_papers(tmp_path / "nothing-here"))


def test_table_and_parquet(tmp_path: Path) -> None:
    release_dir = write_mixed_release(tmp_path)
    table = load_table(release_dir)
    assert table.column_names == list(RECORD_COLUMNS) and table.num_rows == 3
    assert json.loads(table.column("full_text")[0].as_py()) == PMC_PAPER
    out = tmp_path / "papers.parquet"
    assert main(["load", str(release_dir), "--out", str(out), "--format", "parquet"]) == 0
    assert pq.read_table(out).equals(table)


def _tar_with(members: list[tuple[tarfile.TarInfo, bytes | None]], path: Path) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> tuple:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data) if kind == tarfile.REGTYPE else 0
    return info, data if kind == tarfile.REGTYPE else None


@pytest.mark.parametrize("hostile", [
    _member("2026-03-01/../../escaped.csv", b"x"),
    _member("/tmp/escaped.csv", b"x"),
    _member("2026-03-01/document_parses", kind=tarfile.SYMTYPE, link="/etc"),
    _member("2026-03-01/metadata.csv.bak", kind=tarfile.LNKTYPE, link="/etc/passwd"),
])
def test_hostile_release_tarball_is_refused(tmp_path: Path, hostile: tuple, capsys) -> None:
    header = ",".join(METADATA_COLUMNS).encode() + b"\n"
    tarball = _tar_with([_member("2026-03-01/metadata.csv", header), hostile], tmp_path / "cord-19_2026-03-01.tar.gz")
    with pytest.raises(UnsafeArchiveError):
        list(iter_papers(tarball))
    assert main(["load", str(tarball), "--out", str(tmp_path / "out.jsonl")]) == 1
    assert "cord19 load: error:" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "escaped.csv").exists()


def test_hostile_inner_parses_tarball_is_refused(tmp_path: Path) -> None:
    release_dir = write_mixed_release(tmp_path)
    shutil.rmtree(release_dir / "document_parses")
    _tar_with([_member("document_parses/pdf_json/x.json", kind=tarfile.SYMTYPE, link="/etc/passwd")],
              release_dir / "document_parses.tar.gz")
    with pytest.raises(UnsafeArchiveError, match="link"):
        list(iter_papers(release_dir))


def test_parse_paths_in_metadata_cannot_escape(tmp_path: Path) -> None:
    release_dir = write_mixed_release(tmp_path)
    (tmp_path / "secret.json").write_text('{"secret": true}')
    text = (release_dir / "metadata.csv").read_text(encoding="utf-8")
    (release_dir / "metadata.csv").write_text(
        text.replace(paper_relative_path("pdf", PDF_SHA1), "document_parses/../../secret.json"), encoding="utf-8")
    assert (release_dir / "document_parses/../../secret.json").is_file()
    records = {r["cord_uid"]: r for r in iter_papers(release_dir)}
    assert records["bbbb2222"]["full_text"] is None
    assert records["aaaa1111"]["full_text"] == PMC_PAPER


def test_not_a_release(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(NotAReleaseError):
        list(iter_papers(tmp_path / "notes.txt"))
    with pytest.raises(NotAReleaseError):
        list(iter_papers(tmp_path))
    (tmp_path / "metadata.csv").write_text("cord_uid,title\nabc,x\n")
    with pytest.raises(NotAReleaseError, match="lacks the columns"):
        list(iter_papers(tmp_path))


def test_load_over_s3_gives_one_record_per_metadata_row(moto_s3, s3_bucket, tmp_path: Path) -> None:
    old = write_small_release(tmp_path / "a", "2026-01-02")
    new = write_mixed_release(tmp_path / "b", "2026-03-01")
    storage = storage_for(moto_s3.url, s3_bucket)
    publish_release(old, storage, "cord19")
    publish_release(new, storage, "cord19")
    sources = {
        "latest": f"s3://{s3_bucket}/cord19/latest",
        "dated": f"s3://{s3_bucket}/cord19/2026-01-02",
        "tarball": f"s3://{s3_bucket}/cord19/historical_releases/cord-19_2026-03-01.tar.gz",
    }
    outputs = {}
    for label, source in sources.items():
        outputs[label] = tmp_path / f"{label}.jsonl"
        assert main(["load", source, "--out", str(outputs[label]), "--endpoint-url", moto_s3.url]) == 0
    latest = [json.loads(line) for line in outputs["latest"].read_text(encoding="utf-8").splitlines()]
    check_mixed_records(latest, new)
    dated = [json.loads(line) for line in outputs["dated"].read_text(encoding="utf-8").splitlines()]
    assert [r["cord_uid"] for r in dated] == metadata_uids(old)
    assert [r["full_text_source"] for r in dated] == ["pdf_json", None]
    assert outputs["tarball"].read_text(encoding="utf-8") == outputs["latest"].read_text(encoding="utf-8")
    assert main(["load", f"s3://{s3_bucket}/cord19/1999-01-01", "--out", str(tmp_path / "x.jsonl"),
                 "--endpoint-url", moto_s3.url]) == 1


def test_load_checks_downloads_against_the_manifest(moto_s3, s3_bucket, tmp_path: Path) -> None:
    release_dir = write_mixed_release(tmp_path)
    storage = storage_for(moto_s3.url, s3_bucket)
    publish_release(release_dir, storage, "p")
    storage.write_bytes("p/2026-03-01/metadata.csv", b"cord_uid\nswapped\n")
    with pytest.raises(ChecksumMismatchError, match="does not match the release manifest"):
        list(iter_papers(f"s3://{s3_bucket}/p/2026-03-01", endpoint_url=moto_s3.url))


def test_real_cord19_release_folder_and_tarball(corpus_dir: Path, tmp_path: Path) -> None:
    release_dir = real_cord19_folder(corpus_dir, tmp_path / "folder")
    stats = LoadStats()
    records = list(iter_papers(release_dir, stats=stats))
    assert [r["cord_uid"] for r in records] == ["ug7v899j", "02tnwd4m", "ejv2xln0", "2b73a28n"]
    first = records[0]
    # pmc_json is listed but not in this excerpt, so the real pdf_json is used.
    assert first["full_text_source"] == "pdf_json" and first["full_text"]["paper_id"] == HF_SHA
    assert len(first["full_text"]["body_text"]) == 14 and first["pubmed_id"] == "11472636"
    assert stats.pdf_json == 1 and stats.missing_files > 0

    # The way CORD-19 shipped it: cord-19_<date>.tar.gz holding <date>/metadata.csv and document_parses.tar.gz.
    assert list(iter_papers(real_cord19_tarball(release_dir, tmp_path))) == records


def test_real_final_cord19_metadata(corpus_dir: Path, tmp_path: Path) -> None:
    source = corpus_dir / "cord19/metadata_sample_200rows_final2022.csv"
    release_dir = tmp_path / "2022-06-02"
    release_dir.mkdir()
    shutil.copyfile(source, release_dir / "metadata.csv")
    out = tmp_path / "papers.jsonl"
    assert main(["load", str(release_dir), "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    with open(source, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(records) == len(rows) == 200
    assert [{c: r[c] for c in METADATA_COLUMNS} for r in records] == [{c: row[c] for c in METADATA_COLUMNS} for row in rows]
    assert all(r["full_text"] is None for r in records)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A JSON file outside the release that load must never copy into its output."""
    path = tmp_path / "outside/secret.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"paper_id": PDF_SHA1, "secret": "SECRET-TEXT"}))
    return path


def test_a_symlinked_parse_file_is_refused_not_copied(tmp_path: Path, secret: Path, capsys) -> None:
    release_dir = write_mixed_release(tmp_path / "r")
    (release_dir / paper_relative_path("pdf", PDF_SHA1)).unlink()
    (release_dir / paper_relative_path("pdf", PDF_SHA1)).symlink_to(secret)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        list(iter_papers(release_dir))
    out = tmp_path / "out.jsonl"
    assert main(["load", str(release_dir), "--out", str(out)]) == 1
    assert "cord19 load: error:" in capsys.readouterr().err and not out.exists()


def test_a_symlinked_document_parses_folder_is_refused(tmp_path: Path, secret: Path) -> None:
    release_dir = write_mixed_release(tmp_path / "r")
    (secret.parent / "pdf_json").mkdir()
    secret.rename(secret.parent / "pdf_json" / f"{PDF_SHA1}.json")
    shutil.rmtree(release_dir / "document_parses")
    (release_dir / "document_parses").symlink_to(secret.parent, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="document_parses .* is a symbolic link"):
        list(iter_papers(release_dir))


def test_a_symlinked_metadata_csv_is_refused(tmp_path: Path) -> None:
    release_dir = write_mixed_release(tmp_path / "r")
    (release_dir / "metadata.csv").unlink()
    (release_dir / "metadata.csv").symlink_to("/etc/passwd")
    with pytest.raises(UnsafePathError, match="symbolic link"):
        list(iter_papers(release_dir))


@pytest.mark.parametrize("make", ["fifo", "hard link"])
def test_a_fifo_or_hard_link_parse_file_is_refused(tmp_path: Path, secret: Path, make: str) -> None:
    release_dir = write_mixed_release(tmp_path / "r")
    target = release_dir / paper_relative_path("pdf", PDF_SHA1)
    target.unlink()
    make_fifo(target) if make == "fifo" else os.link(secret, target)
    with pytest.raises(UnsafePathError, match=make.replace("fifo", "FIFO")):
        list(iter_papers(release_dir))


def test_a_decompression_bomb_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    release_dir = write_mixed_release(tmp_path / "r")
    shutil.rmtree(release_dir / "document_parses")
    write_gzip_bomb(release_dir / "document_parses.tar.gz", f"document_parses/pdf_json/{PDF_SHA1}.json")
    work = tmp_path / "work"
    work.mkdir()
    out = tmp_path / "out.jsonl"
    assert main(["load", str(release_dir), "--out", str(out), "--work-dir", str(work)]) == 1
    assert not out.exists() and list(work.iterdir()) == []
    with pytest.raises(UnsafeArchiveError, match="decompression bomb"):
        list(iter_papers(release_dir, work_dir=work))


@pytest.mark.parametrize("damage", [cut_gzip_trailer, flip_gzip_crc])
def test_a_tarball_with_a_cut_or_corrupt_gzip_trailer_is_refused(tmp_path: Path, damage) -> None:
    release_dir = write_mixed_release(tmp_path / "r")
    shutil.rmtree(release_dir / "document_parses")
    damage(release_dir / "document_parses.tar.gz")
    with pytest.raises(CorruptArchiveError):
        list(iter_papers(release_dir))
    publish_release(write_mixed_release(tmp_path / "s"), LocalStorage(tmp_path / "mirror"))
    historical = damage(tmp_path / "mirror/historical_releases/cord-19_2026-03-01.tar.gz")
    with pytest.raises(CorruptArchiveError):
        list(iter_papers(historical))
