"""`cord19 build`: one Beam pipeline from a snapshot to a release, on any Beam runner.

ReadSourceRecords -> ClusterPapers -> FilterByQuery -> AssignCordUids --+
ParseDocuments ---------------------------------------------------------+-> HarmonizeMetadata
-> ValidateRows -> WriteRelease (+ dead letters from every stage, always written).

The graph holds locations only (the snapshot, the staging folder, the previous
release, the parse cache): workers read and write everything themselves through Beam's
FileSystems, so its size does not depend on the snapshot or on the previous release,
and workers share nothing but the store. The launcher resolves the paths once, checks
the snapshot and the previous release, runs the pipeline (which assembles the release
in `OUT/.staging-<date>/`), then commits it: on a local disk by renaming the staging
folder into place, on an object store by copying its files with manifest.json last (a
release without its manifest is not one). A failed run leaves no release behind.
Before any graph is built, the launcher refuses a release that already exists (unless
`force`), a previous release dated on or after this one, and an `out` it cannot write.
"""
import ctypes
import logging
import os
import posixpath
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from parsers.documents import DEFAULT_LIMITS, InputLimits, parser_versions, use_grobid
from parsers.grobid import DEFAULT_CONCURRENCY, GrobidClient
from pipeline.progress import ProgressPrinter
from pipeline.snapshot import SnapshotError, find_integrity_message
from pipeline.stages import DEAD_LETTERS, files, metrics
from pipeline.stages.assign_cord_uids import CHANGES, REGISTRY_WRITTEN, AssignCordUids
from pipeline.stages.cluster_papers import REPORT, ClusterPapers
from pipeline.stages.embed_papers import EmbedPapers
from pipeline.stages.filter_by_query import FilterByQuery
from pipeline.stages.harmonize import PLACED, HarmonizeMetadata
from pipeline.stages.options import make_pipeline_options
from pipeline.stages.parse_documents import ParseDocuments, ParseSettings
from pipeline.stages.read_records import ReadSourceRecords, read_snapshot
from pipeline.stages.validate_rows import ValidateRows
from pipeline.stages.write_release import WriteRelease
from release import layout
from release.embedding_models import DEFAULT_MODEL, ModelSpec, resolve_model
from release.errors import ReleaseError
from release.summary import BuildSummary, read_build_summary

logger = logging.getLogger(__name__)

COPY_THREADS = 16
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
WRITE_PROBE = ".cord19-write-check"  # written and deleted in the staging folder before a build


class ReleaseExistsError(ReleaseError):
    """OUT/<date> already holds a release and the build was not told to replace it."""


class OutNotWritableError(ReleaseError):
    """The releases location cannot be written."""


@dataclass(frozen=True)
class BuildResult:
    """Where the release went and what the run counted (pipeline/stages/metrics.py names)."""

    release: str
    counters: dict[str, int]
    summary: BuildSummary


def build_pipeline(p: beam.Pipeline, snapshot: str, staging: str, release_date: str, versions: dict[str, str],
                   query: dict | None = None, previous: str | None = None, parse_cache: str | None = None,
                   grobid_url: str | None = None, grobid_concurrency: int = DEFAULT_CONCURRENCY,
                   limits: InputLimits = DEFAULT_LIMITS, embedding_model: ModelSpec | None = None) -> None:
    """Add every stage of a build to pipeline `p` (all arguments are locations or small settings)."""
    model = embedding_model or resolve_model(DEFAULT_MODEL)
    store = files.store_flags(p.options)
    read = p | "ReadSourceRecords" >> ReadSourceRecords(snapshot, store)
    clustered = read.records | "ClusterPapers" >> ClusterPapers()
    in_scope = clustered["clusters"] | "FilterByQuery" >> FilterByQuery(query)
    assigned = in_scope.kept | "AssignCordUids" >> AssignCordUids(staging, previous, store)
    settings = ParseSettings(snapshot=snapshot, staging=staging, cache=parse_cache, versions=versions, store=store,
                             limits=limits)
    parsed = p | "ParseDocuments" >> ParseDocuments(settings, grobid_url, grobid_concurrency)
    harmonized = ({"summaries": assigned["summaries"], "uids": assigned["uids"], "parsed": parsed.parsed}
                  | "HarmonizeMetadata" >> HarmonizeMetadata(staging, store))
    validated = harmonized["rows"] | "Validate" >> ValidateRows()
    dead_letters = (
        read[DEAD_LETTERS], in_scope[DEAD_LETTERS], parsed[DEAD_LETTERS], harmonized[DEAD_LETTERS],
        validated[DEAD_LETTERS],
    ) | "AllDeadLetters" >> beam.Flatten()
    source_records = (
        assigned["summaries"]
        | "MembersPerPaper" >> beam.MapTuple(lambda sort_key, summary: summary.members)
        | "CountSourceRecords" >> beam.CombineGlobally(sum)
    )
    embeddings = validated.valid | "EmbedPapers" >> EmbedPapers(staging, model, previous, store)
    _ = {
        "rows": validated.valid,
        "dead_letters": dead_letters,
        "report": clustered[REPORT],
        "placed": harmonized[PLACED],
        "changes": assigned[CHANGES],
        "source_records": source_records,
        "registry_written": assigned[REGISTRY_WRITTEN],
        "embeddings": embeddings,
    } | "WriteRelease" >> WriteRelease(staging, release_date, versions, previous, store,
                                       (model.manifest_entry(), model.dimensions))


