"""Building source records (schemas/source_record.json) the same way for every feed.

- `load_json_payload` reads a JSON response, the one edge where text can hold lone
  surrogates ("\\ud800" escapes): each becomes U+FFFD (`replace_lone_surrogates`), so a
  record is always encodable as UTF-8. XML and CSV text never holds them (libxml2 and
  strict UTF-8 decoding refuse them).
- `text_field`, `id_field`, `object_field`, `list_field` and `objects_in` read one
  field of a JSON item with the type the parser expects; another type is a
  FeedRecordError that names the field.
- `make_record` builds the record; a text field over MAX_FIELD_CHARS is a FeedRecordError.
"""
import html
import json
import re
import sys
from collections.abc import Iterable
from typing import Any

from lxml import etree

from parsers.errors import check_not_lfs_or_empty
from parsers.feeds.errors import FeedError, FeedRecordError
from parsers.normalize import normalize_date
from schemas.records import DocumentLink, PersonName, SourceRecord

ID_FIELDS = ("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id", "s2_id")
# The longest text field a record may hold (characters): 8 times the csv module's default
# field limit, far above any real title or abstract.
MAX_FIELD_CHARS = 1_048_576
_TAG = re.compile(r"</?[A-Za-z][\w:.\-]*(?:\s[^<>]*)?/?>")
_SURROGATE = re.compile("[\ud800-\udfff]")  # json pairs up valid surrogates: any left is lone
_MAY_HOLD_SURROGATES = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
_INT_DIGITS_LIMIT = sys.get_int_max_str_digits() or sys.maxsize  # 4,300 by default; 0 is no limit


def replace_lone_surrogates(text: str) -> str:
    """`text` with every lone UTF-16 surrogate replaced by U+FFFD (the replacement character)."""
    return _SURROGATE.sub("\ufffd", text)


def _without_lone_surrogates(payload: object) -> object:
    """The decoded JSON `payload` with lone surrogates replaced in every string and key."""
    if isinstance(payload, str):
        return replace_lone_surrogates(payload)
    root = [payload]
    stack: list[dict | list] = [root]
    while stack:
        container = stack.pop()
        if isinstance(container, dict):
            entries = list(container.items())
            container.clear()
            for key, value in entries:
                container[replace_lone_surrogates(key)] = value
            keys: Iterable[Any] = list(container)
        else:
            keys = range(len(container))
        for key in keys:
            value = container[key]
            if isinstance(value, str):
                container[key] = replace_lone_surrogates(value)
            elif isinstance(value, (dict, list)):
                stack.append(value)
    return root[0]


def _parse_int(text: str) -> int | float:
    """A JSON integer; one too long for int() (4,300 digits by default) becomes a float (inf)."""
    return int(text) if len(text) <= _INT_DIGITS_LIMIT else float(text)


