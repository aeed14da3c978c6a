"""The bundled sample snapshot (pipeline/sample_snapshot/) and its generator.

The sample is what `cord19 build` reads by default, so it must be a valid snapshot
(schemas, checksums), cover every source kind in its real format, hold duplicates,
out-of-scope papers, non-papers and broken inputs, and be exactly what
scripts/make_sample_snapshot.py writes.
"""
import hashlib
import importlib.util
import json
import re

import pytest

import schemas
from dedup import cluster_records
from parsers.errors import ParseError
from parsers.feeds import FEED_KINDS, iter_feed_records
from schemas.invariants import paper_problems
from parsers.jats import parse_jats
from tests.support.paths import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "pipeline" / "sample_snapshot"
GENERATOR = PROJECT_ROOT / "scripts" / "make_sample_snapshot.py"
CORD19_TERMS = [
    "COVID", "COVID-19", "Coronavirus", "Corona virus", "2019-nCoV", "SARS-CoV", "MERS-CoV",
    "Severe Acute Respiratory Syndrome", "Middle East Respiratory Syndrome",
]
REAL_KINDS = {"pubmed", "pmc", "biorxiv", "medrxiv", "arxiv", "crossref", "who"}


def load_snapshot() -> dict:
    return json.loads((SAMPLE / "snapshot.json").read_text(encoding="utf-8"))


def load_documents() -> list[dict]:
    return [json.loads(line) for line in (SAMPLE / "documents.jsonl").read_text(encoding="utf-8").splitlines()]


def read_all_records() -> tuple[list[dict], list[ParseError]]:
    records: list[dict] = []
    bad_items: list[ParseError] = []
    for source in load_snapshot()["sources"]:
        for path in source["files"]:
            records += iter_feed_records(source["kind"], str(SAMPLE / path), on_error=bad_items.append)
    return records, bad_items


@pytest.fixture(scope="module")
def feed_records() -> tuple[list[dict], list[ParseError]]:
    return read_all_records()


def test_snapshot_json_is_valid_and_checksums_every_file():
    snapshot = load_snapshot()
    assert schemas.schema_errors("snapshot", snapshot) == []
    on_disk = {
        path.relative_to(SAMPLE).as_posix()
        for path in SAMPLE.rglob("*")
        if path.is_file() and path.name != "snapshot.json"
    }
    assert set(snapshot["files"]) == on_disk
    for path, sha256 in snapshot["files"].items():
        assert hashlib.sha256((SAMPLE / path).read_bytes()).hexdigest() == sha256, path
    assert snapshot["created"] == "2021-06-01T00:00:00Z"  # fixed, never the time of generation


def test_sources_cover_the_real_feed_kinds():
    snapshot = load_snapshot()
    kinds = {source["kind"] for source in snapshot["sources"]}
    assert kinds == REAL_KINDS
    assert kinds <= set(FEED_KINDS)
    for source in snapshot["sources"]:
        assert source["files"], source["name"]
        for path in source["files"]:
            assert path.startswith(f"feeds/{source['name']}/"), path
            assert path in snapshot["files"]


def test_query_is_cord19_scope_query_on_title_and_abstract():
    query = load_snapshot()["query"]
    assert query == {"terms": CORD19_TERMS, "fields": ["title", "abstract"]}


def test_documents_jsonl_lines_match_their_files():
    documents = load_documents()
    assert [line["path"] for line in documents] == sorted(line["path"] for line in documents)
    listed = {line["path"] for line in documents}
    assert listed == {path for path in load_snapshot()["files"] if path.startswith("documents/")}
    for line in documents:
        assert schemas.schema_errors("document_line", line) == [], line["path"]
        data = (SAMPLE / line["path"]).read_bytes()
        assert hashlib.sha1(data).hexdigest() == line["sha1"]
        if line["type"] == "pdf":
            assert line["path"] == f"documents/pdf/{line['sha1']}.pdf"
        else:
            assert line["path"] == f"documents/pmc/{line['ids']['pmcid']}.xml"
    types = [line["type"] for line in documents]
    assert types.count("jats") >= 4 and types.count("pdf") >= 4


def test_sample_is_small():
    total = sum(path.stat().st_size for path in SAMPLE.rglob("*") if path.is_file())
    assert total < 1_000_000


