"""Crossref and Europe PMC: searches paged by a cursor mark the server hands out."""
from pathlib import Path

from pipeline.ingest.paging import Page, Paging, load_json_object


class CrossrefPaging(Paging):
    """api.crossref.org/works with cursor=* deep paging; an empty page ends it."""

    page_extension = ".json"

    def request(self, state: dict) -> tuple[str, dict]:
        params = {"rows": str(self.source.page_size), "cursor": state.get("cursor", "*")}
        if self.source.query:
            params["query"] = self.source.query
        filters = [f"from-pub-date:{self.source.date_from}"] if self.source.date_from else []
        filters += [f"until-pub-date:{self.source.date_to}"] if self.source.date_to else []
        extra = dict(self.source.params)
        if extra.get("filter"):
            filters.append(extra.pop("filter"))
        if filters:
            params["filter"] = ",".join(filters)
        params.update(extra)
        return self.url("works"), params

    def read(self, path: Path, state: dict) -> Page:
        message = load_json_object(path).get("message") or {}
        items = self.records_in(path)
        next_cursor = message.get("next-cursor")
        done = items == 0 or not next_cursor
        return Page(items, None if done else dict(state, cursor=next_cursor))


class EuropePmcPaging(Paging):
    """Europe PMC REST search with cursorMark; the same mark again (or no results) ends it."""

    page_extension = ".json"

    def request(self, state: dict) -> tuple[str, dict]:
        query = self.source.query
        if self.source.date_from or self.source.date_to:
            date_from, date_to = self.source.date_from or "1800-01-01", self.source.date_to or "3000-01-01"
            query = f"({query}) AND FIRST_PDATE:[{date_from} TO {date_to}]"
        params = {"query": query, "format": "json", "resultType": "core", "pageSize": str(self.source.page_size),
                  "cursorMark": state.get("cursor", "*")}
        params.update(self.source.params)
        return self.url("search"), params

    def read(self, path: Path, state: dict) -> Page:
        payload = load_json_object(path)
        items = self.records_in(path)
        current = state.get("cursor", "*")
        next_mark = payload.get("nextCursorMark")
        done = items == 0 or not next_mark or next_mark == current
        return Page(items, None if done else dict(state, cursor=next_mark))
