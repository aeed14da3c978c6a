"""Our pmc_json and pdf_json read exactly like CORD-19's: the same keys, value types, id
patterns and text formats as every real release file of the corpus (cord19/), recursively.

The real files give a signature per kind: for every path (list items as `[]`, entry ids as
BIBREF<n> / FIGREF<n> / TABREF<n>) the value types seen, the key sets seen, and which of the
candidate formats below every real string there has. Our parses of the corpus JATS and TEI
files and of the sample snapshot's documents must keep to it; the only differences allowed
are the extensions the contract (section 3) names, listed in EXTENSIONS.
"""
import collections
import json
import re
from pathlib import Path

import pytest

from parsers.jats import parse_jats
from parsers.pdf.tei import tei_to_pdf_json
from tests.support.paths import PROJECT_ROOT

SAMPLE_DOCUMENTS = PROJECT_ROOT / "pipeline" / "sample_snapshot" / "documents"
# The formats a string may have, and the paths they are looked for at (a regex over the
# path); a format is required at a path when every real string there has it.
FORMATS = {
    "PMC id": (r"^PMC\d+$", r"^\.paper_id$"),
    "SHA-1": (r"^[0-9a-f]{40}$", r"^\.paper_id$"),
    "GROBID bib id": (r"^b\d+$", r"^\.bib_entries\.BIBREF<n>\.ref_id$"),
    "BIBREF id": (r"^BIBREF\d+$", r"\.cite_spans\[\]\.ref_id$"),
    "FIGREF/TABREF id": (r"^(FIGREF|TABREF)\d+$", r"\.ref_spans\[\]\.ref_id$"),
    "label: caption": (r"^[^:\n]+: ", r"^\.ref_entries\.\w+<n>\.text$"),
    "caption, newline, footnotes": (r"\n", r"^\.ref_entries\.TABREF<n>\.text$"),
    "html body": (r"^<html><body>[\s\S]*</body></html>$", r"\.html$"),
    "no a-b page range": (r"^(?![\s\S]*\d-\d)", r"\.pages$"),
    "no a--b page range": (r"^(?![\s\S]*--)", r"\.pages$"),
    "e-mail or empty": (r"^$|@", r"\.email$"),
    "not empty": (r"\S", r"(\[\]\.text|\.mention)$"),
    "no edge spaces": (r"^(?!\s)[\s\S]*(?<!\s)$", r"(\[\]\.text|\.mention|\.section)$"),
    "sections joined by ' ::: '": (r"^(?![\s\S]*(?<!:) :: (?!:))", r"\.section$"),
}
# Dicts whose keys are optional members rather than a fixed shape.
OPEN_DICTS = (".location", ".other_ids")
# What the contract lets our files have beyond CORD-19's (section 3).
EXTENSIONS = {
    "pmc_json": {
        # a table's cells as HTML, in pdf_json's form
        "borrow": (".ref_entries.TABREF<n>.html",
                   # the affiliation filled with the pdf_json structure ("ours may fill it")
                   ".metadata.authors[].affiliation",
                   # bib authors' middle names (real pmc_json files hold none, pdf_json ones do)
                   ".bib_entries.BIBREF<n>.authors[].middle[]"),
        "key_sets": {".ref_entries.TABREF<n>{}": {("html", "text", "type")}},
        # an unlinked span's ref_id is null ("or null when unlinked")
        "types": {".body_text[].cite_spans[].ref_id": {"NoneType"}, ".body_text[].ref_spans[].ref_id": {"NoneType"},
                  ".back_matter[].cite_spans[].ref_id": {"NoneType"}, ".back_matter[].ref_spans[].ref_id": {"NoneType"}},
    },
    "pdf_json": {"borrow": (), "key_sets": {}, "types": {}},
}
# bib entry ids of ours the real files happen not to show (schemas/records.py BibEntry).
EXTRA_OTHER_IDS = {"PMID", "PMCID", "arXiv"}


def _path_key(parent: str, key: str) -> str:
    if parent.endswith((".bib_entries", ".ref_entries")):
        return re.sub(r"\d+$", "<n>", key)
    return key


