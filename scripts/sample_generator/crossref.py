"""Crossref: a /works list answer."""
import calendar
import json

from .data import FULL_TEXTS, PAPER, PDF_PAPERS, SOURCES, Paper
from .jats import LICENSE_URLS
from .pdf import pdf_url

MEMBERS: dict[str, str] = SOURCES["crossref"]["members"]  # publisher -> Crossref member id
ELSEVIER_TDM_LICENSE = "https://www.elsevier.com/tdm/userlicense/1.0/"


def timestamp_ms(date: str, hour: int) -> int:
    """Milliseconds since the epoch of `date` at `hour`:00 UTC (Crossref's "timestamp")."""
    year, month, day = (int(part) for part in date.split("-"))
    return calendar.timegm((year, month, day, hour, 0, 0)) * 1000


def date_parts(date: str) -> dict:
    return {"date-parts": [[int(part) for part in date.split("-")]]}


def crossref_work(paper: Paper) -> dict:
    """The fields every work has, in Crossref's order."""
    return {
        "indexed": {"date-parts": [[2021, 5, 30]], "date-time": "2021-05-30T04:12:09Z", "timestamp": 1622347929000},
        "reference-count": len(FULL_TEXTS[paper.key].references) if paper.key in FULL_TEXTS else 0,
        "publisher": paper.publisher,
        "content-domain": {"domain": [], "crossmark-restriction": False},
        "short-container-title": [paper.journal_abbrev],
        "DOI": paper.doi,
        "type": "other" if paper.article_type == "table-of-contents" else "journal-article",
        "created": date_parts(paper.date)
        | {"date-time": f"{paper.date}T08:00:00Z", "timestamp": timestamp_ms(paper.date, 8)},
        "source": "Crossref",
        "is-referenced-by-count": 0,
        "title": [paper.title],
        "prefix": paper.doi.split("/")[0],
        "member": MEMBERS[paper.publisher],
        "published-online": date_parts(paper.date),
        "container-title": [paper.journal],
        "language": "en",
        "deposited": {"date-parts": [[2021, 5, 1]], "date-time": "2021-05-01T00:00:00Z", "timestamp": 1619827200000},
        "score": 1.0,
        "resource": {"primary": {"URL": f"https://publisher.example.org/article/{paper.doi}"}},
        "issued": date_parts(paper.date),
        "references-count": 0,
        "URL": f"http://dx.doi.org/{paper.doi}",
        "ISSN": [paper.issn],
        "issn-type": [{"value": paper.issn, "type": "electronic"}],
        "published": date_parts(paper.date),
    }


def crossref_item(paper: Paper) -> dict:
    """One work in a Crossref /works list answer: the common fields, then those a work may lack."""
    item = crossref_work(paper)
    if paper.volume:
        item["volume"] = paper.volume
    if paper.issue:
        item["issue"] = paper.issue
    if paper.pages:
        item["page"] = paper.pages
    if paper.abstract:
        item["abstract"] = "".join(
            f"<jats:sec><jats:title>{label}</jats:title><jats:p>{text}</jats:p></jats:sec>"
            if label
            else f"<jats:p>{text}</jats:p>"
            for label, text in paper.abstract
        )
    if paper.authors:
        item["author"] = [
            {"given": a.given, "family": a.last, "sequence": "first" if i == 0 else "additional", "affiliation": []}
            | ({"suffix": a.suffix} if a.suffix else {})
            for i, a in enumerate(paper.authors)
        ]
    if paper.license in LICENSE_URLS:
        item["license"] = [{"start": date_parts(paper.date), "content-version": "vor", "delay-in-days": 0,
                            "URL": LICENSE_URLS[paper.license]}]
    elif paper.publisher == "Elsevier":
        item["license"] = [{"start": date_parts(paper.date), "content-version": "tdm", "delay-in-days": 0,
                            "URL": ELSEVIER_TDM_LICENSE}]
    if PDF_PAPERS.get(paper.key, ("", ""))[0] == paper.publisher:
        item["link"] = [{"URL": pdf_url(paper), "content-type": "application/pdf", "content-version": "vor",
                         "intended-application": "text-mining"}]
    return item


def crossref_list(keys: list[str]) -> bytes:
    """A /works answer listing the papers `keys`."""
    items = [crossref_item(PAPER[key]) for key in keys]
    answer = {
        "status": "ok",
        "message-type": "work-list",
        "message-version": "1.0.0",
        "message": {
            "facets": {},
            "next-cursor": "DnF1ZXJ5VGhlbkZldGNoBgAAAAAAsample",
            "total-results": len(items),
            "items": items,
            "items-per-page": 20,
            "query": {"start-index": 0, "search-terms": None},
        },
    }
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
