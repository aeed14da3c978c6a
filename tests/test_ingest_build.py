"""A build over a snapshot ingested from the corpus feeds loses no record.

Every source record of the snapshot ends in `metadata.csv` (through any of its
identifiers) or in `dead_letters.jsonl` (by `<source>:<source_id>` or as a bad feed
item); every record matching the scope query that is a paper ends in `metadata.csv`.
"""
import csv
import io
import json
import re
from pathlib import Path

import pytest

from parsers.feeds import iter_feed_records
from pipeline.ingest import HttpClient, Ingest, Progress, load_sources
from tests.support.feed_server import FeedServer
from tests.support.feed_sources import LoopbackOnlySession, write_sources

ID_COLUMNS = ("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id")


@pytest.fixture(scope="module")
def corpus_release(corpus_dir, tmp_path_factory):
    from pipeline.build import run_build  # Beam is imported only by the tests that build

    work = tmp_path_factory.mktemp("ingest_build")
    with FeedServer(corpus_dir) as server:
        config = load_sources(write_sources(work, server.url))
        client = HttpClient(config.http, sleep=lambda seconds: None, session=LoopbackOnlySession())
        Ingest(config, work / "snapshot", client=client, progress=Progress(io.StringIO()), environ={}).run()
    release = Path(run_build(work / "snapshot", work / "releases", "2020-03-13").release)
    return work / "snapshot", release


def snapshot_records(snapshot):
    manifest = json.loads((snapshot / "snapshot.json").read_text(encoding="utf-8"))
    records, bad_items = [], []
    for source in manifest["sources"]:
        for path in source["files"]:
            records.extend(iter_feed_records(source["kind"], str(snapshot / path), on_error=bad_items.append))
    return manifest, records, bad_items


def test_every_record_is_in_metadata_or_dead_letters(corpus_release):
    snapshot, release = corpus_release
    manifest, records, bad_items = snapshot_records(snapshot)
    assert len(records) > 200 and not bad_items
    rows = list(csv.DictReader((release / "metadata.csv").open(encoding="utf-8", newline="")))
    letters = [json.loads(line) for line in (release / "dead_letters.jsonl").read_text(encoding="utf-8").splitlines()]
    row_ids = {(column, value) for row in rows for column in ID_COLUMNS for value in row[column].split("; ") if value}
    letter_inputs = {letter["input"]: letter["reason"] for letter in letters}
    pattern = re.compile("|".join(re.escape(term) for term in manifest["query"]["terms"]), re.IGNORECASE)
    lost, in_scope_dropped = [], []
    for record in records:
        in_metadata = any((column, record["ids"][column]) in row_ids for column in ID_COLUMNS if record["ids"][column])
        reason = letter_inputs.get(f"{record['source']}:{record['source_id']}")
        if not in_metadata and reason is None:
            lost.append(f"{record['source']}:{record['source_id']}")
        in_scope = pattern.search(record["title"]) or pattern.search(record["abstract"])
        if in_scope and not in_metadata and reason != "not_a_paper":
            in_scope_dropped.append((record["source_id"], reason))
    assert lost == []
    assert in_scope_dropped == []
    assert sum(1 for r in records if pattern.search(r["title"]) or pattern.search(r["abstract"])) >= 100
    assert {name for row in rows for name in row["source_x"].split("; ")} >= {"WHO", "PMC"}
