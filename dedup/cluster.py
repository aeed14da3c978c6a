"""Cluster source records into papers: identifiers first, then fuzzy matching.

1. Identifier clustering: records sharing any of `ids.CLUSTER_ID_FIELDS` are joined
   (union-find), unless the two groups hold different values for one of those fields;
   then they stay apart and an "id_conflict" is reported. One exception: two records of
   the same source that share a DOI and differ only in that source's own record id
   (`ids.SOURCE_RECORD_ID_FIELDS`: WHO's Covidence id) are one paper listed twice when
   they agree on title and authors (`scoring.score_same_source_duplicate`); they are
   joined and reported as "same_source_duplicate" with the ids and the scores.
2. Fuzzy matching between groups that share no identifier: candidate pairs come only
   from blocks (`blocking`), are scored (`scoring`), and matching pairs are joined best
   first (title score, then author score, then the smaller year gap, then journal
   agreement, then record order), again refusing any join that would create an
   identifier conflict.
   A record whose best matches tie between groups that conflict with each other
   (an entry without DOI matching both a preprint and its journal version) is not
   merged at all ("fuzzy_ambiguous"). Every join is reported with its scores
   ("fuzzy_merge"), every refused one too ("fuzzy_conflict"), and every block too
   large to compare ("oversized_block").

Records are first sorted by (source, source_id) (then by their JSON text, for a
source that lists one id twice) and every later step walks sorted structures, so the
result does not depend on input order.

How it scales in Beam (stage ClusterPapers):
- per record (parallel, ParDo): `match_features`, `cluster_ids`, `identifier_keys`,
  `blocking_keys`; the record itself is then keyed by (source, source_id) and left aside.
- per key (parallel, GroupByKey): for each identifier key, the records holding it
  (identifier edges); for each block key, the block's pairs are generated and scored
  with `score_pair` (match edges). Oversized blocks are dropped there and reported.
- one worker: the union-find over all records (`link_records`), because joins are
  refused on conflicts that only the whole component can see and because the
  best-first order must be global to be deterministic. It holds per record the
  identifiers, the matching features and the label, not the source record: about
  1.3 KB per record at peak in CPython (1,000,000 records: 1.3 GiB peak RSS, 63 s of
  CPU, 0.37 candidate pairs per record; benchmarks/bench_dedup.py), so 10 M records
  need a worker with about 13 GB. Its output (record label -> group number, and
  whether the group was joined fuzzily) is joined back to the records by label;
  `make_cluster` then builds each Cluster per group in parallel, and harmonisation
  runs per cluster.
  Gathering whole source records on that worker instead (ToList + cluster_records)
  costs several KB per record and is only suitable for small builds.
This module's `cluster_records` does all of it in one process, for lists.
"""
import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from dedup.blocking import iter_block_pairs
from dedup.features import MatchFeatures, match_features, record_label, record_sort_key
from dedup.ids import CLUSTER_ID_FIELDS, SOURCE_RECORD_ID_FIELDS, cluster_ids, conflicting_fields, identifier_keys
from dedup.scoring import score_pair, score_same_source_duplicate


@dataclass
class Cluster:
    """One paper: its source records, how they were joined, and its registry keys."""

    members: list[dict]  # sorted by (source, source_id)
    how: str  # "ids", "fuzzy" or "single"
    keys: list[str]  # sorted identifier keys, plus fuzzy and record keys of members without identifiers


@dataclass
class ClusteringResult:
    clusters: list[Cluster]
    report: list[dict] = field(default_factory=list)


@dataclass
class Linkage:
    """Clusters as record indices (each ascending, ordered by first index), and the report."""

    groups: list[list[int]]
    fuzzy: list[bool]  # per group: joined at least once by fuzzy matching
    report: list[dict]


class _Forest:
    """Union-find over record indices that refuses joins with conflicting identifiers."""

    def __init__(self, ids: Sequence[dict[str, str]]):
        self.record_ids = ids
        self.parent = list(range(len(ids)))
        self.ids: list[dict[str, str] | None] = list(ids)  # a group's identifiers, kept at its root
        self.fuzzy = [False] * len(ids)

    def find(self, index: int) -> int:
        parent = self.parent
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def conflicts(self, left_root: int, right_root: int) -> list[str]:
        return conflicting_fields(self.ids[left_root] or {}, self.ids[right_root] or {})  # roots always hold theirs

    def join(self, left_root: int, right_root: int, fuzzy: bool) -> None:
        """Join two roots known not to conflict; the smaller index stays root."""
        root, child = min(left_root, right_root), max(left_root, right_root)
        self.parent[child] = root
        child_ids = self.ids[child]
        if child_ids:
            self.ids[root] = {**child_ids, **(self.ids[root] or {})}
        self.ids[child] = None  # the record's own identifiers stay in record_ids
        self.fuzzy[root] = self.fuzzy[root] or self.fuzzy[child] or fuzzy


