"""How close a pdfminer-fallback parse is to the GROBID-based parse of the same PDF.

The measures of issue 16, shared by `benchmarks/bench_pdf_fallback_quality.py` and the
fallback's test (same definitions for "today" and "after"):

- body similarity: rapidfuzz `fuzz.ratio` (0-100) of the two body texts, each the
  paragraphs' texts joined with one space, whitespace collapsed;
- paragraphs: ours / theirs, body paragraphs;
- cite spans: of their cite spans that link a bib entry, the share that ours
  reproduce: a span of ours with the same surface text (brackets, separators and
  spacing at the edges ignored) linked to our entry aligned with theirs; each of our
  spans is used once;
- bib entries: the share of their bib entries that one of ours is aligned with
  (one-to-one, best first): the titles agree (rapidfuzz `token_set_ratio`, or
  `partial_ratio` against our title and venue, >= 90, or >= 70 when the years do not
  disagree), or the first authors' surnames and the years agree;
- authors: the share of their authors' surnames that ours name (folded);
- ref spans: how many of their figure and table references ("Table 1") ours has,
  by surface text (GROBID leaves most of them unlinked).

Two more figures explain the similarity: `covered`, the share of their body text that
ours holds (longest common subsequence over their length), and `similarity_bound`,
the similarity their body has with itself plus the text GROBID's TEI files as
footnotes (doc2json leaves `<note place="foot">` out of the body): no parse that keeps
that text, footnotes and body text GROBID took for footnotes alike, can score more.
"""
import collections
import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from parsers.xmlsafe import parse_xml_bytes

TITLE_TOKEN_SET_MIN = 70
TITLE_STRONG = 90
_EDGES = " \t\n()[]{};,.:"


@dataclass
class Quality:
    body_similarity: float
    paragraphs_ours: int
    paragraphs_theirs: int
    cites_matched: int
    cites_theirs: int  # their cite spans that link a bib entry
    bib_matched: int
    bib_theirs: int
    authors_matched: int
    authors_theirs: int
    covered: float  # share of their body text that ours holds
    ref_spans_matched: int  # their figure and table references ("Table 1") that ours has too
    ref_spans_theirs: int

    @property
    def paragraph_ratio(self) -> float:
        return self.paragraphs_ours / self.paragraphs_theirs if self.paragraphs_theirs else float("inf")

    @property
    def cite_share(self) -> float:
        return self.cites_matched / self.cites_theirs if self.cites_theirs else 1.0

    @property
    def bib_share(self) -> float:
        return self.bib_matched / self.bib_theirs if self.bib_theirs else 1.0

    @property
    def author_share(self) -> float:
        return self.authors_matched / self.authors_theirs if self.authors_theirs else 1.0


def reference_parse(data: dict) -> dict:
    """The pdf_json of a doc2json output: CORD-19's layout, or S2ORC's (`pdf_parse` with
    title and authors at the top level)."""
    if "pdf_parse" not in data:
        return data
    parse = dict(data["pdf_parse"])
    parse["metadata"] = {"title": data.get("title", ""), "authors": data.get("authors", [])}
    return parse


def measure(ours: dict, theirs: dict) -> Quality:
    """The figures of `ours` (pdfminer fallback) against `theirs` (GROBID-based), both pdf_json."""
    alignment = align_bib_entries(theirs["bib_entries"], ours["bib_entries"])
    cites_matched, cites_theirs = _cite_spans_reproduced(ours, theirs, alignment)
    authors_matched, authors_theirs = _authors_found(ours, theirs)
    our_body, their_body = body_text(ours), body_text(theirs)
    common = (len(our_body) + len(their_body) - Indel.distance(our_body, their_body)) / 2
    return Quality(
        body_similarity=fuzz.ratio(our_body, their_body),
        paragraphs_ours=len(ours["body_text"]),
        paragraphs_theirs=len(theirs["body_text"]),
        cites_matched=cites_matched,
        cites_theirs=cites_theirs,
        bib_matched=len(alignment),
        bib_theirs=len(theirs["bib_entries"]),
        authors_matched=authors_matched,
        authors_theirs=authors_theirs,
        covered=common / len(their_body) if their_body else 1.0,
        ref_spans_matched=_same_surfaces(ours, theirs, "ref_spans"),
        ref_spans_theirs=sum(len(p["ref_spans"]) for p in theirs["body_text"]),
    )


