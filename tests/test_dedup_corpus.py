"""Pairwise quality on the labelled set built from the real CORD-19 rows of the corpus."""
from tests.support.dedup_labelled_set import build_labelled_set, pairwise_quality
from dedup import cluster_records
from schemas import schema_errors

CSV = "cord19/metadata_sample_200rows_final2022.csv"


def _quality(corpus_dir, with_notices):
    records, truth = build_labelled_set(corpus_dir / CSV, with_notices=with_notices)
    assert all(schema_errors("source_record", record) == [] for record in records)
    result = cluster_records(records)
    groups = [[f"{m['source']}:{m['source_id']}" for m in c.members] for c in result.clusters]
    return records, result, pairwise_quality(groups, truth)


def test_labelled_set_precision_and_recall_meet_the_targets(corpus_dir):
    records, result, quality = _quality(corpus_dir, with_notices=False)
    assert len(records) > 250 and quality["true_pairs"] > 100
    assert quality["precision"] >= 0.995
    assert quality["recall"] >= 0.97
    # the WHO entries carry no shared identifier: their joins are fuzzy merges in the report
    assert any(entry["kind"] == "fuzzy_merge" and any(r.startswith("WHO:") for r in entry["records"])
               for entry in result.report)


def test_correction_notices_are_not_merged_with_the_papers_they_correct(corpus_dir):
    records, result, quality = _quality(corpus_dir, with_notices=True)
    assert any(record["source_id"].startswith("erratum-") for record in records)
    assert quality["precision"] >= 0.995
    for cluster in result.clusters:
        if any(m["source_id"].startswith("erratum-") for m in cluster.members):
            assert len(cluster.members) == 1


def test_the_real_who_export_lists_two_papers_twice_and_they_merge(corpus_dir):
    from dedup import cluster_records
    from parsers.feeds import who

    records = who.parse((corpus_dir / "feeds" / "who" / "who_covid19_database_2020-03-18_first150.csv").read_bytes())
    result = cluster_records(records)
    assert len(records) == 150 and len(result.clusters) == 148
    duplicates = sorted((e["key"], e["records"], e["ids"]["who_covidence_id"], e["title_score"], e["author_score"])
                        for e in result.report if e["kind"] == "same_source_duplicate")
    assert duplicates == [
        ("doi:10.1038/d41586-020-00751-9", ["WHO:#8763", "WHO:#9143"], ["#8763", "#9143"], 100.0, 1.0),
        ("doi:10.15252/embr.202050334", ["WHO:#8904", "WHO:#8905"], ["#8904", "#8905"], 100.0, 1.0),
    ]
    assert not [e for e in result.report if e["kind"] == "id_conflict"]
    dois = [c.members[0]["ids"]["doi"] for c in result.clusters if c.members[0]["ids"]["doi"]]
    assert len(dois) == len(set(dois))