def fuzzy_key(features: MatchFeatures, label: str) -> str:
    """The registry key of a record without identifiers: a hash of its title, first
    surname and year ("record:<source>:<source_id>" when it has no title)."""
    if not features.compact:
        return f"record:{label}"
    surname = features.surnames[0] if features.surnames else ""
    text = f"{features.compact}|{surname}|{features.year}"
    return "fuzzy:" + hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


def _link_identifiers(forest: _Forest, features: Sequence[MatchFeatures], labels: Sequence[str],
                      report: list[dict]) -> None:
    """Join records sharing an identifier value, field by field (sorted), value by value (sorted)."""
    for field_name in sorted(CLUSTER_ID_FIELDS):
        first_holder: dict[str, int] = {}
        shared: dict[str, list[int]] = {}
        for index, ids in enumerate(forest.record_ids):
            value = ids.get(field_name)
            if value is not None:
                holder = first_holder.setdefault(value, index)
                if holder != index:
                    shared.setdefault(value, [holder]).append(index)
        del first_holder
        for value in sorted(shared):
            _join_holders(forest, f"{field_name}:{value}", shared[value], features, labels, report)


def _join_holders(forest: _Forest, key: str, members: list[int], features: Sequence[MatchFeatures],
                  labels: Sequence[str], report: list[dict]) -> None:
    """Join the records holding one identifier, each to the first group it does not conflict with
    (or that lists the same paper under another record id of the same source)."""
    anchors: list[int] = []  # one member per group this key has formed so far
    for index in members:
        root = forest.find(index)
        refused: list[str] = []
        for anchor in anchors:
            anchor_root = forest.find(anchor)
            if anchor_root == root:
                break
            fields = forest.conflicts(anchor_root, root)
            if not fields:
                forest.join(anchor_root, root, fuzzy=False)
                break
            evidence = _same_source_duplicate(forest, key, anchor, index, fields, features, labels)
            if evidence is not None:
                forest.join(anchor_root, root, fuzzy=False)
                report.append(evidence)
                break
            refused.extend(fields)
        else:
            if anchors:
                report.append(
                    {
                        "kind": "id_conflict",
                        "key": key,
                        "record": labels[index],
                        "kept_apart_from": sorted(labels[a] for a in anchors),
                        "fields": sorted(set(refused)),
                    }
                )
            anchors.append(index)


def _same_source_duplicate(forest: _Forest, key: str, anchor: int, index: int, fields: list[str],
                           features: Sequence[MatchFeatures], labels: Sequence[str]) -> dict | None:
    """The "same_source_duplicate" report entry when records `anchor` and `index`, which
    share the DOI `key` but conflict on `fields`, are one paper listed twice by one source."""
    if not key.startswith("doi:") or not set(fields) <= SOURCE_RECORD_ID_FIELDS:
        return None
    if labels[anchor].partition(":")[0] != labels[index].partition(":")[0]:
        return None
    score = score_same_source_duplicate(features[anchor], features[index])
    if score is None:
        return None
    return {
        "kind": "same_source_duplicate",
        "key": key,
        "records": [labels[anchor], labels[index]],
        "ids": {name: [forest.record_ids[anchor].get(name), forest.record_ids[index].get(name)] for name in fields},
        "title_score": score.title,
        "author_score": score.authors,
        "year_gap": score.year_gap,
        "rule": score.rule,
    }


def _ambiguous_records(forest: _Forest, matches: list[tuple]) -> dict[int, list[int]]:
    """Records whose best matches tie between groups that conflict with each other
    (a WHO entry without DOI that matches both a preprint and its journal version):
    record -> its tied partners. They are not fuzzy-merged at all."""
    best_rank: dict[int, tuple] = {}
    best_partners: dict[int, list[int]] = {}
    for match in matches:  # best first
        rank, left, right = match[:4], match[4], match[5]
        for record, partner in ((left, right), (right, left)):
            if record not in best_rank:
                best_rank[record], best_partners[record] = rank, [partner]
            elif best_rank[record] == rank:
                best_partners[record].append(partner)
    ambiguous = {}
    for record, partners in best_partners.items():
        roots = sorted({forest.find(partner) for partner in partners})
        if any(forest.conflicts(a, b) for a, b in itertools.combinations(roots, 2)):
            ambiguous[record] = sorted(partners)
    return ambiguous


