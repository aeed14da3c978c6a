"""Europe PMC REST search JSON (resultType lite or core) to source records."""
from parsers.feeds.errors import FeedError, FeedRecordError, OnError, convert_items
from parsers.feeds.normalize import normalize_article_type
from parsers.feeds.record import (
    doi_url,
    europepmc_jats_url,
    id_field,
    load_json_payload,
    make_record,
    object_field,
    objects_in,
    pmc_url,
    pubmed_url,
    strings_in,
    strip_markup,
    text_field,
)
from parsers.normalize import make_author, normalize_date, normalize_license, split_author_name
from schemas.identifiers import normalize_doi, normalize_pmcid, normalize_pmid
from schemas.records import DocumentLink, PersonName, SourceRecord

SOURCE = "Europe PMC"


def result_items(payload) -> list:
    """The `resultList.result` list of a search response."""
    if not isinstance(payload, dict) or not isinstance(payload.get("resultList"), dict):
        raise FeedError("not a Europe PMC search response (no resultList)")
    results = payload["resultList"].get("result")
    if not isinstance(results, list):
        raise FeedError("Europe PMC resultList.result is not a list")
    return results


def _authors(result: dict) -> list[PersonName]:
    """Structured authorList (core) when present, else the authorString (lite)."""
    author_list = objects_in(object_field(result, "authorList"), "author")
    if author_list:
        authors = []
        for author in author_list:
            last, collective = text_field(author, "lastName"), text_field(author, "collectiveName")
            if last:
                given = text_field(author, "firstName") or " ".join(text_field(author, "initials"))
                authors.append(make_author(given, last))
            elif collective:
                authors.append(make_author("", collective))
        return authors
    author_string = text_field(result, "authorString").strip().rstrip(".")
    return [split_author_name(name) for name in author_string.split(", ") if name.strip()]


def _journal(result: dict) -> str:
    journal = object_field(object_field(result, "journalInfo"), "journal")
    return text_field(result, "journalTitle") or text_field(journal, "title")


def _pub_types(result: dict) -> list[str]:
    pub_type_list = object_field(result, "pubTypeList")
    if isinstance(pub_type_list.get("pubType"), list):
        return strings_in(pub_type_list, "pubType")
    return [part.strip() for part in text_field(result, "pubType").split(";")]


def _documents(result: dict, pmcid: str | None) -> list[DocumentLink]:
    """The article's JATS (open access with a PMCID) and its open-access PDF links."""
    documents: list[DocumentLink] = []
    if pmcid and result.get("isOpenAccess") == "Y":
        documents.append({"type": "jats", "url": europepmc_jats_url(pmcid)})
    for link in objects_in(object_field(result, "fullTextUrlList"), "fullTextUrl"):
        url = text_field(link, "url")
        if text_field(link, "documentStyle") == "pdf" and text_field(link, "availabilityCode") == "OA" and url:
            documents.append({"type": "pdf", "url": url})
    return documents


def item_to_record(result) -> SourceRecord:
    """One search result to a source record."""
    if not isinstance(result, dict):
        raise FeedRecordError("result item is not an object")
    result_id = id_field(result, "id").strip()
    origin = text_field(result, "source").strip()
    if not result_id or not origin:
        raise FeedRecordError("result without id or source")
    doi = normalize_doi(text_field(result, "doi"))
    pmid = normalize_pmid(id_field(result, "pmid"))
    pmcid = normalize_pmcid(text_field(result, "pmcid"))
    publish_time = normalize_date(result.get("firstPublicationDate")) or normalize_date(result.get("pubYear"))
    return make_record(
        source=SOURCE,
        source_id=f"{origin}:{result_id}",
        ids={"doi": doi, "pubmed_id": pmid, "pmcid": pmcid},
        title=strip_markup(text_field(result, "title")),
        abstract=strip_markup(text_field(result, "abstractText")),
        authors=_authors(result),
        publish_time=publish_time,
        journal=_journal(result),
        license=normalize_license(text_field(result, "license")),
        urls=[doi_url(doi), pubmed_url(pmid), pmc_url(pmcid)],
        documents=_documents(result, pmcid),
        article_type=normalize_article_type(_pub_types(result)),
    )


def parse(data: bytes, on_error: OnError = None) -> list[SourceRecord]:
    """All records of one Europe PMC search response."""
    return list(convert_items(result_items(load_json_payload(data)), item_to_record, "result", on_error))
