"""Errors of the feed parsers: a whole response that cannot be read, or one item of it.

Every feed parser turns each item of a response into a record through `convert_item`,
the one place where a bad item is isolated: it becomes a FeedRecordError naming the
item, handed to `on_error` (the build makes it a `feed_record_error` dead letter), and
the rest of the response goes on.
"""
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from parsers.errors import ParseError
from schemas.records import SourceRecord

logger = logging.getLogger(__name__)

Item = TypeVar("Item")


class FeedError(ParseError):
    """A feed response (a whole file) that cannot be parsed into records."""

    reason = "feed_error"


class FeedApiError(FeedError):
    """The API answered with an error document instead of results (e.g. arXiv's error feed)."""

    reason = "feed_api_error"


class UnknownFeedKindError(FeedError):
    """A snapshot or sources file names a feed kind that has no parser."""

    reason = "unknown_feed_kind"


class FeedRecordError(FeedError):
    """One item of a feed response that cannot become a source record.

    `item` says which one (e.g. "PubmedArticle #3", "line 12"); the other items still parse.
    """

    reason = "feed_record_error"
    item = ""


OnError = Callable[[FeedRecordError], None] | None

# What converting one item raises when the item holds a shape no check foresaw (a list where
# a string was expected, ...). Such an item is bad input, so it is reported like the others,
# with the error's class in the message; the parsers check the shapes they know explicitly.
UNFORESEEN_ITEM_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError)
UNFORESEEN_PREFIX = "unforeseen content"


def handle_bad_item(exc: FeedRecordError, item: str, on_error: OnError) -> None:
    """Name the item that failed and hand it to `on_error`; without one, re-raise it."""
    exc.item = item
    if on_error is None:
        raise exc
    on_error(exc)


def convert_item(
    convert: Callable[[Item], SourceRecord], item: Item, label: str, on_error: OnError
) -> SourceRecord | None:
    """`convert(item)`, or None after reporting the item (named `label`) as a FeedRecordError."""
    try:
        return convert(item)
    except FeedRecordError as exc:
        handle_bad_item(exc, label, on_error)
    except UNFORESEEN_ITEM_ERRORS as exc:
        logger.warning("%s: %s: %s", label, type(exc).__name__, exc)
        error = FeedRecordError(f"{UNFORESEEN_PREFIX} ({type(exc).__name__}: {str(exc)[:200]})")
        error.__cause__ = exc
        handle_bad_item(error, label, on_error)
    return None


def convert_items(items: Iterable[Item], convert: Callable[[Item], SourceRecord], label: str,
                  on_error: OnError) -> Iterator[SourceRecord]:
    """The records of `items` (numbered from 1 as "<label> #<n>"); bad items go to `on_error`."""
    for index, item in enumerate(items, start=1):
        record = convert_item(convert, item, f"{label} #{index}", on_error)
        if record is not None:
            yield record
