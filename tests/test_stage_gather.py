"""GatherAll: a collection as one list, an empty one as [], with no side input in the graph."""
import apache_beam as beam

from pipeline.stages.gather import GatherAll
from tests.support.beam_helpers import run_and_collect


class SideInputs(beam.pipeline.PipelineVisitor):
    def __init__(self):
        self.found = []

    def visit_transform(self, node):
        self.found += list(node.side_inputs)


def test_every_element_in_one_list_and_an_empty_collection_gives_an_empty_list(tmp_path):
    visitor = SideInputs()

    def build(p):
        outputs = {"some": p | "Some" >> beam.Create(range(500)) | "GatherSome" >> GatherAll(),
                   "none": p | "None" >> beam.Create([]) | "GatherNone" >> GatherAll()}
        p.visit(visitor)
        return outputs

    collected = run_and_collect(tmp_path, build)
    assert [sorted(found) for found in collected["some"]] == [list(range(500))]
    assert collected["none"] == [[]]
    assert visitor.found == []
