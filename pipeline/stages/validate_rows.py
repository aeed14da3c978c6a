"""Validate: every metadata row is checked against its schema before it is written.

(Parsed papers are checked in ParseDocuments, right where they are made.)
"""
from dataclasses import dataclass

import apache_beam as beam

from pipeline.stages import DEAD_LETTERS
from pipeline.stages.metrics import count
from schemas import schema_errors
from schemas.records import dead_letter

STAGE = "validate"


def check_row(row: dict):
    problems = schema_errors("metadata_row", row)
    if problems:
        count(STAGE, "invalid_rows")
        yield beam.pvalue.TaggedOutput(DEAD_LETTERS, dead_letter(
            STAGE, f"cord_uid:{row.get('cord_uid')}", "SchemaError", "invalid_metadata_row", "; ".join(problems)))
        return
    yield row


@dataclass
class ValidateRows(beam.PTransform):
    """Rows -> valid rows (main output) and dead letters."""

    def __post_init__(self):
        super().__init__()

    def expand(self, rows):
        return rows | "CheckRow" >> beam.FlatMap(check_row).with_outputs(DEAD_LETTERS, main="valid")
