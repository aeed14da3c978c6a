"""ClusterPapers: all source records -> paper clusters (identifiers, then fuzzy matching).

Clustering needs every record at once (union-find over shared identifiers and fuzzy
candidate pairs), so the records are gathered on one worker; see dedup/cluster.py for
how this scales and what it costs per record.
"""
from dataclasses import dataclass

import apache_beam as beam

from dedup import cluster_records
from pipeline.metrics import count

STAGE = "cluster_papers"
REPORT = "report"


def cluster_all(records: list[dict]):
    """Emit every cluster, and every report entry (conflicts, fuzzy merges) as a tagged output."""
    result = cluster_records(records)
    count(STAGE, "records", amount=len(records))
    count(STAGE, "clusters", amount=len(result.clusters))
    for cluster in result.clusters:
        count(STAGE, f"clusters_{cluster.how}")
        yield cluster
    for entry in result.report:
        yield beam.pvalue.TaggedOutput(REPORT, entry)


@dataclass
class ClusterPapers(beam.PTransform):
    """Source records -> Cluster (main output) and dedup report entries (`report`)."""

    def __post_init__(self):
        super().__init__()

    def expand(self, records):
        return (
            records
            | "GatherRecords" >> beam.combiners.ToList()
            | "Cluster" >> beam.FlatMap(cluster_all).with_outputs(REPORT, main="clusters")
        )
