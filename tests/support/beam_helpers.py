"""Run a Beam transform on lists and get lists back (works with every local runner mode); measure what a graph
shuffles."""
import json
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


class _MeasureElement(beam.DoFn):
    """Writes the pickled size of the biggest element it sees (one file per bundle)."""

    def __init__(self, folder: str, label: str):
        self.folder, self.label = folder, label

    def start_bundle(self):
        self.biggest = 0

    def process(self, element):
        self.biggest = max(self.biggest, len(pickle.dumps(element)))
        return ()

    def finish_bundle(self):
        Path(self.folder, f"{uuid.uuid4().hex}.json").write_text(json.dumps([self.label, self.biggest]))


class _GroupByKeyInputs(beam.pipeline.PipelineVisitor):
    """The input PCollection of every GroupByKey in the graph (CoGroupByKey, Reshuffle and combiners use them)."""

    def __init__(self):
        self.inputs = []

    def visit_transform(self, node):
        if isinstance(node.transform, beam.GroupByKey):
            self.inputs.append((node.full_label, node.inputs[0]))


def measure_shuffle_inputs(pipeline: beam.Pipeline, folder: Path) -> set[str]:
    """Measure the elements going into every GroupByKey of the graph built so far (read them with
    `biggest_shuffled` after the run); returns the GroupByKeys' labels."""
    visitor = _GroupByKeyInputs()
    pipeline.visit(visitor)
    for number, (label, pcollection) in enumerate(visitor.inputs):
        _ = pcollection | f"MeasureShuffleInput{number}" >> beam.ParDo(_MeasureElement(str(folder), label))
    return {label for label, _ in visitor.inputs}


def biggest_shuffled(folder: Path) -> dict[str, int]:
    """{GroupByKey label: pickled size of the biggest element that went into it} measured in `folder`."""
    biggest: dict[str, int] = {}
    for path in folder.iterdir():
        label, size = json.loads(path.read_text())
        biggest[label] = max(biggest.get(label, 0), size)
    return biggest
