"""PMC JATS XML to a CORD-19 pmc_json paper, plus the abstract and identifiers for metadata.

`parse_jats(data)` (parsers/jats/article.py) follows JATS's own split: `front` reads
<front> (title, authors, affiliations, emails, ids, journal, date, licence, abstract),
`body` turns <body> into paragraphs with exact cite and ref spans (one span per
citation marker as printed, never overlapping: a range "3–5" gives spans for 3 and 5,
see its docstring for the whole rule), `back` reads the
bibliography, figures, tables and back matter; `math` turns formulas into text,
`html` reads bodies that hold escaped HTML, and `text` has the small text helpers.
The XML is parsed with parsers.xmlsafe (no network, no DTD, no entity expansion); the
paper is built with the builders of schemas/records.py.
"""
from parsers.jats.article import PARSER_VERSION, JatsParse, MultipleArticlesError, NotJatsError, parse_jats

__all__ = ["PARSER_VERSION", "JatsParse", "MultipleArticlesError", "NotJatsError", "parse_jats"]
