"""ClusterPapers: the Beam stage finds the clusters `dedup.cluster_records` finds."""
import apache_beam as beam

from dedup import cluster_records
from parsers.feeds import iter_feed_records
from pipeline.snapshot import bundled_sample_snapshot, feed_files, load_snapshot
from pipeline.stages.cluster_papers import REPORT, ClusterPapers
from tests.support.beam_helpers import run_and_collect


def test_cluster_papers_finds_the_same_clusters_as_cluster_records_on_the_sample(tmp_path):
    snapshot_dir = bundled_sample_snapshot()
    records = [
        record
        for feed in feed_files(load_snapshot(snapshot_dir))
        for record in iter_feed_records(feed.kind, str(snapshot_dir / feed.path), on_error=lambda error: None)
    ]
    expected = cluster_records(records)

    def build_clusters(p):
        clustered = p | beam.Create(records) | ClusterPapers()
        return {"clusters": clustered["clusters"], "report": clustered[REPORT]}

    out = run_and_collect(tmp_path, build_clusters,
                          beam_args=("--direct_running_mode=multi_processing", "--direct_num_workers=2"))

    def shape(clusters):
        return sorted((tuple(c.keys), c.how, tuple(m["source_id"] for m in c.members)) for c in clusters)

    assert shape(out["clusters"]) == shape(expected.clusters)
    assert any(c.how == "fuzzy" for c in out["clusters"])
    assert sorted(map(repr, out["report"])) == sorted(map(repr, expected.report))
