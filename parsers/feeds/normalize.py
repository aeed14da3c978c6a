"""Normal forms only the feed parsers need: the article type from a source's type labels.

Identifiers are normalised by schemas/identifiers.py; dates, author names and
licences by parsers/normalize.py (the JATS parser needs them too).
"""

# Article-type labels of PubMed, Europe PMC, Crossref and JATS, most specific first.
_ARTICLE_TYPES = (
    ("correction", ("published erratum", "erratum", "correction", "correction-forward")),
    ("retraction", ("retraction of publication", "retraction notice", "retraction")),
    ("table-of-contents", ("table of contents", "table-of-contents", "index")),
    ("editorial", ("editorial",)),
    ("news", ("news", "newspaper article")),
    ("letter", ("letter",)),
    ("comment", ("comment", "commentary", "article-commentary")),
    ("review-article", ("review", "review-article", "systematic review", "meta-analysis")),
    ("preprint", ("preprint", "posted-content")),
    ("research-article", ("journal article", "journal-article", "research-article", "proceedings-article")),
)


def normalize_article_type(labels: list[str]) -> str:
    """One article type ("research-article", "correction", ...) from a source's type labels.

    The most specific known label wins (an erratum tagged "Journal Article" too is a
    correction); unknown labels alone give the first one, lower-cased and hyphenated.
    """
    lowered = [" ".join(label.lower().split()) for label in labels if label and label.strip()]
    for article_type, names in _ARTICLE_TYPES:
        if any(label in names for label in lowered):
            return article_type
    return lowered[0].replace(" ", "-") if lowered else ""
