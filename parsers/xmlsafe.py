"""Parsing untrusted XML: no network, no DTD loading, no entity expansion."""
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


def parse_xml_bytes(data: bytes) -> etree._Element:
    """Parse `data` as XML and return the root element.

    Raises EmptyInputError / GitLfsPointerError for non-files, UnsafeXmlError when
    the document declares entities (billion laughs, external entities), and
    NotXmlError when it is not well-formed XML.
    """
    check_not_lfs_or_empty(data)
    if b"<!ENTITY" in data[:65536]:
        raise UnsafeXmlError("the XML declares entities in its DTD (entity expansion is refused)")
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(**SAFE_SETTINGS))
    except etree.XMLSyntaxError as exc:
        raise NotXmlError(f"not well-formed XML: {exc}") from exc
    if root is None:
        raise NotXmlError("no root element")
    return root


def iterparse_safe(source, tag=None, events=("end",)):
    """An lxml iterparse over a file or file-like object with the same safety settings."""
    return etree.iterparse(source, events=events, tag=tag, **SAFE_SETTINGS)
