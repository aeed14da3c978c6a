"""HarmonizeMetadata: attach parsed documents to clusters and build one metadata row each.

A document belongs to every cluster that shares one of its identifiers (a PDF shared
by two DOIs goes to both rows, as in CORD-19). A document that matches no cluster in
the release becomes a dead letter. Several documents.jsonl lines for the same file
(same SHA-1 or PMCID) are merged first, their identifiers united.
"""
from collections.abc import Iterable
from dataclasses import dataclass, replace

import apache_beam as beam

from dedup import harmonize_cluster, identifier_keys
from pipeline.stages import DEAD_LETTERS
from schemas.records import dead_letter
from pipeline.stages.metrics import count
from pipeline.stages.parse_documents import ParsedDocument

STAGE = "harmonize_metadata"
ATTACHED = "attached"


def merge_same_file(path_and_docs: tuple[str, Iterable[ParsedDocument]]) -> ParsedDocument:
    """One document per release path; identifiers from every line that named it."""
    _, docs = path_and_docs
    docs = sorted(docs, key=lambda doc: (doc.source, doc.sha1))
    ids: dict = {}
    for doc in docs:
        for key, value in doc.ids.items():
            ids.setdefault(key, value)
    return replace(docs[0], ids=dict(sorted(ids.items())))


def document_ref(doc: ParsedDocument) -> dict:
    """What harmonize_cluster needs to know of an attached document."""
    return {"type": doc.type, "sha1": doc.sha1, "json_path": doc.json_path}


def attach_or_reject(path_and_groups: tuple[str, dict]):
    """For one release path: (cord_uid, doc) per matching cluster, or a dead letter."""
    json_path, groups = path_and_groups
    docs, uids = groups["docs"], sorted(set(groups["uids"]))
    for doc in docs:
        if not uids:
            count(STAGE, "unmatched_documents", doc.source)
            yield beam.pvalue.TaggedOutput(DEAD_LETTERS, dead_letter(
                STAGE, json_path, "Unmatched", "no_matching_paper",
                "no paper in the release shares an identifier with this document", doc.source))
            continue
        yield beam.pvalue.TaggedOutput(ATTACHED, doc)
        for uid in uids:
            yield uid, doc


def build_row(uid_and_groups: tuple[str, dict]) -> dict:
    uid, groups = uid_and_groups
    (cluster,) = groups["cluster"]
    docs = sorted((document_ref(doc) for doc in groups["docs"]), key=lambda ref: ref["json_path"])
    count(STAGE, "rows")
    return harmonize_cluster(cluster, uid, docs)


@dataclass
class HarmonizeMetadata(beam.PTransform):
    """{"assigned": (uid, cluster), "parsed": ParsedDocument} -> rows (main), attached docs, dead letters."""

    def __post_init__(self):
        super().__init__()

    def expand(self, inputs):
        assigned, parsed = inputs["assigned"], inputs["parsed"]
        docs = (
            parsed
            | "KeyByPath" >> beam.Map(lambda doc: (doc.json_path, doc))
            | "GroupByPath" >> beam.GroupByKey()
            | "MergeSameFile" >> beam.Map(merge_same_file)
        )
        doc_keys = docs | "DocumentKeys" >> beam.FlatMap(lambda doc: [(key, doc.json_path) for key in identifier_keys(doc.ids)])
        cluster_keys = assigned | "ClusterKeys" >> beam.FlatMap(lambda pair: [(key, pair[0]) for key in pair[1].keys])
        path_uids = (
            {"paths": doc_keys, "uids": cluster_keys}
            | "JoinOnIdentifier" >> beam.CoGroupByKey()
            | "PathToUid" >> beam.FlatMap(lambda kv: [(path, uid) for path in kv[1]["paths"] for uid in kv[1]["uids"]])
        )
        routed = (
            {"docs": docs | "DocsByPath" >> beam.Map(lambda doc: (doc.json_path, doc)), "uids": path_uids}
            | "JoinOnPath" >> beam.CoGroupByKey()
            | "AttachOrReject" >> beam.FlatMap(attach_or_reject).with_outputs(ATTACHED, DEAD_LETTERS, main="by_uid")
        )
        rows = (
            {"cluster": assigned, "docs": routed.by_uid}
            | "JoinOnUid" >> beam.CoGroupByKey()
            | "BuildRow" >> beam.Map(build_row)
        )
        return {"rows": rows, ATTACHED: routed[ATTACHED], DEAD_LETTERS: routed[DEAD_LETTERS]}
