"""FilterByQuery: the scope query per paper cluster, and every dropped member as a dead letter."""
import apache_beam as beam

from dedup import Cluster
from pipeline.stages import DEAD_LETTERS
from pipeline.stages.filter_by_query import FilterByQuery, compile_query, drop_reason
from tests.support.beam_helpers import run_and_collect

QUERY = {"terms": ["COVID-19", "SARS-CoV", "Coronavirus"], "fields": ["title", "abstract"]}


def record(source: str, source_id: str, title: str, abstract: str = "", article_type: str = "research-article") -> dict:
    return {"source": source, "source_id": source_id, "title": title, "abstract": abstract, "article_type": article_type}


def cluster(*members: dict) -> Cluster:
    return Cluster(members=list(members), how="ids" if len(members) > 1 else "single", keys=[m["source_id"] for m in members])


def test_drop_reason_matches_any_member_case_insensitively():
    pattern = compile_query(QUERY)
    fields = ("title", "abstract")
    in_scope = [record("WHO", "#1", "Masks in clinics"), record("Medline", "1", "Masks", "during the covid-19 outbreak")]
    assert drop_reason(in_scope, pattern, fields) is None
    assert drop_reason([record("WHO", "#2", "Bridges of Paris")], pattern, fields) == "out_of_scope"
    assert drop_reason([record("PMC", "PMC1", "Coronavirus issue", article_type="table-of-contents")], pattern, fields) == "not_a_paper"
    assert drop_reason([record("WHO", "#3", "Anything")], compile_query(None), fields) is None
    assert drop_reason([record("Crossref", "10.1/toc", "Table of Contents: COVID-19 issue", article_type="other")], pattern, fields) == "not_a_paper"
    assert drop_reason([record("Crossref", "10.1/i", "Index patients in SARS-CoV-2 clusters")], pattern, fields) is None
    assert drop_reason([record("PMC", "PMC2", "Correction: SARS-CoV-2 spread", article_type="correction")], pattern, fields) is None


def test_filter_by_query_sends_every_dropped_member_to_dead_letters(tmp_path):
    clusters = [
        cluster(record("WHO", "#1", "Masks"), record("Medline", "11", "Masks", "SARS-CoV-2 spread")),
        cluster(record("ArXiv", "2001.00001", "Graph colouring"), record("Crossref", "10.1/x", "Graph colouring")),
        cluster(record("PMC", "PMC9", "Coronavirus news", article_type="table-of-contents")),
    ]
    out = run_and_collect(tmp_path, lambda p: (lambda r: {"kept": r.kept, "dead": r[DEAD_LETTERS]})(
        p | beam.Create(clusters) | FilterByQuery(QUERY)))
    assert [c.members[0]["source_id"] for c in out["kept"]] == ["#1"]
    reasons = sorted((d["input"], d["reason"]) for d in out["dead"])
    assert reasons == [("ArXiv:2001.00001", "out_of_scope"), ("Crossref:10.1/x", "out_of_scope"), ("PMC:PMC9", "not_a_paper")]
