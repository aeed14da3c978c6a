"""ReadSourceRecords: every feed file of the snapshot -> validated source records.

A worker reads snapshot.json from the snapshot's location (the graph holds only that
location, whatever the snapshot's size) and lists its feed files; the files are then
read in parallel, one element each, straight from the store. A record or a file the
feed parser cannot use becomes a dead letter; a listed file that is missing or whose
bytes differ from snapshot.json's sha256 stops the build (SnapshotIntegrityError).
"""
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import apache_beam as beam

from parsers.errors import ParseError
from parsers.feeds import iter_feed_stream
from parsers.feeds.errors import FeedRecordError
from pipeline.snapshot import SNAPSHOT_FILE, FeedFile, feed_files, integrity_error, parse_snapshot
from pipeline.stages import DEAD_LETTERS, files
from pipeline.stages.metrics import count
from schemas import schema_errors
from schemas.records import dead_letter, dead_letter_from_error

logger = logging.getLogger(__name__)

STAGE = "read_records"


def record_ref(feed_file: FeedFile, record: Mapping[str, Any], position: int) -> str:
    """How a dead letter names a record: `<file>#<source_id or position>`."""
    return f"{feed_file.path}#{record.get('source_id') or position}"


def read_snapshot(snapshot: str) -> dict:
    """snapshot.json of the snapshot at `snapshot` (a local path or a store URL)."""
    try:
        data = files.read_bytes(files.join(snapshot, SNAPSHOT_FILE))
    except OSError as exc:
        raise integrity_error(snapshot, f"is not a snapshot: {SNAPSHOT_FILE} is missing or unreadable ({exc})") from exc
    return parse_snapshot(data, files.join(snapshot, SNAPSHOT_FILE))


class ListFeedFiles(files.StoreDoFn):
    """The snapshot's location -> its feed files (read from its snapshot.json)."""

    def process(self, snapshot: str):
        yield from feed_files(read_snapshot(snapshot))


@beam.typehints.with_output_types(dict)
class ReadFeedFile(files.StoreDoFn):
    """Parse one feed file into source records; bad records and files go to dead letters."""

    def __init__(self, snapshot: str, store: tuple[str, ...] = ()):
        super().__init__(store)
        self.snapshot = snapshot

    def process(self, feed_file: FeedFile):
        bad_items: list[FeedRecordError] = []
        path = files.join(self.snapshot, feed_file.path)
        try:
            with files.checked_stream(path, feed_file.sha256) as stream:
                try:
                    for position, record in enumerate(iter_feed_stream(feed_file.kind, stream, feed_file.path,
                                                                       on_error=bad_items.append)):
                        yield from self.bad_item_letters(feed_file, bad_items)
                        yield from self.checked_record(feed_file, record, position)
                    yield from self.bad_item_letters(feed_file, bad_items)
                except ParseError as exc:
                    yield from self.bad_item_letters(feed_file, bad_items)
                    count(STAGE, "failed_files", feed_file.source)
                    yield beam.pvalue.TaggedOutput(DEAD_LETTERS, dead_letter_from_error(
                        STAGE, feed_file.path, exc, feed_file.source))
        except files.ChecksumMismatchError as exc:
            raise integrity_error(feed_file.path, "sha256 differs from snapshot.json") from exc
        except FileNotFoundError as exc:
            raise integrity_error(feed_file.path, "listed in snapshot.json but missing") from exc

    @staticmethod
    def checked_record(feed_file: FeedFile, record: Mapping[str, Any], position: int):
        problems = schema_errors("source_record", record)
        if problems:
            count(STAGE, "invalid_records", feed_file.source)
            yield beam.pvalue.TaggedOutput(DEAD_LETTERS, dead_letter(
                STAGE, record_ref(feed_file, record, position), "SchemaError",
                "invalid_record", "; ".join(problems), feed_file.source))
            return
        count(STAGE, "records", feed_file.source)
        yield record

    @staticmethod
    def bad_item_letters(feed_file: FeedFile, bad_items: list[FeedRecordError]):
        """Dead letters for the items the feed parser could not turn into records (and forget them)."""
        for error in bad_items:
            count(STAGE, "bad_items", feed_file.source)
            yield beam.pvalue.TaggedOutput(DEAD_LETTERS, dead_letter_from_error(
                STAGE, f"{feed_file.path}#{error.item}", error, feed_file.source))
        bad_items.clear()


@dataclass
class ReadSourceRecords(beam.PTransform):
    """The snapshot's location -> source records (main output) and dead letters."""

    snapshot: str
    store: tuple[str, ...] = ()  # files.store_flags: how workers reach the store

    def __post_init__(self):
        super().__init__()

    def expand(self, pipeline):
        return (
            pipeline
            | "SnapshotLocation" >> beam.Create([self.snapshot])
            | "ListFeedFiles" >> beam.ParDo(ListFeedFiles(self.store))
            | "SpreadFiles" >> beam.Reshuffle()
            | "ParseFeedFiles" >> beam.ParDo(ReadFeedFile(self.snapshot, self.store))
            .with_outputs(DEAD_LETTERS, main="records")
        )