def _link_fuzzy(
    forest: _Forest, features: Sequence[MatchFeatures], labels: Sequence[str], report: list[dict]
) -> int:
    """Score candidate pairs and join matches best first; return the number of candidate pairs."""
    oversized: list[tuple[str, int]] = []
    candidates = set()
    for left, right in iter_block_pairs(features, oversized):
        if forest.find(left) != forest.find(right):
            candidates.add((left, right))
    for key, size in oversized:
        report.append({"kind": "oversized_block", "key": key, "size": size})
    matches = []
    for left, right in candidates:
        score = score_pair(features[left], features[right])
        if score is not None:
            matches.append((-score.title, -score.authors, score.year_gap, -score.journal, left, right, score))
    matches.sort(key=lambda match: match[:6])
    ambiguous = _ambiguous_records(forest, matches)
    for record, partners in sorted(ambiguous.items()):
        candidate_labels = [labels[p] for p in partners]
        report.append({"kind": "fuzzy_ambiguous", "record": labels[record], "candidates": candidate_labels})
    for *_, left, right, score in matches:
        left_root, right_root = forest.find(left), forest.find(right)
        if left_root == right_root or left in ambiguous or right in ambiguous:
            continue
        entry = {
            "records": [labels[left], labels[right]],
            "title_score": score.title,
            "author_score": score.authors,
            "year_gap": score.year_gap,
            "journal_agreement": score.journal,
            "rule": score.rule,
        }
        fields = forest.conflicts(left_root, right_root)
        if fields:
            report.append({"kind": "fuzzy_conflict", **entry, "fields": fields})
            continue
        forest.join(left_root, right_root, fuzzy=True)
        report.append({"kind": "fuzzy_merge", **entry})
    return len(candidates)


def link_records(
    ids: Sequence[dict[str, str]], features: Sequence[MatchFeatures], labels: Sequence[str]
) -> Linkage:
    """Cluster records given in canonical order by their identifiers and matching features.

    `ids[i]` is `cluster_ids(...)` of record i, `labels[i]` its `record_label`.
    """
    forest = _Forest(ids)
    report: list[dict] = []
    _link_identifiers(forest, features, labels, report)
    candidate_pairs = _link_fuzzy(forest, features, labels, report)
    by_root: dict[int, list[int]] = {}
    for index in range(len(ids)):
        by_root.setdefault(forest.find(index), []).append(index)
    groups = sorted(by_root.values(), key=lambda group: group[0])
    fuzzy = [forest.fuzzy[group[0]] for group in groups]
    report.sort(key=lambda entry: (entry["kind"], json.dumps(entry, sort_keys=True)))
    report.append({"kind": "summary", "records": len(ids), "clusters": len(groups), "candidate_pairs": candidate_pairs})
    return Linkage(groups=groups, fuzzy=fuzzy, report=report)


def canonical_order(records: list[dict]) -> list[dict]:
    """Records sorted by (source, source_id); records sharing both by their JSON text."""
    ordered = sorted(records, key=record_sort_key)
    start = 0
    while start < len(ordered):
        end = start + 1
        while end < len(ordered) and record_sort_key(ordered[end]) == record_sort_key(ordered[start]):
            end += 1
        if end - start > 1:
            ordered[start:end] = sorted(ordered[start:end], key=lambda r: json.dumps(r, sort_keys=True))
        start = end
    return ordered


def make_cluster(members: list[dict], joined_fuzzily: bool) -> Cluster:
    """The Cluster of one group of source records (as `link_records` grouped them)."""
    members = canonical_order(members)
    keys: set[str] = set()
    for member in members:
        member_keys = identifier_keys(member.get("ids") or {})
        if not member_keys:
            label = record_label(member)
            member_keys = sorted({fuzzy_key(match_features(member), label), f"record:{label}"})
        keys.update(member_keys)
    how = "single" if len(members) == 1 else ("fuzzy" if joined_fuzzily else "ids")
    return Cluster(members=members, how=how, keys=sorted(keys))


def cluster_records(records: list[dict]) -> ClusteringResult:
    """Cluster source records into papers (deterministic, whatever the input order)."""
    ordered = canonical_order(records)
    linkage = link_records(
        [cluster_ids(record.get("ids") or {}) for record in ordered],
        [match_features(record) for record in ordered],
        [record_label(record) for record in ordered],
    )
    clusters = [
        make_cluster([ordered[index] for index in group], fuzzy) for group, fuzzy in zip(linkage.groups, linkage.fuzzy)
    ]
    return ClusteringResult(clusters=clusters, report=linkage.report)
