"""`cord19 ingest` against the loopback feed server: paging, faults, resumption, documents."""
import datetime
import email.utils
import hashlib
import io
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from parsers.feeds import iter_feed_records
from parsers.xmlsafe import parse_xml_bytes
from pipeline.cli import main
from pipeline.commands.ingest import default_sources_file
from pipeline.ingest import (
    EutilsPaging,
    FetchError,
    HostRateLimiter,
    HttpClient,
    HttpSettings,
    Ingest,
    IngestError,
    IngestSummary,
    Progress,
    SourcesFileError,
    check_pdf,
    jats_bytes,
    load_sources,
    mirrored_url,
    retry_after_seconds,
)
from parsers.pdf.errors import NotPdfError
from schemas import schema_errors
from tests.support.paths import PROJECT_ROOT
from tests.support.feed_server import Fault, FeedServer, arxiv_corpus_entries, oa_package, pmc_corpus_articles
from tests.support.feed_sources import LoopbackOnlySession, write_sources

FAULTS = [
    Fault("efetch.fcgi", 2, "429"),
    Fault("/crossref/works", 1, "503"),
    Fault("/arxiv-api/query", 2, "timeout"),
    Fault("/biorxiv-api/", 2, "truncate"),
    Fault("/europepmc/webservices/rest/search", 1, "truncate"),
    Fault("/pdf/arxiv/", 1, "503"),
]


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


@pytest.fixture(scope="module")
def faulty_ingest(corpus_dir, tmp_path_factory):
    """One ingest of every source through injected faults (shared by the checks below)."""
    tmp_path = tmp_path_factory.mktemp("ingest")
    sleeps: list[float] = []
    with FeedServer(corpus_dir, faults=FAULTS, slow_seconds=1.0) as server:
        sources = write_sources(tmp_path, server.url)
        summary = run_ingest(sources, tmp_path / "snapshot", sleeps)
        requests_seen = list(server.requests)
    return tmp_path / "snapshot", summary, sleeps, requests_seen


def test_every_record_arrives_exactly_once_through_faults(faulty_ingest, corpus_dir):
    snapshot, summary, _sleeps, _requests = faulty_ingest
    records = snapshot_records(snapshot)
    expected = expected_ids(corpus_dir)
    for name, ids in expected.items():
        got = [r["source_id"] for r in records[name]]
        assert len(got) == len(set(got)), f"{name}: duplicate records"
        if name == "arxiv":
            assert len(got) == len(ids)
        else:
            assert sorted(got) == sorted(ids), name
        assert summary.sources[name]["status"] == "done"
        assert summary.sources[name]["records"] == len(ids)
    for source_records in records.values():
        for record in source_records:
            assert schema_errors("source_record", record) == []


def test_snapshot_json_lists_files_with_their_sha256(faulty_ingest):
    snapshot, _summary, _sleeps, _requests = faulty_ingest
    manifest = json.loads((snapshot / "snapshot.json").read_text(encoding="utf-8"))
    assert schema_errors("snapshot", manifest) == []
    assert manifest["query"] == {"terms": ["coronavirus", "SARS"], "fields": ["title", "abstract"]}
    assert [s["name"] for s in manifest["sources"]] == [
        "pubmed", "pmc", "biorxiv", "medrxiv", "arxiv", "publishers", "europepmc", "who", "pmc-oa"]
    assert [(s["name"], s["kind"]) for s in manifest["sources"]][2:4] == [("biorxiv", "biorxiv"), ("medrxiv", "medrxiv")]
    assert manifest["sources"][0]["files"] == [f"feeds/pubmed/page-0000{n}.xml" for n in (1, 2, 3)]
    assert manifest["sources"][7]["files"] == ["feeds/who/who.csv"]
    on_disk = {
        str(p.relative_to(snapshot)) for p in snapshot.rglob("*")
        if p.is_file() and not p.name.startswith(".") and ".ingest" not in p.parts and p.name != "snapshot.json"
    }
    assert set(manifest["files"]) == on_disk
    for relative, digest in manifest["files"].items():
        assert hashlib.sha256((snapshot / relative).read_bytes()).hexdigest() == digest


def test_raw_pages_are_stored_exactly_as_served(faulty_ingest, corpus_dir):
    snapshot, _summary, _sleeps, _requests = faulty_ingest
    who = corpus_dir / "feeds/who/who_covid19_database_2020-03-18_first150.csv"
    assert (snapshot / "feeds/who/who.csv").read_bytes() == who.read_bytes()
    with FeedServer(corpus_dir) as server:
        served = requests.get(f"{server.url}/biorxiv-api/details/biorxiv/2013-01-01/2013-11-07/3/json", timeout=5)
    assert (snapshot / "feeds/biorxiv/page-00002.json").read_bytes() == served.content