class Signature:
    """Types, key sets and string formats by path, of one or more files."""

    def __init__(self) -> None:
        self.types: dict[str, set[str]] = collections.defaultdict(set)
        self.key_sets: dict[str, set[tuple]] = collections.defaultdict(set)
        self.strings: dict[str, list[str]] = collections.defaultdict(list)

    def add(self, value: object, path: str = "", unformatted: frozenset[str] = frozenset()) -> None:
        """Record `value` found at `path`; strings at the `unformatted` paths keep no format."""
        self.types[path].add(type(value).__name__)
        if isinstance(value, dict):
            keys = value if not path.endswith((".bib_entries", ".ref_entries")) else ()
            self.key_sets[path + "{}"].add(tuple(sorted(keys)))
            for key, item in value.items():
                self.add(item, f"{path}.{_path_key(path, key)}", unformatted)
        elif isinstance(value, list):
            for item in value:
                self.add(item, path + "[]", unformatted)
        elif isinstance(value, str) and path not in unformatted:
            self.strings[path].append(value)

    def formats(self, path: str) -> set[str]:
        values = self.strings.get(path, [])
        return {name for name, (rx, where) in FORMATS.items()
                if values and re.search(where, path) and all(re.search(rx, v) for v in values)}


def real_files(corpus: Path) -> dict[str, list[Path]]:
    cord19 = corpus / "cord19"
    pdf = sorted((cord19 / "release_parses_2020-2022" / "pdf_json").glob("*.json"))
    pdf += sorted((cord19 / "hf_datasets_dummy_2020-11-29").glob("pdf_json_*.json"))
    pdf += sorted((cord19 / "document_parses_2020-03").glob("*.json"))
    return {"pmc_json": sorted((cord19 / "release_parses_2020-2022" / "pmc_json").glob("*.json")), "pdf_json": pdf}


def real_signature(corpus: Path, kind: str) -> Signature:
    signature = Signature()
    for path in real_files(corpus)[kind]:
        signature.add(json.loads(path.read_text(encoding="utf-8")))
    # Every paragraph list holds the same paragraphs (real pmc_json back matter is always empty).
    _copy(signature, signature, ".body_text[]", ".back_matter[]")
    for name in EXTRA_OTHER_IDS:  # more identifier lists, of the DOI list's form
        _copy(signature, signature, ".bib_entries.BIBREF<n>.other_ids.DOI", f".bib_entries.BIBREF<n>.other_ids.{name}")
    extension = EXTENSIONS[kind]
    if extension["borrow"]:
        donor = real_signature(corpus, "pdf_json")
        for prefix in extension["borrow"]:
            _copy(donor, signature, prefix, prefix)
    for path, types in extension["types"].items():
        signature.types[path] |= types
    for path, key_sets in extension["key_sets"].items():
        signature.key_sets[path] |= key_sets
    return signature


def _copy(donor: Signature, target: Signature, prefix: str, new_prefix: str) -> None:
    """Add what `donor` has under `prefix` to `target`, under `new_prefix`."""
    for path, types in list(donor.types.items()):
        if path.startswith(prefix):
            target.types[new_prefix + path[len(prefix):]] |= types
    for path, key_sets in list(donor.key_sets.items()):
        if path.startswith(prefix):
            target.key_sets[new_prefix + path[len(prefix):]] |= key_sets
    for path, values in list(donor.strings.items()):
        if path.startswith(prefix) and new_prefix + path[len(prefix):] != path:
            target.strings[new_prefix + path[len(prefix):]] += values
        elif path.startswith(prefix) and donor is not target:
            target.strings[path] += values


def differences(ours: Signature, real: Signature) -> list[str]:
    """Every path, type, key set and format of `ours` that the real files do not have."""
    found = []
    for path, types in sorted(ours.types.items()):
        if path not in real.types:
            found.append(f"{path or '<root>'}: no real file has it")
        elif not types <= real.types[path]:
            found.append(f"{path}: types {sorted(types - real.types[path])}, real {sorted(real.types[path])}")
    for path, key_sets in sorted(ours.key_sets.items()):
        known = real.key_sets.get(path, set())
        if path[:-2].endswith(OPEN_DICTS):
            allowed = {key for keys in known for key in keys} | (EXTRA_OTHER_IDS if ".other_ids" in path else set())
            required = set.intersection(*(set(keys) for keys in known)) if known else set()
            bad = [keys for keys in key_sets if not set(keys) <= allowed or not required <= set(keys)]
        else:
            bad = [keys for keys in key_sets if keys not in known]
        found.extend(f"{path}: keys {list(keys)}, real {sorted(known)}" for keys in bad)
    for path, values in sorted(ours.strings.items()):
        for name in sorted(real.formats(path)):
            wrong = [v for v in values if not re.search(FORMATS[name][0], v)]
            if wrong:
                found.append(f"{path}: {len(wrong)} value(s) not '{name}', e.g. {wrong[0][:80]!r}")
    return found


