"""One metadata.csv row per cluster, from its source records and parsed documents.

The canonical member is the first in this order: has documents, most permissive
licence (`schemas.LICENSES` order), source priority (`SOURCE_PRIORITY`), then
(source, source_id). Each single-valued field comes from the first member (in that
order) that has it, so blanks are filled from the others. `source_x` lists every
source, sorted; `license` is the most permissive found; `publish_time` is the most
precise date of the year most members agree on; `url` every URL known; `sha`,
`pdf_json_files` and `pmc_json_files` every parse attached.
"""
from collections import Counter

from dedup.cluster import Cluster
from dedup.errors import InvalidRecordError
from dedup.ids import normalize_identifier
from schemas import LICENSES, METADATA_COLUMNS

SOURCE_PRIORITY = (
    "PMC", "Medline", "Elsevier", "Springer Nature", "Europe PMC", "Crossref", "BioRxiv", "MedRxiv", "ArXiv", "WHO",
)
ID_COLUMNS = ("doi", "pmcid", "pubmed_id", "mag_id", "who_covidence_id", "arxiv_id", "s2_id")
MULTI_SEPARATOR = "; "


def _license_rank(license_name: str) -> int:
    return LICENSES.index(license_name) if license_name in LICENSES else len(LICENSES)


def _source_rank(source: str) -> int:
    return SOURCE_PRIORITY.index(source) if source in SOURCE_PRIORITY else len(SOURCE_PRIORITY)


def canonical_order(members: list[dict]) -> list[dict]:
    """Members, best first: with documents, most permissive licence, source priority."""
    return sorted(
        members,
        key=lambda m: (
            0 if m.get("documents") else 1,
            _license_rank(m.get("license") or "unk"),
            _source_rank(m["source"]),
            m["source"],
            m["source_id"],
        ),
    )


def format_author(author: dict) -> str:
    """"Last, First Middle" ("Last" alone when there are no given names)."""
    given = " ".join(part for part in [author.get("first") or "", *(author.get("middle") or [])] if part)
    last = author.get("last") or ""
    return f"{last}, {given}" if last and given else (last or given)


def choose_publish_time(dates: list[str]) -> str:
    """The most precise date of the year most members give (ties: canonical order).

    Returns "YYYY-MM-DD" or "YYYY" (a month without a day is written as its year).
    """
    dates = [date for date in dates if date]
    if not dates:
        return ""
    first_seen: dict[str, int] = {}
    for position, date in enumerate(dates):
        first_seen.setdefault(date, position)
        first_seen.setdefault(date[:4], position)
    years = Counter(date[:4] for date in dates)
    year = max(years, key=lambda y: (years[y], -first_seen[y]))
    same_year = Counter(date for date in dates if date[:4] == year)
    best = max(same_year, key=lambda d: (len(d), same_year[d], -first_seen[d]))
    return best if len(best) == 10 else year


def _first_present(values) -> str:
    return next((value for value in values if value), "")


def _unique(values) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


def harmonize_cluster(cluster: Cluster, cord_uid: str, documents: list[dict]) -> dict:
    """The metadata.csv row of one cluster (all 19 columns, strings)."""
    return attach_documents(harmonize_members(cluster), cord_uid, documents)


def harmonize_members(cluster: Cluster) -> dict:
    """The row of one cluster from its source records alone: cord_uid and the parse columns blank.

    The build computes it as soon as a cluster is made, so that the source records need
    not travel further; `attach_documents` completes it.
    """
    members = canonical_order(cluster.members)
    row = dict.fromkeys(METADATA_COLUMNS, "")
    row["source_x"] = MULTI_SEPARATOR.join(sorted({m["source"] for m in members}))
    for column in ("title", "abstract", "journal"):
        row[column] = _first_present((m.get(column) or "").strip() for m in members)
    for column in ID_COLUMNS:
        row[column] = _first_present(normalize_identifier(column, (m.get("ids") or {}).get(column)) for m in members)
    row["license"] = min((m.get("license") or "unk" for m in members), key=_license_rank)
    row["publish_time"] = choose_publish_time([m.get("publish_time") or "" for m in members])
    authors: list[dict] = next((m["authors"] for m in members if m.get("authors")), [])
    row["authors"] = MULTI_SEPARATOR.join(name for name in map(format_author, authors) if name)
    urls: list[str] = []
    for m in members:
        urls += m.get("urls") or []
        urls += [document.get("url") or "" for document in m.get("documents") or []]
    row["url"] = MULTI_SEPARATOR.join(_unique(urls))
    return row


def attach_documents(row: dict, cord_uid: str, documents: list[dict]) -> dict:
    """A copy of a `harmonize_members` row with its cord_uid and the parses attached to it."""
    pdfs = sorted((d for d in documents if d["type"] == "pdf"), key=lambda d: d["sha1"])
    jats = sorted((d for d in documents if d["type"] == "jats"), key=lambda d: d["json_path"])
    unknown = sorted({d["type"] for d in documents} - {"pdf", "jats"})
    if unknown:
        raise InvalidRecordError(f"unknown document type(s) {unknown} for cluster {cord_uid}")
    row = dict(row)
    row["cord_uid"] = cord_uid
    row["sha"] = MULTI_SEPARATOR.join(_unique(d["sha1"] for d in pdfs))
    row["pdf_json_files"] = MULTI_SEPARATOR.join(_unique(d["json_path"] for d in pdfs))
    row["pmc_json_files"] = MULTI_SEPARATOR.join(_unique(d["json_path"] for d in jats))
    return row
