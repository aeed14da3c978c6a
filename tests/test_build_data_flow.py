"""The build's data flow at scale, on a generated snapshot of real corpus files
(scripts/make_scale_snapshot.py): full texts never enter a shuffle, a parse cache never
changes a release, and a snapshot that is not what it lists stops the build."""
import importlib.util
import json
import pickle
import shutil
import uuid
from pathlib import Path

import apache_beam as beam
import pytest

from pipeline.build import build_pipeline, commit_release, run_to_the_end
from pipeline.cli import main
from pipeline.snapshot import bundled_sample_snapshot
from pipeline.stages.options import make_pipeline_options
from tests.support.beam_helpers import biggest_shuffled, measure_shuffle_inputs
from tests.support.paths import PROJECT_ROOT

DATE = "2026-01-01"
SHUFFLE_ELEMENT_LIMIT = 8 << 10  # bytes, pickled; a parse of a real article is 30-300 KB


def scale_snapshot_module():
    spec = importlib.util.spec_from_file_location("make_scale_snapshot", PROJECT_ROOT / "scripts" / "make_scale_snapshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scale_snapshot(corpus_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale") / "snapshot"
    scale_snapshot_module().make_scale_snapshot(folder, records=300, full_texts=40, identical_copies=3)
    return folder


def all_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_full_texts_never_enter_a_shuffle(scale_snapshot, tmp_path):
    pipeline = beam.Pipeline(options=make_pipeline_options([]))
    snapshot = json.loads((scale_snapshot / "snapshot.json").read_text())
    staging = tmp_path / "staging"
    build_pipeline(pipeline, str(scale_snapshot), str(staging), DATE, {"pmc_json": "v", "pdf_json": "v"}, snapshot["query"])
    sizes = tmp_path / "sizes"
    sizes.mkdir()
    labels = measure_shuffle_inputs(pipeline, sizes)
    assert len(labels) > 10
    run_to_the_end(pipeline)
    biggest = biggest_shuffled(sizes)
    assert set(biggest) == labels
    assert max(biggest.values()) < SHUFFLE_ELEMENT_LIMIT, sorted(biggest.items(), key=lambda item: -item[1])[:3]
    parses = [len(data) for name, data in all_files(staging).items() if name.startswith("document_parses/")]
    assert len(parses) >= 30 and max(parses) > 4 * SHUFFLE_ELEMENT_LIMIT  # the parses themselves are large


def test_a_parse_cache_never_changes_the_release(scale_snapshot, tmp_path):
    cache = tmp_path / "cache"
    builds = {}
    for name, extra in (("none", []), ("cold", ["--parse-cache", str(cache)]), ("warm", ["--parse-cache", str(cache)])):
        assert main(["build", "--snapshot", str(scale_snapshot), "--out", str(tmp_path / name),
                     "--release-date", DATE, *extra]) == 0
        builds[name] = all_files(tmp_path / name / DATE)
    copies = [name for name in builds["none"] if "/copy-" in name and name.endswith(".xml.json")]
    assert len(copies) == 3  # identical bytes under three names: three parses
    assert builds["none"] == builds["cold"] == builds["warm"]


def snapshot_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "snapshot"
    shutil.copytree(bundled_sample_snapshot(), folder)
    return folder


@pytest.mark.parametrize("damage, message", [
    (lambda s: (s / "feeds/pubmed/page-0002.xml").unlink(),
     "snapshot integrity: feeds/pubmed/page-0002.xml: listed in snapshot.json but missing"),
    (lambda s: (s / "feeds/who/export.csv").write_bytes(b"Title\nchanged\n"),
     "snapshot integrity: feeds/who/export.csv: sha256 differs from snapshot.json"),
    (lambda s: (s / "documents/pmc/PMC99100001.xml").unlink(),
     "snapshot integrity: documents/pmc/PMC99100001.xml: listed in documents.jsonl but missing"),
    (lambda s: (s / "documents.jsonl").write_bytes(b""),
     "snapshot integrity: documents.jsonl: sha256 differs from snapshot.json"),
])
def test_a_snapshot_that_is_not_what_it_lists_fails_the_build_with_one_line(tmp_path, capsys, damage, message):
    snapshot = snapshot_copy(tmp_path)
    damage(snapshot)
    assert main(["build", "--snapshot", str(snapshot), "--out", str(tmp_path / "out"), "--release-date", DATE]) == 1
    err = capsys.readouterr().err
    assert f"cord19 build: error: {message}\n" in err and "Traceback" not in err
    assert not (tmp_path / "out" / DATE).exists()


def test_committing_twice_changes_nothing(tmp_path):
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--release-date", DATE]) == 0
    before = all_files(out / DATE)
    commit_release(str(out / f".staging-{DATE}"), str(out / DATE))  # the staging folder is gone: nothing to do
    assert all_files(out / DATE) == before
