"""What every API's paging has in common: the Page a fetched page gives, and the Paging base class.

One module per API family holds its subclass: `eutils` (E-utilities history server),
`biorxiv` (bioRxiv and medRxiv cursors), `arxiv` (start/max_results), `cursors`
(Crossref and Europe PMC cursor marks), `whole_files` (whole files, one per page).
"""
from dataclasses import dataclass
from pathlib import Path

from parsers.feeds import iter_feed_records
from parsers.feeds.errors import FeedError
from parsers.feeds.record import load_json_payload
from pipeline.ingest.config import SourceConfig
from pipeline.ingest.http import HttpClient


@dataclass
class Page:
    """What a fetched page says about paging: items seen and the state after it (None: done)."""

    items: int
    next_state: dict | None


class Paging:
    """How one API pages. `state` is a JSON-able dict, saved after every page."""

    page_extension = ".dat"  # the file name extension of a saved page

    def __init__(self, source: SourceConfig, api_key: str | None):
        self.source = source
        self.api_key = api_key

    def url(self, path: str) -> str:
        return self.source.base_url.rstrip("/") + "/" + path.lstrip("/")

    def key_params(self) -> dict:
        return {self.source.api_key_param: self.api_key} if self.api_key else {}

    def prepare(self, client: HttpClient, work_dir: Path, state: dict) -> dict | None:
        """The state for the next page after any request it needs first (an E-utilities
        search), or None when there is no next page."""
        return state

    def request(self, state: dict) -> tuple[str, dict]:
        """The URL and query parameters of the next page."""
        raise NotImplementedError

    def read(self, path: Path, state: dict) -> Page:
        """Check a fetched page (FeedError when it is not a valid page) and compute the next state."""
        raise NotImplementedError

    def file_name(self, state: dict, number: int) -> str:
        """The name page number `number` (1-based) is saved under in the source's feed folder."""
        return f"page-{number:05d}{self.page_extension}"

    def records_in(self, path: Path) -> int:
        """Items in a page: records plus items the parser could not read (the build dead-letters those)."""
        bad_items: list = []
        records = sum(1 for _ in iter_feed_records(self.source.kind, str(path), on_error=bad_items.append))
        return records + len(bad_items)


def load_json_object(path: Path) -> dict:
    """A JSON page that must be an object (FeedError otherwise)."""
    payload = load_json_payload(path.read_bytes())
    if not isinstance(payload, dict):
        raise FeedError("expected a JSON object")
    return payload
