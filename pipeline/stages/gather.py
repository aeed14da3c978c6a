"""GatherAll: every element of a collection as one list, on one worker.

Beam's `combiners.ToList()` does the same, but a global combine with a default value
passes its result through a side input, and the in-process runner's state cache measures
the deep size of every side input it caches: at 100k elements that is seconds of CPU
and up to 100 MB held. A GroupByKey on a single key, with one start element so that an
empty collection still gives `[]`, hands the list to the next step without a side input.
"""
import apache_beam as beam

_ELEMENT, _START = 0, 1


def _elements(_, tagged) -> list:
    return [element for tag, element in tagged if tag == _ELEMENT]


class GatherAll(beam.PTransform):
    """A collection -> one element: the list of its elements (in no set order; the consumer sorts)."""

    def expand(self, pcoll):
        start = pcoll.pipeline | "Start" >> beam.Create([(None, (_START, None))])
        elements = pcoll | "Tag" >> beam.Map(lambda element: (None, (_ELEMENT, element)))
        return (
            (elements, start)
            | "Merge" >> beam.Flatten()
            | "OnOneKey" >> beam.GroupByKey()
            | "AsList" >> beam.MapTuple(_elements)
        )
