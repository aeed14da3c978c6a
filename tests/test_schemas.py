"""The compiled (fastjsonschema) and the reference (jsonschema) checks of a schema agree."""
import copy

import pytest

from schemas import fast_validator, schema_errors, validator
from tests.support.release_fixtures import make_pdf_paper, make_row

WRONG_VALUES = (None, 7, -1, 2.5, "", "x", [], ["x"], {}, {"x": 1}, True)


def paths(value, prefix=()):
    """Every path (tuple of keys/indexes) inside a JSON value."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, prefix + (index,))


def replaced(record, path, new_value):
    record = copy.deepcopy(record)
    parent = record
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new_value
    return record


def fast_accepts(name, record) -> bool:
    try:
        fast_validator(name)(record)
        return True
    except Exception:
        return False


@pytest.mark.parametrize("name, record", [("pdf_json", make_pdf_paper()), ("metadata_row", make_row("abcd1234"))])
def test_both_checks_agree_on_every_single_field_mutation(name, record):
    assert validator(name).is_valid(record) and fast_accepts(name, record)
    tried = 0
    for path in paths(record):
        if not path:
            continue
        for value in WRONG_VALUES:
            mutant = replaced(record, path, value)
            assert fast_accepts(name, mutant) == validator(name).is_valid(mutant), (path, value)
            tried += 1
    assert tried > 100


def test_a_rejected_record_gets_jsonschema_messages():
    paper = make_pdf_paper()
    del paper["body_text"]
    assert schema_errors("pdf_json", paper) == ["<root>: 'body_text' is a required property"]
