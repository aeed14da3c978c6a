"""ValidateRows: rows that break the metadata schema become dead letters."""
import apache_beam as beam

from pipeline.stages import DEAD_LETTERS
from pipeline.stages.validate_rows import ValidateRows
from tests.support.beam_helpers import run_and_collect
from tests.support.release_fixtures import make_row


def test_validate_rows_dead_letters_a_row_that_breaks_the_schema(tmp_path):
    good = make_row("abcd1234", title="Fine")
    bad = make_row("abcd5678", pubmed_id="123.0")
    out = run_and_collect(tmp_path, lambda p: (lambda r: {"valid": r.valid, "dead": r[DEAD_LETTERS]})(
        p | beam.Create([good, bad]) | ValidateRows()))
    assert out["valid"] == [good]
    (letter,) = out["dead"]
    assert letter["reason"] == "invalid_metadata_row" and "pubmed_id" in letter["message"]
