"""Parser-level fuzzing (issue #15): the corpus feed files, JATS and TEI files and the sample
snapshot's feed files, mutated with fixed seeds (tests/support/mutators.py), must give
only typed errors (ParseError subclasses), account for every feed record, and give only
valid records and papers. The loop and its checks are tests/support/parser_fuzz.py;
`python -m tests.support.parser_fuzz` prints the tallies. Bounded: about 15 s in all.
"""
import json

import pytest

from tests.support.feed_accounting import account
from tests.support.mutators import TYPE_POOL
from tests.support.parser_fuzz import (
    JATS_ELEMENTS,
    TEI_ELEMENTS,
    corpus_feed_files,
    fuzz_document,
    fuzz_feed_file,
    sample_feed_files,
)
from tests.support.paths import corpus_path

FEED_SEEDS = range(3)
DOCUMENT_SEEDS = range(2)
CORPUS = corpus_path()
CORPUS_FEEDS = corpus_feed_files(CORPUS) if (CORPUS / "feeds").is_dir() else []
JSON_FEEDS = [(kind, path) for kind, path in CORPUS_FEEDS + sample_feed_files()
              if kind in ("biorxiv", "medrxiv", "crossref", "europepmc")]


def file_id(value) -> str:
    return str(value).rsplit("/", 1)[-1]


@pytest.mark.parametrize("kind, path", CORPUS_FEEDS + sample_feed_files(), ids=file_id)
def test_mutated_feed_files_give_typed_errors_and_lose_no_record(corpus_dir, tmp_path, kind, path):
    tally = fuzz_feed_file(kind, path.read_bytes(), tmp_path, FEED_SEEDS)
    assert tally.problems == []
    assert tally.tried > 0


@pytest.mark.parametrize("folder, elements", [("jats", JATS_ELEMENTS), ("tei", TEI_ELEMENTS)])
def test_mutated_full_texts_give_typed_errors_or_valid_papers(corpus_dir, folder, elements):
    for path in sorted((corpus_dir / folder).iterdir()):
        tally = fuzz_document(path.read_bytes(), elements, DOCUMENT_SEEDS)
        assert tally.problems == [], path.name


def first_item(kind: str, payload) -> dict | None:
    """The first item (the JSON object a record is made of) of a feed response."""
    if kind in ("biorxiv", "medrxiv"):
        items = payload if isinstance(payload, list) else payload["collection"]
    elif kind == "crossref":
        items = [payload["message"]] if payload["message-type"] == "work" else payload["message"]["items"]
    else:
        items = payload["resultList"]["result"]
    return items[0] if items else None


@pytest.mark.parametrize("kind, path", JSON_FEEDS, ids=file_id)
def test_any_type_in_any_field_of_the_first_item_is_isolated(tmp_path, kind, path):
    """Systematically: every field of the first record (and of its nested objects), every type."""
    payload = json.loads(path.read_bytes())
    item = first_item(kind, payload)
    if item is None:
        pytest.skip("a response without items")
    objects = [item] + [value for value in item.values() if isinstance(value, dict)]
    objects += [member for value in item.values() if isinstance(value, list) for member in value[:1] if isinstance(member, dict)]
    problems = []
    for target in objects:
        for key in list(target):
            saved = target[key]
            for value in TYPE_POOL:
                target[key] = value
                result = account(kind, json.dumps(payload).encode("utf-8"), tmp_path)
                problems += [f"{key}={value!r}: {problem}" for problem in result.problems()]
                problems += [f"{key}={value!r}: {error}" for error in result.errors if "unforeseen" in str(error)]
                if result.file_error is not None:
                    problems.append(f"{key}={value!r}: the whole file was refused: {result.file_error}")
            target[key] = saved
    assert problems == []
