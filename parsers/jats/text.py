"""Small text helpers shared by the JATS front, body and back readers."""
from lxml import etree


def clean_text(text: str | None) -> str:
    """Collapse every run of whitespace (including no-break spaces and newlines) to one space."""
    if not text:
        return ""
    return " ".join(text.split())


def element_text(elem: etree._Element | None, skip: frozenset[str] = frozenset()) -> str:
    """The cleaned text of `elem` (its own tail excluded), leaving out subtrees tagged in `skip`.

    Without `skip` this is lxml's C text serialisation, the fastest way to read text.
    """
    if elem is None:
        return ""
    if not len(elem):
        text = elem.text
    elif not skip:
        text = etree.tostring(elem, method="text", encoding=str, with_tail=False)
    else:
        parts: list[str] = []
        _collect_text(elem, skip, parts)
        text = "".join(parts)
    return " ".join(text.split()) if text else ""


def _collect_text(elem: etree._Element, skip: frozenset[str], parts: list[str]) -> None:
    if elem.text:
        parts.append(elem.text)
    for child in elem:
        if isinstance(child.tag, str) and child.tag not in skip:
            _collect_text(child, skip, parts)
        if child.tail:
            parts.append(child.tail)


def first_child(elem: etree._Element, tag: str) -> etree._Element | None:
    """The first child tagged `tag`, like elem.find(tag) but without ElementPath's overhead."""
    return next(elem.iterchildren(tag), None)


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


def raw_text(elem: etree._Element) -> str:
    """All text inside `elem` (tail excluded), whitespace untouched."""
    if not len(elem):
        return elem.text or ""
    return etree.tostring(elem, method="text", encoding=str, with_tail=False)


# Inline formatting that carries no meaning for plain text; flattened in C before the
# body is walked (the walk then meets far fewer elements). Formulas are text by then.
INLINE_MARKUP = (
    "italic", "bold", "sup", "sub", "sc", "underline", "overline", "monospace", "roman",
    "sans-serif", "strike", "named-content", "styled-content", "ext-link", "uri", "email",
    "abbrev", "inline-formula", "fixed-case", "target", "x",
)


XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def strip_inline_markup(article: etree._Element) -> None:
    """Replace inline formatting elements by their content, in place. An empty link
    (<ext-link xlink:href="..."/>) is shown by its address first, as a reader sees it."""
    for link in article.iter("ext-link", "uri"):
        if not len(link) and not (link.text or "").strip() and link.get(XLINK_HREF):
            link.text = link.get(XLINK_HREF)
    etree.strip_tags(article, *INLINE_MARKUP)
