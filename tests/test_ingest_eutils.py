"""E-utilities paging (pipeline/ingest/eutils.py): PubMed searched in date windows."""
import datetime
import re
from urllib.parse import parse_qs, urlsplit

from pipeline.ingest import EutilsPaging
from tests.support.feed_server import FeedServer
from tests.support.ingest_helpers import expected_ids, run_ingest, snapshot_records

def test_pubmed_searched_in_date_windows_gives_each_record_once(corpus_dir, tmp_path):
    sources = tmp_path / "sources.toml"
    with FeedServer(corpus_dir) as server:
        sources.write_text(
            "[[sources]]\nname = \"pubmed\"\nkind = \"pubmed\"\n"
            f"base_url = \"{server.url}/eutils/\"\nquery = \"x\"\npage_size = 1\nrate_limit = 1000.0\n"
            "date_from = \"1970-01-01\"\ndate_to = \"2019-12-31\"\nwindow_days = 3660\n",
            encoding="utf-8",
        )
        run_ingest(sources, tmp_path / "snap")
        searches = [r for r in server.requests if r.startswith("/eutils/esearch.fcgi")]
    windows = [re.search(r"mindate=([\d%F]+)&maxdate=([\d%F]+)", r).groups() for r in searches]
    windows = [tuple(datetime.date(*map(int, d.split("%2F"))) for d in w) for w in windows]
    assert len(windows) == 5  # 18,262 days in windows of 3,660
    assert windows[0][0] == datetime.date(1970, 1, 1) and windows[-1][1] == datetime.date(2019, 12, 31)
    for (_, end), (start, _) in zip(windows, windows[1:]):
        assert start == end + datetime.timedelta(days=1)
    got = [r["source_id"] for r in snapshot_records(tmp_path / "snap")["pubmed"]]
    assert sorted(got) == sorted(expected_ids(corpus_dir)["pubmed"])


def test_a_pubmed_window_over_the_history_limit_is_split(corpus_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(EutilsPaging, "PUBMED_HISTORY_LIMIT", 2)
    sources = tmp_path / "sources.toml"
    with FeedServer(corpus_dir) as server:
        sources.write_text(
            "[[sources]]\nname = \"pubmed\"\nkind = \"pubmed\"\n"
            f"base_url = \"{server.url}/eutils/\"\nquery = \"x\"\npage_size = 1\nrate_limit = 1000.0\n"
            "date_from = \"1970-01-01\"\ndate_to = \"2019-12-31\"\n",
            encoding="utf-8",
        )
        run_ingest(sources, tmp_path / "snap")
        fetched = [parse_qs(urlsplit(r).query)["WebEnv"][0] for r in server.requests if r.startswith("/eutils/efetch")]
        searched = {web_env: len(server.searches[web_env]) for web_env in fetched}
    assert searched and max(searched.values()) <= 2  # only windows within the limit were paged
    got = [r["source_id"] for r in snapshot_records(tmp_path / "snap")["pubmed"]]
    assert sorted(got) == sorted(expected_ids(corpus_dir)["pubmed"])