def test_faults_are_retried_and_retry_after_is_honoured(faulty_ingest):
    _snapshot, summary, sleeps, requests_seen = faulty_ingest
    assert 2.0 in sleeps  # the 429 answer said Retry-After: 2
    biorxiv_second_page = [r for r in requests_seen if r.startswith("/biorxiv-api/details/biorxiv/2013-01-01/2013-11-07/3/")]
    assert len(biorxiv_second_page) == 2  # truncated once, fetched again
    arxiv_second_page = [r for r in requests_seen if r.startswith("/arxiv-api/query") and "start=5&" in r]
    assert len(arxiv_second_page) == 2  # read timeout once
    assert "mailto=test%40example.org" in next(r for r in requests_seen if r.startswith("/crossref/works"))
    assert "filter=member%3A78" in next(r for r in requests_seen if r.startswith("/crossref/works"))


def test_documents_are_sniffed_named_and_listed(faulty_ingest):
    snapshot, summary, _sleeps, _requests = faulty_ingest
    lines = [json.loads(line) for line in (snapshot / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines == sorted(lines, key=lambda line: (line["path"], line["url"]))
    for line in lines:
        assert schema_errors("document_line", line) == []
        data = (snapshot / line["path"]).read_bytes()
        assert hashlib.sha1(data).hexdigest() == line["sha1"]
        if line["type"] == "pdf":
            assert data.startswith(b"%PDF-")
            assert line["path"] == f"documents/pdf/{line['sha1']}.pdf"
        else:
            assert parse_xml_bytes(data).tag == "article"
            assert line["path"] == f"documents/pmc/{line['ids']['pmcid']}.xml"
    by_source = Counter(line["source"] for line in lines)
    # 8 bioRxiv preprints minus the one whose "PDF" is an HTML error page; every arXiv entry;
    # PMC JATS (efetch records and the two OA packages the corpus holds); nothing under "unk".
    assert by_source == {"BioRxiv": 7, "ArXiv": 21, "PMC": 7}
    assert sorted(p.name for p in (snapshot / "documents/pmc").glob("*.xml")) == sorted(
        f"{line['ids']['pmcid']}.xml" for line in lines if line["type"] == "jats")
    reasons = sorted((f["stage"], f["reason"], f["url"].rsplit("/", 1)[-1]) for f in summary.failures)
    assert reasons == [
        ("document", "http_404", "PMC7135076.tar.gz"),
        ("document", "http_404", "PMC7159299.tar.gz"),
        ("document", "not_pdf", "000141v1.full.pdf"),
    ]


def test_a_page_that_keeps_failing_is_recorded_and_other_sources_go_on(corpus_dir, tmp_path, capsys):
    with FeedServer(corpus_dir, faults=[Fault("/crossref/works", 1, "always503")]) as server:
        sources = write_sources(tmp_path, server.url, max_attempts=3)
        exit_code = main(["ingest", "--sources", str(sources), "--snapshot", str(tmp_path / "snap")])
    assert exit_code == 1
    manifest = json.loads((tmp_path / "snap/snapshot.json").read_text(encoding="utf-8"))
    page_failures = [f for f in manifest["failures"] if f["stage"] == "page"]
    assert page_failures == [{
        "source": "publishers", "stage": "page", "page": 1, "reason": "http_503", "attempts": 3,
        "url": page_failures[0]["url"], "message": page_failures[0]["message"],
    }]
    publishers = next(s for s in manifest["sources"] if s["name"] == "publishers")
    assert publishers["files"] == []
    who = next(s for s in manifest["sources"] if s["name"] == "who")
    assert who["files"] == ["feeds/who/who.csv"]
    out = capsys.readouterr().out
    assert "publishers: failed, 0 pages" in out and "who: done, 1 pages, 150 records" in out


def wait_for_pages(state_path: Path, pages: int, process: subprocess.Popen) -> None:
    while process.poll() is None:
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if sum(s["pages"] for s in state["sources"].values()) >= pages:
            return
        time.sleep(0.01)
    raise AssertionError("the ingest ended before it could be interrupted")


def test_an_ingest_killed_half_way_resumes_to_the_same_snapshot(corpus_dir, tmp_path):
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    with FeedServer(corpus_dir) as server:
        sources = write_sources(tmp_path, server.url)
        run_ingest(sources, whole)
        whole_requests = len(server.requests)
        server.delay_seconds = 0.03  # slow enough to stop the ingest in the middle
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "ingest", "--sources", str(sources), "--snapshot", str(resumed)],
            cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_pages(resumed / ".ingest/state.json", 8, process)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert not (resumed / "snapshot.json").exists()
        server.delay_seconds = 0.0
        before_resume = len(server.requests)
        run_ingest(sources, resumed)
        resume_requests = len(server.requests) - before_resume
    assert resume_requests < whole_requests - 8  # the pages fetched before the kill are not fetched again
    first = json.loads((whole / "snapshot.json").read_text(encoding="utf-8"))
    second = json.loads((resumed / "snapshot.json").read_text(encoding="utf-8"))
    first.pop("created"), second.pop("created")
    assert first == second
    for relative in first["files"]:
        assert (whole / relative).read_bytes() == (resumed / relative).read_bytes()
    leftovers = [p for p in resumed.rglob(".*.part")]
    assert leftovers == []


def test_a_finished_ingest_rerun_fetches_no_page_again(faulty_ingest, corpus_dir, tmp_path):
    snapshot = tmp_path / "snapshot"
    shutil.copytree(faulty_ingest[0], snapshot)
    before = json.loads((snapshot / "snapshot.json").read_bytes())
    with FeedServer(corpus_dir) as server:
        summary = run_ingest(write_sources(tmp_path, server.url, max_attempts=4), snapshot)
    # only the documents that failed are tried again, once each (a 404 and an HTML page are final answers)
    assert Counter(r.rsplit("/", 1)[-1] for r in server.requests) == {
        "000141": 1, "PMC7135076.tar.gz": 1, "PMC7159299.tar.gz": 1}
    after = json.loads((snapshot / "snapshot.json").read_bytes())
    assert after["files"] == before["files"]
    assert after["sources"] == before["sources"]
    assert sorted(f["url"] for f in summary.failures) == sorted(f["url"] for f in before["failures"])


def test_a_torn_document_log_line_is_dropped_and_fetched_again(faulty_ingest, corpus_dir, tmp_path):
    snapshot = tmp_path / "snapshot"
    shutil.copytree(faulty_ingest[0], snapshot)
    log = snapshot / ".ingest/documents.log.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    torn = json.loads(lines[-1])["line"]["url"]
    log.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2], encoding="utf-8")
    with FeedServer(corpus_dir) as server:
        run_ingest(write_sources(tmp_path, server.url), snapshot)
        fetched_again = [r for r in server.requests if urlsplit(torn).path.rsplit("/", 1)[-1] in r]
    assert len(fetched_again) == 1
    assert log.read_text(encoding="utf-8").splitlines(keepends=True)[: len(lines) - 1] == lines[:-1]
    assert json.loads(log.read_text(encoding="utf-8").splitlines()[-1])["line"]["url"] == torn


