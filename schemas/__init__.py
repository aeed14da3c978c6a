"""Versioned JSON Schemas of every record the pipeline reads or writes.

`load_schema("pdf_json")` returns the schema dict; `schema_errors(name, record)` the
problems of a record (none when it is valid); `schema_versions()` every schema's version
(written to the release manifest). Schema files are package data, read with
importlib.resources.

A record is checked by fastjsonschema's compiled validator of the same schema file
(about 25 times faster than jsonschema on a full-text parse: it is on the build's hot
path); only a record it rejects is checked again with jsonschema, whose messages say
every problem and where.
"""
import functools
import json
from collections.abc import Callable
from importlib import resources

import fastjsonschema
import jsonschema

SCHEMA_NAMES = (
    "cord_uid_registry",
    "dead_letter",
    "document_line",
    "manifest",
    "metadata_row",
    "pdf_json",
    "pmc_json",
    "snapshot",
    "source_record",
)


@functools.lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    """Return the JSON Schema called `name` (a file `schemas/<name>.json`)."""
    text = resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


@functools.lru_cache(maxsize=None)
def validator(name: str) -> jsonschema.protocols.Validator:
    """A compiled validator for schema `name`, built once per process."""
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@functools.lru_cache(maxsize=None)
def fast_validator(name: str) -> Callable[[object], object]:
    """fastjsonschema's compiled check of schema `name`, built once per process."""
    return fastjsonschema.compile(load_schema(name))


def schema_errors(name: str, record: object) -> list[str]:
    """Readable messages for every way `record` breaks schema `name` (empty when valid)."""
    try:
        fast_validator(name)(record)
        return []
    except fastjsonschema.JsonSchemaValueException as exc:
        fast_message = f"{exc.path}: {exc.message}" if getattr(exc, "path", None) else str(exc)
    errors = sorted(validator(name).iter_errors(record), key=lambda e: list(e.absolute_path))
    messages = [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in errors]
    return messages or [fast_message]


def schema_versions() -> dict[str, str]:
    """Every schema's version, by name."""
    return {name: load_schema(name)["version"] for name in SCHEMA_NAMES}


METADATA_COLUMNS: tuple[str, ...] = tuple(load_schema("metadata_row")["x-columns"])
LICENSES: tuple[str, ...] = tuple(load_schema("source_record")["properties"]["license"]["enum"])
