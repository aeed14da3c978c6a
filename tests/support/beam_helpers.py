"""Run a Beam transform on lists and get lists back (works with every local runner mode)."""
import pickle
import uuid
from pathlib import Path

import apache_beam as beam

from pipeline.stages.options import make_pipeline_options


class _Collect(beam.DoFn):
    """Pickle each element into its own file under `folder` (safe across worker processes)."""

    def __init__(self, folder: str):
        self.folder = folder

    def process(self, element):
        (Path(self.folder) / uuid.uuid4().hex).write_bytes(pickle.dumps(element))


def run_and_collect(tmp_path: Path, build, beam_args: tuple[str, ...] = ()) -> dict[str, list]:
    """`build(pipeline)` returns {name: PCollection}; run the pipeline and return {name: elements}."""
    folders = {}
    with beam.Pipeline(options=make_pipeline_options(beam_args)) as p:
        outputs = build(p)
        for name, pcollection in outputs.items():
            folder = tmp_path / f"collected-{name}"
            folder.mkdir(parents=True)
            folders[name] = folder
            _ = pcollection | f"Collect{name}" >> beam.ParDo(_Collect(str(folder)))
    return {name: [pickle.loads(path.read_bytes()) for path in sorted(folder.iterdir())] for name, folder in folders.items()}