def _signature_of(papers: list[dict]) -> Signature:
    """The signature of `papers`; a paper marked `_free_paper_id` has its paper_id's format left out."""
    signature = Signature()
    for paper in papers:
        free = paper.pop("_free_paper_id", False)
        signature.add(paper, unformatted=frozenset({".paper_id"}) if free else frozenset())
    return signature


def jats_papers(folder: Path, pattern: str) -> list[dict]:
    """The papers of every parseable JATS file (the corpus's broken ones fail on purpose); the
    paper_id of an article without a PMCID is no PMCID, so its format is not compared."""
    papers = []
    for path in sorted(folder.glob(pattern)):
        try:
            parsed = parse_jats(path.read_bytes())
        except Exception:  # noqa: BLE001 - the corpus's broken files; tests/test_jats_corpus.py names them
            continue
        paper = dict(parsed.paper)
        if not parsed.ids.get("pmcid"):
            paper["_free_paper_id"] = True
        papers.append(paper)
    return papers


def tei_papers(corpus: Path) -> list[dict]:
    paths = sorted((corpus / "tei").glob("*.xml")) + sorted((corpus / "expected").glob("*/*.tei.xml"))
    return [tei_to_pdf_json(path.read_bytes(), "0" * 40) for path in paths]


def test_the_corpus_holds_the_real_release_files(corpus_dir):
    files = real_files(corpus_dir)
    assert len(files["pmc_json"]) == 17 and len(files["pdf_json"]) == 23


def test_real_files_agree_with_themselves(corpus_dir):
    """The check itself: each real file keeps to the signature of all of them."""
    for kind, paths in real_files(corpus_dir).items():
        real = real_signature(corpus_dir, kind)
        for path in paths:
            assert differences(_signature_of([json.loads(path.read_text(encoding="utf-8"))]), real) == [], path.name


def test_corpus_jats_parses_read_like_real_pmc_json(corpus_dir):
    papers = jats_papers(corpus_dir / "jats", "*")
    assert len(papers) >= 11
    assert differences(_signature_of(papers), real_signature(corpus_dir, "pmc_json")) == []


def test_corpus_tei_parses_read_like_real_pdf_json(corpus_dir):
    papers = tei_papers(corpus_dir)
    assert len(papers) == 7
    assert differences(_signature_of(papers), real_signature(corpus_dir, "pdf_json")) == []


def test_sample_snapshot_jats_parses_read_like_real_pmc_json(corpus_dir):
    papers = jats_papers(SAMPLE_DOCUMENTS / "pmc", "*.xml")
    assert len(papers) >= 5
    assert differences(_signature_of(papers), real_signature(corpus_dir, "pmc_json")) == []


def test_sample_snapshot_pdf_parses_read_like_real_pdf_json(corpus_dir):
    from parsers.pdf.sandbox import parse_pdf

    papers = []
    for path in sorted((SAMPLE_DOCUMENTS / "pdf").glob("*.pdf")):
        try:
            papers.append(parse_pdf(path.read_bytes()))
        except Exception:  # noqa: BLE001 - the sample's HTML page saved as a PDF
            continue
    assert len(papers) == 5  # the sample's five PDFs; its HTML page saved as a PDF is refused
    assert differences(_signature_of(papers), real_signature(corpus_dir, "pdf_json")) == []


def test_a_difference_is_reported(corpus_dir):
    paper = tei_papers(corpus_dir)[0]
    paragraph = next(p for p in paper["body_text"] if p["cite_spans"])
    paragraph["cite_spans"][0]["mention"] = paragraph["cite_spans"][0].pop("text")
    next(iter(paper["bib_entries"].values()))["ref_id"] = "BIBREF0"
    found = differences(_signature_of([paper]), real_signature(corpus_dir, "pdf_json"))
    assert any(".cite_spans[]{}: keys ['end', 'mention', 'ref_id', 'start']" in f for f in found)
    assert any(".ref_id: 1 value(s) not 'GROBID bib id'" in f for f in found)


def test_every_real_release_file_passes_our_schemas_and_span_checks(corpus_dir):
    from schemas import schema_errors
    from schemas.invariants import paper_problems

    for kind, paths in real_files(corpus_dir).items():
        for path in paths:
            paper = json.loads(path.read_text(encoding="utf-8"))
            assert schema_errors(kind, paper) == [] and paper_problems(paper) == [], path.name
