"""FilterByQuery: keep paper clusters that match the snapshot's scope query and are papers.

The query comes from snapshot.json (`{"terms": [...], "fields": ["title", "abstract"]}`);
no query means no filter. A cluster is in scope when any member's title or abstract
matches any term, case-insensitively, so a WHO row without an abstract stays with its
PubMed twin. Clusters whose members are all non-papers (tables of contents, indexes,
notices, by article type or title) are dropped; corrections and retractions stay,
marked by their article type. Every dropped member becomes a dead letter with the reason.
"""
import re
from dataclasses import dataclass

import apache_beam as beam

from dedup import Cluster
from pipeline.stages import DEAD_LETTERS
from pipeline.stages.metrics import count
from schemas.records import dead_letter

STAGE = "filter_by_query"
DEFAULT_FIELDS = ("title", "abstract")
NON_PAPER_TYPES = frozenset({"table-of-contents", "index", "notice", "announcement", "calendar", "books-received"})
# Some feeds have no type for these (Crossref calls a table of contents "other"): catch them by title.
NON_PAPER_TITLE = re.compile(
    r"^\s*(table of contents|issue information|front matter|back matter|masthead|editorial board)\b"
    r"|^\s*(contents|index|notices?|cover)\s*$",
    re.IGNORECASE,
)


def is_non_paper(record: dict) -> bool:
    """A table of contents, index, notice or the like, by article type or by title."""
    if (record.get("article_type") or "") in NON_PAPER_TYPES:
        return True
    return bool(NON_PAPER_TITLE.search(record.get("title") or ""))


def compile_query(query: dict | None) -> re.Pattern | None:
    """One case-insensitive pattern matching any term, or None when there is no query."""
    terms = (query or {}).get("terms") or []
    if not terms:
        return None
    return re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)


def record_matches(record: dict, pattern: re.Pattern, fields: tuple[str, ...]) -> bool:
    return any(pattern.search(record.get(name) or "") for name in fields)


def drop_reason(members: list[dict], pattern: re.Pattern | None, fields: tuple[str, ...]) -> str | None:
    """Why a cluster leaves the release ("not_a_paper" / "out_of_scope"), or None to keep it."""
    if all(is_non_paper(member) for member in members):
        return "not_a_paper"
    if pattern is not None and not any(record_matches(member, pattern, fields) for member in members):
        return "out_of_scope"
    return None


@beam.typehints.with_output_types(Cluster)
class FilterClusters(beam.DoFn):
    def __init__(self, query: dict | None):
        self.query = query
        self.pattern: re.Pattern | None = None
        self.fields = DEFAULT_FIELDS

    def setup(self):
        self.pattern = compile_query(self.query)
        fields = (self.query or {}).get("fields", DEFAULT_FIELDS)
        self.fields = tuple(name for name in fields if name != "body_text") or DEFAULT_FIELDS

    def process(self, cluster):
        reason = drop_reason(cluster.members, self.pattern, self.fields)
        if reason is None:
            count(STAGE, "kept")
            yield cluster
            return
        for member in cluster.members:
            count(STAGE, reason, member["source"])
            message = ("no title or abstract matches the scope query" if reason == "out_of_scope"
                       else f"not a research paper (article type {member.get('article_type')!r}, "
                            f"title {member.get('title')!r})")
            yield beam.pvalue.TaggedOutput(DEAD_LETTERS, dead_letter(
                STAGE, f"{member['source']}:{member['source_id']}", "Filtered", reason, message, member["source"]))


@dataclass
class FilterByQuery(beam.PTransform):
    """Clusters -> clusters in scope (main output) and dead letters."""

    query: dict | None

    def __post_init__(self):
        super().__init__()

    def expand(self, clusters):
        return clusters | "Filter" >> beam.ParDo(FilterClusters(self.query)).with_outputs(DEAD_LETTERS, main="kept")
