"""What the ingest tests share: a sources file for the loopback feed server, a loopback-only
session, one ingest run, and the records a snapshot holds or the corpus should give."""
import io
import json
from pathlib import Path
from urllib.parse import urlsplit

import requests

from parsers.feeds import iter_feed_records
from pipeline.ingest import HttpClient, Ingest, IngestSummary, Progress, load_sources
from tests.feed_server import arxiv_corpus_entries, pmc_corpus_articles

SOURCES = """
[query]
terms = ["coronavirus", "SARS"]
fields = ["title", "abstract"]

[http]
max_attempts = {max_attempts}
backoff_seconds = 0.01
max_backoff_seconds = 0.05
connect_timeout = 2.0
read_timeout = 0.5

[documents]
max_bytes = 5000000
rate_limit = 1000.0

[mirrors]
"https://www.biorxiv.org/" = "{url}/pdf/biorxiv/"
"https://www.biorxiv.org/content/10.1101/000141v1.full.pdf" = "{url}/html-error/000141"
"http://arxiv.org/" = "{url}/pdf/arxiv-2016/"
"https://arxiv.org/" = "{url}/pdf/arxiv/"
"https://www.ebi.ac.uk/" = "{url}/"
"https://ftp.ncbi.nlm.nih.gov/" = "{url}/"
"https://usurj.journals.usask.ca/" = "{url}/html-error/"

[[sources]]
name = "pubmed"
kind = "pubmed"
base_url = "{url}/eutils/"
query = "coronavirus"
page_size = 2
rate_limit = 1000.0
api_key_env = "TEST_NCBI_KEY"

[[sources]]
name = "pmc"
kind = "pmc"
base_url = "{url}/eutils/"
query = "coronavirus"
page_size = 4
rate_limit = 1000.0

[[sources]]
name = "biorxiv"
kind = "biorxiv"
base_url = "{url}/biorxiv-api/"
date_from = "2013-01-01"
date_to = "2013-11-07"
rate_limit = 1000.0

[[sources]]
name = "medrxiv"
kind = "medrxiv"
base_url = "{url}/biorxiv-api/"
date_from = "2013-01-01"
date_to = "2013-11-07"
rate_limit = 1000.0

[[sources]]
name = "arxiv"
kind = "arxiv"
base_url = "{url}/arxiv-api/"
query = "all:testing"
page_size = 5
rate_limit = 1000.0

[[sources]]
name = "publishers"
kind = "crossref"
base_url = "{url}/crossref/"
query = "coronavirus"
page_size = 3
rate_limit = 1000.0
params = {{ filter = "member:78", mailto = "test@example.org" }}

[[sources]]
name = "europepmc"
kind = "europepmc"
base_url = "{url}/europepmc/webservices/rest/"
query = "cancer"
page_size = 10
rate_limit = 1000.0

[[sources]]
name = "who"
kind = "who"
base_url = "{url}/files/"
files = ["who.csv"]
rate_limit = 1000.0

[[sources]]
name = "pmc-oa"
kind = "pmc"
api = "file"
base_url = "{url}/files/"
files = ["oa_file_list.csv"]
rate_limit = 1000.0
"""


class LoopbackOnlySession(requests.Session):
    """A requests session that refuses any host but 127.0.0.1: tests never leave the machine."""

    def request(self, method, url, *args, **kwargs):
        assert urlsplit(url).hostname == "127.0.0.1", f"test tried to reach {url}"
        return super().request(method, url, *args, **kwargs)


def write_sources(tmp_path: Path, url: str, max_attempts: int = 4) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES.format(url=url, max_attempts=max_attempts), encoding="utf-8")
    return path


def run_ingest(sources: Path, snapshot: Path, sleeps: list | None = None) -> IngestSummary:
    config = load_sources(sources)
    sleeps = [] if sleeps is None else sleeps
    client = HttpClient(config.http, sleep=sleeps.append, session=LoopbackOnlySession())
    return Ingest(config, snapshot, client=client, progress=Progress(io.StringIO()), environ={}).run()


def snapshot_records(snapshot: Path) -> dict[str, list[dict]]:
    manifest = json.loads((snapshot / "snapshot.json").read_text(encoding="utf-8"))
    return {
        source["name"]: [r for path in source["files"] for r in iter_feed_records(source["kind"], str(snapshot / path))]
        for source in manifest["sources"]
    }


def expected_ids(corpus_dir: Path) -> dict[str, list[str]]:
    """The source_ids each source must deliver, from the corpus files the server pages through."""
    feeds = corpus_dir / "feeds"
    ids = {
        "pubmed": [r["source_id"] for p in sorted((feeds / "pubmed").glob("*.xml")) for r in iter_feed_records("pubmed", str(p))],
        "pmc": [pmcid for pmcid, _ in pmc_corpus_articles(corpus_dir)],
        "biorxiv": [r["source_id"] for r in iter_feed_records("biorxiv", str(next((feeds / "biorxiv").glob("*.json"))))],
        "medrxiv": [r["source_id"] for r in iter_feed_records("medrxiv", str(next((feeds / "biorxiv").glob("*.json"))))],
        "publishers": [r["source_id"] for p in sorted((feeds / "crossref").glob("*.json")) for r in iter_feed_records("crossref", str(p))],
        "europepmc": [r["source_id"] for r in iter_feed_records("europepmc", str(feeds / "europepmc/pyeuropepmc_search_cancer.json"))],
        "who": [r["source_id"] for r in iter_feed_records("who", str(next((feeds / "who").glob("*.csv"))))],
        "pmc-oa": ["PMC7112410", "PMC7135076", "PMC7159286", "PMC7159299"],
    }
    ids["arxiv"] = [f"entry-{n}" for n in range(len(arxiv_corpus_entries(corpus_dir)))]
    return ids
