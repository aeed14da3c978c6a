"""Build a labelled dedup set from real CORD-19 metadata rows.

Each row of a real CORD-19 metadata.csv is one paper that CORD-19 had already
merged from the sources named in its `source_x`. We split every row back into one
source record per source, giving each the identifiers and the title, author and
date forms that source really has:

- Medline: pubmed_id and doi; the title ends with a period (MEDLINE style, non-English
  titles in [brackets] as the row has them); full author names; full date.
- PMC: pmcid, pubmed_id and doi; typographic apostrophes and hyphens (U+2019, U+2010);
  full names; full date; a JATS document when the row has a pmc_json parse.
- WHO: only its Covidence id (no DOI, no PMID: the hard case, matched by title,
  authors and year alone); one of four title renderings chosen by a hash of the
  cord_uid: as is, without the final period and with doubled spaces, with HTML
  entities and <i> markup on the first word, or lower-cased; authors as
  "Last, F. M." initials; year only.
- Elsevier: doi only; Title Case; full names.
- MedRxiv / BioRxiv: doi only; ArXiv: arxiv_id only.
The truth label of every record is its row's cord_uid. Pairs of records from the
same row are the true pairs; every other pair is a negative.

`with_notices=True` adds, for one row in ten, a "Correction to: <title>" record from
the same authors with its own DOI: a hard negative CORD-19 rows do not contain.
`with_typos=True` deletes one character (at a hashed position) from the WHO title of
one row in five: a harder, synthetic variant of the same set.

Used by benchmarks/bench_dedup.py and tests/test_dedup_corpus.py. Run, from the project
root: python -m tests.support.dedup_labelled_set [METADATA_CSV] (prints the set's size;
the default CSV is read from the corpus at CORD19_CORPUS, default ../shared/corpus).
"""
import csv
import hashlib
import html
import sys
from collections import Counter
from pathlib import Path

from tests.support.paths import corpus_path

DEFAULT_CSV = corpus_path() / "cord19" / "metadata_sample_200rows_final2022.csv"
ID_FIELDS = ("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id", "s2_id")


def _pick(cord_uid: str, salt: str, choices: int) -> int:
    return int(hashlib.sha1(f"{cord_uid}|{salt}".encode()).hexdigest(), 16) % choices


def _authors(row: dict, initials: bool) -> list[dict]:
    authors = []
    for name in filter(None, (part.strip() for part in row["authors"].split(";"))):
        last, _, given = name.partition(",")
        given_parts = given.split()
        if initials:
            given_parts = [part[0] + "." for part in given_parts]
        authors.append({"first": given_parts[0] if given_parts else "", "middle": given_parts[1:],
                        "last": last.strip(), "suffix": ""})
    return authors


def _who_title(title: str, cord_uid: str) -> str:
    variant = _pick(cord_uid, "who-title", 4)
    if variant == 1:
        return title.rstrip(".").replace(" ", "  ", 2)
    if variant == 2:
        first, _, rest = html.escape(title, quote=False).partition(" ")
        return f"<i>{first}</i> {rest}"
    if variant == 3:
        return title.lower()
    return title


def _ids(row: dict, fields: tuple[str, ...]) -> dict:
    ids = dict.fromkeys(ID_FIELDS)
    for field in fields:
        value = row[field].strip()
        if field == "pubmed_id" and value.endswith(".0"):
            value = value[:-2]
        ids[field] = value or None
    return ids


def _with_typo(title: str, cord_uid: str) -> str:
    if len(title) < 3:
        return title
    position = 1 + _pick(cord_uid, "typo-position", len(title) - 2)
    return title[:position] + title[position + 1:]


