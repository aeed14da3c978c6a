"""WriteRelease: parse files, then the release files, moved into place once everything is written."""
import json

import apache_beam as beam

from pipeline.stages.write_release import WriteRelease
from release.validate import validate_path
from release.writer import ReleaseContent
from tests.support.beam_helpers import run_and_collect
from tests.support.release_fixtures import PDF_SHA1, make_pdf_paper, make_row


class Attached:
    """The fields of a parsed document WriteRelease uses."""

    def __init__(self, doc_type: str, json_path: str, paper_json: bytes):
        self.type, self.json_path, self.paper_json = doc_type, json_path, paper_json


def test_release_is_written_and_moved_into_place(tmp_path):
    staging, release = tmp_path / ".staging", tmp_path / "2026-02-03"
    base = ReleaseContent(release_date="2026-02-03", rows=[], dead_letters=[], registry_json="", dedup_report=[],
                          cord_uid_changes={}, parser_versions={"pdf_json": "t-1"})
    path = f"document_parses/pdf_json/{PDF_SHA1}.json"
    row = make_row("abcd1234", sha=PDF_SHA1, pdf_json_files=path, title="T")
    letter = {"schema_version": "1", "stage": "s", "input": "i", "source": None, "error": "E", "reason": "r", "message": "m"}

    def build(p):
        inputs = {
            "attached": p | "A" >> beam.Create([Attached("pdf", path, json.dumps(make_pdf_paper()).encode())]),
            "rows": p | "R" >> beam.Create([row]),
            "dead_letters": p | "D" >> beam.Create([letter]),
            "registry": p | "G" >> beam.Create(['{"keys": {}}']),
            "report": p | "P" >> beam.Create([]),
            "changes": p | "C" >> beam.Create([{"new": ["abcd1234"]}]),
            "source_records": p | "S" >> beam.Create([2]),
        }
        return {"manifest": inputs | WriteRelease(str(staging), str(release), base)}

    out = run_and_collect(tmp_path / "collect", build)
    (manifest,) = out["manifest"]
    assert manifest["counts"]["pdf_json"] == 1 and manifest["counts"]["source_records"] == 2
    assert not staging.exists()
    assert validate_path(release) == []
    assert json.loads((release / path).read_text())["paper_id"] == PDF_SHA1
