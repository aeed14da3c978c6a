"""HarmonizeMetadata: attach parsed documents to papers, place their parse files, one metadata row each.

A document belongs to every paper that shares one of its identifiers (a PDF shared by
two DOIs goes to both rows, as in CORD-19). A document that matches no paper in the
release becomes a dead letter. Several documents.jsonl lines that give the same release
path (same SHA-1 or PMCID) are merged first, their identifiers united; the parse of
the first of them (by source, then SHA-1) is the one the release keeps. Only
references travel here; the parse of each attached document is then moved from its
staging candidate to its release path (`PlaceParses`), once.
"""
from collections.abc import Iterable
from dataclasses import dataclass, replace

import apache_beam as beam

from dedup import attach_documents, identifier_keys
from pipeline.stages import DEAD_LETTERS, files
from pipeline.stages.metrics import count
from pipeline.stages.parse_documents import ParsedRef
from schemas.records import dead_letter

STAGE = "harmonize_metadata"
PLACED = "placed"


def merge_same_file(path_and_refs: tuple[str, Iterable[ParsedRef]]) -> ParsedRef:
    """One document per release path; identifiers from every line that named it."""
    _, refs = path_and_refs
    refs = sorted(refs, key=lambda ref: (ref.source, ref.sha1, ref.candidate))
    ids: dict = {}
    for ref in refs:
        for key, value in ref.ids.items():
            ids.setdefault(key, value)
    return replace(refs[0], ids=dict(sorted(ids.items())))


def document_fields(ref: ParsedRef) -> dict:
    """What attach_documents needs to know of an attached document."""
    return {"type": ref.type, "sha1": ref.sha1, "json_path": ref.json_path}


def attach_or_reject(path_and_groups: tuple[str, dict]):
    """For one release path: (sort key, document) per matching paper and the ref to place, or a dead letter."""
    json_path, groups = path_and_groups
    refs, papers = groups["refs"], sorted(set(groups["papers"]))
    for ref in refs:
        if not papers:
            count(STAGE, "unmatched_documents", ref.source)
            yield beam.pvalue.TaggedOutput(DEAD_LETTERS, dead_letter(
                STAGE, json_path, "Unmatched", "no_matching_paper",
                "no paper in the release shares an identifier with this document", ref.source))
            continue
        yield beam.pvalue.TaggedOutput(PLACED, ref)
        for sort_key in papers:
            yield sort_key, document_fields(ref)


def build_rows(sort_key_and_groups: tuple[str, dict]):
    """The row of the paper of one sort key, with its cord_uid and documents.

    Only clusters of identical records share a sort key: they are interchangeable, so
    their cord_uids go to them in order.
    """
    _, groups = sort_key_and_groups
    documents = sorted(groups["documents"], key=lambda document: document["json_path"])
    summaries = sorted(groups["summary"], key=lambda summary: sorted(summary.row.items()))
    for uid, summary in zip(sorted(groups["uid"]), summaries):
        count(STAGE, "rows")
        yield attach_documents(summary.row, uid, documents)


class PlaceParse(files.StoreDoFn):
    """Move one attached document's parse from its staging candidate to its release path.

    Idempotent: when a retried bundle finds the candidate gone and the release path
    holding the parse, there is nothing left to do.
    """

    def __init__(self, staging: str, store: tuple[str, ...] = ()):
        super().__init__(store)
        self.staging = staging

    def process(self, ref: ParsedRef):
        source, target = files.join(self.staging, ref.candidate), files.join(self.staging, ref.json_path)
        if files.exists(source):
            files.rename(source, target)
        elif not files.exists(target):
            raise FileNotFoundError(f"{source}: the parse of {ref.json_path} is missing from staging")
        count(STAGE, f"{ref.type}_files")
        yield ref.json_path, ref.size, ref.sha256, ref.member


@dataclass
class HarmonizeMetadata(beam.PTransform):
    """{"summaries": (sort key, PaperSummary), "uids": (sort key, cord_uid), "parsed": ParsedRef}
    -> rows (main), placed parse files, dead letters."""

    staging: str
    store: tuple[str, ...] = ()  # files.store_flags: how workers reach the store

    def __post_init__(self):
        super().__init__()

    def expand(self, inputs):
        summaries, uids, parsed = inputs["summaries"], inputs["uids"], inputs["parsed"]
        refs = (
            parsed
            | "KeyByPath" >> beam.Map(lambda ref: (ref.json_path, ref))
            | "GroupByPath" >> beam.GroupByKey()
            | "MergeSameFile" >> beam.Map(merge_same_file)
        )
        ref_keys = refs | "DocumentKeys" >> beam.FlatMap(
            lambda ref: [(key, ref.json_path) for key in identifier_keys(ref.ids)])
        paper_keys = summaries | "PaperKeys" >> beam.FlatMap(lambda pair: [(key, pair[0]) for key in pair[1].keys])
        path_papers = (
            {"paths": ref_keys, "papers": paper_keys}
            | "JoinOnIdentifier" >> beam.CoGroupByKey()
            | "PathToPaper" >> beam.FlatMap(
                lambda kv: [(path, paper) for path in kv[1]["paths"] for paper in kv[1]["papers"]])
        )
        routed = (
            {"refs": refs | "RefsByPath" >> beam.Map(lambda ref: (ref.json_path, ref)), "papers": path_papers}
            | "JoinOnPath" >> beam.CoGroupByKey()
            | "AttachOrReject" >> beam.FlatMap(attach_or_reject).with_outputs(PLACED, DEAD_LETTERS, main="by_paper")
        )
        rows = (
            {"uid": uids, "summary": summaries, "documents": routed.by_paper}
            | "JoinOnPaper" >> beam.CoGroupByKey()
            | "BuildRows" >> beam.FlatMap(build_rows)
        )
        placed = routed[PLACED] | "PlaceParses" >> beam.ParDo(PlaceParse(self.staging, self.store))
        return {"rows": rows, PLACED: placed, DEAD_LETTERS: routed[DEAD_LETTERS]}
