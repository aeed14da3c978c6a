"""AssignCordUids: clusters -> (cord_uid, PaperSummary), keeping the previous release's ids.

Right away each cluster becomes a `PaperSummary`: its metadata row built from its
source records (`harmonize_members`) and its registry keys. The source records go no
further, so what travels on is one small row per paper.

The registry lookup needs every cluster at once (merges and splits compare clusters
with each other), so one worker gets every summary's sort key and registry keys. It
reads the previous release's registry from that release's location (never through the
graph), writes the new `cord_uid_registry.json` straight into the staging folder, and
emits (sort key, cord_uid) pairs, which HarmonizeMetadata joins with the summaries, and
the changes the changelog lists (merged, split and retired ids).
"""
from dataclasses import dataclass

import apache_beam as beam

from dedup import Cluster, Registry, assign_cord_uids, harmonize_members
from pipeline.stages import files
from pipeline.stages.gather import GatherAll
from pipeline.stages.metrics import count
from release.layout import REGISTRY

STAGE = "assign_cord_uids"
CHANGES = "changes"
REGISTRY_WRITTEN = "registry_written"


@dataclass(frozen=True)
class PaperSummary:
    """One paper without its source records: what the rest of the build needs of a cluster."""

    keys: list[str]  # its registry keys (Cluster.keys)
    how: str  # "ids", "fuzzy" or "single"
    members: int  # how many source records it merges
    row: dict  # harmonize_members(cluster): the metadata row, cord_uid and parse columns blank


def cluster_sort_key(cluster: Cluster) -> str:
    """A total order on clusters, independent of the order Beam delivers them in.

    Only clusters made of identical records share a sort key; they are interchangeable.
    """
    labels = [f"{member['source']}:{member['source_id']}" for member in cluster.members]
    return "\n".join(cluster.keys) + "\n--\n" + "\n".join(labels)


def summarize(cluster: Cluster) -> tuple[str, PaperSummary]:
    """(sort key, summary) of one cluster."""
    summary = PaperSummary(keys=cluster.keys, how=cluster.how, members=len(cluster.members),
                           row=harmonize_members(cluster))
    return cluster_sort_key(cluster), summary


def read_registry(previous_release: str | None) -> Registry | None:
    """The previous release's registry, read from its location (None without one)."""
    if not previous_release:
        return None
    path = files.join(previous_release, REGISTRY)
    return Registry.from_json(files.read_bytes(path).decode("utf-8")) if files.exists(path) else None


class AssignAll(files.StoreDoFn):
    """Every cluster's (sort key, keys, how), on one worker -> (sort key, cord_uid) pairs, registry, changes."""

    def __init__(self, previous_release: str | None, staging: str, store: tuple[str, ...] = ()):
        super().__init__(store)
        self.previous_release = previous_release
        self.staging = staging

    def process(self, keyed: list[tuple[str, list[str], str]]):
        yield from assign_all(keyed, self.previous_release, self.staging)


def assign_all(keyed: list[tuple[str, list[str], str]], previous_release: str | None, staging: str):
    """Emit (sort key, cord_uid) pairs; write the registry into staging; then the changes."""
    keyed = sorted(keyed)
    clusters = [Cluster(members=[], how=how, keys=keys) for _, keys, how in keyed]
    assignment = assign_cord_uids(clusters, read_registry(previous_release))
    count(STAGE, "new", amount=len(assignment.changes.get("new", [])))
    count(STAGE, "merged", amount=len(assignment.changes.get("merged", [])))
    for (sort_key, _, _), uid in zip(keyed, assignment.uids):
        yield sort_key, uid
    files.write_bytes(files.join(staging, REGISTRY), assignment.registry.to_json().encode("utf-8"))
    yield beam.pvalue.TaggedOutput(REGISTRY_WRITTEN, REGISTRY)
    changelog_changes = {key: value for key, value in assignment.changes.items()
                         if key in ("merged", "split", "removed")}
    yield beam.pvalue.TaggedOutput(CHANGES, changelog_changes)


@dataclass
class AssignCordUids(beam.PTransform):
    """Clusters -> (sort key, PaperSummary) `summaries`, (sort key, cord_uid) `uids`, `changes`, `registry_written`.

    HarmonizeMetadata joins the uids, the summaries and the documents by sort key at once.
    """

    staging: str
    previous_release: str | None = None
    store: tuple[str, ...] = ()  # files.store_flags: how workers reach the store

    def __post_init__(self):
        super().__init__()

    def expand(self, clusters):
        summaries = clusters | "Summarize" >> beam.Map(summarize)
        assigned = (
            summaries
            | "KeysOnly" >> beam.MapTuple(lambda sort_key, summary: (sort_key, summary.keys, summary.how))
            | "GatherKeys" >> GatherAll()
            | "Assign" >> beam.ParDo(AssignAll(self.previous_release, self.staging, self.store))
            .with_outputs(REGISTRY_WRITTEN, CHANGES, main="uids")
        )
        return {"summaries": summaries, "uids": assigned.uids, REGISTRY_WRITTEN: assigned[REGISTRY_WRITTEN],
                CHANGES: assigned[CHANGES]}
