"""arXiv: an export.arxiv.org/api/query answer (the current Atom layout)."""
from lxml import etree

from .data import PAPER, SOURCES
from .markup import sub

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
QUERY = "search_query=submittedDate:[202004010000 TO 202012312359]&id_list=&start=0&max_results=50"
CATEGORIES: dict[str, list[str]] = SOURCES["arxiv"]["categories"]  # paper key -> categories, primary first
REVISED: dict[str, str] = SOURCES["arxiv"]["revised"]  # paper key -> date of the latest version, when there are several


def arxiv_entry(root: etree._Element, key: str) -> None:
    paper = PAPER[key]
    entry = sub(root, f"{{{ATOM}}}entry")
    sub(entry, f"{{{ATOM}}}id", f"http://arxiv.org/abs/{paper.arxiv_id}")
    sub(entry, f"{{{ATOM}}}title", paper.title)
    sub(entry, f"{{{ATOM}}}updated", f"{REVISED.get(key, paper.date)}T12:00:00Z")
    sub(entry, f"{{{ATOM}}}link", href=f"https://arxiv.org/abs/{paper.arxiv_id}", rel="alternate", type="text/html")
    sub(entry, f"{{{ATOM}}}link", href=f"https://arxiv.org/pdf/{paper.arxiv_id}", rel="related",
        type="application/pdf", title="pdf")
    sub(entry, f"{{{ATOM}}}summary", paper.abstract_text)
    for term in CATEGORIES[key]:
        sub(entry, f"{{{ATOM}}}category", term=term, scheme="http://arxiv.org/schemas/atom")
    sub(entry, f"{{{ATOM}}}published", f"{paper.date}T12:00:00Z")
    sub(entry, f"{{{ARXIV}}}primary_category", term=CATEGORIES[key][0])
    if paper.journal:
        sub(entry, f"{{{ARXIV}}}journal_ref", f"{paper.journal_abbrev} {paper.volume}, {paper.pages} ({paper.year})")
    for author in paper.authors:
        author_el = sub(entry, f"{{{ATOM}}}author")
        sub(author_el, f"{{{ATOM}}}name", f"{author.given} {author.last}")
    if paper.doi:
        sub(entry, f"{{{ARXIV}}}doi", paper.doi)
        sub(entry, f"{{{ATOM}}}link", rel="related", href=f"https://doi.org/{paper.doi}", title="doi")


def arxiv_feed(keys: list[str]) -> bytes:
    """An export.arxiv.org/api/query answer listing the papers `keys`."""
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={"opensearch": OPENSEARCH, "arxiv": ARXIV, None: ATOM})
    sub(root, f"{{{ATOM}}}id", "https://arxiv.org/api/sample-snapshot-query")
    sub(root, f"{{{ATOM}}}title", f"arXiv Query: {QUERY}")
    sub(root, f"{{{ATOM}}}updated", "2021-06-01T00:00:00Z")
    sub(root, f"{{{ATOM}}}link", href=f"https://arxiv.org/api/query?{QUERY}", type="application/atom+xml")
    sub(root, f"{{{OPENSEARCH}}}itemsPerPage", "50")
    sub(root, f"{{{OPENSEARCH}}}totalResults", str(len(keys)))
    sub(root, f"{{{OPENSEARCH}}}startIndex", "0")
    for key in keys:
        arxiv_entry(root, key)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
