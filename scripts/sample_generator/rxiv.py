"""bioRxiv / medRxiv: answers of the api.biorxiv.org `details` endpoint."""
import json

from .data import PAPER, Author

RXIV_LICENSES = {
    "cc-by": "cc_by",
    "cc-by-nc": "cc_by_nc",
    "cc-by-nd": "cc_by_nd",
    "cc-by-nc-nd": "cc_by_nc_nd",
    "no-cc": "cc_no",
}


def rxiv_author(author: Author) -> str:
    """"Mwangi, D. K." as the details API writes names."""
    return f"{author.last}, " + " ".join(f"{part[0]}." for part in author.given.replace("-", " ").split())


def rxiv_entry(server: str, key: str) -> dict:
    paper = PAPER[key]
    corresponding = paper.authors[0]
    year, month, day = paper.date.split("-")
    return {
        "doi": paper.doi,
        "title": paper.title,
        "authors": "; ".join(rxiv_author(author) for author in paper.authors),
        "author_corresponding": f"{corresponding.given} {corresponding.last}",
        "author_corresponding_institution": "Northbridge University",
        "date": paper.date,
        "version": "1",
        "type": "new results" if server == "biorxiv" else "PUBLISHAHEADOFPRINT",
        "license": RXIV_LICENSES[paper.license],
        "category": paper.category.lower() if server == "biorxiv" else paper.category,
        "jatsxml": f"https://www.{server}.org/content/early/{year}/{month}/{day}/{paper.doi.split('/')[1]}.source.xml",
        "abstract": paper.abstract_text,
        "published": "NA",
        "server": server,
    }


def rxiv_details(server: str, keys: list[str], interval: str) -> bytes:
    """An api.biorxiv.org /details/<server>/<interval> answer (messages + collection)."""
    collection = [rxiv_entry(server, key) for key in keys]
    answer = {
        "messages": [{
            "status": "ok",
            "interval": interval,
            "cursor": 0,
            "count": len(collection),
            "count_new_papers": str(len(collection)),
            "total": str(len(collection)),
        }],
        "collection": collection,
    }
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
