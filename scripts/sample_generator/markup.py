"""The inline markers of the full texts, and small lxml helpers shared by the XML writers.

Paragraphs carry {c:1} {c:2-4} {c:1,3} (citations of the full text's references, by
number), {f:1} (a figure) and {t:1} (a table).
"""
import re

from lxml import etree

MARKER = re.compile(r"\{([cft]):([^}]+)\}")
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def cite_numbers(spec: str) -> list[int]:
    """"2-4" -> [2, 3, 4]; "1,3" -> [1, 3]; "5" -> [5]."""
    if "-" in spec:
        first, last = spec.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(part) for part in spec.split(",")]


def cite_label(spec: str) -> str:
    """The printed citation marker: "[2–4]", "[1, 3]", "[5]"."""
    if "-" in spec:
        first, last = spec.split("-")
        return f"[{first}–{last}]"
    return "[" + ", ".join(spec.split(",")) + "]"


def plain_text(text: str) -> str:
    """A marked-up paragraph as printed text (used for the PDFs)."""

    def replace(match: re.Match) -> str:
        kind, spec = match.groups()
        if kind == "c":
            return cite_label(spec)
        return ("Figure " if kind == "f" else "Table ") + spec

    return MARKER.sub(replace, text)


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """Append a child element with optional text and attributes (`_` in names becomes `-`)."""
    element = etree.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def append_text(parent: etree._Element, text: str) -> None:
    """Append text after the last child of `parent` (mixed content)."""
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def xml_bytes(root: etree._Element, doctype: str, pretty: bool) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype=doctype, pretty_print=pretty)
