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
