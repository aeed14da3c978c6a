"""`cord19 ingest` against the loopback feed server: paging, faults, resumption, documents
(pipeline/ingest/run.py and everything it drives)."""
import hashlib
import io
import json
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from parsers.xmlsafe import parse_xml_bytes
from pipeline.cli import main
from pipeline.ingest import HttpClient, Ingest, IngestError, Progress, load_sources
from schemas import schema_errors
from tests.support.paths import PROJECT_ROOT
from tests.support.feed_server import Fault, FeedServer
from tests.support.feed_sources import LoopbackOnlySession, write_sources
from tests.support.ingest_helpers import expected_ids, run_ingest, snapshot_records

FAULTS = [
    Fault("efetch.fcgi", 2, "429"),
    Fault("/crossref/works", 1, "503"),
    Fault("/arxiv-api/query", 2, "timeout"),
    Fault("/biorxiv-api/", 2, "truncate"),
    Fault("/europepmc/webservices/rest/search", 1, "truncate"),
    Fault("/pdf/arxiv/", 1, "503"),
]


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
