"""Versioned JSON Schemas of every record the pipeline reads or writes.

`load_schema("pdf_json")` returns the schema dict; `validator("pdf_json")` a compiled,
cached jsonschema validator; `schema_versions()` every schema's version (written to
the release manifest). Schema files are package data, read with importlib.resources.
"""
import functools
import json
from importlib import resources

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


def schema_errors(name: str, record: object) -> list[str]:
    """Readable messages for every way `record` breaks schema `name` (empty when valid)."""
    errors = sorted(validator(name).iter_errors(record), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in errors]


def schema_versions() -> dict[str, str]:
    """Every schema's version, by name."""
    return {name: load_schema(name)["version"] for name in SCHEMA_NAMES}


METADATA_COLUMNS: tuple[str, ...] = tuple(load_schema("metadata_row")["x-columns"])
LICENSES: tuple[str, ...] = tuple(load_schema("source_record")["properties"]["license"]["enum"])
