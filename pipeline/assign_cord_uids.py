"""AssignCordUids: clusters -> (cord_uid, cluster), keeping the previous release's ids.

The registry lookup needs every cluster at once (merges and splits compare clusters
with each other), so the clusters are gathered on one worker. The new registry and
the changes (new, removed, merged, split) are tagged outputs.
"""
from dataclasses import dataclass

import apache_beam as beam

from dedup import Registry, assign_cord_uids
from pipeline.metrics import count

STAGE = "assign_cord_uids"
REGISTRY = "registry"
CHANGES = "changes"


def cluster_sort_key(cluster) -> tuple:
    """A total order on clusters, independent of the order Beam delivers them in."""
    return (cluster.keys, [(member["source"], member["source_id"]) for member in cluster.members])


def assign_all(clusters: list, previous_registry_json: str | None):
    """Emit (cord_uid, cluster) pairs, then the registry JSON and the changes."""
    clusters = sorted(clusters, key=cluster_sort_key)
    previous = Registry.from_json(previous_registry_json) if previous_registry_json else None
    assignment = assign_cord_uids(clusters, previous)
    count(STAGE, "new", amount=len(assignment.changes.get("new", [])))
    count(STAGE, "merged", amount=len(assignment.changes.get("merged", [])))
    for uid, cluster in zip(assignment.uids, clusters):
        yield uid, cluster
    yield beam.pvalue.TaggedOutput(REGISTRY, assignment.registry.to_json())
    yield beam.pvalue.TaggedOutput(CHANGES, assignment.changes)


@dataclass
class AssignCordUids(beam.PTransform):
    """Clusters -> (cord_uid, cluster) (main output), `registry` JSON and `changes`."""

    previous_registry_json: str | None = None

    def __post_init__(self):
        super().__init__()

    def expand(self, clusters):
        return (
            clusters
            | "GatherClusters" >> beam.combiners.ToList()
            | "Assign" >> beam.FlatMap(assign_all, self.previous_registry_json).with_outputs(REGISTRY, CHANGES, main="assigned")
        )
