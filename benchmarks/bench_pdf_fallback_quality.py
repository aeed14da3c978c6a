"""How close the pdfminer.six fallback comes to the GROBID-based parse of the same PDF.

For each PDF that has a GROBID-based parse next to it, prints the figures of issue 16
(defined in tests/support/pdf_quality.py) next to their targets: whole-body similarity
>= 90, paragraph count within 1.5x of GROBID's, >= 50% of GROBID's linked cite spans
reproduced and linked to the same bib entry, >= 90% of its bib entries; and, without a
target, the share of its authors found, the share of GROBID's body text ours holds and,
where the TEI is there, the most any parse that keeps GROBID's footnote text can score.

A pair is a PDF and, in the same folder, doc2json's JSON of it (CORD-19 or S2ORC
layout, the paper_id or the file stem naming the PDF) or else a GROBID TEI of it (read
with parsers.pdf.tei). By default the corpus folders expected/* and tei/ are searched
(today only the doc2json chain's 28-page working paper has its PDF there); --extra
adds folders of your own.

Run: python benchmarks/bench_pdf_fallback_quality.py [--corpus ../shared/corpus] [--extra DIR ...]
"""
import argparse
import hashlib
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parsers.errors import ParseError  # noqa: E402
from parsers.pdf.sandbox import parse_pdf  # noqa: E402
from parsers.pdf.tei import tei_to_pdf_json  # noqa: E402
from tests.support.pdf_quality import measure, reference_parse, similarity_bound  # noqa: E402

TARGETS = "similarity >= 90, paragraphs x0.67-x1.5, cite spans >= 50%, bib entries >= 90%"


def find_pairs(folders: list[Path]) -> list[tuple[Path, dict, bytes | None]]:
    """(PDF, GROBID-based pdf_json, its TEI when there is one) for every PDF in
    `folders` with a reference beside it."""
    pairs = []
    for folder in folders:
        for pdf in sorted(folder.glob("*.pdf")):
            reference, tei = _reference_for(pdf)
            if reference is not None:
                pairs.append((pdf, reference, tei))
    return pairs


def _reference_for(pdf: Path) -> tuple[dict | None, bytes | None]:
    sha1 = hashlib.sha1(pdf.read_bytes()).hexdigest()
    names = {sha1, pdf.stem}
    teis = [path.read_bytes() for path in sorted(pdf.parent.glob("*.tei.xml")) if path.name[:-8] in names]
    for candidate in sorted(pdf.parent.glob("*.json")):
        data = json.loads(candidate.read_bytes())
        if isinstance(data, dict) and (str(data.get("paper_id")) in names or candidate.stem in names):
            return reference_parse(data), teis[0] if teis else None
    if teis:
        return tei_to_pdf_json(teis[0], sha1), teis[0]
    return None, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    parser.add_argument("--extra", nargs="*", default=[], help="more folders holding PDF + doc2json JSON or TEI")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    corpus = Path(args.corpus)
    folders = sorted(p for p in (corpus / "expected").iterdir() if p.is_dir()) + [corpus / "tei"]
    folders += [Path(extra) for extra in args.extra]
    print(f"targets: {TARGETS}\n")
    print(f"{'pdf':40} {'similarity':>10} {'paragraphs':>16} {'cite spans':>16} {'bib entries':>16} {'authors':>10}"
          f" {'ref spans':>10} {'covered':>8} {'bound':>6}")
    for pdf, reference, tei in find_pairs(folders):
        try:
            ours = parse_pdf(pdf.read_bytes())
        except ParseError as exc:
            print(f"{pdf.name[:40]:40} failed: {exc.reason}: {exc}")
            continue
        q = measure(ours, reference)
        print(
            f"{pdf.name[:40]:40} {q.body_similarity:10.1f} "
            f"{f'{q.paragraphs_ours}/{q.paragraphs_theirs} x{q.paragraph_ratio:.2f}':>16} "
            f"{f'{q.cites_matched}/{q.cites_theirs} {100 * q.cite_share:.0f}%':>16} "
            f"{f'{q.bib_matched}/{q.bib_theirs} {100 * q.bib_share:.0f}%':>16} "
            f"{f'{q.authors_matched}/{q.authors_theirs}':>10} "
            f"{f'{q.ref_spans_matched}/{q.ref_spans_theirs}':>10} {100 * q.covered:7.1f}% "
            f"{f'{similarity_bound(reference, tei):.1f}' if tei else '-':>6}"
        )
    print("\ncovered: share of GROBID's body text that ours holds; bound: the most a parse that keeps the text "
          "GROBID's TEI files as footnotes (left out by doc2json) can score")


if __name__ == "__main__":
    main()
