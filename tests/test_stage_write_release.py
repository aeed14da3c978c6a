"""WriteRelease: the release's own files from sorted parts and tar fragments, written into staging."""
import gzip
import hashlib
import json
import shutil

import apache_beam as beam

from pipeline.stages.write_release import WriteRelease, finish_release
from release.tarball import file_member
from release.validate import validate_path
from tests.support.beam_helpers import run_and_collect
from tests.support.release_fixtures import PDF_SHA1, make_pdf_paper, make_row

DATE = "2026-02-03"
PATH = f"document_parses/pdf_json/{PDF_SHA1}.json"
PAPER = json.dumps(make_pdf_paper()).encode()
MEMBER = "_work/parses/key.member.gz"
LETTER = {"schema_version": "1", "stage": "s", "input": "i", "source": None, "error": "E", "reason": "r", "message": "m"}


def staged(tmp_path):
    """A staging folder as the earlier stages leave it: the placed parse, its tarball member, the registry."""
    staging = tmp_path / "staging"
    (staging / PATH).parent.mkdir(parents=True)
    (staging / PATH).write_bytes(PAPER)
    (staging / MEMBER).parent.mkdir(parents=True)
    (staging / MEMBER).write_bytes(file_member(PATH, PAPER))
    (staging / "cord_uid_registry.json").write_text('{"keys": {}}')
    return staging


def write_release(tmp_path, staging, rows):
    def build(p):
        inputs = {
            "rows": p | "R" >> beam.Create(rows),
            "dead_letters": p | "D" >> beam.Create([LETTER]),
            "report": p | "P" >> beam.Create([]),
            "placed": p | "A" >> beam.Create([(PATH, len(PAPER), hashlib.sha256(PAPER).hexdigest(), MEMBER)]),
            "changes": p | "C" >> beam.Create([{}]),
            "source_records": p | "S" >> beam.Create([len(rows) + 1]),
            "registry_written": p | "G" >> beam.Create(["cord_uid_registry.json"]),
        }
        return {"manifest": inputs | WriteRelease(str(staging), DATE, {"pdf_json": "t-1"})}

    return run_and_collect(tmp_path / "collect", build)


def test_the_release_is_assembled_in_staging_from_its_parts(tmp_path):
    staging = staged(tmp_path)
    rows = [make_row(f"{n:04d}abcd", sha=PDF_SHA1, pdf_json_files=PATH, title=f"T{n}") for n in range(50)]
    (manifest,) = write_release(tmp_path, staging, rows)["manifest"]
    assert manifest["counts"]["pdf_json"] == 1 and manifest["counts"]["source_records"] == 51
    assert manifest["counts"]["metadata_rows"] == 50 and manifest["counts"]["dead_letters"] == 1
    assert len(list((staging / "_work" / "parts" / "metadata").iterdir())) > 1  # rows were written in several parts
    lines = (staging / "metadata.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == sorted(row["cord_uid"] for row in rows)
    shutil.rmtree(staging / "_work")  # what the launcher's commit does, with the parse folders made
    (staging / "document_parses" / "pmc_json").mkdir()
    assert validate_path(staging) == []


def test_running_the_final_step_again_changes_nothing(tmp_path):
    staging = staged(tmp_path)
    rows = [make_row("abcd1234", sha=PDF_SHA1, pdf_json_files=PATH, title="T")]
    write_release(tmp_path, staging, rows)
    before = {p.relative_to(staging): p.read_bytes() for p in staging.rglob("*") if p.is_file()}
    parts = staging / "_work" / "parts"
    again = finish_release(
        None, str(staging), DATE, {"pdf_json": "t-1"}, None,
        metadata_parts=[str(p.relative_to(staging)) for p in (parts / "metadata").iterdir()],
        dead_letter_parts=[str(p.relative_to(staging)) for p in (parts / "dead_letters").iterdir()],
        report_parts=[], fragments=[(int(p.stem), str(p.relative_to(staging)), _raw_length(p))
                                    for p in (parts / "tarball").iterdir()],
        changes={}, source_records=2, registry="cord_uid_registry.json")
    list(again)
    after = {p.relative_to(staging): p.read_bytes() for p in staging.rglob("*") if p.is_file()}
    assert after == before


def _raw_length(fragment) -> int:
    return len(gzip.decompress(fragment.read_bytes()))
