"""Benchmark dedup: scale on generated records, quality on labelled sets.

1. Scale: N generated source records (default 1,000,000) with CORD-19's duplicate
   structure are clustered (identifiers and fuzzy) in a fresh process; we report the
   clustering time, wall-clock and CPU (matching features + sort + `link_records`;
   record generation not counted; CPU time is the one-core figure when other work
   shares the machine), the process's peak RSS, and candidate pairs per record. The process holds
   what the one-worker step of ClusterPapers holds: per record its identifiers, its
   matching features and its label, not the full source record.
2. Quality: pairwise precision and recall on the labelled set built from real CORD-19
   rows (tests/support/dedup_labelled_set.py), with and without added correction
   notices, and on the generated data (whose truth is known).

Generated data: papers get the source combinations of CORD-19's final release
(shares measured on the 200-row sample: WHO only 47 %, Medline only 14 %, Medline+PMC
13 %, Medline+PMC+WHO 6.5 %, ...), each source its identifiers (WHO carries a DOI for
60 % of papers, otherwise only its own id), and each source its title and author
forms (MEDLINE final period, PMC typographic hyphens, Elsevier Title Case; WHO case,
markup, entities, spacing, a one-character typo in 3 % of titles, initials, year only,
a year off by one in 5 %, "The " before the journal name in half). Titles draw words from a Zipf vocabulary with common
COVID-19 openings ("The impact of COVID-19 on ..."); surnames are Zipf too, with the
most common Chinese and Korean surnames on top. Hard negatives are added: generic
titles ("Editorial", ...), series parts ("Part 1"/"Part 2", same authors), correction
notices ("Correction to: <title>", same authors) and preprint/published pairs (same
title, different DOIs: two papers, as in CORD-19).

Run: python benchmarks/bench_dedup.py [--records 1000000] [--seed 1] [--skip-scale]
"""
import argparse
import multiprocessing
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dedup import cluster_records  # noqa: E402
from dedup.cluster import link_records  # noqa: E402
from dedup.features import match_features, record_label  # noqa: E402
from dedup.ids import cluster_ids  # noqa: E402
from tests.support.dedup_labelled_set import build_labelled_set, pairwise_quality  # noqa: E402

SOURCE_COMBINATIONS = [
    (("WHO",), 0.475), (("Medline",), 0.14), (("Medline", "PMC"), 0.13), (("Medline", "PMC", "WHO"), 0.065),
    (("PMC",), 0.06), (("Elsevier", "Medline", "PMC", "WHO"), 0.035), (("Medline", "WHO"), 0.03),
    (("Elsevier", "Medline", "PMC"), 0.015), (("MedRxiv", "WHO"), 0.015), (("Elsevier", "PMC"), 0.01),
    (("ArXiv",), 0.01), (("BioRxiv", "WHO"), 0.005), (("MedRxiv",), 0.005), (("Elsevier", "PMC", "WHO"), 0.005),
]
COMMON_WORDS = (
    "of the and in for with a on during among patients covid-19 sars-cov-2 coronavirus pandemic clinical study "
    "analysis infection respiratory health risk outcomes severe disease care review systematic model vaccine "
    "response impact cases hospital children mental data novel china effect factors acute associated evaluation "
    "treatment virus transmission public management cohort case report epidemic lockdown students workers "
    "healthcare social online learning immune protein cells mortality testing detection rapid genome sequence "
    "variant spike antibody antibodies trial randomized therapy vitamin obesity diabetes cancer"
).split()
OPENINGS = (
    "The impact of COVID-19 on", "COVID-19 and", "Clinical characteristics of", "A systematic review of",
    "Effects of the COVID-19 pandemic on", "Risk factors for", "SARS-CoV-2 infection in", "Knowledge and attitudes of",
    "Mental health of", "Outcomes of patients with", "Vaccine hesitancy among", "A case report of",
)
GENERIC = ("Editorial", "Introduction", "Correction", "Letter to the editor", "Erratum", "Preface", "In this issue", "Reply")
COMMON_SURNAMES = (
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Kim Lee Park Choi Nguyen Smith "
    "Johnson Brown Garcia Martin Rossi Muller Singh Kumar Sharma Ali Khan Silva Santos Tanaka Suzuki"
).split()
SYLLABLES = (
    "ka ri to mo na be la ve si pu de fo gu li ra ne ti so ma ke zo ha ni pe lu qu ba ce di fa go hi jo ku me no "
    "pa re se tu vi wa xe yo zu an el in or um ar en is ol us"
).split()