def test_generator_writes_exactly_the_committed_sample(tmp_path):
    pytest.importorskip("reportlab", reason="the generator needs the dev extra (reportlab)")
    spec = importlib.util.spec_from_file_location("make_sample_snapshot", GENERATOR)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    first = generator.build_snapshot()
    assert generator.build_snapshot() == first  # deterministic
    generator.write_snapshot(first, tmp_path / "sample")
    committed = {
        path.relative_to(SAMPLE).as_posix(): path.read_bytes() for path in SAMPLE.rglob("*") if path.is_file()
    }
    written = {
        path.relative_to(tmp_path / "sample").as_posix(): path.read_bytes()
        for path in (tmp_path / "sample").rglob("*") if path.is_file()
    }
    stale = sorted(path for path in committed.keys() | written.keys() if committed.get(path) != written.get(path))
    assert stale == [], "the committed sample is stale: run scripts/make_sample_snapshot.py"


def test_every_feed_record_passes_the_source_record_schema(feed_records):
    records, bad_items = feed_records
    assert len(records) == 61
    for record in records:
        assert schemas.schema_errors("source_record", record) == [], record["source_id"]
    # the one malformed feed record: a PubMed article without its PMID
    assert [type(error).__name__ for error in bad_items] == ["FeedRecordError"]
    assert "PMID" in str(bad_items[0])
    sources = {record["source"] for record in records}
    assert {"Medline", "PMC", "BioRxiv", "MedRxiv", "ArXiv", "WHO", "Elsevier", "Springer Nature", "Crossref"} <= sources


def test_sample_holds_30_to_50_papers_with_duplicates_across_sources(feed_records):
    records, _ = feed_records
    result = cluster_records(records)
    assert 30 <= len(result.clusters) <= 50
    by_size = sorted(len({member["source"] for member in cluster.members}) for cluster in result.clusters)
    assert by_size[-1] >= 4  # one paper from PubMed, PMC, Crossref (Elsevier) and WHO
    assert sum(size >= 2 for size in by_size) >= 10
    fuzzy = [cluster for cluster in result.clusters if cluster.how == "fuzzy"]
    who_without_ids = [
        member for cluster in fuzzy for member in cluster.members
        if member["source"] == "WHO" and not member["ids"]["doi"]
    ]
    assert len(who_without_ids) >= 2


def test_scope_query_drops_some_papers_and_non_papers_are_present(feed_records):
    records, _ = feed_records
    pattern = re.compile("|".join(re.escape(term) for term in CORD19_TERMS), re.IGNORECASE)
    out_of_scope = [record for record in records if not pattern.search(record["title"] + " " + record["abstract"])]
    assert len(out_of_scope) >= 4
    types = [record.get("article_type") for record in records]
    assert types.count("correction") >= 2  # a PubMed erratum and a PMC correction notice
    assert "announcement" in types  # a PMC notice
    assert any(record["title"].startswith("Table of Contents") for record in records)


def test_jats_documents_parse_and_the_broken_one_fails_cleanly():
    parsed = []
    for line in load_documents():
        if line["type"] != "jats":
            continue
        data = (SAMPLE / line["path"]).read_bytes()
        try:
            result = parse_jats(data, fallback_paper_id=line["ids"]["pmcid"])
        except ParseError as error:
            parsed.append((line["path"], error.reason))
            continue
        paper = result.paper
        assert paper["paper_id"] == line["ids"]["pmcid"]
        assert result.ids["pmcid"] == line["ids"]["pmcid"]
        assert schemas.schema_errors("pmc_json", paper) == []
        assert paper_problems(paper) == []
        assert paper["body_text"] and paper["bib_entries"]
        kinds = {entry["type"] for entry in paper["ref_entries"].values()}
        assert "figure" in kinds
        parsed.append((line["path"], "ok"))
    failures = [(path, reason) for path, reason in parsed if reason != "ok"]
    assert failures == [("documents/pmc/PMC99100024.xml", "not_xml")]
    assert len(parsed) - len(failures) >= 4


def test_pdf_documents_parse_and_the_html_page_fails_cleanly():
    sandbox = pytest.importorskip("parsers.pdf.sandbox")
    outcomes = {}
    for line in load_documents():
        if line["type"] != "pdf":
            continue
        data = (SAMPLE / line["path"]).read_bytes()
        try:
            paper = sandbox.parse_pdf(data, time_limit_s=30.0)
        except ParseError as error:
            outcomes[line["path"]] = error.reason
            continue
        assert paper["paper_id"] == line["sha1"]
        assert schemas.schema_errors("pdf_json", paper) == []
        assert paper_problems(paper) == []
        assert len(paper["body_text"]) >= 3 and len(paper["bib_entries"]) >= 2
        outcomes[line["path"]] = "ok"
    failures = {path: reason for path, reason in outcomes.items() if reason != "ok"}
    assert list(failures.values()) == ["not_pdf"]
    assert len(outcomes) - len(failures) >= 4
