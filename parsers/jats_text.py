"""Small text helpers shared by the JATS front, body and back readers."""
import re

from lxml import etree

_WHITESPACE = re.compile(r"\s+")


def clean_text(text: str | None) -> str:
    """Collapse every run of whitespace (including no-break spaces and newlines) to one space."""
    if not text:
        return ""
    return _WHITESPACE.sub(" ", text).strip()


def element_text(elem: etree._Element | None, skip: frozenset[str] = frozenset()) -> str:
    """The cleaned text of `elem` (its own tail excluded), leaving out subtrees tagged in `skip`."""
    if elem is None:
        return ""
    if not skip:
        return clean_text("".join(elem.itertext()))
    parts: list[str] = []
    _collect_text(elem, skip, parts)
    return clean_text("".join(parts))


def _collect_text(elem: etree._Element, skip: frozenset[str], parts: list[str]) -> None:
    if elem.text:
        parts.append(elem.text)
    for child in elem:
        if isinstance(child.tag, str) and child.tag not in skip:
            _collect_text(child, skip, parts)
        if child.tail:
            parts.append(child.tail)


def local_name(elem: etree._Element) -> str:
    """The tag without its namespace ("{...MathML}mi" -> "mi"); "" for non-elements."""
    tag = elem.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


# Children after which words must not fuse when their texts are joined.
BLOCKISH = frozenset({"p", "title", "label", "caption", "fn", "sec", "list", "list-item", "def-item",
                      "media", "attrib", "table-wrap-foot", "fn-group"})


def block_text(elem: etree._Element | None, skip: frozenset[str] = frozenset()) -> str:
    """Like element_text, but block children (title, p, fn, ...) are joined with a space,
    so "<title>Results.</title><p>Mean" reads "Results. Mean", never "Results.Mean"."""
    if elem is None:
        return ""
    if not any(child.tag in BLOCKISH for child in elem):
        return element_text(elem, skip)
    parts = [clean_text(elem.text)]
    for child in elem:
        if isinstance(child.tag, str) and child.tag not in skip:
            parts.append(block_text(child, skip))
        parts.append(clean_text(child.tail))
    return " ".join(part for part in parts if part)
