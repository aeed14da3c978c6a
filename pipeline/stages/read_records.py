"""ReadSourceRecords: every feed file of the snapshot -> validated source records.

Feed files are read in parallel (one element per file). A file that cannot be read or
parsed, and a record that breaks the source-record schema, become dead letters.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

import apache_beam as beam

from parsers.errors import ParseError
from parsers.feeds import iter_feed_records
from parsers.feeds.errors import FeedRecordError
from pipeline.stages import DEAD_LETTERS
from schemas.records import dead_letter, dead_letter_from_error
from pipeline.stages.metrics import count
from pipeline.snapshot import FeedFile, SnapshotError, checked_path
from schemas import schema_errors

logger = logging.getLogger(__name__)

STAGE = "read_records"


def record_ref(feed_file: FeedFile, record: dict, position: int) -> str:
    """How a dead letter names a record: `<file>#<source_id or position>`."""
    return f"{feed_file.path}#{record.get('source_id') or position}"


@beam.typehints.with_output_types(dict)
class ReadFeedFile(beam.DoFn):
    """Parse one feed file into source records; bad files and records go to dead letters."""

    def __init__(self, snapshot_dir: str):
        self.snapshot_dir = snapshot_dir

    def process(self, feed_file: FeedFile):
        bad_items: list[FeedRecordError] = []
        try:
            path = checked_path(Path(self.snapshot_dir), feed_file.path, feed_file.sha256)
            for position, record in enumerate(iter_feed_records(feed_file.kind, str(path), on_error=bad_items.append)):
                yield from self.bad_item_letters(feed_file, bad_items)
                problems = schema_errors("source_record", record)
                if problems:
                    count(STAGE, "invalid_records", feed_file.source)
                    yield beam.pvalue.TaggedOutput(DEAD_LETTERS, dead_letter(
                        STAGE, record_ref(feed_file, record, position), "SchemaError",
                        "invalid_record", "; ".join(problems), feed_file.source))
                    continue
                count(STAGE, "records", feed_file.source)
                yield record
            yield from self.bad_item_letters(feed_file, bad_items)
        except (ParseError, SnapshotError) as exc:
            yield from self.bad_item_letters(feed_file, bad_items)
            count(STAGE, "failed_files", feed_file.source)
            yield beam.pvalue.TaggedOutput(DEAD_LETTERS, dead_letter_from_error(STAGE, feed_file.path, exc, feed_file.source))

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
    """Snapshot feed files -> source records (main output) and dead letters."""

    snapshot_dir: str
    files: list[FeedFile]

    def __post_init__(self):
        super().__init__()

    def expand(self, pipeline):
        return (
            pipeline
            | "ListFeedFiles" >> beam.Create(self.files)
            | "SpreadFiles" >> beam.Reshuffle()
            | "ParseFeedFiles" >> beam.ParDo(ReadFeedFile(self.snapshot_dir)).with_outputs(DEAD_LETTERS, main="records")
        )
