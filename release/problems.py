"""What `validate` finds: problems (each of a kind), notes, and the grouped report a reader can take in.

A problem says where it is (a file, a line) and what is wrong there. Its kind is the
category of file plus the wording of what is wrong with the specific values masked
(quoted values become '…', numbers N), so the 148 rows of a real CORD-19 metadata.csv
whose s2_id is written as a float are one kind, reported once with a count and a few
examples. A note is something worth knowing that is not a defect (a CORD-19 release
has no manifest.json).
"""
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

EXAMPLES_SHOWN = 3
# A Python repr of a string (what jsonschema and our messages quote values with).
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
# A number, but not the digits of a name such as s2_id (BIBREF12 and PMC123 are masked).
_NUMBER = re.compile(r"(?<![a-z_])\d+")


@dataclass(frozen=True)
class Problem:
    """One defect: `category` is the kind of file (metadata.csv, pdf_json, manifest.json, ...)."""

    category: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.detail}"

    @property
    def kind(self) -> str:
        """The problem without its specific values: what groups it with others like it."""
        return f"{self.category}: {_NUMBER.sub('N', _QUOTED.sub(repr('…'), self.detail))}"


@dataclass(frozen=True)
class ProblemGroup:
    """The problems of one kind: how many, and the first few."""

    kind: str
    count: int
    examples: tuple[Problem, ...]


@dataclass
class Report:
    """What validating one source found."""

    source: str  # the source as given, and the release it led to
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def group_problems(problems: list[Problem], examples: int = EXAMPLES_SHOWN) -> list[ProblemGroup]:
    """The problems grouped by kind, the most frequent kind first (ties in order of first appearance)."""
    by_kind: dict[str, list[Problem]] = {}
    for problem in problems:
        by_kind.setdefault(problem.kind, []).append(problem)
    groups = [ProblemGroup(kind, len(found), tuple(found[:examples])) for kind, found in by_kind.items()]
    return sorted(groups, key=lambda group: -group.count)


def report_lines(report: Report, examples: int = EXAMPLES_SHOWN) -> Iterator[str]:
    """The report as text: notes, then each kind of problem with its count and examples."""
    for note in report.notes:
        yield f"note: {note}"
    if not report.problems:
        yield f"{report.source}: valid"
        return
    groups = group_problems(report.problems, examples)
    yield f"{report.source}: {_count(len(report.problems), 'problem')} of {_count(len(groups), 'kind')}"
    for group in groups:
        yield f"{group.count} x {group.kind}"
        yield from (f"    {problem}" for problem in group.examples)
        if group.count > len(group.examples):
            yield f"    ... and {group.count - len(group.examples)} more"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
