"""Feed parsers: raw source responses to source records (schemas/source_record.json).

One module per format; `iter_feed_records(kind, path)` reads a snapshot file (gzip
or not; PubMed, PMC, and WHO files are streamed) and `parse_feed_bytes(kind, data)`
a response in memory. A file that cannot be read raises FeedError. An item that
cannot become a record, whatever it holds, raises FeedRecordError, or, when `on_error`
is given, is passed to it and skipped so the rest of the file still parses: every
item of a file is either a record or an error (parsers/feeds/errors.py, csvfile.py).
"""
import gzip
import io
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from parsers.errors import ParseError
from parsers.feeds import arxiv, biorxiv, crossref, europepmc, pmc, pubmed, who
from parsers.feeds.errors import FeedError, FeedRecordError, OnError, UnknownFeedKindError
from schemas.records import SourceRecord

FEED_KINDS: tuple[str, ...] = ("arxiv", "biorxiv", "crossref", "europepmc", "medrxiv", "pmc", "pubmed", "who")

_STREAMED = {"pubmed": pubmed.iter_stream, "pmc": pmc.iter_stream, "who": who.iter_stream}
GZIP_MAGIC = b"\x1f\x8b"


def _check_kind(kind: str) -> None:
    if kind not in FEED_KINDS:
        raise UnknownFeedKindError(f"unknown feed kind {kind!r} (known: {', '.join(FEED_KINDS)})")


def _as_feed_error(exc: ParseError) -> FeedError:
    """A FeedError carrying the reason of a shared parse error (empty input, LFS pointer, ...)."""
    error = FeedError(str(exc))
    error.reason = exc.reason
    return error


def parse_feed_bytes(kind: str, data: bytes, on_error: OnError = None) -> list[SourceRecord]:
    """All source records of one raw response `data` of feed `kind` (gzip allowed)."""
    _check_kind(kind)
    try:
        return _parse_bytes(kind, data, on_error)
    except FeedError:
        raise
    except ParseError as exc:
        raise _as_feed_error(exc) from exc


def _parse_bytes(kind: str, data: bytes, on_error: OnError) -> list[SourceRecord]:
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise FeedError(f"broken gzip data: {exc}") from exc
    if kind == "pubmed":
        return pubmed.parse(data, on_error)
    if kind == "pmc":
        return pmc.parse(data, on_error)
    if kind in ("biorxiv", "medrxiv"):
        return biorxiv.parse(data, kind, on_error)
    if kind == "arxiv":
        return arxiv.parse(data, on_error)
    if kind == "crossref":
        return crossref.parse(data, on_error)
    if kind == "europepmc":
        return europepmc.parse(data, on_error)
    return who.parse(data, on_error)


def iter_feed_records(kind: str, path: str, on_error: OnError = None) -> Iterator[SourceRecord]:
    """Source records of the feed file at `path` (".gz" or gzip content is decompressed)."""
    with open(path, "rb") as raw:
        yield from iter_feed_stream(kind, raw, path, on_error)


def iter_feed_stream(kind: str, raw: BinaryIO, name: str, on_error: OnError = None) -> Iterator[SourceRecord]:
    """Source records of one feed file read from the binary stream `raw` (gzip content is decompressed).

    The stream is read once, front to back (no seeking), so it may come from a network store.
    """
    _check_kind(kind)
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]
    is_gzip = buffered.peek(2)[:2] == GZIP_MAGIC
    stream: BinaryIO = gzip.GzipFile(fileobj=buffered, mode="rb") if is_gzip else buffered  # type: ignore[assignment]
    try:
        if kind in _STREAMED:
            yield from _STREAMED[kind](io.BufferedReader(stream) if is_gzip else stream, on_error)  # type: ignore[type-var]
        else:
            yield from parse_feed_bytes(kind, stream.read(), on_error)
    except (OSError, EOFError, zlib.error) as exc:
        raise FeedError(f"cannot read {name}: {exc}") from exc
    except FeedError:
        raise
    except ParseError as exc:
        raise _as_feed_error(exc) from exc


__all__ = ["FEED_KINDS", "FeedError", "FeedRecordError", "iter_feed_records", "iter_feed_stream", "parse_feed_bytes"]
