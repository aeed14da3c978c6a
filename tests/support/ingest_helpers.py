"""What the ingest tests share besides the loopback sources file (tests/support/feed_sources.py):
one ingest run, and the records a snapshot holds or the corpus should give."""
import io
import json
from pathlib import Path

from parsers.feeds import iter_feed_records
from pipeline.ingest import HttpClient, Ingest, IngestSummary, Progress, load_sources
from tests.support.feed_server import arxiv_corpus_entries, pmc_corpus_articles
from tests.support.feed_sources import LoopbackOnlySession


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
