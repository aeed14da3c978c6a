"""`cord19 records SNAPSHOT --out RECORDS.jsonl`: the sample snapshot's records, which `cord19 dedup` reads."""
import json
import shutil

from pipeline.cli import main
from pipeline.snapshot import bundled_sample_snapshot
from schemas import schema_errors


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_records_of_the_sample_snapshot_feed_dedup(tmp_path, capsys):
    records, letters, clusters = tmp_path / "records.jsonl", tmp_path / "dead.jsonl", tmp_path / "clusters.jsonl"
    assert main(["records", str(bundled_sample_snapshot()), "--out", str(records), "--dead-letters", str(letters)]) == 0
    assert capsys.readouterr().out == f"61 source records -> {records}; 1 dead letters (feed_record_error 1)\n"
    read = read_jsonl(records)
    assert len(read) == 61 and all(schema_errors("source_record", record) == [] for record in read)
    assert len({(record["source"], record["source_id"]) for record in read}) == 61
    [letter] = read_jsonl(letters)
    assert (letter["stage"], letter["reason"], letter["source"]) == ("read_records", "feed_record_error", "pubmed")
    assert schema_errors("dead_letter", letter) == []
    assert main(["dedup", str(records), "--out", str(clusters)]) == 0
    papers = read_jsonl(clusters)
    assert len(papers) == 40  # the sample's 40 invented papers (dedup applies no scope filter)
    assert sum(len(paper["members"]) for paper in papers) == 61


def test_a_feed_file_that_is_not_its_checksum_stops_records(tmp_path, capsys):
    snapshot = tmp_path / "snapshot"
    shutil.copytree(bundled_sample_snapshot(), snapshot)
    feed = sorted((snapshot / "feeds" / "pubmed").iterdir())[0]
    feed.write_bytes(feed.read_bytes() + b" ")
    assert main(["records", str(snapshot), "--out", str(tmp_path / "records.jsonl")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cord19 records: error: snapshot integrity:") and "sha256 differs" in err
    assert not (tmp_path / "records.jsonl").exists()