def test_a_folder_started_with_other_sources_is_refused(corpus_dir, tmp_path):
    sources = write_sources(tmp_path, "http://127.0.0.1:9")
    state_dir = tmp_path / "snap/.ingest"
    state_dir.mkdir(parents=True)
    (state_dir / "state.json").write_text(json.dumps({"created": "x", "fingerprint": "other", "sources": {}}))
    with pytest.raises(IngestError, match="other sources"):
        Ingest(load_sources(sources), tmp_path / "snap").run()


def test_the_api_key_comes_from_the_named_environment_variable(corpus_dir, tmp_path):
    with FeedServer(corpus_dir) as server:
        sources = write_sources(tmp_path, server.url)
        config = load_sources(sources)
        config = type(config)(**{**config.__dict__, "sources": config.sources[:1], "download_documents": False})
        client = HttpClient(config.http, sleep=lambda s: None, session=LoopbackOnlySession())
        Ingest(config, tmp_path / "snap", client=client, progress=Progress(io.StringIO()),
               environ={"TEST_NCBI_KEY": "sekrit"}).run()
        assert all("api_key=sekrit" in r for r in server.requests if "/eutils/" in r)


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


def test_api_keys_stay_out_of_failure_messages(tmp_path):
    settings = HttpSettings(max_attempts=2, connect_timeout=0.5)
    client = HttpClient(settings, sleep=lambda s: None, session=LoopbackOnlySession())
    with pytest.raises(FetchError) as caught:
        client.fetch_to_file("http://127.0.0.1:9/eutils/efetch.fcgi", {"db": "pubmed", "api_key": "sekrit-123"},
                             tmp_path / "page.xml", 1000.0, 1000, lambda path: None)
    assert caught.value.reason == "broken_response" and caught.value.attempts == 2
    assert "sekrit-123" not in str(caught.value) and "api_key=***" in str(caught.value)


def test_the_shipped_sources_file_mirrors_cord19():
    config = load_sources(default_sources_file())
    assert {s.kind for s in config.sources} >= {"pubmed", "pmc", "biorxiv", "medrxiv", "arxiv", "crossref", "who"}
    assert "Middle East Respiratory Syndrome" in config.query["terms"]
    assert all(s.base_url.startswith("https://") for s in config.sources)
    assert "unk" not in config.document_licenses