def _pseudo_words(rng, count: int) -> list[str]:
    words = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _zipf_weights(count: int) -> list[float]:
    total, cumulative = 0.0, []
    for rank in range(count):
        total += 1.0 / (rank + 1)
        cumulative.append(total)
    return cumulative


class Generator:
    """Deterministic source records with a known truth (paper number per record)."""

    def __init__(self, seed: int):
        import random

        self.rng = random.Random(seed)
        self.words = COMMON_WORDS + _pseudo_words(self.rng, 40000)
        self.word_weights = _zipf_weights(len(self.words))
        self.surnames = COMMON_SURNAMES + [w.capitalize() for w in _pseudo_words(self.rng, 60000)]
        self.surname_weights = _zipf_weights(len(self.surnames))
        self.given = [w.capitalize() for w in _pseudo_words(self.rng, 3000)]
        self.journals = [f"{w.capitalize()} {rng_word}" for w, rng_word in
                         zip(_pseudo_words(self.rng, 2000), self.rng.choices(("Journal", "Reports", "Medicine", "Research"), k=2000))]
        self.journal_weights = _zipf_weights(len(self.journals))
        self.combos = [c for c, _ in SOURCE_COMBINATIONS]
        self.combo_weights = [w for _, w in SOURCE_COMBINATIONS]
        self.who_counter = 0

    def title(self) -> str:
        rng = self.rng
        words = rng.choices(self.words, cum_weights=self.word_weights, k=rng.randint(5, 14))
        text = " ".join(words)
        if rng.random() < 0.3:
            text = f"{rng.choice(OPENINGS)} {text}"
        return text[0].upper() + text[1:]

    def authors(self) -> list[dict]:
        rng = self.rng
        names = rng.choices(self.surnames, cum_weights=self.surname_weights, k=rng.randint(1, 8))
        return [{"first": rng.choice(self.given), "middle": [rng.choice("ABCDEFGHJKLMNPRST")] if rng.random() < 0.3 else [],
                 "last": name, "suffix": ""} for name in names]

    def _typo(self, title: str) -> str:
        rng = self.rng
        position = rng.randrange(1, len(title) - 1)
        if rng.random() < 0.5:
            return title[:position] + title[position + 1:]
        return title[:position] + rng.choice("aeiourstn") + title[position + 1:]

    def _who_title(self, title: str) -> str:
        rng = self.rng
        variant = rng.randrange(4)
        if variant == 1:
            title = title.upper()
        elif variant == 2:
            first, _, rest = title.partition(" ")
            title = f"<i>{first}</i> {rest}".replace(" and ", " &amp; ")
        elif variant == 3:
            title = title.rstrip(".").replace(" ", "  ", 1) + "."
        return self._typo(title) if rng.random() < 0.03 else title

    def _record(self, source: str, paper: dict) -> dict:
        rng = self.rng
        number = paper["number"]
        ids = dict.fromkeys(("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id", "s2_id"))
        title, authors, date, journal = paper["title"], paper["authors"], paper["date"], paper["journal"]
        if source == "Medline":
            ids.update(pubmed_id=str(10_000_000 + number), doi=paper["doi"])
            source_id, title = ids["pubmed_id"], title + "."
        elif source == "PMC":
            ids.update(pmcid=f"PMC{5_000_000 + number}", pubmed_id=str(10_000_000 + number), doi=paper["doi"])
            source_id, title = ids["pmcid"], title.replace("-", "\u2010")
        elif source == "Elsevier":
            ids.update(doi=paper["doi"])
            source_id, title = paper["doi"], title.title()
        elif source == "ArXiv":
            ids.update(arxiv_id=f"{2000 + number % 300}.{number % 100000:05d}")
            source_id = ids["arxiv_id"]
        elif source in ("MedRxiv", "BioRxiv"):
            ids.update(doi=paper["doi"])
            source_id = paper["doi"]
        else:  # WHO
            self.who_counter += 1
            ids.update(who_covidence_id=f"#{self.who_counter}", doi=paper["doi"] if rng.random() < 0.6 else None)
            source_id, title = ids["who_covidence_id"], self._who_title(title)
            journal = f"The {journal}" if rng.random() < 0.5 else journal
            authors = [] if rng.random() < 0.02 else [
                {"first": a["first"][0] + ".", "middle": [], "last": a["last"], "suffix": ""} for a in authors]
            year = int(date[:4]) + (1 if rng.random() < 0.05 else 0)
            date = str(year)
        return {"source": source, "source_id": source_id, "ids": ids, "title": title, "abstract": "",
                "authors": authors, "publish_time": date, "journal": journal, "license": "unk", "urls": [],
                "documents": [], "article_type": paper.get("article_type", "research-article")}

    def papers(self):
        """Papers (dicts with title, authors, date, doi, sources), hard negatives included."""
        rng = self.rng
        number = 0
        while True:
            number += 1
            year = rng.choice((2019, 2020, 2020, 2021, 2021, 2022) if rng.random() < 0.9 else range(1970, 2019))
            paper = {"number": number, "title": self.title(), "authors": self.authors(),
                     "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                     "doi": f"10.{1000 + number % 9000}/g{number}",
                     "journal": rng.choices(self.journals, cum_weights=self.journal_weights)[0],
                     "sources": rng.choices(self.combos, weights=self.combo_weights)[0]}
            kind = rng.random()
            if kind < 0.01:
                paper["title"] = rng.choice(GENERIC)
            elif kind < 0.015:  # a series: this paper and its part 2
                paper["title"] += ": part 1"
                yield paper
                number += 1
                paper = {**paper, "number": number, "title": paper["title"][:-1] + "2", "doi": f"10.{1000 + number % 9000}/g{number}"}
            elif kind < 0.02:  # a correction notice about this paper
                yield paper
                number += 1
                paper = {**paper, "number": number, "title": f"Correction to: {paper['title']}", "article_type": "correction",
                         "doi": f"10.{1000 + number % 9000}/g{number}", "sources": ("Medline", "PMC")}
            elif kind < 0.03:  # a preprint, months before its journal version (which WHO copies)
                months_before = int(paper["date"][5:7]) - rng.randint(2, 8)  # 1..12 this year, <= 0 the year before
                preprint_date = f"{year}-{months_before:02d}-01" if months_before > 0 else f"{year - 1}-{months_before + 12:02d}-01"
                yield {**paper, "sources": ("MedRxiv",), "number": number, "doi": f"10.1101/{number}", "date": preprint_date,
                       "journal": "medRxiv"}
                number += 1
                paper = {**paper, "number": number, "doi": f"10.{1000 + number % 9000}/g{number}",
                         "sources": rng.choice((("Medline", "PMC", "WHO"), ("Elsevier", "Medline", "PMC", "WHO")))}
            yield paper

    def records(self, count: int):
        """(source record, paper number) pairs, `count` of them."""
        produced = 0
        for paper in self.papers():
            for source in paper["sources"]:
                yield self._record(source, paper), paper["number"]
                produced += 1
                if produced == count:
                    return


