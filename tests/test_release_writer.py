"""The release writer: metadata.csv format, deterministic files, parquet types, changelog."""
import csv
import gzip
import io
import json
import tarfile

import pyarrow.parquet as pq
import pytest

from release.assemble import ReleaseContent, write_release
from release.folders import LocalFolder
from release.layout import read_previous_release
from release.parts import merge_sorted_lines, sorted_part_bytes
from release.writer import MetadataWriter, write_manifest
from schemas import METADATA_COLUMNS
from tests.support.release_fixtures import PDF_SHA1, make_row, write_small_release


def metadata_csv_bytes(rows: list[dict]) -> bytes:
    csv_out, parquet_out = io.BytesIO(), io.BytesIO()
    writer = MetadataWriter(csv_out, parquet_out)
    for row in sorted(rows, key=lambda row: row["cord_uid"]):
        writer.write(row)
    writer.close()
    return csv_out.getvalue()


def test_metadata_csv_has_the_19_columns_quoting_and_sorted_rows():
    rows = [make_row("zzzz0000", title='Say "hi", twice'), make_row("aaaa0000", pubmed_id="32274425")]
    text = metadata_csv_bytes(rows).decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == ",".join(METADATA_COLUMNS)
    assert lines[1].startswith("aaaa0000,")
    assert ',32274425,' in lines[1]
    assert '"Say ""hi"", twice"' in lines[2]
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [r["cord_uid"] for r in parsed] == ["aaaa0000", "zzzz0000"]


def test_release_files_are_written_with_a_manifest_covering_every_file(tmp_path):
    release = write_small_release(tmp_path)
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["counts"] == {"metadata_rows": 2, "source_records": 3, "pdf_json": 1, "pmc_json": 0,
                                  "dead_letters": 1, "dedup_report_entries": 0}
    expected = {"metadata.csv", "metadata.parquet", "document_parses.tar.gz", "changelog", "cord_uid_registry.json",
                "dead_letters.jsonl", "dedup_report.jsonl", "report.html", f"document_parses/pdf_json/{PDF_SHA1}.json"}
    assert set(manifest["files"]) == expected


def test_tarball_is_deterministic_and_holds_document_parses(tmp_path):
    first = write_small_release(tmp_path / "a")
    second = write_small_release(tmp_path / "b")
    assert (first / "document_parses.tar.gz").read_bytes() == (second / "document_parses.tar.gz").read_bytes()
    for name in ("metadata.csv", "metadata.parquet", "manifest.json", "changelog"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    with tarfile.open(first / "document_parses.tar.gz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["document_parses", "document_parses/pdf_json",
                                         f"document_parses/pdf_json/{PDF_SHA1}.json", "document_parses/pmc_json"]
    assert all(m.mtime == 0 and m.uid == 0 and m.uname == "" for m in members)
    header = gzip.open(first / "document_parses.tar.gz")
    header.read(1)
    assert header.mtime == 0


def test_parquet_has_typed_columns_and_lists(tmp_path):
    release = write_small_release(tmp_path)
    table = pq.read_table(release / "metadata.parquet")
    assert table.column_names == list(METADATA_COLUMNS)
    rows = table.to_pylist()
    assert rows[0]["source_x"] == ["Medline", "PMC"]
    assert rows[0]["pubmed_id"] == 123
    assert rows[1]["pubmed_id"] is None
    assert str(table.schema.field("pubmed_id").type) == "int64"


def test_changelog_is_cumulative_and_counts_new_and_removed(tmp_path):
    first = write_small_release(tmp_path, "2026-01-01")
    previous = read_previous_release(LocalFolder(first))
    assert previous.cord_uids == {"abcd1234", "efgh5678"}
    assert previous.release_date == "2026-01-01"
    second = tmp_path / "2026-01-02"
    content = ReleaseContent(
        release_date="2026-01-02", rows=[make_row("abcd1234"), make_row("new00001")], papers={},
        registry_json="{}", cord_uid_changes={"merged": [{"old": "efgh5678", "new": "abcd1234"}]},
        previous=previous,
    )
    write_release(second, content)
    text = (second / "changelog").read_text()
    assert text.startswith("2026-01-02\n---SUMMARY---\ntotal metadata rows: 2\nCORD UIDs (new: 1, removed: 1)\n")
    assert "  PDF - 0 json (new: 0, removed: 1)" in text
    assert "  efgh5678 -> abcd1234" in text
    assert "\n2026-01-01\n---SUMMARY---" in text
    assert json.loads((second / "manifest.json").read_text())["previous_release"] == "2026-01-01"
    assert not (second / "_work").exists()


@pytest.mark.parametrize("files", [[], [("a.json", 1, "0" * 64)], [("a", 2, "1" * 64), ("b/c\u00e9", 3, "2" * 64)]])
def test_the_streamed_manifest_is_what_json_dumps_writes(files):
    header = {"release_date": "2026-01-01", "counts": {"metadata_rows": 1}, "previous_release": None}
    out = io.BytesIO()
    write_manifest(out, header, files)
    expected = {**header, "files": {name: {"size": size, "sha256": sha} for name, size, sha in files}}
    assert out.getvalue() == (json.dumps(expected, indent=2, sort_keys=True) + "\n").encode()


def test_merged_parts_are_in_the_order_of_one_sort_whatever_the_split():
    lines = [f"line {n:03d} {'x' * (n % 7)}" for n in range(200)]
    expected = sorted(lines)
    for parts in (1, 3, 32):
        split = [sorted_part_bytes(lines[n::parts]).decode().splitlines() for n in range(parts)]
        assert list(merge_sorted_lines(iter(part) for part in split)) == expected
