"""arXiv: the export.arxiv.org query API, paged by start and max_results."""
from pathlib import Path

from parsers.feeds.arxiv import parse_feed_root, total_results
from parsers.feeds.errors import FeedError
from pipeline.ingest.paging import Page, Paging


class ArxivPaging(Paging):
    """export.arxiv.org/api/query with search_query, start and max_results."""

    page_extension = ".atom.xml"

    def request(self, state: dict) -> tuple[str, dict]:
        params = {"search_query": self.source.query, "start": str(state.get("start", 0)),
                  "max_results": str(self.source.page_size), "sortBy": "submittedDate", "sortOrder": "ascending"}
        params.update(self.source.params)
        return self.url("query"), params

    def read(self, path: Path, state: dict) -> Page:
        root = parse_feed_root(path.read_bytes())
        total = total_results(root)
        start = state.get("start", 0)
        items = self.records_in(path)
        if items == 0 and start < total:
            raise FeedError(f"empty arXiv page at start={start} of {total} (a known transient answer)")
        start += self.source.page_size
        return Page(items, dict(state, start=start) if items and start < total else None)
