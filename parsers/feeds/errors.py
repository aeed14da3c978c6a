"""Errors of the feed parsers: a whole response that cannot be read, or one item of it."""
from collections.abc import Callable

from parsers.errors import ParseError


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

    `item` says which one (e.g. "PubmedArticle #3"); the other items still parse.
    """

    reason = "feed_record_error"
    item = ""


OnError = Callable[[FeedRecordError], None] | None


def handle_bad_item(exc: FeedRecordError, item: str, on_error: OnError) -> None:
    """Name the item that failed and hand it to `on_error`; without one, re-raise it."""
    exc.item = item
    if on_error is None:
        raise exc
    on_error(exc)
