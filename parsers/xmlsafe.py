"""Parsing untrusted XML: no network, no DTD loading, no entity expansion.

A document that declares entities in its internal DTD subset (billion laughs, external
entities) is refused with UnsafeXmlError. The check asks the parser itself, after it
has read the DOCTYPE (lxml's `docinfo.internalDTD`), so it does not depend on where
the DOCTYPE sits (after a long comment, say) or on the encoding (UTF-16 without a
byte-order mark): the parser, not a byte scan, decides what the document declares.
Parsing is safe before the check runs: no entity is ever substituted or fetched. When
libxml2 itself stops at an entity loop or at its entity amplification limit (billion
laughs), that is UnsafeXmlError too.
"""
from collections.abc import Iterator

from lxml import etree

from parsers.errors import NotXmlError, UnsafeXmlError, check_not_lfs_or_empty

# No entity expansion, no network, no DTD; the same settings for whole-document and streamed parsing.
SAFE_SETTINGS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}
_CHUNK_BYTES = 65536


def is_entity_abuse(exc: etree.XMLSyntaxError) -> bool:
    """Whether libxml2 refused the document for an entity loop or its entity amplification limit."""
    if exc.code == etree.ErrorTypes.ERR_ENTITY_LOOP:
        return True
    return exc.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT and "amplification" in str(exc)


def check_no_entity_declarations(tree: etree._ElementTree) -> None:
    """Raise UnsafeXmlError when the document's internal DTD subset declares any entity."""
    dtd = tree.docinfo.internalDTD
    if dtd is None:
        return
    names = [entity.name for entity in dtd.iterentities()]
    if names:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise UnsafeXmlError(f"the XML declares entities in its DTD ({shown}); entity expansion is refused")


def parse_xml_bytes(data: bytes) -> etree._Element:
    """Parse `data` as XML and return the root element.

    Raises EmptyInputError / GitLfsPointerError for non-files, UnsafeXmlError when
    the document declares entities (billion laughs, external entities), and
    NotXmlError when it is not well-formed XML.
    """
    check_not_lfs_or_empty(data)
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(**SAFE_SETTINGS))
    except etree.XMLSyntaxError as exc:
        if is_entity_abuse(exc):
            raise UnsafeXmlError(f"the XML abuses entities ({exc}); entity expansion is refused") from exc
        raise NotXmlError(f"not well-formed XML: {exc}") from exc
    if root is None:
        raise NotXmlError("no root element")
    check_no_entity_declarations(root.getroottree())
    return root


def iterparse_safe(source, tag=None, events=("end",)) -> Iterator[tuple[str, etree._Element]]:
    """An lxml iterparse over a file or file-like object with the same safety settings.

    The DOCTYPE comes before any element, so the entity check runs on the first event,
    before anything is handed out. Raises UnsafeXmlError, or lxml's XMLSyntaxError for a
    document that is not well-formed.
    """
    checked = False
    try:
        for event, element in etree.iterparse(source, events=events, tag=tag, **SAFE_SETTINGS):
            if not checked:
                check_no_entity_declarations(element.getroottree())
                checked = True
            yield event, element
    except etree.XMLSyntaxError as exc:
        if is_entity_abuse(exc):
            raise UnsafeXmlError(f"the XML abuses entities ({exc}); entity expansion is refused") from exc
        raise


def root_name(data: bytes) -> str | None:
    """The local name of the root element, read by the parser whatever the prolog and encoding.

    Only the bytes up to the root's start tag are parsed; None when the input has no
    root element the parser can reach (not XML, or broken before the root).
    """
    parser = etree.XMLPullParser(events=("start",), **SAFE_SETTINGS)
    try:
        for offset in range(0, len(data), _CHUNK_BYTES):
            parser.feed(data[offset:offset + _CHUNK_BYTES])
            for _event, element in parser.read_events():
                return _local_name(element.tag)
        parser.close()
    except etree.XMLSyntaxError:
        pass
    for _event, element in parser.read_events():  # the root start tag came before the error
        return _local_name(element.tag)
    return None


def _local_name(tag: str) -> str:
    """"article" of "{ns}article", "tei:TEI" (an undeclared prefix) or "article"."""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]
