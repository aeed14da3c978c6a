"""NCBI E-utilities (PubMed, PMC): esearch on the history server, then efetch pages."""
import datetime
import logging
from pathlib import Path

from parsers.feeds.errors import FeedError
from parsers.xmlsafe import parse_xml_bytes
from pipeline.ingest.config import SourceConfig
from pipeline.ingest.http import HttpClient
from pipeline.ingest.paging import Page, Paging

logger = logging.getLogger(__name__)


class EutilsPaging(Paging):
    """NCBI E-utilities: esearch with usehistory=y, then efetch pages by retstart/retmax.

    PubMed's history server hands out only the first 10,000 records of a search, so
    with a `date_from` the range is searched in windows (`window_days` long, or one
    window), and a PubMed window holding more is split in two until each fits. The
    remaining windows are part of the saved state, so a resume pages the same windows.
    """

    page_extension = ".xml"
    PUBMED_HISTORY_LIMIT = 10_000

    def __init__(self, source: SourceConfig, api_key: str | None):
        super().__init__(source, api_key)
        self.searched = False  # the current window is searched again in every process: a WebEnv expires

    def database(self) -> str:
        return "pmc" if self.source.kind == "pmc" else "pubmed"

    def initial_windows(self, date_to: str) -> list[list[str]]:
        """[mindate, maxdate] of each search, "" for an open end."""
        if not (self.source.window_days and self.source.date_from):
            return [[self.source.date_from, date_to]]
        first = datetime.date.fromisoformat(self.source.date_from)
        last = datetime.date.fromisoformat(date_to)
        step = datetime.timedelta(days=self.source.window_days)
        windows = []
        while first <= last:
            end = min(first + step - datetime.timedelta(days=1), last)
            windows.append([first.isoformat(), end.isoformat()])
            first = end + datetime.timedelta(days=1)
        return windows

    @staticmethod
    def split(window: list[str]) -> list[list[str]] | None:
        """The two halves of a dated window, or None when it cannot be split (open, one day)."""
        if not (window[0] and window[1]):
            return None
        first, last = datetime.date.fromisoformat(window[0]), datetime.date.fromisoformat(window[1])
        if last <= first:
            return None
        middle = first + (last - first) // 2
        return [[window[0], middle.isoformat()], [(middle + datetime.timedelta(days=1)).isoformat(), window[1]]]

    def prepare(self, client: HttpClient, work_dir: Path, state: dict) -> dict | None:
        state = dict(state)
        if "windows" not in state:
            today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
            date_to = self.source.date_to or (today if self.source.date_from else "")
            state.update(windows=self.initial_windows(date_to), retstart=0)
        while state["windows"]:
            if not self.searched:
                search = self.search(client, work_dir, *state["windows"][0])
                halves = self.split(state["windows"][0])
                if (self.database() == "pubmed" and search["count"] > self.PUBMED_HISTORY_LIMIT
                        and state["retstart"] == 0 and halves):
                    state["windows"][0:1] = halves
                    continue
                state.update(search)
                self.searched = True
            if state["retstart"] < state["count"]:
                return state
            state.update(windows=state["windows"][1:], retstart=0)
            self.searched = False
        return None

    def search(self, client: HttpClient, work_dir: Path, mindate: str, maxdate: str) -> dict:
        params = {"db": self.database(), "term": self.source.query, "usehistory": "y", "retmax": "0"}
        if mindate or maxdate:
            params.update(datetype="pdat", mindate=mindate.replace("-", "/") or "1800",
                          maxdate=maxdate.replace("-", "/") or "3000")
        params.update(self.source.params, **self.key_params())
        search = client.fetch_to_file(self.url("esearch.fcgi"), params, work_dir / "esearch.xml",
                                      self.source.rate_limit, 10 * 1024 * 1024, _read_esearch)
        if (self.database() == "pubmed" and search["count"] > self.PUBMED_HISTORY_LIMIT
                and not self.split([mindate, maxdate])):
            logger.warning("%s: %d records from %s to %s, but PubMed serves only the first %d of a search; "
                           "set date_from so the range can be split", self.source.name, search["count"],
                           mindate or "the start", maxdate or "now", self.PUBMED_HISTORY_LIMIT)
        return search

    def request(self, state: dict) -> tuple[str, dict]:
        params = {"db": self.database(), "WebEnv": state["webenv"], "query_key": state["query_key"],
                  "retstart": str(state["retstart"]), "retmax": str(self.source.page_size), "retmode": "xml"}
        params.update(self.source.params, **self.key_params())
        return self.url("efetch.fcgi"), params

    def read(self, path: Path, state: dict) -> Page:
        items = self.records_in(path)
        expected = min(self.source.page_size, state["count"] - state["retstart"])
        if items < expected:
            raise FeedError(f"efetch page holds {items} articles, expected {expected}")
        return Page(items, dict(state, retstart=state["retstart"] + self.source.page_size))


def _read_esearch(path: Path) -> dict:
    root = parse_xml_bytes(path.read_bytes())
    error = root.findtext("ERROR")
    if root.tag != "eSearchResult" or error:
        raise FeedError(f"not an esearch result: {error or root.tag}")
    try:
        count = int(root.findtext("Count") or "")
    except ValueError as exc:
        raise FeedError("esearch result without a Count") from exc
    return {"count": count, "webenv": root.findtext("WebEnv") or "", "query_key": root.findtext("QueryKey") or ""}
