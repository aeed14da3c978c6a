"""The build's graph holds locations, not data: its size does not grow with the previous release or the snapshot."""
import json

import apache_beam as beam

from pipeline.build import build_pipeline
from pipeline.snapshot import bundled_sample_snapshot
from pipeline.stages.options import make_pipeline_options
from release.assemble import ReleaseContent, write_release
from tests.support.release_fixtures import make_row


def graph_bytes(snapshot, previous, tmp_path) -> int:
    pipeline = beam.Pipeline(options=make_pipeline_options([]))
    build_pipeline(pipeline, str(snapshot), str(tmp_path / "staging"), "2026-02-01",
                   {"pmc_json": "v", "pdf_json": "v"}, None, str(previous))
    return len(pipeline.to_runner_api().SerializeToString())


def previous_release(folder, papers: int):
    rows = [make_row(f"{n:08d}", title=f"Paper {n}", doi=f"10.1/{n}") for n in range(papers)]
    write_release(folder, ReleaseContent(release_date="2026-01-01", rows=rows, papers={}))
    return folder


def big_snapshot(folder, feed_files: int):
    """The sample's snapshot.json listing `feed_files` more (the graph must not list them)."""
    snapshot = json.loads((bundled_sample_snapshot() / "snapshot.json").read_text())
    snapshot["sources"].append({"name": "extra", "kind": "who",
                                "files": [f"feeds/extra/page-{n:05d}.csv" for n in range(feed_files)]})
    folder.mkdir()
    (folder / "snapshot.json").write_text(json.dumps(snapshot))
    return folder


def test_the_graph_does_not_grow_with_the_previous_release_or_the_snapshot(tmp_path):
    small = graph_bytes(big_snapshot(tmp_path / "s1", 0), previous_release(tmp_path / "p1", 2), tmp_path)
    big = graph_bytes(big_snapshot(tmp_path / "s5", 5000), previous_release(tmp_path / "p5", 50_000), tmp_path)
    assert abs(big - small) < 64  # pickled stages are compressed: a few bytes move with the paths' digits
    assert big < 1 << 20
