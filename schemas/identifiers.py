"""Normal forms of paper identifiers: DOI, PMCID, PMID, arXiv id, WHO Covidence id.

Every feed parser, the JATS parser and dedup use these, so that the same paper gets
the same identifiers whatever source it came from. Each normaliser returns None for a
value that is not an identifier of that kind.
"""
import re
from urllib.parse import unquote

_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/|(?:dx\.)?doi\.org/)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{3,9}(?:\.\d+)*/\S+$")
MAX_DOI_CHARS = 2048  # far beyond any registered DOI; longer values are not DOIs
# Numeric ids have at most 18 digits: they fit int64 (metadata.parquet's pubmed_id) and int().
_PMCID = re.compile(r"^(?:PMC)?\s*(\d{1,18})(?:\.\d+)?$", re.IGNORECASE)
_PMID = re.compile(r"^(?:PMID:?\s*)?(\d{1,18})(?:\.0+)?$", re.IGNORECASE)
_ARXIV_PREFIX = re.compile(r"^(?:arxiv:\s*|https?://(?:export\.)?arxiv\.org/(?:abs|pdf)/)", re.IGNORECASE)
_ARXIV_NEW = re.compile(r"^(\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?$")
_ARXIV_OLD = re.compile(r"^([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?$", re.IGNORECASE)
_COVIDENCE = re.compile(r"^(?:covidence\s*)?#?\s*(\d{1,18})$", re.IGNORECASE)


def normalize_doi(value: str | None) -> str | None:
    """A bare lower-case DOI ("10.x/y"), without doi.org URL or "doi:" prefix."""
    if not value or len(value) > MAX_DOI_CHARS:
        return None
    text = value.strip()
    while _DOI_PREFIX.match(text):  # also "doi:https://doi.org/10..."
        text = unquote(_DOI_PREFIX.sub("", text, count=1)).strip()
    text = text.strip().rstrip(".").lower()
    return text if _DOI.match(text) else None


def normalize_pmcid(value: str | int | None) -> str | None:
    """"PMC" + digits, from "PMC123", "pmc123", "123" or a versioned "PMC123.1"."""
    if value is None:
        return None
    match = _PMCID.match(str(value).strip())
    if not match or int(match.group(1)) == 0:
        return None
    return f"PMC{int(match.group(1))}"


def normalize_pmid(value: str | int | None) -> str | None:
    """A PubMed id as digits, from "123", 123, "123.0" (spreadsheet) or "PMID: 123"."""
    if value is None:
        return None
    match = _PMID.match(str(value).strip())
    if not match or int(match.group(1)) == 0:
        return None
    return str(int(match.group(1)))


def normalize_arxiv_id(value: str | None) -> str | None:
    """An arXiv id without version or URL: "2004.10706", "hep-th/9901001"."""
    if not value:
        return None
    text = _ARXIV_PREFIX.sub("", value.strip())
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        match = pattern.match(text)
        if match:
            return match.group(1)
    return None


def normalize_covidence_id(value: str | int | None) -> str | None:
    """A WHO Covidence id as "#digits", from "#8973", "8973" or 8973."""
    if value is None:
        return None
    match = _COVIDENCE.match(str(value).strip())
    return f"#{int(match.group(1))}" if match else None
