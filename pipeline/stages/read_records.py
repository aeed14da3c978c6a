"""ReadSourceRecords: every feed file of the snapshot -> validated source records.

A thin wrapper over pipeline/records.py (`feed_file_outputs`), which `cord19 records` runs without Beam.

A worker reads snapshot.json from the snapshot's location (the graph holds only that
location, whatever the snapshot's size) and lists its feed files; the files are then
read in parallel, one element each, straight from the store. A record or a file the
feed parser cannot use becomes a dead letter; a listed file that is missing or whose
bytes differ from snapshot.json's sha256 stops the build (SnapshotIntegrityError).
"""
import logging
from dataclasses import dataclass

import apache_beam as beam

from pipeline.records import RECORDS, STAGE, feed_file_outputs
from pipeline.snapshot import SNAPSHOT_FILE, FeedFile, feed_files, integrity_error, parse_snapshot
from pipeline.stages import DEAD_LETTERS, files
from pipeline.stages.metrics import count

logger = logging.getLogger(__name__)


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
        path = files.join(self.snapshot, feed_file.path)
        try:
            with files.checked_stream(path, feed_file.sha256) as stream:
                for what, item in feed_file_outputs(feed_file, stream):
                    count(STAGE, what, feed_file.source)
                    yield item if what == RECORDS else beam.pvalue.TaggedOutput(DEAD_LETTERS, item)
        except files.ChecksumMismatchError as exc:
            raise integrity_error(feed_file.path, "sha256 differs from snapshot.json") from exc
        except FileNotFoundError as exc:
            raise integrity_error(feed_file.path, "listed in snapshot.json but missing") from exc


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
