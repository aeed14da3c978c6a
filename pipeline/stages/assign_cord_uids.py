"""AssignCordUids: clusters -> (cord_uid, cluster), keeping the previous release's ids.

The registry lookup needs every cluster at once (merges and splits compare clusters
with each other), so one worker gets every cluster's registry keys: the clusters
themselves, with their source records, stay where they are and are joined back by
their sort key. The new registry and the changes (new, removed, merged, split) are
tagged outputs.
"""
from dataclasses import dataclass, replace

import apache_beam as beam

from dedup import Cluster, Registry, assign_cord_uids
from pipeline.stages.metrics import count

STAGE = "assign_cord_uids"
REGISTRY = "registry"
CHANGES = "changes"


def cluster_sort_key(cluster: Cluster) -> str:
    """A total order on clusters, independent of the order Beam delivers them in.

    Only clusters made of identical records share a sort key; they are interchangeable.
    """
    labels = [f"{member['source']}:{member['source_id']}" for member in cluster.members]
    return "\n".join(cluster.keys) + "\n--\n" + "\n".join(labels)


def keys_only(cluster: Cluster) -> tuple[str, Cluster]:
    """(sort key, the cluster without its members): all the registry needs to see."""
    return cluster_sort_key(cluster), replace(cluster, members=[])


def assign_all(keyed: list[tuple[str, Cluster]], previous_registry_json: str | None):
    """Emit (sort key, cord_uid) pairs, then the registry JSON and the changes."""
    keyed = sorted(keyed, key=lambda pair: pair[0])
    previous = Registry.from_json(previous_registry_json) if previous_registry_json else None
    assignment = assign_cord_uids([cluster for _, cluster in keyed], previous)
    count(STAGE, "new", amount=len(assignment.changes.get("new", [])))
    count(STAGE, "merged", amount=len(assignment.changes.get("merged", [])))
    for (sort_key, _), uid in zip(keyed, assignment.uids):
        yield sort_key, uid
    yield beam.pvalue.TaggedOutput(REGISTRY, assignment.registry.to_json())
    yield beam.pvalue.TaggedOutput(CHANGES, assignment.changes)


def uids_and_clusters(sort_key_and_joined: tuple[str, dict]) -> list[tuple[str, Cluster]]:
    """(cord_uid, cluster) for the cluster(s) of one sort key."""
    _, joined = sort_key_and_joined
    return list(zip(sorted(joined["uid"]), joined["cluster"]))


@dataclass
class AssignCordUids(beam.PTransform):
    """Clusters -> (cord_uid, cluster) (main output), `registry` JSON and `changes`."""

    previous_registry_json: str | None = None

    def __post_init__(self):
        super().__init__()

    def expand(self, clusters):
        assigned = (
            clusters
            | "KeysOnly" >> beam.Map(keys_only)
            | "GatherKeys" >> beam.combiners.ToList()
            | "Assign" >> beam.FlatMap(assign_all, self.previous_registry_json).with_outputs(REGISTRY, CHANGES, main="uids")
        )
        keyed = clusters | "KeyBySortKey" >> beam.Map(lambda cluster: (cluster_sort_key(cluster), cluster))
        pairs = (
            {"uid": assigned.uids, "cluster": keyed}
            | "JoinUids" >> beam.CoGroupByKey()
            | "UidAndCluster" >> beam.FlatMap(uids_and_clusters)
        )
        return {"assigned": pairs, REGISTRY: assigned[REGISTRY], CHANGES: assigned[CHANGES]}
