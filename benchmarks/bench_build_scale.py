"""Build cost at scale (issue #13): `cord19 build` cold, warm and 1% changed, against a floor.

Generates, in a temporary folder, a snapshot of --records source records and
--full-texts documents from the real corpus files (scripts/make_scale_snapshot.py:
PubMed pages, WHO and bioRxiv duplicates of PubMed papers, JATS articles with their
own PMCIDs, about 3% PDFs, and --identical-copies JATS files without PMCID holding
the same bytes under different names), and the same snapshot with 1% of its documents
changed. Then it runs `python -m pipeline.cli build` in a subprocess, one at a time:

  cold        an empty --parse-cache folder
  warm        the same snapshot, the warm cache, --previous = the cold release, a new date
  1% changed  the changed snapshot, the warm cache, --previous = the warm release
  no cache    the same snapshot without --parse-cache, with the warm run's date and
              --previous: the reference the releases are compared with, file by file

For each run: CPU seconds (user + sys of the whole process tree: RUSAGE_CHILDREN before
and after the wait), wall seconds, peak RSS of the whole process tree (the RSS of the
build and all its descendants, summed, sampled from /proc every 0.1 s), CPU per source
record and per full text, CPU over the floor, and the release's counts.
The floor is measured first, in this process: no Beam, no validation, only the
project's own functions: every feed file read with `parsers.feeds.iter_feed_records`,
every document parsed (`parse_full_text`: the JATS and PDF converters, pdfminer.six in
its worker process, whose CPU is counted too), every record clustered with
`dedup.cluster_records` (so this process holds every source record at once, about
5 KiB each). The targets of issue #13 are printed beside the numbers.

Run by hand, from the project root, one benchmark at a time (the machine is shared;
100k records with 20k full texts take about 40 minutes for the four builds and the floor):

    python benchmarks/bench_build_scale.py --records 10000 --full-texts 1000 \
        [--identical-copies K] [--seed 0] [--runner-args "--direct_running_mode=multi_processing --direct_num_workers=2"] \
        [--work-dir DIR]

--runner-args go to every `cord19 build` (default none: the default local runner).
--work-dir keeps the snapshots, releases and logs there instead of a temporary folder.
"""
import argparse
import filecmp
import io
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "scripts"))

from dedup import cluster_records, harmonize_cluster  # noqa: E402
from make_scale_snapshot import ScaleSnapshot, make_scale_snapshot  # noqa: E402
from parsers.errors import ParseError  # noqa: E402
from parsers.feeds import iter_feed_records  # noqa: E402
from release.embedding_models import DEFAULT_MODEL, load_model, resolve_model  # noqa: E402
from release.embeddings import DTYPE, part_files, part_number, text_sha256  # noqa: E402
from release.tarball import file_member  # noqa: E402
from release.writer import MetadataWriter  # noqa: E402
from schemas import schema_errors  # noqa: E402
from schemas.invariants import paper_problems  # noqa: E402
from schemas.records import paper_json_bytes  # noqa: E402

MiB = 1024 * 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_SECONDS = 0.1
# Files of a release that name its date or its previous release (report.html: what changed since it;
# cord_19_embeddings.tar.gz holds cord_19_embeddings_<date>.csv), so differ between two dates by design.
DATED_FILES = ("changelog", "cord_19_embeddings.tar.gz", "cord_uid_registry.json", "manifest.json", "report.html")
TARGETS = (
    "targets (issue #13): build CPU <= 1.5x the floor; warm rebuild <= 25% of cold CPU; 1% changed <= 30%;",
    "  peak RSS grows < 30% from 500 to 2,000 full texts and from 2,000 to 20,000, and stays < 2 GiB at",
    "  100k records / 20k full texts (compare runs of this benchmark); cold, warm and no-cache releases byte-identical",
)


def parse_full_text(doc_type: str, data: bytes, fallback_paper_id: str) -> dict:
    """The project's parse of one document: the one place to change when the parsers move."""
    from parsers.documents import parse_document
    return parse_document(doc_type, data, fallback_paper_id, None)[0]


