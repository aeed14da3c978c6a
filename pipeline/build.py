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
"""
import ctypes
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from parsers.documents import DEFAULT_LIMITS, InputLimits, parser_versions, use_grobid
from parsers.grobid import DEFAULT_CONCURRENCY, GrobidClient
from pipeline.snapshot import SnapshotError, find_integrity_message
from pipeline.stages import DEAD_LETTERS, files
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

logger = logging.getLogger(__name__)

COPY_THREADS = 16
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


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
              limits: InputLimits = DEFAULT_LIMITS, embedding_model: str = DEFAULT_MODEL) -> str:
    """Build the release of `release_date` from `snapshot_dir` into `out_dir/<date>/`; return that location.

    Every location may be a local path or a store URL (s3://, gs://); `endpoint_url` is
    the S3-compatible endpoint of s3:// ones (Beam's --s3_endpoint_url). When GROBID does
    not answer its health check, `on_grobid_down="fail"` stops here and "fallback" parses
    the PDFs with pdfminer.six instead. Documents over `limits` are dead letters, never read.
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
        layout.check_previous_release(files.BeamFolder(previous), release_date)
    grobid = checked_grobid(grobid_url, on_grobid_down)
    model = resolve_model(embedding_model)
    release, staging = files.join(out, release_date), files.join(out, layout.STAGING_PREFIX + release_date)
    files.delete_tree(staging)
    pipeline = beam.Pipeline(options=options)
    versions = parser_versions(grobid.version() if grobid else None)
    build_pipeline(pipeline, snapshot, staging, release_date, versions, query, previous, parse_cache,
                   grobid.url if grobid else None, grobid_concurrency, limits, model)
    run_to_the_end(pipeline)
    commit_release(staging, release)
    log_summary(release)
    return release


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


def run_to_the_end(pipeline: beam.Pipeline) -> None:
    """Run the pipeline and wait for it; a snapshot integrity failure on a worker becomes one SnapshotError line."""
    try:
        result = pipeline.run()
        state = result.wait_until_finish()
    except Exception as exc:  # a runner reports a worker's error in its own words and types
        message = find_integrity_message(str(exc))
        if message:
            raise SnapshotError(message) from None
        raise
    if state not in (None, beam.runners.runner.PipelineState.DONE):
        raise RuntimeError(f"the pipeline ended {state}, not DONE")


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


def log_summary(release: str) -> None:
    """One short run summary: papers, full texts, duplicates merged, dead letters by reason."""
    manifest = json.loads(files.read_bytes(files.join(release, layout.MANIFEST)))
    counts = manifest["counts"]
    reasons: dict[str, int] = {}
    for line in files.read_bytes(files.join(release, layout.DEAD_LETTERS)).decode("utf-8").splitlines():
        reason = json.loads(line)["reason"]
        reasons[reason] = reasons.get(reason, 0) + 1
    logger.info(
        "release %s: %d papers from %d source records (%d duplicates merged), full texts: %d pdf_json, %d pmc_json; "
        "dead letters: %d %s",
        manifest["release_date"], counts["metadata_rows"], counts["source_records"],
        counts["source_records"] - counts["metadata_rows"], counts["pdf_json"], counts["pmc_json"],
        counts["dead_letters"], json.dumps(dict(sorted(reasons.items()))),
    )