@pytest.mark.parametrize(
    "text, message",
    [
        ('[[sources]]\nname = "x"\nkind = "gopher"\nbase_url = "http://h/"\n', "kind 'gopher'"),
        ('[[sources]]\nname = "x"\nkind = "pubmed"\n', "base_url"),
        ('[[sources]]\nname = "x"\nkind = "who"\nbase_url = "http://h/"\n', "files list"),
        ('[[sources]]\nname = "../x"\nkind = "pubmed"\nbase_url = "http://h/"\n', "plain folder name"),
        ('[documents]\nlicenses = ["free"]\n[[sources]]\nname = "x"\nkind = "pubmed"\nbase_url = "http://h/"\n', "unknown values"),
        ('[[sources]]\nname = "x"\nkind = "pubmed"\nbase_url = "http://h/"\npage_size = "ten"\n', "page_size"),
        ("not toml [", "cannot read"),
        ("", "no [[sources]]"),
    ],
)
def test_bad_sources_files_are_refused(tmp_path, text, message):
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourcesFileError, match=re.escape(message)):
        load_sources(path)


def test_bad_sources_file_is_a_clean_cli_error(tmp_path, capsys):
    path = tmp_path / "sources.toml"
    path.write_text("", encoding="utf-8")
    assert main(["ingest", "--sources", str(path), "--snapshot", str(tmp_path / "s")]) == 1
    assert "no [[sources]]" in capsys.readouterr().err


def test_retry_after_seconds_and_backoff():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=120)
    assert 60 < retry_after_seconds(email.utils.format_datetime(later, usegmt=True)) <= 120
    client = HttpClient(HttpSettings(backoff_seconds=1.0, max_backoff_seconds=5.0))
    waits = [client.backoff(attempt) for attempt in range(1, 8)]
    assert all(1.0 <= w <= 2.0 for w in waits[:1]) and all(w <= 6.0 for w in waits)
    assert waits[2] >= 4.0


def test_rate_limit_is_per_host():
    clock = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock[0] += seconds

    limiter = HostRateLimiter(sleep=sleep, clock=lambda: clock[0])
    for url in ("http://a/1", "http://a/2", "http://b/1", "http://a/3"):
        limiter.wait(url, 2.0)
    assert sleeps == [0.5, 0.5]


def test_mirrors_use_the_longest_prefix():
    mirrors = {"https://x.org/": "http://m/", "https://x.org/special/": "http://s/"}
    assert mirrored_url("https://x.org/a.pdf", mirrors) == "http://m/a.pdf"
    assert mirrored_url("https://x.org/special/b.pdf", mirrors) == "http://s/b.pdf"
    assert mirrored_url("https://y.org/c.pdf", mirrors) == "https://y.org/c.pdf"


def test_document_sniffing(corpus_dir, tmp_path):
    html = tmp_path / "error.pdf"
    html.write_bytes(b"<!DOCTYPE html><html><body>Forbidden</body></html>")
    with pytest.raises(NotPdfError, match="HTML page"):
        check_pdf(html)
    pdf = tmp_path / "good.pdf"
    pdf.write_bytes((corpus_dir / "pdf/grobid_two_pages.pdf").read_bytes())
    check_pdf(pdf)
    pmcid, article = pmc_corpus_articles(corpus_dir)[0]
    package = tmp_path / "package.tar.gz"
    package.write_bytes(oa_package(pmcid, article))
    assert jats_bytes(package) == article
    lfs = tmp_path / "lfs.xml"
    lfs.write_bytes((corpus_dir / "jats/odd_git_lfs_pointer_PMC3258128.xml").read_bytes())
    with pytest.raises(Exception) as caught:
        jats_bytes(lfs)
    assert caught.type.__name__ == "GitLfsPointerError"


def test_oversized_documents_are_refused(corpus_dir, tmp_path):
    settings = HttpSettings(max_attempts=1)
    with FeedServer(corpus_dir) as server:
        client = HttpClient(settings, sleep=lambda s: None, session=LoopbackOnlySession())
        with pytest.raises(Exception) as caught:
            client.fetch_to_file(f"{server.url}/pdf/x", None, tmp_path / "x.pdf", 1000.0, 100, check_pdf)
    assert caught.value.reason == "too_large"
    assert not (tmp_path / "x.pdf").exists()


def test_progress_only_on_a_terminal():
    quiet = io.StringIO()
    Progress(quiet).update("pubmed", {"pages": 1, "records": 2, "documents": 0})
    assert quiet.getvalue() == ""

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    progress = Progress(terminal)
    progress.update("pubmed", {"pages": 1, "records": 200, "documents": 3})
    progress.done()
    assert "pubmed: pages 1, records 200, documents 3" in terminal.getvalue()

