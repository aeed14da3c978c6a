"""Dead-letter records: every input that does not reach the release, with the reason."""
from schemas import load_schema

DEAD_LETTERS = "dead_letters"  # the tagged output name every stage uses
SCHEMA_VERSION = load_schema("dead_letter")["version"]


def dead_letter(stage: str, input_ref: str, error: str, reason: str, message: str, source: str | None = None) -> dict:
    """A dead-letter record (schemas/dead_letter.json)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "stage": stage,
        "input": input_ref,
        "source": source,
        "error": error,
        "reason": reason,
        "message": message,
    }


def dead_letter_from_error(stage: str, input_ref: str, exc: Exception, source: str | None = None) -> dict:
    """A dead letter for an expected, typed error (its class name and `reason`)."""
    reason = getattr(exc, "reason", type(exc).__name__)
    return dead_letter(stage, input_ref, type(exc).__name__, reason, str(exc), source)