BATCH_SIZE = 10_000  # records generated, then turned into features in one timed step


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Stopwatch:
    """Wall-clock and CPU seconds of the timed sections only."""

    def __init__(self):
        self.wall = self.cpu = 0.0

    def __enter__(self):
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc_info):
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu


def scale_run(count: int, seed: int, connection) -> None:
    """Child process: generate, cluster, send the measurements back."""
    baseline = _peak_rss_mib()
    ids, features, labels, truth = [], [], [], []
    features_time, sort_time, link_time = _Stopwatch(), _Stopwatch(), _Stopwatch()
    batch: list[dict] = []
    for number, (record, paper) in enumerate(Generator(seed).records(count), start=1):
        batch.append(record)
        truth.append(paper)
        if len(batch) == BATCH_SIZE or number == count:
            with features_time:
                ids.extend(cluster_ids(r["ids"]) for r in batch)
                features.extend(match_features(r) for r in batch)
                labels.extend(record_label(r) for r in batch)
            batch = []
    with sort_time:
        order = sorted(range(count), key=lambda i: labels[i].partition(":")[::2])
        ids = [ids[i] for i in order]
        features = [features[i] for i in order]
        labels = [labels[i] for i in order]
    truth = [truth[i] for i in order]
    with link_time:
        linkage = link_records(ids, features, labels)
    summary = linkage.report[-1]
    kinds = Counter(entry["kind"] for entry in linkage.report)
    quality = pairwise_quality([[str(i) for i in group] for group in linkage.groups], {str(i): truth[i] for i in range(count)})
    connection.send({
        "records": count, "papers": len(set(truth)), "clusters": len(linkage.groups),
        "times": {name: (watch.wall, watch.cpu) for name, watch in
                  (("features", features_time), ("sort", sort_time), ("link", link_time))},
        "candidate_pairs": summary["candidate_pairs"], "baseline_rss_mib": baseline, "peak_rss_mib": _peak_rss_mib(),
        "report_kinds": dict(kinds), "quality": quality,
    })


