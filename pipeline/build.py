"""`cord19 build`: one Beam pipeline from a snapshot to a release folder.

ReadSourceRecords -> ClusterPapers -> FilterByQuery -> AssignCordUids
ParseDocuments ----------------------------------------> HarmonizeMetadata -> ValidateRows
-> WriteRelease (+ dead letters from every stage, always written).

The scope filter runs on clusters rather than single records, so that a source entry
without an abstract (a WHO row, say) stays with an in-scope twin from another source.
"""
import json
import logging
import shutil
from pathlib import Path

import apache_beam as beam

from parsers.documents import parser_versions, use_grobid
from parsers.grobid import DEFAULT_CONCURRENCY, GrobidClient
from pipeline.stages.assign_cord_uids import CHANGES, REGISTRY, AssignCordUids
from pipeline.stages.cluster_papers import REPORT, ClusterPapers
from pipeline.stages import DEAD_LETTERS
from pipeline.stages.filter_by_query import FilterByQuery
from pipeline.stages.harmonize import ATTACHED, HarmonizeMetadata
from pipeline.stages.options import make_pipeline_options
from pipeline.stages.parse_documents import ParseDocuments
from pipeline.stages.read_records import ReadSourceRecords
from pipeline.snapshot import document_lines, feed_files, load_snapshot
from pipeline.stages.validate_rows import ValidateRows
from pipeline.stages.write_release import WriteRelease
from release import layout
from release.writer import ReleaseContent

logger = logging.getLogger(__name__)


def build_pipeline(p: beam.Pipeline, snapshot_dir: Path, staging_dir: Path, release_dir: Path,
                   base: ReleaseContent, previous_registry: str | None, grobid_url: str | None,
                   parse_cache_dir: Path | None, grobid_concurrency: int = DEFAULT_CONCURRENCY) -> None:
    """Add every stage of a build to pipeline `p`."""
    snapshot = load_snapshot(snapshot_dir)
    read = p | "ReadSourceRecords" >> ReadSourceRecords(str(snapshot_dir), feed_files(snapshot))
    clustered = read.records | "ClusterPapers" >> ClusterPapers()
    in_scope = clustered["clusters"] | "FilterByQuery" >> FilterByQuery(snapshot.get("query"))
    assigned = in_scope.kept | "AssignCordUids" >> AssignCordUids(previous_registry)
    parsed = (
        p
        | "ListDocuments" >> beam.Create(document_lines(snapshot_dir))
        | "ParseDocuments" >> ParseDocuments(str(snapshot_dir), grobid_url, str(parse_cache_dir) if parse_cache_dir else None,
                                              grobid_concurrency)
    )
    harmonized = {"assigned": assigned["assigned"], "parsed": parsed.parsed} | "HarmonizeMetadata" >> HarmonizeMetadata()
    validated = harmonized["rows"] | "Validate" >> ValidateRows()
    dead_letters = (
        read[DEAD_LETTERS], in_scope[DEAD_LETTERS], parsed[DEAD_LETTERS], harmonized[DEAD_LETTERS], validated[DEAD_LETTERS]
    ) | "AllDeadLetters" >> beam.Flatten()
    source_records = (
        in_scope.kept
        | "MembersPerCluster" >> beam.Map(lambda cluster: len(cluster.members))
        | "CountSourceRecords" >> beam.CombineGlobally(sum)
    )
    _ = {
        "attached": harmonized[ATTACHED],
        "rows": validated.valid,
        "dead_letters": dead_letters,
        "registry": assigned[REGISTRY],
        "report": clustered[REPORT],
        "changes": assigned[CHANGES],
        "source_records": source_records,
    } | "WriteRelease" >> WriteRelease(str(staging_dir), str(release_dir), base)


def run_build(snapshot_dir: Path, out_dir: Path, release_date: str, previous_dir: Path | None = None,
              grobid_url: str | None = None, beam_args: list[str] | tuple = (),
              parse_cache_dir: Path | None = None, on_grobid_down: str = "fail",
              grobid_concurrency: int = DEFAULT_CONCURRENCY) -> Path:
    """Build the release of `release_date` from `snapshot_dir` into `out_dir/<date>/`; return that folder.

    When GROBID does not answer its health check, `on_grobid_down="fail"` stops here and
    "fallback" parses the PDFs with pdfminer.six instead.
    """
    snapshot_dir, out_dir = Path(snapshot_dir).resolve(), Path(out_dir).resolve()
    load_snapshot(snapshot_dir)  # fail early, before any graph is built
    if grobid_url and not use_grobid(GrobidClient(grobid_url), on_grobid_down):
        grobid_url = None
    previous = layout.read_previous_release(Path(previous_dir)) if previous_dir else None
    base = ReleaseContent(
        release_date=release_date,
        rows=[],
        dead_letters=[],
        registry_json="",
        dedup_report=[],
        cord_uid_changes={},
        parser_versions=parser_versions(grobid_configured=bool(grobid_url)),
        previous_changelog=previous.changelog if previous else "",
        previous_manifest=previous.manifest if previous else {},
        previous_cord_uids=previous.cord_uids if previous else frozenset(),
    )
    release_dir = layout.release_folder(out_dir, release_date)
    staging_dir = layout.staging_folder(out_dir, release_date)
    shutil.rmtree(staging_dir, ignore_errors=True)
    options = make_pipeline_options(beam_args)
    with beam.Pipeline(options=options) as p:
        build_pipeline(p, snapshot_dir, staging_dir, release_dir, base,
                       previous.registry_json if previous else None, grobid_url, parse_cache_dir, grobid_concurrency)
    log_summary(release_dir)
    return release_dir


def log_summary(release_dir: Path) -> None:
    """One short run summary: papers, full texts, duplicates merged, dead letters by reason."""
    manifest = layout.read_manifest(release_dir)
    counts = manifest["counts"]
    reasons: dict[str, int] = {}
    for line in (release_dir / layout.DEAD_LETTERS).read_text(encoding="utf-8").splitlines():
        reason = json.loads(line)["reason"]
        reasons[reason] = reasons.get(reason, 0) + 1
    logger.info(
        "release %s: %d papers from %d source records (%d duplicates merged), full texts: %d pdf_json, %d pmc_json; "
        "dead letters: %d %s",
        manifest["release_date"], counts["metadata_rows"], counts["source_records"],
        counts["source_records"] - counts["metadata_rows"], counts["pdf_json"], counts["pmc_json"],
        counts["dead_letters"], json.dumps(dict(sorted(reasons.items()))),
    )
