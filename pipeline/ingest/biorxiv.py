"""bioRxiv and medRxiv: the api.biorxiv.org details endpoint and its cursor."""
import datetime
from pathlib import Path

from pipeline.ingest.http import HttpClient
from pipeline.ingest.paging import Page, Paging, load_json_object


class BiorxivPaging(Paging):
    """api.biorxiv.org details/<server>/<from>/<to>/<cursor>/json; the server sets the page size."""

    page_extension = ".json"

    def prepare(self, client: HttpClient, work_dir: Path, state: dict) -> dict | None:
        """Fix the interval's end on the first run (today when date_to is empty) so a resume pages the same set."""
        today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        return dict(state, date_to=state.get("date_to") or self.source.date_to or today)

    def request(self, state: dict) -> tuple[str, dict]:
        interval = f"{self.source.date_from or '2013-11-01'}/{state['date_to']}"
        cursor = state.get("cursor", 0)
        return self.url(f"details/{self.source.kind}/{interval}/{cursor}/json"), dict(self.source.params)

    def read(self, path: Path, state: dict) -> Page:
        payload = load_json_object(path)
        messages = payload.get("messages") or [{}]
        message = messages[0] if isinstance(messages[0], dict) else {}
        if "collection" not in payload and str(message.get("status", "")).startswith("no posts found"):
            return Page(0, None)
        items = self.records_in(path)
        cursor = state.get("cursor", 0) + int(message.get("count", items))
        total = int(message.get("total", 0))
        return Page(items, dict(state, cursor=cursor) if items and cursor < total else None)