def _same_surfaces(ours: dict, theirs: dict, kind: str) -> int:
    """How many of their spans of `kind` ours has with the same surface text (each of ours used once)."""
    available = collections.Counter(_surface(s["text"]) for p in ours["body_text"] for s in p[kind])
    matched = 0
    for p in theirs["body_text"]:
        for s in p[kind]:
            if available[_surface(s["text"])] > 0:
                available[_surface(s["text"])] -= 1
                matched += 1
    return matched


_TEI = "{http://www.tei-c.org/ns/1.0}"


def similarity_bound(theirs: dict, tei: bytes) -> float:
    """The similarity of their body to itself plus the TEI's footnote text (see above)."""
    notes = [" ".join("".join(note.itertext()).split()) for note in parse_xml_bytes(tei).iter(f"{_TEI}note")
             if note.get("place") == "foot"]
    body = body_text(theirs)
    return fuzz.ratio(body, " ".join([body, *notes]))


def body_text(parse: dict) -> str:
    return re.sub(r"\s+", " ", " ".join(p["text"] for p in parse["body_text"])).strip()


def fold(text: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", text).strip()


def align_bib_entries(theirs: dict, ours: dict) -> dict[str, str]:
    """Their bib key -> our bib key, one to one, best title match first."""
    scored = []
    for their_key, their in theirs.items():
        for our_key, our in ours.items():
            score = _title_score(their, our)
            if score is not None:
                scored.append((-score, their_key, our_key))
    alignment: dict[str, str] = {}
    used: set[str] = set()
    for _, their_key, our_key in sorted(scored):
        if their_key not in alignment and our_key not in used:
            alignment[their_key] = our_key
            used.add(our_key)
    return alignment


def _title_score(their: dict, our: dict) -> float | None:
    """How well two entries agree, or None when they are not the same reference: the
    titles match (their title may sit in our venue when the two split the entry
    differently), or the first authors' surnames and the years do."""
    years_known = bool(their.get("year") and our.get("year"))
    same_year = not years_known or their["year"] == our["year"]
    same_author = bool(their.get("authors") and our.get("authors")) and (
        fold(their["authors"][0]["last"]) == fold(our["authors"][0]["last"]) != ""
    )
    a = fold(their.get("title") or "")
    b = fold(our.get("title") or "")
    b_all = fold(f"{our.get('title') or ''} {our.get('venue') or ''}")
    title = 0.0
    if a and b:
        title = fuzz.token_set_ratio(a, b)
        if min(len(a), len(b_all)) >= 15:
            title = max(title, fuzz.partial_ratio(a, b_all))
    if title >= TITLE_STRONG or (same_year and title >= TITLE_TOKEN_SET_MIN) or (
        same_author and years_known and same_year
    ):
        return title + 10 * same_author + 5 * same_year
    return None


def _surface(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip(_EDGES)).casefold()


def _cite_spans_reproduced(ours: dict, theirs: dict, alignment: dict[str, str]) -> tuple[int, int]:
    available = collections.Counter(
        (_surface(s["text"]), s["ref_id"]) for p in ours["body_text"] for s in p["cite_spans"] if s["ref_id"]
    )
    matched = total = 0
    for p in theirs["body_text"]:
        for s in p["cite_spans"]:
            if not s["ref_id"] or s["ref_id"] not in theirs["bib_entries"]:
                continue
            total += 1
            key = (_surface(s["text"]), alignment.get(s["ref_id"]))
            if key[1] is not None and available[key] > 0:
                available[key] -= 1
                matched += 1
    return matched, total


def _authors_found(ours: dict, theirs: dict) -> tuple[int, int]:
    our_names = collections.Counter(fold(a["last"]) for a in ours["metadata"]["authors"])
    matched = total = 0
    for person in theirs["metadata"]["authors"]:
        total += 1
        name = fold(person["last"])
        if our_names[name] > 0:
            our_names[name] -= 1
            matched += 1
    return matched, total
