"""Building source records (schemas/source_record.json) the same way for every feed."""
import html
import json
import re

from lxml import etree

from parsers.errors import check_not_lfs_or_empty
from parsers.feeds.errors import FeedError
from parsers.normalize import normalize_date
from schemas.records import SourceRecord

ID_FIELDS = ("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id", "s2_id")
_TAG = re.compile(r"</?[A-Za-z][\w:.\-]*(?:\s[^<>]*)?/?>")


def load_json_payload(data: bytes) -> object:
    """The decoded JSON of a feed response; FeedError when it is empty or not JSON."""
    check_not_lfs_or_empty(data)
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"not JSON: {exc}") from exc


def clean_text(text: str | None) -> str:
    """Collapse whitespace runs to single spaces and strip."""
    return " ".join(text.split()) if text else ""


def strip_markup(text: str | None) -> str:
    """Plain text of a string holding inline markup and entities (JATS/HTML in JSON fields)."""
    if not text:
        return ""
    return clean_text(html.unescape(_TAG.sub(" ", text)))


def element_text(element: etree._Element | None) -> str:
    """All text inside an XML element (inline markup dropped), whitespace collapsed."""
    if element is None:
        return ""
    return clean_text("".join(element.itertext()))


def make_record(
    *,
    source: str,
    source_id: str,
    ids: dict,
    title: str = "",
    abstract: str = "",
    authors: list[dict] | None = None,
    publish_time: str = "",
    journal: str = "",
    license: str = "unk",
    urls: list[str] | None = None,
    documents: list[dict] | None = None,
    article_type: str = "",
) -> SourceRecord:
    """A source record with every field present, ids complete and lists de-duplicated."""
    record: SourceRecord = {
        "source": source,
        "source_id": source_id,
        "ids": {name: ids.get(name) or None for name in ID_FIELDS},
        "title": clean_text(title),
        "abstract": clean_text(abstract),
        "authors": [a for a in (authors or []) if a["first"] or a["last"]],
        "publish_time": normalize_date(publish_time) if publish_time else "",
        "journal": clean_text(journal),
        "license": license,
        "urls": list(dict.fromkeys(u for u in (urls or []) if u)),
        "documents": _unique_documents(documents or []),
    }
    if article_type:
        record["article_type"] = article_type
    return record


def _unique_documents(documents: list[dict]) -> list[dict]:
    seen = set()
    unique = []
    for document in documents:
        key = (document["type"], document["url"])
        if document["url"] and key not in seen:
            seen.add(key)
            unique.append({"type": document["type"], "url": document["url"]})
    return unique


def doi_url(doi: str | None) -> str:
    """The doi.org URL of a normalised DOI ("" when there is none)."""
    return f"https://doi.org/{doi}" if doi else ""


def pubmed_url(pmid: str | None) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else ""


def pmc_url(pmcid: str | None) -> str:
    return f"https://www.ncbi.nlm.nih.gov/pmc/articles/{pmcid}/" if pmcid else ""


def europepmc_jats_url(pmcid: str) -> str:
    """Where a PMC article's JATS XML can be downloaded (Europe PMC REST fullTextXML)."""
    return f"https://www.ebi.ac.uk/europepmc/webservices/rest/{pmcid}/fullTextXML"
