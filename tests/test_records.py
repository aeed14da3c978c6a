"""schemas.records: the paper model's builders write the keys in the order of the CORD-19 files."""
from schemas import schema_errors
from schemas.records import (
    affiliation,
    author,
    bib_entry,
    paper,
    paper_json_bytes,
    mention_span,
    paragraph,
    person_name,
    pmc_ref_entry,
    ref_entry,
    span,
    table_entry,
)


def test_paper_parts_keep_the_cord19_key_order():
    name = person_name("Ada", ["M"], "Lovelace", "")
    assert list(name) == ["first", "middle", "last", "suffix"]
    assert list(author(name, {}, None)) == ["first", "middle", "last", "suffix", "affiliation", "email"]
    assert affiliation("Lab", "Uni") == {"laboratory": "Lab", "institution": "Uni", "location": {}}
    assert list(affiliation("Lab", "Uni", {"country": "UK"})) == ["laboratory", "institution", "location"]
    assert list(span(0, 3, "[1]", "BIBREF0")) == ["start", "end", "text", "ref_id"]
    assert list(mention_span(0, 3, "[1]", "BIBREF0")) == ["start", "end", "mention", "ref_id"]
    assert list(paragraph("Text.", "Intro")) == ["text", "cite_spans", "ref_spans", "section"]
    assert list(bib_entry("b0")) == ["ref_id", "title", "authors", "year", "venue", "volume", "issn", "pages",
                                     "other_ids"]
    assert list(bib_entry(None)) == ["title", "authors", "year", "venue", "volume", "issn", "pages", "other_ids"]
    assert list(ref_entry("Fig. 1", "figure")) == ["text", "latex", "type"]
    assert table_entry("Table 1", None) == {"text": "Table 1", "latex": None, "type": "table"}
    assert table_entry("Table 1", "<table></table>")["html"] == "<html><body><table></table></body></html>"
    assert pmc_ref_entry("Figure 1: A.", "figure") == {"text": "Figure 1: A.", "type": "figure"}
    assert list(pmc_ref_entry("Table 1: A.\n", "table", "<table></table>")) == ["text", "type", "html"]


def test_a_paper_has_an_abstract_only_when_given_one():
    parts = dict(body_text=[paragraph("Body.", "")], bib_entries={}, ref_entries={}, back_matter=[])
    pmc = paper("PMC1", "A title", [], **parts)
    pdf = paper("a" * 40, "A title", [], abstract=[paragraph("Abstract.", "Abstract")], **parts)
    assert list(pmc) == ["paper_id", "metadata", "body_text", "bib_entries", "ref_entries", "back_matter"]
    assert list(pdf) == ["paper_id", "metadata", "abstract", "body_text", "bib_entries", "ref_entries", "back_matter"]
    assert schema_errors("pmc_json", pmc) == [] and schema_errors("pdf_json", pdf) == []
    assert paper_json_bytes(pmc).startswith(b'{"paper_id": "PMC1", "metadata": {"title": "A title", "authors": []}')
