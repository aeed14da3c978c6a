"""Hostile full-text inputs of issue #15, built in memory (shared by the parser tests, the
fuzz tests and the build-level fuzz suite).

- `external_entity_xml`: an XXE document whose DOCTYPE sits after a long comment;
- `utf16le_external_entity_xml`: the same, encoded UTF-16LE without a byte-order mark;
- `tei_with_long_prolog`: a valid GROBID-like TEI file whose prolog is longer than 4 KiB;
- `big_jats`: a JATS article of many small paragraphs (15 MB with 300,000 of them).
"""

ENTITY_TARGET = "file:///etc/hostname"


def external_entity_xml(root: str = "article", comment_bytes: int = 70_000, system_id: str = ENTITY_TARGET) -> bytes:
    """`<!-- x... --><!DOCTYPE root [<!ENTITY ext SYSTEM ...>]><root>...&ext;...</root>`."""
    comment = "<!-- " + "x" * comment_bytes + " -->\n" if comment_bytes else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + comment
        + f'<!DOCTYPE {root} [<!ENTITY ext SYSTEM "{system_id}">]>\n'
        + f"<{root}><front><article-meta><title-group><article-title>T&ext;</article-title>"
        + "</title-group></article-meta></front><body><p>x&ext;</p></body></" + root + ">\n"
    ).encode("utf-8")


def utf16le_external_entity_xml(root: str = "article") -> bytes:
    """The XXE document declared and encoded as UTF-16LE, with no byte-order mark."""
    text = external_entity_xml(root, comment_bytes=0).decode("utf-8")
    return text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-le")


def tei_with_long_prolog(prolog_bytes: int = 6000) -> bytes:
    """A small TEI document after an XML declaration, a long comment and a processing instruction."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- ' + "generated " * (prolog_bytes // 10) + "-->\n"
        + '<?xml-model href="tei.rng"?>\n'
        + '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt>'
        + '<title level="a" type="main">A long prolog</title></titleStmt></fileDesc></teiHeader>'
        + "<text><body><div><p>Some text.</p></div></body></text></TEI>\n"
    ).encode("utf-8")


def big_jats(paragraphs: int = 300_000) -> bytes:
    """A JATS article with `paragraphs` short paragraphs (about 50 bytes each)."""
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n<article><front><article-meta>'
            '<article-id pub-id-type="pmc">PMC1</article-id><title-group><article-title>Big</article-title>'
            "</title-group></article-meta></front><body><sec><title>Body</title>\n")
    body = "".join(f"<p>Paragraph {n} of the body, some text.</p>\n" for n in range(paragraphs))
    return (head + body + "</sec></body></article>\n").encode("utf-8")
