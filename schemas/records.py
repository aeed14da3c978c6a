"""The shapes of the records the pipeline passes around, and small builders for them.

One model per record: a dead letter (schemas/dead_letter.json) is built only by
`dead_letter` / `dead_letter_from_error`, wherever an input is given up on.
"""
from typing import TypedDict

from schemas import load_schema

DEAD_LETTER_SCHEMA_VERSION: str = load_schema("dead_letter")["version"]


class DeadLetter(TypedDict):
    """An input record or document that is not in the release, and why."""

    schema_version: str
    stage: str
    input: str
    source: str | None
    error: str
    reason: str
    message: str


def dead_letter(stage: str, input_ref: str, error: str, reason: str, message: str,
                source: str | None = None) -> DeadLetter:
    """A dead-letter record (schemas/dead_letter.json)."""
    return {
        "schema_version": DEAD_LETTER_SCHEMA_VERSION,
        "stage": stage,
        "input": input_ref,
        "source": source,
        "error": error,
        "reason": reason,
        "message": message,
    }


def dead_letter_from_error(stage: str, input_ref: str, exc: Exception, source: str | None = None,
                           default_reason: str | None = None) -> DeadLetter:
    """A dead letter for an expected, typed error (its class name and its `reason` attribute)."""
    reason = getattr(exc, "reason", None) or default_reason or type(exc).__name__
    return dead_letter(stage, input_ref, type(exc).__name__, reason, str(exc), source)
