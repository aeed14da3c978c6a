"""Europe PMC REST search JSON (resultType lite or core) to source records."""
from parsers.feeds.errors import FeedError, FeedRecordError, OnError, handle_bad_item
from parsers.feeds.normalize import normalize_article_type
from parsers.feeds.record import (
    doi_url,
    europepmc_jats_url,
    load_json_payload,
    make_record,
    pmc_url,
    pubmed_url,
    strip_markup,
)
from parsers.normalize import make_author, normalize_date, normalize_license, split_author_name
from schemas.identifiers import normalize_doi, normalize_pmcid, normalize_pmid

SOURCE = "Europe PMC"


def result_items(payload) -> list:
    """The `resultList.result` list of a search response."""
    if not isinstance(payload, dict) or "resultList" not in payload:
        raise FeedError("not a Europe PMC search response (no resultList)")
    results = (payload.get("resultList") or {}).get("result")
    if not isinstance(results, list):
        raise FeedError("Europe PMC resultList.result is not a list")
    return results


def _authors(result: dict) -> list[dict]:
    """Structured authorList (core) when present, else the authorString (lite)."""
    author_list = ((result.get("authorList") or {}).get("author")) or []
    if author_list:
        authors = []
        for author in author_list:
            if author.get("lastName"):
                given = author.get("firstName") or " ".join(author.get("initials") or "")
                authors.append(make_author(given, author["lastName"]))
            elif author.get("collectiveName"):
                authors.append(make_author("", author["collectiveName"]))
        return authors
    author_string = (result.get("authorString") or "").strip().rstrip(".")
    return [split_author_name(name) for name in author_string.split(", ") if name.strip()]


def _journal(result: dict) -> str:
    journal_info = result.get("journalInfo") or {}
    return result.get("journalTitle") or ((journal_info.get("journal") or {}).get("title")) or ""


def _pub_types(result: dict) -> list[str]:
    pub_type_list = (result.get("pubTypeList") or {}).get("pubType")
    if isinstance(pub_type_list, list):
        return pub_type_list
    return [part.strip() for part in (result.get("pubType") or "").split(";")]


def item_to_record(result) -> dict:
    """One search result to a source record."""
    if not isinstance(result, dict):
        raise FeedRecordError("result item is not an object")
    result_id = str(result.get("id") or "").strip()
    origin = str(result.get("source") or "").strip()
    if not result_id or not origin:
        raise FeedRecordError("result without id or source")
    doi = normalize_doi(result.get("doi"))
    pmid = normalize_pmid(result.get("pmid"))
    pmcid = normalize_pmcid(result.get("pmcid"))
    license_value = normalize_license(result.get("license"))
    documents = []
    if pmcid and result.get("isOpenAccess") == "Y":
        documents.append({"type": "jats", "url": europepmc_jats_url(pmcid)})
    for link in ((result.get("fullTextUrlList") or {}).get("fullTextUrl")) or []:
        if link.get("documentStyle") == "pdf" and link.get("availabilityCode") == "OA" and link.get("url"):
            documents.append({"type": "pdf", "url": link["url"]})
    publish_time = normalize_date(result.get("firstPublicationDate")) or normalize_date(result.get("pubYear"))
    return make_record(
        source=SOURCE,
        source_id=f"{origin}:{result_id}",
        ids={"doi": doi, "pubmed_id": pmid, "pmcid": pmcid},
        title=strip_markup(result.get("title")),
        abstract=strip_markup(result.get("abstractText")),
        authors=_authors(result),
        publish_time=publish_time,
        journal=_journal(result),
        license=license_value,
        urls=[doi_url(doi), pubmed_url(pmid), pmc_url(pmcid)],
        documents=documents,
        article_type=normalize_article_type(_pub_types(result)),
    )


def parse(data: bytes, on_error: OnError = None) -> list[dict]:
    """All records of one Europe PMC search response."""
    payload = load_json_payload(data)
    records = []
    for index, result in enumerate(result_items(payload), start=1):
        try:
            records.append(item_to_record(result))
        except FeedRecordError as exc:
            handle_bad_item(exc, f"result #{index}", on_error)
    return records
