"""The parser-level fuzz loop: mutate real inputs with tests/support/mutators.py, parse them,
and tally what became of each (shared by tests/test_parsers_fuzz.py and runnable by hand).

For a feed file: no exception but a ParseError (the file refused), every record
accounted for (tests/support/feed_accounting.py), every record valid against the
source-record schema and encodable as UTF-8, and no record error left to the parsers'
safety net ("unforeseen content": every shape the mutators make is checked explicitly).
For a full text (JATS, TEI): no exception but a ParseError, and every paper valid
against its schema and schemas.invariants.paper_problems.

    python -m tests.support.parser_fuzz    # prints the tallies over the corpus and the sample snapshot
"""
import json
import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from parsers.documents import input_kind, parse_document
from parsers.errors import ParseError
from parsers.feeds.errors import UNFORESEEN_PREFIX
from schemas import schema_errors
from schemas.invariants import paper_problems
from schemas.records import paper_json_bytes
from tests.support.feed_accounting import account
from tests.support.mutators import BYTE_MUTATORS, CSV_MUTATORS, JSON_MUTATORS, Mutator, mutations, xml_mutators
from tests.support.paths import PROJECT_ROOT, corpus_path

SAMPLE_SNAPSHOT = PROJECT_ROOT / "pipeline" / "sample_snapshot"
PAPER_SCHEMAS = {"jats": "pmc_json", "tei": "pdf_json", "pdf": "pdf_json"}
JATS_ELEMENTS = ("p", "sec", "xref", "ref", "contrib", "fig", "table-wrap", "title", "abstract")
TEI_ELEMENTS = ("p", "div", "ref", "biblStruct", "persName", "head", "figure")
FALLBACK_ID = "f" * 40  # a TEI paper_id is its PDF's SHA-1


@dataclass
class Tally:
    """How many mutated inputs were tried, and what became of them."""

    tried: int = 0
    refused: int = 0  # a whole input refused with a ParseError (feed file or document)
    records: int = 0
    record_errors: int = 0  # feed records reported through on_error (dead letters in the build)
    papers: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        for name in ("tried", "refused", "records", "record_errors", "papers"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems.extend(other.problems)


def feed_mutators(kind: str, data: bytes) -> dict[str, Mutator]:
    """The mutators that fit a feed file of `kind` (bytes, plus its format's own)."""
    if kind in ("biorxiv", "medrxiv", "crossref", "europepmc"):
        return BYTE_MUTATORS | JSON_MUTATORS
    if kind == "who" or (kind == "pmc" and not data.lstrip().startswith(b"<")):
        return BYTE_MUTATORS | CSV_MUTATORS
    record_tag = {"pubmed": ("PubmedArticle",), "arxiv": ("entry",), "pmc": ("article",)}[kind]
    return BYTE_MUTATORS | xml_mutators(record_tag)


def fuzz_feed_file(kind: str, data: bytes, folder: Path, seeds: Iterable[int]) -> Tally:
    """Parse every mutation of one feed file; problems name the mutator, the seed and what failed."""
    tally = Tally()
    for name, seed, mutated in mutations(data, feed_mutators(kind, data), list(seeds)):
        tally.tried += 1
        result = account(kind, mutated, folder)
        where = f"{kind} {name} seed {seed}"
        tally.problems += [f"{where}: {problem}" for problem in result.problems()]
        tally.refused += result.file_error is not None
        tally.records += len(result.records)
        tally.record_errors += len(result.errors)
        tally.problems += [f"{where}: {error.item}: {error}" for error in result.errors if str(error).startswith(UNFORESEEN_PREFIX)]
        for record in result.records:
            errors = schema_errors("source_record", record)
            if errors:
                tally.problems.append(f"{where}: invalid record {record.get('source_id')}: {errors[:2]}")
            json.dumps(record, ensure_ascii=False).encode("utf-8")  # raises on a lone surrogate
    return tally


def fuzz_document(data: bytes, elements: tuple[str, ...], seeds: Iterable[int]) -> Tally:
    """Parse every mutation of one full text (kind judged by content, as `cord19 parse` does)."""
    tally = Tally()
    for name, seed, mutated in mutations(data, BYTE_MUTATORS | xml_mutators(elements), list(seeds)):
        tally.tried += 1
        try:
            kind = input_kind(mutated)
            paper, _ = parse_document(kind, mutated, FALLBACK_ID, None)
        except ParseError:
            tally.refused += 1
            continue
        tally.papers += 1
        problems = schema_errors(PAPER_SCHEMAS[kind], paper) + paper_problems(paper)
        tally.problems += [f"{kind} {name} seed {seed}: {problem}" for problem in problems[:3]]
        paper_json_bytes(paper)  # raises on what the release cannot write
    return tally


def corpus_feed_files(corpus: Path) -> list[tuple[str, Path]]:
    """(kind, path) of every feed file of the corpus."""
    feeds = corpus / "feeds"
    files = [("pmc", feeds / "pmc_oa_file_list_excerpt_seanBr97.csv")]
    for kind in ("arxiv", "biorxiv", "crossref", "europepmc", "pubmed", "who"):
        files += [(kind, path) for path in sorted((feeds / kind).iterdir())]
    return files


def sample_feed_files() -> list[tuple[str, Path]]:
    """(kind, path) of every feed file of the bundled sample snapshot."""
    snapshot = json.loads((SAMPLE_SNAPSHOT / "snapshot.json").read_text(encoding="utf-8"))
    return [(source["kind"], SAMPLE_SNAPSHOT / name) for source in snapshot["sources"] for name in source["files"]]


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    corpus = corpus_path()
    feeds, documents = Tally(), Tally()
    with tempfile.TemporaryDirectory() as folder:
        for kind, path in corpus_feed_files(corpus) + sample_feed_files():
            feeds.add(fuzz_feed_file(kind, path.read_bytes(), Path(folder), range(3)))
    for folder, elements in (("jats", JATS_ELEMENTS), ("tei", TEI_ELEMENTS)):
        for path in sorted((corpus / folder).iterdir()):
            documents.add(fuzz_document(path.read_bytes(), elements, range(2)))
    for name, tally in (("feed files", feeds), ("full texts", documents)):
        print(f"{name}: {tally.tried} mutated inputs, {tally.refused} refused, {tally.records} records, "
              f"{tally.record_errors} record errors, {tally.papers} papers, {len(tally.problems)} problems")
        for problem in tally.problems[:20]:
            print("  ", problem)


if __name__ == "__main__":
    main()