# ----------------------------------------------------------------------------- process tree


def read_processes() -> dict[int, tuple[int, float, int]]:
    """pid -> (parent pid, CPU seconds user + sys, RSS bytes) of every process /proc shows."""
    processes = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rfind(b")") + 2:].split()  # after "pid (comm) "
        processes[int(name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS,
                                int(fields[21]) * PAGE_SIZE)
    return processes


def descendants(root: int, processes: dict[int, tuple[int, float, int]]) -> list[int]:
    """`root` and every process below it."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in processes:
            tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def live_descendants_cpu(root: int) -> dict[int, float]:
    """pid -> CPU seconds of every live process below `root` (not `root` itself)."""
    processes = read_processes()
    return {pid: processes[pid][1] for pid in descendants(root, processes) if pid != root}


class PeakTreeRss:
    """Samples the summed RSS of a process and all its descendants every 0.1 s; keeps the maximum."""

    def __init__(self, root: int):
        self.root, self.peak = root, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        while not self.done.is_set():
            processes = read_processes()
            self.peak = max(self.peak, sum(processes[pid][2] for pid in descendants(self.root, processes)))
            self.done.wait(SAMPLE_SECONDS)

    def stop(self) -> int:
        self.done.set()
        self.thread.join()
        return self.peak


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ----------------------------------------------------------------------------- the floor


@dataclass
class Floor:
    """CPU seconds of each part of the floor, and what it saw."""

    seconds: dict[str, float] = field(default_factory=dict)
    output_seconds: dict[str, float] = field(default_factory=dict)  # the release's own output work, apart
    records: int = 0
    bad_records: int = 0
    documents: int = 0
    failed_documents: int = 0
    clusters: int = 0

    @property
    def cpu(self) -> float:
        return sum(self.seconds.values())

    @property
    def with_output(self) -> float:
        return self.cpu + sum(self.output_seconds.values())

    def time_output(self, part: str, work, *args):
        """Run one piece of output work, adding its CPU to `output_seconds[part]` (not to the floor)."""
        start = time.process_time()
        result = work(*args)
        self.output_seconds[part] = self.output_seconds.get(part, 0.0) + time.process_time() - start
        return result


class CpuClock:
    """CPU seconds of this process, the children it waited for and its live descendants."""

    def __init__(self):
        self.start = self.now()

    @staticmethod
    def now() -> tuple[float, float, dict[int, float]]:
        mine = resource.getrusage(resource.RUSAGE_SELF)
        return mine.ru_utime + mine.ru_stime, children_cpu(), live_descendants_cpu(os.getpid())

    def lap(self) -> float:
        """CPU seconds since the last lap (a live descendant's whole CPU when it is new)."""
        (own, waited, live), (own0, waited0, live0) = self.now(), self.start
        self.start = (own, waited, live)
        return own - own0 + waited - waited0 + sum(cpu - live0.get(pid, 0.0) for pid, cpu in live.items())


def measure_floor(snapshot_dir: Path) -> Floor:
    """Read, parse and cluster the snapshot with the project's functions, in this process."""
    snapshot = json.loads((snapshot_dir / "snapshot.json").read_text(encoding="utf-8"))
    floor, records = Floor(), []
    clock = CpuClock()

    def skip_record(_error: Exception) -> None:
        floor.bad_records += 1

    for source in snapshot["sources"]:
        for path in source["files"]:
            records.extend(iter_feed_records(source["kind"], str(snapshot_dir / path), on_error=skip_record))
    floor.seconds["read feeds"] = clock.lap()
    for line in (snapshot_dir / "documents.jsonl").read_text(encoding="utf-8").splitlines():
        document = json.loads(line)
        floor.documents += 1
        try:
            paper = parse_full_text(document["type"], (snapshot_dir / document["path"]).read_bytes(),
                                    Path(document["path"]).stem)
        except ParseError:
            floor.failed_documents += 1
            continue
        output_work(floor, document["type"], paper)
    floor.seconds["parse documents"] = clock.lap() - sum(floor.output_seconds.values())
    clusters = cluster_records(records).clusters
    floor.clusters = len(clusters)
    floor.seconds["cluster"] = clock.lap()
    rows = [floor.time_output("rows", harmonize_cluster, cluster, f"{number:08d}", []) for number, cluster in enumerate(clusters)]
    floor.time_output("rows", metadata_csv, rows)
    floor.time_output("embed", embed_rows, rows)
    clock.lap()
    floor.records = len(records)
    return floor


def output_work(floor: Floor, doc_type: str, paper: dict) -> None:
    """What a release must do with each parse besides making it: check it, write it, compress its member."""
    schema = "pmc_json" if doc_type == "jats" else "pdf_json"
    floor.time_output("validate", lambda: schema_errors(schema, paper) + paper_problems(paper))
    data = floor.time_output("serialize", paper_json_bytes, paper)
    floor.time_output("compress", file_member, f"document_parses/{schema}/{paper['paper_id']}.json", data)


def embed_rows(rows: list[dict], batch_size: int = 32) -> int:
    """Each row's vector from the default model, a part at a time in cord_uid order, and each part's files made
    (CSV rows formatted and gzipped, rows as Arrow IPC), as EmbedPapers does without Beam."""
    model = load_model(resolve_model(DEFAULT_MODEL))
    parts: dict[int, list[dict]] = {}
    for row in sorted(rows, key=lambda row: row["cord_uid"]):
        parts.setdefault(part_number(row["cord_uid"]), []).append(row)
    written = 0
    for part in parts.values():
        texts = [(row.get("title") or "", row.get("abstract") or "") for row in part]
        vectors = [vector for start in range(0, len(texts), batch_size)
                   for vector in model.encode(texts[start:start + batch_size]).astype(DTYPE)]
        files = part_files([(row["cord_uid"], text_sha256(*text), vector.tobytes())
                            for row, text, vector in zip(part, texts, vectors)])
        written += len(files.csv_member) + len(files.vectors)
    return written


def metadata_csv(rows: list[dict]) -> bytes:
    out = io.BytesIO()
    writer = MetadataWriter(out, io.BytesIO())
    for row in rows:
        writer.write(row)
    writer.close()
    return out.getvalue()


# ----------------------------------------------------------------------------- the builds


@dataclass
class Run:
    label: str
    cpu: float
    wall: float
    peak_rss: int
    release: Path
    counts: dict
    dead_letters: Counter


def run_build(label: str, work: Path, snapshot: Path, date: str, runner_args: list[str],
              cache: Path | None = None, previous: Path | None = None) -> Run:
    """One `cord19 build` in a subprocess, measured; its log goes to work/<label>.log."""
    out = work / "releases" / label.replace(" ", "-").replace("%", "pct")
    command = [sys.executable, "-m", "pipeline.cli", "build", "--snapshot", str(snapshot), "--out", str(out),
               "--release-date", date]
    command += ["--parse-cache", str(cache)] if cache else []
    command += ["--previous", str(previous)] if previous else []
    log_path = out.with_suffix(".log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        cpu_before, started = children_cpu(), time.monotonic()
        process = subprocess.Popen(command + runner_args, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
        sampler = PeakTreeRss(process.pid)
        returncode = process.wait()
        wall, peak = time.monotonic() - started, sampler.stop()
        cpu = children_cpu() - cpu_before
    if returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise SystemExit(f"{label}: cord19 build exited with {returncode}:\n" + "\n".join(tail))
    release = out / date
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    reasons = Counter(json.loads(line)["reason"]
                      for line in (release / "dead_letters.jsonl").read_text(encoding="utf-8").splitlines() if line)
    return Run(label, cpu, wall, peak, release, manifest["counts"], reasons)


def compare_releases(cached: Run, no_cache: Run, ignore: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Files (relative paths) only in one release, and in both with other bytes; top-level `ignore` left out."""
    def files(root: Path) -> set[str]:
        return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()} - set(ignore)

    left, right = files(cached.release), files(no_cache.release)
    return {
        f"only in {cached.label}": sorted(left - right),
        f"only in {no_cache.label}": sorted(right - left),
        "with other bytes": sorted(name for name in left & right
                                   if not filecmp.cmp(cached.release / name, no_cache.release / name, shallow=False)),
    }


# ----------------------------------------------------------------------------- the report


def describe(made: ScaleSnapshot, changed: ScaleSnapshot) -> str:
    return (f"snapshot: {made.records:,} records ({made.pubmed:,} PubMed, {made.who:,} WHO, {made.biorxiv:,} bioRxiv; "
            f"{made.duplicates:,} duplicate a PubMed paper by DOI, so {made.papers:,} papers expected), "
            f"{made.full_texts:,} full texts ({made.jats:,} JATS with PMCID, {made.pdf:,} PDFs, {made.identical_copies:,} "
            f"identical JATS copies without PMCID), so {made.jats + made.identical_copies:,} pmc_json and "
            f"{made.pdf:,} pdf_json expected; the 1% changed snapshot has {changed.changed:,} new documents")


def print_floor(floor: Floor) -> None:
    parts = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in floor.seconds.items())
    print(f"floor (this process, no Beam, no validation): {parts}; total {floor.cpu:.2f} s CPU "
          f"({floor.records:,} records, {floor.bad_records} refused; {floor.documents:,} documents, "
          f"{floor.failed_documents} failed; {floor.clusters:,} clusters)")
    output = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in floor.output_seconds.items())
    print(f"the release's own output work, measured apart: {output}; floor + output work {floor.with_output:.2f} s CPU "
          "(validate: the compiled schema check and span invariants of each parse; serialize: its JSON bytes; "
          "compress: its tarball member at level 6; rows: harmonised rows and metadata.csv/.parquet; "
          "embed: each row's vector from the default model, its parts' CSV rows gzipped and rows as Arrow IPC)")


def print_runs(runs: list[Run], made: ScaleSnapshot, floor: Floor) -> None:
    print(f"{'run':<11} {'CPU s':>8} {'wall s':>8} {'peak RSS MiB':>13} {'ms/record':>10} {'ms/full text':>13} "
          f"{'CPU/floor':>10} {'papers':>7} {'pmc_json':>9} {'pdf_json':>9}  dead letters")
    for run in runs:
        per_text = f"{1000 * run.cpu / made.full_texts:.1f}" if made.full_texts else "-"
        letters = ", ".join(f"{reason} {n}" for reason, n in sorted(run.dead_letters.items())) or "none"
        print(f"{run.label:<11} {run.cpu:>8.2f} {run.wall:>8.2f} {run.peak_rss / MiB:>13.0f} "
              f"{1000 * run.cpu / made.records:>10.2f} {per_text:>13} {run.cpu / floor.cpu:>9.2f}x "
              f"{run.counts['metadata_rows']:>7,} {run.counts['pmc_json']:>9,} {run.counts['pdf_json']:>9,}  {letters}")


def print_comparisons(cold: Run, warm: Run, no_cache: Run) -> None:
    def verdict(differences: dict[str, list[str]]) -> str:
        if not any(differences.values()):
            return "byte-identical"
        parts = []
        for what, names in differences.items():
            if names:
                shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
                parts.append(f"{len(names)} {what} ({shown})")
        return "DIFFERENT: " + "; ".join(parts)

    print(f"warm vs no cache (same snapshot, date and --previous), every file: "
          f"{verdict(compare_releases(warm, no_cache))}")
    print(f"cold vs no cache, every file but {', '.join(DATED_FILES)} (they name the date and the previous release): "
          f"{verdict(compare_releases(cold, no_cache, DATED_FILES))}")


def run_benchmark(work: Path, records: int, full_texts: int, copies: int, seed: int, runner_args: list[str]) -> None:
    """Generate the snapshots in `work`, measure the floor and the four builds, print the report."""
    made = make_scale_snapshot(work / "snapshot", records, full_texts, seed, 0.0, copies)
    changed = make_scale_snapshot(work / "snapshot-changed", records, full_texts, seed, 0.01, copies)
    print(describe(made, changed))
    print(f"runner: {' '.join(runner_args) or 'default local runner (no Beam flags)'}")
    floor = measure_floor(made.folder)
    print_floor(floor)
    cache = work / "parse-cache"
    cache.mkdir()
    cold = run_build("cold", work, made.folder, "2026-01-01", runner_args, cache)
    warm = run_build("warm", work, made.folder, "2026-01-02", runner_args, cache, cold.release)
    one_percent = run_build("1% changed", work, changed.folder, "2026-01-03", runner_args, cache, warm.release)
    no_cache = run_build("no cache", work, made.folder, "2026-01-02", runner_args, None, cold.release)
    print_runs([cold, warm, one_percent, no_cache], made, floor)
    print(f"cold CPU/(floor + output work): {cold.cpu / floor.with_output:.2f}x")
    print(f"warm/cold CPU: {warm.cpu / cold.cpu:.0%}; 1% changed/cold CPU: {one_percent.cpu / cold.cpu:.0%}; "
          f"cold CPU/floor: {cold.cpu / floor.cpu:.2f}x")
    print_comparisons(cold, warm, no_cache)
    print("\n".join(TARGETS))


def run_rss_series(work: Path, records: int, series: list[int], seed: int, runner_args: list[str]) -> None:
    """Cold builds of `records` records with each number of full texts: peak RSS and its growth."""
    runs = []
    for full_texts in series:
        folder = work / f"snapshot-{full_texts}"
        make_scale_snapshot(folder, records, full_texts, seed=seed, identical_copies=min(full_texts, 2))
        runs.append((full_texts, run_build(f"cold-{full_texts}", work, folder, "2026-01-01", runner_args)))
    print(f"{records:,} records, cold builds, default runner unless --runner-args")
    print(f"{'full texts':>10} {'CPU s':>8} {'wall s':>8} {'peak RSS MiB':>13} {'growth':>8}")
    previous = None
    for full_texts, run in runs:
        growth = f"{run.peak_rss / previous - 1:+.0%}" if previous else ""
        print(f"{full_texts:>10,} {run.cpu:>8.2f} {run.wall:>8.2f} {run.peak_rss / MiB:>13.0f} {growth:>8}")
        previous = run.peak_rss
    print("target (issue #13): peak RSS grows < 30% from 500 to 2,000 full texts and from 2,000 to 20,000")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--full-texts", type=int, default=150)
    parser.add_argument("--identical-copies", type=int, default=None, help="default: max(2, full texts // 50), at most the full texts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runner-args", default="", help="Beam flags for every build, as one string")
    parser.add_argument("--work-dir", type=Path, default=None, help="keep everything here (a new or empty folder)")
    parser.add_argument("--rss-series", default=None, metavar="N,N,...",
                        help="instead: one cold build per number of full texts (e.g. 500,2000,20000), peak RSS growth")
    args = parser.parse_args()
    if args.rss_series:
        series = [int(number) for number in args.rss_series.split(",")]
        with tempfile.TemporaryDirectory(prefix="cord19-bench-rss-", dir=args.work_dir) as scratch:
            run_rss_series(Path(scratch), args.records, series, args.seed, shlex.split(args.runner_args))
        return
    copies = args.identical_copies
    if copies is None:
        copies = min(args.full_texts, max(2, args.full_texts // 50))
    runner_args = shlex.split(args.runner_args)
    if args.work_dir:
        run_benchmark(args.work_dir.resolve(), args.records, args.full_texts, copies, args.seed, runner_args)
        return
    with tempfile.TemporaryDirectory(prefix="cord19-bench-scale-") as scratch:
        run_benchmark(Path(scratch), args.records, args.full_texts, copies, args.seed, runner_args)


if __name__ == "__main__":
    main()