def run_build(snapshot_dir, out_dir, release_date: str, previous_dir=None, grobid_url: str | None = None,
              beam_args: list[str] | tuple = (), parse_cache_dir=None, on_grobid_down: str = "fail",
              grobid_concurrency: int = DEFAULT_CONCURRENCY, endpoint_url: str | None = None,
              limits: InputLimits = DEFAULT_LIMITS, force: bool = False,
              embedding_model: str = DEFAULT_MODEL) -> BuildResult:
    """Build the release of `release_date` from `snapshot_dir` into `out_dir/<date>/`; return where and what.

    Every location may be a local path or a store URL (s3://, gs://); `endpoint_url` is
    the S3-compatible endpoint of s3:// ones (Beam's --s3_endpoint_url). When GROBID does
    not answer its health check, `on_grobid_down="fail"` stops here and "fallback" parses
    the PDFs with pdfminer.six instead. Documents over `limits` are dead letters, never read.
    An existing release of that date is refused unless `force`. A progress line per stage
    goes to stderr while the pipeline runs, when stderr is a terminal.
    `embedding_model` names the model that embeds each paper's title and abstract
    (release/embedding_models.py; resolved here, before any graph is built).
    """
    return_freed_memory_to_the_os()
    beam_args = [*beam_args, *([f"--s3_endpoint_url={endpoint_url}"] if endpoint_url else [])]
    options = make_pipeline_options(beam_args)
    FileSystems.set_options(options)
    snapshot, out = files.resolve(snapshot_dir), files.resolve(out_dir)
    previous = files.resolve(previous_dir) if previous_dir else None
    parse_cache = files.resolve(parse_cache_dir) if parse_cache_dir else None
    query = read_snapshot(snapshot).get("query")  # and fail early, before any graph is built
    if previous:
        layout.check_previous_release(files.BeamFolder(previous), release_date, posixpath.basename(previous))
    model = resolve_model(embedding_model)
    release, staging = files.join(out, release_date), files.join(out, layout.STAGING_PREFIX + release_date)
    if not force:
        refuse_existing_release(release)
    files.delete_tree(staging)
    check_writable(out, staging)
    grobid = checked_grobid(grobid_url, on_grobid_down)
    pipeline = beam.Pipeline(options=options)
    versions = parser_versions(grobid.version() if grobid else None)
    build_pipeline(pipeline, snapshot, staging, release_date, versions, query, previous, parse_cache,
                   grobid.url if grobid else None, grobid_concurrency, limits, model)
    counters = run_to_the_end(pipeline)
    commit_release(staging, release)
    cache_hits = counters.get(metrics.REUSED_PARSES, 0) if parse_cache else None
    summary = read_build_summary(files.BeamFolder(release), release, cache_hits)
    logger.debug("counters of the run: %s", counters)
    return BuildResult(release, counters, summary)


def refuse_existing_release(release: str) -> None:
    """ReleaseExistsError when `release` is taken: a local folder that exists, a store prefix with a manifest."""
    taken = files.exists(release) if files.is_local(release) else files.exists(files.join(release, layout.MANIFEST))
    if taken:
        raise ReleaseExistsError(f"{release} already exists; use --force to replace it")


