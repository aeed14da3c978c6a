"""Feed files of a snapshot -> source records: the plain code of the ReadSourceRecords stage.

`feed_file_outputs` reads one feed file's stream and yields what the stage emits, each
with the name it is counted under: `records` (a source record that passes its schema),
`invalid_records`, `bad_items` (items the feed parser could not use) and `failed_files`
(a file it could not read), the last three as dead letters. `read_snapshot_records`
runs it over every feed file of a local snapshot, checked against snapshot.json (what
`cord19 records` writes for `cord19 dedup`).
"""
import hashlib
import io
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from parsers.errors import ParseError
from parsers.feeds import iter_feed_stream
from parsers.feeds.errors import FeedRecordError
from pipeline.snapshot import FeedFile, feed_files, integrity_error, load_snapshot
from schemas import schema_errors
from schemas.records import dead_letter, dead_letter_from_error

STAGE = "read_records"
RECORDS = "records"  # the one kind of output that is not a dead letter


def record_ref(feed_file: FeedFile, record: Mapping[str, Any], position: int) -> str:
    """How a dead letter names a record: `<file>#<source_id or position>`."""
    return f"{feed_file.path}#{record.get('source_id') or position}"


def feed_file_outputs(feed_file: FeedFile, stream: BinaryIO) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(what, record or dead letter) for everything one feed file holds, in file order."""
    bad_items: list[FeedRecordError] = []
    try:
        records = iter_feed_stream(feed_file.kind, stream, feed_file.path, on_error=bad_items.append)
        for position, record in enumerate(records):
            yield from _bad_item_letters(feed_file, bad_items)
            problems = schema_errors("source_record", record)
            if problems:
                yield "invalid_records", dead_letter(STAGE, record_ref(feed_file, record, position), "SchemaError",
                                                     "invalid_record", "; ".join(problems), feed_file.source)
            else:
                yield RECORDS, record
        yield from _bad_item_letters(feed_file, bad_items)
    except ParseError as exc:
        yield from _bad_item_letters(feed_file, bad_items)
        yield "failed_files", dead_letter_from_error(STAGE, feed_file.path, exc, feed_file.source)


def _bad_item_letters(feed_file: FeedFile, bad_items: list[FeedRecordError]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Dead letters for the items the feed parser could not turn into records (and forget them)."""
    for error in bad_items:
        yield "bad_items", dead_letter_from_error(STAGE, f"{feed_file.path}#{error.item}", error, feed_file.source)
    bad_items.clear()


def read_snapshot_records(snapshot_dir: Path,
                          on_dead_letter: Callable[[Mapping[str, Any]], None]) -> Iterator[Mapping[str, Any]]:
    """Every source record of a local snapshot's feed files, sorted by file; dead letters go to `on_dead_letter`.

    SnapshotIntegrityError when a listed feed file is missing or its sha256 differs from snapshot.json.
    """
    for feed_file in feed_files(load_snapshot(snapshot_dir)):
        path = snapshot_dir / feed_file.path
        if not path.is_file():
            raise integrity_error(feed_file.path, "listed in snapshot.json but missing")
        data = path.read_bytes()
        if feed_file.sha256 is not None and hashlib.sha256(data).hexdigest() != feed_file.sha256:
            raise integrity_error(feed_file.path, "sha256 differs from snapshot.json")
        for what, item in feed_file_outputs(feed_file, io.BytesIO(data)):
            if what == RECORDS:
                yield item
            else:
                on_dead_letter(item)