def split_row(row: dict, with_typos: bool = False) -> list[dict]:
    """One source record per source of a real CORD-19 metadata row."""
    uid, title, date = row["cord_uid"], row["title"], row["publish_time"]
    records = []
    for source in (part.strip() for part in row["source_x"].split(";")):
        record = {"source": source, "source_id": f"{source.lower()}-{uid}", "title": title, "abstract": "",
                  "authors": _authors(row, initials=False), "publish_time": date, "journal": row["journal"],
                  "license": "unk", "urls": [], "documents": []}
        if source == "Medline":
            record.update(ids=_ids(row, ("pubmed_id", "doi")), title=title if title.endswith(".") else title + ".")
        elif source == "PMC":
            record.update(ids=_ids(row, ("pmcid", "pubmed_id", "doi")), title=title.replace("'", "\u2019").replace("-", "\u2010"),
                          license=row["license"] or "unk")
            if row["pmc_json_files"]:
                record["documents"] = [{"type": "jats", "url": f"https://www.ncbi.nlm.nih.gov/pmc/articles/{row['pmcid']}/"}]
        elif source == "WHO":
            who_title = _who_title(title, uid)
            if with_typos and _pick(uid, "typo", 5) == 0:
                who_title = _with_typo(who_title, uid)
            record.update(ids=_ids(row, ("who_covidence_id",)), title=who_title,
                          authors=_authors(row, initials=True), publish_time=date[:4])
        elif source == "Elsevier":
            record.update(ids=_ids(row, ("doi",)), title=title.title())
        elif source == "ArXiv":
            record.update(ids=_ids(row, ("arxiv_id",)))
        else:
            record.update(ids=_ids(row, ("doi",)))
        records.append(record)
    return records


def correction_notice(row: dict) -> dict:
    """A hard negative: the erratum of the row's paper (same authors, own DOI)."""
    return {"source": "Medline", "source_id": f"erratum-{row['cord_uid']}",
            "ids": {**dict.fromkeys(ID_FIELDS), "doi": f"10.9999/erratum.{row['cord_uid']}"},
            "title": f"Correction to: {row['title']}", "abstract": "", "authors": _authors(row, initials=False),
            "publish_time": row["publish_time"], "journal": row["journal"], "license": "unk", "urls": [],
            "documents": [], "article_type": "correction"}


def build_labelled_set(
    csv_path: Path = DEFAULT_CSV, with_notices: bool = False, with_typos: bool = False
) -> tuple[list[dict], dict[str, str]]:
    """Source records and their truth (record label "source:source_id" -> paper id)."""
    with csv_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    records, truth = [], {}
    for row in rows:
        for record in split_row(row, with_typos):
            records.append(record)
            truth[f"{record['source']}:{record['source_id']}"] = row["cord_uid"]
        if with_notices and row["title"] and _pick(row["cord_uid"], "notice", 10) == 0:
            notice = correction_notice(row)
            records.append(notice)
            truth[f"{notice['source']}:{notice['source_id']}"] = notice["source_id"]
    return records, truth


def pairwise_quality(groups: list[list[str]], truth: dict[str, str]) -> dict:
    """Pairwise precision and recall of predicted groups of record labels against the truth."""
    predicted = sum(len(g) * (len(g) - 1) // 2 for g in groups)
    true_sizes = Counter(truth.values())
    actual = sum(n * (n - 1) // 2 for n in true_sizes.values())
    correct = 0
    for group in groups:
        counts = Counter(truth[label] for label in group)
        correct += sum(n * (n - 1) // 2 for n in counts.values())
    return {
        "true_pairs": actual,
        "predicted_pairs": predicted,
        "correct_pairs": correct,
        "precision": correct / predicted if predicted else 1.0,
        "recall": correct / actual if actual else 1.0,
    }


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_CSV
    records, truth = build_labelled_set(path)
    pairs = sum(n * (n - 1) // 2 for n in Counter(truth.values()).values())
    print(f"{path.name}: {len(set(truth.values()))} papers, {len(records)} source records, {pairs} true pairs")
    print(Counter(record["source"] for record in records).most_common())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