def load_json_payload(data: bytes) -> object:
    """The decoded JSON of a feed response, lone surrogates replaced by U+FFFD.

    FeedError when it is empty, not UTF-8 (RFC 8259: a JSON response is UTF-8; a byte
    that is not is a damaged response, refused whole) or not JSON (too deeply nested too).
    """
    check_not_lfs_or_empty(data)
    try:
        payload = json.loads(data, parse_int=_parse_int)
    except UnicodeDecodeError as exc:
        raise FeedError(f"not UTF-8 JSON: {exc}") from exc
    except ValueError as exc:
        raise FeedError(f"not JSON: {exc}") from exc
    except RecursionError as exc:
        raise FeedError("not JSON this parser reads: nested too deeply") from exc
    if _MAY_HOLD_SURROGATES.search(data):
        payload = _without_lone_surrogates(payload)
    return payload


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    names = {dict: "an object", list: "a list", str: "a string", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def text_field(item: dict, key: str) -> str:
    """The string at `key` of a JSON object ("" when absent or null)."""
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FeedRecordError(f"{key!r} is {_type_name(value)}, not a string")
    return value


def id_field(item: dict, key: str) -> str:
    """An identifier at `key`: a string, or an integer given as a number ("" when absent)."""
    value = item.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text_field(item, key)


def object_field(item: dict, key: str) -> dict:
    """The JSON object at `key` ({} when absent or null)."""
    value = item.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FeedRecordError(f"{key!r} is {_type_name(value)}, not an object")
    return value


def list_field(item: dict, key: str) -> list:
    """The JSON list at `key` ([] when absent or null)."""
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise FeedRecordError(f"{key!r} is {_type_name(value)}, not a list")
    return value


def objects_in(item: dict, key: str) -> list[dict]:
    """The list of JSON objects at `key`; a member that is not an object is a FeedRecordError."""
    values = list_field(item, key)
    for index, value in enumerate(values):
        if not isinstance(value, dict):
            raise FeedRecordError(f"{key!r}[{index}] is {_type_name(value)}, not an object")
    return values


def strings_in(item: dict, key: str) -> list[str]:
    """The list of strings at `key` (a lone string counts as a list of one)."""
    value = item.get(key)
    if isinstance(value, str):
        return [value]
    values = list_field(item, key)
    for index, member in enumerate(values):
        if not isinstance(member, str):
            raise FeedRecordError(f"{key!r}[{index}] is {_type_name(member)}, not a string")
    return values


def clean_text(text: str | None) -> str:
    """Collapse whitespace runs to single spaces and strip."""
    return " ".join(text.split()) if text else ""


def strip_markup(text: str | None) -> str:
    """Plain text of a string holding inline markup and entities (JATS/HTML in JSON fields)."""
    if not text:
        return ""
    return clean_text(html.unescape(_TAG.sub(" ", text)))


def element_text(element: etree._Element | None) -> str:
    """All text inside an XML element (inline markup dropped), whitespace collapsed."""
    if element is None:
        return ""
    return clean_text("".join(element.itertext()))


def make_record(
    *,
    source: str,
    source_id: str,
    ids: dict,
    title: str = "",
    abstract: str = "",
    authors: list[PersonName] | None = None,
    publish_time: str = "",
    journal: str = "",
    license: str = "unk",
    urls: list[str] | None = None,
    documents: list[DocumentLink] | None = None,
    article_type: str = "",
) -> SourceRecord:
    """A source record with every field present, ids complete and lists de-duplicated."""
    record: SourceRecord = {
        "source": source,
        "source_id": source_id,
        "ids": {name: ids.get(name) or None for name in ID_FIELDS},
        "title": clean_text(title),
        "abstract": clean_text(abstract),
        "authors": [a for a in (authors or []) if a["first"] or a["last"]],
        "publish_time": normalize_date(publish_time) if publish_time else "",
        "journal": clean_text(journal),
        "license": license,
        "urls": list(dict.fromkeys(u for u in (urls or []) if u)),
        "documents": _unique_documents(documents or []),
    }
    if article_type:
        record["article_type"] = article_type
    _check_field_sizes(record)
    return record


def _check_field_sizes(record: SourceRecord) -> None:
    """FeedRecordError when a text of the record is longer than MAX_FIELD_CHARS."""
    texts = [("title", record["title"]), ("abstract", record["abstract"]), ("journal", record["journal"]),
             ("source_id", record["source_id"])]
    texts += [("url", url) for url in record["urls"]] + [("document url", d["url"]) for d in record["documents"]]
    texts += [("author", part) for author in record["authors"] for part in (author["first"], author["last"])]
    for name, text in texts:
        if len(text) > MAX_FIELD_CHARS:
            raise FeedRecordError(f"the {name} is {len(text):,} characters long, over the limit of {MAX_FIELD_CHARS:,}")


def _unique_documents(documents: list[DocumentLink]) -> list[DocumentLink]:
    seen = set()
    unique: list[DocumentLink] = []
    for document in documents:
        key = (document["type"], document["url"])
        if document["url"] and key not in seen:
            seen.add(key)
            unique.append({"type": document["type"], "url": document["url"]})
    return unique


def doi_url(doi: str | None) -> str:
    """The doi.org URL of a normalised DOI ("" when there is none)."""
    return f"https://doi.org/{doi}" if doi else ""


def pubmed_url(pmid: str | None) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else ""


def pmc_url(pmcid: str | None) -> str:
    return f"https://www.ncbi.nlm.nih.gov/pmc/articles/{pmcid}/" if pmcid else ""


def europepmc_jats_url(pmcid: str) -> str:
    """Where a PMC article's JATS XML can be downloaded (Europe PMC REST fullTextXML)."""
    return f"https://www.ebi.ac.uk/europepmc/webservices/rest/{pmcid}/fullTextXML"