def labelled_quality(with_notices: bool, with_typos: bool) -> dict:
    records, truth = build_labelled_set(with_notices=with_notices, with_typos=with_typos)
    result = cluster_records(records)
    groups = [[f"{m['source']}:{m['source_id']}" for m in c.members] for c in result.clusters]
    return {"records": len(records), **pairwise_quality(groups, truth)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args(argv)

    print("labelled set (real CORD-19 rows, split per source)")
    print(f"{'set':<28}{'records':>9}{'true pairs':>12}{'predicted':>11}{'precision':>11}{'recall':>8}")
    for name, notices, typos in (("rows", False, False), ("rows + correction notices", True, False),
                                 ("rows + WHO typos (1 in 5)", False, True)):
        q = labelled_quality(notices, typos)
        print(f"{name:<28}{q['records']:>9}{q['true_pairs']:>12}{q['predicted_pairs']:>11}{q['precision']:>11.4f}{q['recall']:>8.4f}")
    if args.skip_scale:
        return 0

    receiver, sender = multiprocessing.get_context("spawn").Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(target=scale_run, args=(args.records, args.seed, sender))
    child.start()
    result = receiver.recv()
    child.join()
    times = result["times"]
    total_wall = sum(wall for wall, _ in times.values())
    total_cpu = sum(cpu for _, cpu in times.values())
    q = result["quality"]
    print()
    print(f"scale: {result['records']:,} generated records ({result['papers']:,} papers), one process")
    print(f"{'':<52}{'wall s':>10}{'CPU s':>10}")
    for name, label in (("features", "matching features + ids"), ("sort", "canonical sort"),
                        ("link", "link_records: ids + blocking + scoring + union")):
        print(f"{label:<52}{times[name][0]:>10.1f}{times[name][1]:>10.1f}")
    print(f"{'total clustering time':<52}{total_wall:>10.1f}{total_cpu:>10.1f}")
    rows = [
        ("peak RSS (MiB)", f"{result['peak_rss_mib']:.0f}"),
        ("RSS before generation (MiB)", f"{result['baseline_rss_mib']:.0f}"),
        ("candidate pairs", f"{result['candidate_pairs']:,}"),
        ("candidate pairs per record", f"{result['candidate_pairs'] / result['records']:.2f}"),
        ("clusters", f"{result['clusters']:,}"),
        ("report entries by kind", ", ".join(f"{k} {v:,}" for k, v in sorted(result["report_kinds"].items()))),
        ("pairwise precision (generated truth)", f"{q['precision']:.4f}"),
        ("pairwise recall (generated truth)", f"{q['recall']:.4f}"),
    ]
    for name, value in rows:
        print(f"{name:<52}{value:>20}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