def check_writable(out: str, staging: str) -> None:
    """Write and delete one small file in the staging folder; OutNotWritableError (one line) when that fails."""
    probe = files.join(staging, WRITE_PROBE)
    try:
        files.write_bytes(probe, b"cord19 write check\n")  # not empty: Beam's S3 writer cannot store 0 bytes
        FileSystems.delete([probe])
    except OSError as exc:
        reason = exc.strerror if files.is_local(out) and exc.strerror else str(exc).splitlines()[0][:300]
        raise OutNotWritableError(f"cannot write to --out {out}: {reason}") from None


def return_freed_memory_to_the_os() -> None:
    """Ask glibc to give memory back as soon as it is freed (no-op elsewhere).

    The in-process runner keeps each stage's input as many large byte buffers and frees
    them once the stage has run; glibc keeps freed heap memory for reuse unless told
    otherwise, so the process stays at its high-water mark. With allocations over 128 KiB
    in their own mappings and the heap trimmed past 128 KiB, the peak RSS of a 100,000-record
    build falls from 1,884 to 1,545 MiB (benchmarks/bench_build_scale.py).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(M_MMAP_THRESHOLD, 128 << 10)
    libc.mallopt(M_TRIM_THRESHOLD, 128 << 10)


def checked_grobid(grobid_url: str | None, on_grobid_down: str) -> GrobidClient | None:
    """A GROBID client that answered its health check, or None (no URL, or down with the fallback chosen)."""
    if not grobid_url:
        return None
    grobid = GrobidClient(grobid_url)
    return grobid if use_grobid(grobid, on_grobid_down) else None


def run_to_the_end(pipeline: beam.Pipeline) -> dict[str, int]:
    """Run the pipeline and wait for it; return its counters (metrics.counter_values).

    A snapshot integrity failure on a worker becomes one SnapshotError line. While it
    runs, a progress line per stage goes to stderr on a terminal: from this process's
    tally while an in-process runner holds `run()`, then from the result's metrics when
    the runner returns before the end (Flink, Spark, Dataflow).
    """
    metrics.reset_local_counts()
    try:
        with ProgressPrinter(metrics.local_counts, sys.stderr) as progress:
            result = pipeline.run()
            progress.source = lambda: metrics.counter_values(result)
            state = result.wait_until_finish()
    except Exception as exc:  # a runner reports a worker's error in its own words and types
        message = find_integrity_message(str(exc))
        if message:
            raise SnapshotError(message) from None
        raise
    if state not in (None, beam.runners.runner.PipelineState.DONE):
        raise RuntimeError(f"the pipeline ended {state}, not DONE")
    try:
        return metrics.counter_values(result)
    except Exception as exc:  # a runner without metrics: the release is still good
        logger.warning("the runner reports no metrics (%s): parse-cache hits unknown", exc)
        return {}


def commit_release(staging: str, release: str) -> None:
    """Make the staged release visible at `release`, replacing an older build of that date.

    The workers' `_work/` folder is removed first. On a local disk the staging folder
    is renamed into place (one atomic step); on an object store every file is copied
    with manifest.json last, then the staging files are deleted. Committing again after
    a commit finds no staged manifest and changes nothing.
    """
    if not files.exists(files.join(staging, layout.MANIFEST)):
        if files.exists(files.join(release, layout.MANIFEST)):
            return
        raise FileNotFoundError(f"{staging}: no staged release to commit")
    files.delete_tree(files.join(staging, layout.WORK_FOLDER))
    if files.is_local(staging):
        for folder in (layout.PDF_JSON_DIR, layout.PMC_JSON_DIR):  # a local release has both, even when empty
            os.makedirs(files.join(staging, folder), exist_ok=True)
        retired = release + ".old"
        files.delete_tree(retired)
        if files.exists(release):
            files.rename(release, retired)
        files.rename(staging, release)
        files.delete_tree(retired)
        return
    if files.exists(files.join(release, layout.MANIFEST)):
        FileSystems.delete([files.join(release, layout.MANIFEST)])  # the older build stops being a release first
    files.delete_tree(release)
    staged = [entry.path for entry in files.list_files(staging)]
    names = [path[len(staging) + 1:] for path in staged]
    first = [name for name in names if name != layout.MANIFEST]
    with ThreadPoolExecutor(COPY_THREADS) as pool:
        list(pool.map(lambda name: files.copy(files.join(staging, name), files.join(release, name)), first))
    files.copy(files.join(staging, layout.MANIFEST), files.join(release, layout.MANIFEST))
    FileSystems.delete(staged)
