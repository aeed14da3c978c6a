"""ClusterPapers: all source records -> paper clusters (identifiers, then fuzzy matching).

As dedup/cluster.py describes: each record's identifiers and matching features are
computed in parallel; only those small tuples (not the records) are gathered on one
worker for `link_records` (union-find, best-first fuzzy joins, ~1.3 KB per record);
the resulting group of each record is joined back to the record by its digest, and
each Cluster is built per group in parallel. The clusters are the same as those of
`dedup.cluster_records` on the whole list.
"""
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

import apache_beam as beam

from dedup.cluster import Cluster, link_records, make_cluster
from dedup.features import MatchFeatures, match_features, record_label, record_sort_key
from dedup.ids import cluster_ids
from pipeline.stages.metrics import count

STAGE = "cluster_papers"
REPORT = "report"


@dataclass(frozen=True)
class LinkInput:
    """What the one-worker linking step needs of a record."""

    sort_key: tuple[str, str, str]  # (source, source_id, digest): the canonical record order
    ids: dict[str, str]
    features: MatchFeatures
    label: str


def record_digest(record: dict) -> str:
    """SHA-1 of the record's JSON: joins a record back to its group."""
    return hashlib.sha1(json.dumps(record, sort_keys=True).encode("utf-8")).hexdigest()


def link_input(record: dict) -> LinkInput:
    return LinkInput(
        sort_key=(*record_sort_key(record), record_digest(record)),
        ids=cluster_ids(record.get("ids") or {}),
        features=match_features(record),
        label=record_label(record),
    )


def link_all(inputs: list[LinkInput]):
    """Emit (record digest, (group number, joined fuzzily)) per record, and the report entries."""
    ordered = sorted(inputs, key=lambda item: item.sort_key)
    linkage = link_records([i.ids for i in ordered], [i.features for i in ordered], [i.label for i in ordered])
    count(STAGE, "records", amount=len(ordered))
    count(STAGE, "clusters", amount=len(linkage.groups))
    for number, (group, fuzzy) in enumerate(zip(linkage.groups, linkage.fuzzy)):
        for index in group:
            yield ordered[index].sort_key[2], (number, fuzzy)
    for entry in linkage.report:
        yield beam.pvalue.TaggedOutput(REPORT, entry)


def records_with_groups(digest_and_groups: tuple[str, dict]):
    """(group, record) for each record of one digest (identical records pair with their groups in order)."""
    _, joined = digest_and_groups
    records = sorted(joined["records"], key=lambda record: json.dumps(record, sort_keys=True))
    return list(zip(sorted(joined["groups"]), records))


def build_cluster(group_and_members: tuple[tuple[int, bool], Iterable[dict]]) -> Cluster:
    (_, fuzzy), members = group_and_members
    cluster = make_cluster(list(members), fuzzy)
    count(STAGE, f"clusters_{cluster.how}")
    return cluster


@dataclass
class ClusterPapers(beam.PTransform):
    """Source records -> Cluster (main output) and dedup report entries (`report`)."""

    def __post_init__(self):
        super().__init__()

    def expand(self, records):
        linked = (
            records
            | "LinkInputs" >> beam.Map(link_input)
            | "GatherLinkInputs" >> beam.combiners.ToList()
            | "Link" >> beam.FlatMap(link_all).with_outputs(REPORT, main="groups")
        )
        keyed = records | "KeyByDigest" >> beam.Map(lambda record: (record_digest(record), record))
        clusters = (
            {"records": keyed, "groups": linked.groups}
            | "JoinGroups" >> beam.CoGroupByKey()
            | "RecordsWithGroups" >> beam.FlatMap(records_with_groups)
            | "GroupMembers" >> beam.GroupByKey()
            | "BuildCluster" >> beam.Map(build_cluster)
        )
        return {"clusters": clusters, REPORT: linked[REPORT]}
