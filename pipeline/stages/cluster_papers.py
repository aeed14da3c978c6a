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
from pipeline.stages.gather import GatherAll
from pipeline.stages.metrics import count

STAGE = "cluster_papers"
REPORT = "report"


# What the one-worker linking step needs of a record: (sort key, cluster ids, match
# features, label). The sort key (source, source_id, digest) is the canonical record
# order. A plain tuple, so Beam's coder encodes it without pickling.
LinkInput = tuple[tuple[str, str, str], dict[str, str], tuple, str]


def record_digest(record: dict) -> str:
    """SHA-1 of the record's JSON: joins a record back to its group."""
    return hashlib.sha1(json.dumps(record, sort_keys=True).encode("utf-8")).hexdigest()


def link_input(digest_and_record: tuple[str, dict]) -> LinkInput:
    digest, record = digest_and_record
    return ((*record_sort_key(record), digest), cluster_ids(record.get("ids") or {}),
            tuple(match_features(record)), record_label(record))


def link_all(inputs: list[LinkInput]):
    """Emit (record digest, (group number, joined fuzzily)) per record, and the report entries."""
    ordered = sorted(inputs, key=lambda item: item[0])
    linkage = link_records([ids for _, ids, _, _ in ordered],
                           [MatchFeatures(*features) for _, _, features, _ in ordered],
                           [label for _, _, _, label in ordered])
    count(STAGE, "records", amount=len(ordered))
    count(STAGE, "clusters", amount=len(linkage.groups))
    for number, (group, fuzzy) in enumerate(zip(linkage.groups, linkage.fuzzy)):
        for index in group:
            yield ordered[index][0][2], (number, fuzzy)
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
        keyed = records | "KeyByDigest" >> beam.Map(lambda record: (record_digest(record), record))
        linked = (
            keyed
            | "LinkInputs" >> beam.Map(link_input)
            | "GatherLinkInputs" >> GatherAll()
            | "Link" >> beam.FlatMap(link_all).with_outputs(REPORT, main="groups")
        )
        clusters = (
            {"records": keyed, "groups": linked.groups}
            | "JoinGroups" >> beam.CoGroupByKey()
            | "RecordsWithGroups" >> beam.FlatMap(records_with_groups)
            | "GroupMembers" >> beam.GroupByKey()
            | "BuildCluster" >> beam.Map(build_cluster)
        )
        return {"clusters": clusters, REPORT: linked[REPORT]}
