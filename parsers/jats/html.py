"""<body> elements that hold escaped HTML instead of JATS markup.

SciELO's JATS export wraps each body part's HTML in CDATA, so the XML body has no
elements, only text that is HTML. We parse that text with lxml's HTML parser (no
network; HTML has no entity declarations to expand) and keep its paragraphs in
reading order: <h1>-<h6> and paragraphs that are entirely bold become the section
heading for what follows (flat, as HTML carries no nesting); every other <p> or <li>
with text is a paragraph; markup with none of these is one paragraph. Citations in
such HTML are plain text (no spans).
"""
import re

from lxml import etree
from lxml import html as lxml_html

from parsers.jats.text import clean_text
from schemas.records import Paragraph, paragraph

_HTML_START = re.compile(r"<\s*(p|div|font|h[1-6]|b|table|br|span)\b", re.IGNORECASE)
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
BOLD_TAGS = ("b", "strong")
MAX_HEADING_LENGTH = 150


def holds_escaped_html(body: etree._Element) -> bool:
    """True when `body` has no child elements and its text is HTML markup."""
    return len(body) == 0 and bool(_HTML_START.search(body.text or ""))


def html_paragraphs(markup: str, section: str, out: list[Paragraph]) -> str:
    """Append the paragraphs of an HTML fragment to `out`; return the section in force
    at its end (a heading in one body part carries over to the next)."""
    parser = lxml_html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    document = lxml_html.document_fromstring(f"<html><body>{markup}</body></html>", parser=parser)
    found = False
    for elem in document.iter("p", "li", *HEADING_TAGS):
        found = True
        if elem.tag == "li" and elem.find(".//p") is not None:
            continue
        text = clean_text(elem.text_content())
        if not text:
            continue
        if elem.tag in HEADING_TAGS or _is_bold_heading(elem, text):
            section = text
            continue
        out.append(paragraph(text, section))
    if not found:
        text = clean_text(document.text_content())
        if text:
            out.append(paragraph(text, section))
    return section


def _is_bold_heading(elem: lxml_html.HtmlElement, text: str) -> bool:
    if len(text) > MAX_HEADING_LENGTH:
        return False
    bold = " ".join(clean_text(b.text_content()) for b in elem.iter(*BOLD_TAGS))
    return clean_text(bold) == text
