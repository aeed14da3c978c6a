"""`cord19 dedup RECORDS.jsonl --out CLUSTERS.jsonl [--previous RELEASE_DIR]`.

Clusters a file of source records (one JSON object per line) with the same code as
the Beam stage ClusterPapers, gives each cluster its cord_uid (keeping the ids of
the previous release's registry) and writes one line per cluster: cord_uid,
members, how and the harmonised metadata row.
"""
import argparse
import json
import logging
from pathlib import Path

from dedup import Registry, assign_cord_uids, cluster_records, harmonize_cluster
from dedup.errors import InvalidRecordError, RegistryError
from release import layout
from schemas import schema_errors

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dedup",
        help="cluster source records into papers and give them cord_uids",
        description="Cluster a JSON-lines file of source records (identifiers, then fuzzy matching) "
        "and write one line per paper: cord_uid, members, how, metadata.",
    )
    parser.add_argument("records", type=Path, help="source records, one JSON object per line")
    parser.add_argument("--out", type=Path, required=True, help="where to write the clusters (JSON lines)")
    parser.add_argument("--previous", type=Path,
                        help=f"previous release folder (its {layout.REGISTRY} keeps ids stable)")
    parser.add_argument("--registry-out", type=Path, help=f"also write the new {layout.REGISTRY} here")
    parser.add_argument("--report-out", type=Path, help="also write the dedup report (JSON lines) here")
    parser.set_defaults(run=run)


def read_records(path: Path) -> list[dict]:
    """Source records from a JSON-lines file; InvalidRecordError names the first bad line."""
    records = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise InvalidRecordError(f"{path}:{number}: not JSON: {exc}") from exc
            problems = schema_errors("source_record", record)
            if problems:
                raise InvalidRecordError(f"{path}:{number}: not a source record: {'; '.join(problems[:3])}")
            records.append(record)
    return records


def read_previous_registry(release_dir: Path) -> Registry:
    path = release_dir / layout.REGISTRY
    if not path.is_file():
        raise RegistryError(f"{release_dir} holds no {layout.REGISTRY}")
    return Registry.from_json(path.read_text(encoding="utf-8"))


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    records = read_records(args.records)
    previous = read_previous_registry(args.previous) if args.previous else None
    result = cluster_records(records)
    assignment = assign_cord_uids(result.clusters, previous)
    with args.out.open("w", encoding="utf-8") as out:
        for uid, cluster in zip(assignment.uids, result.clusters):
            line = {
                "cord_uid": uid,
                "members": [{"source": m["source"], "source_id": m["source_id"]} for m in cluster.members],
                "how": cluster.how,
                "metadata": harmonize_cluster(cluster, uid, []),
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    if args.registry_out:
        args.registry_out.write_text(assignment.registry.to_json(), encoding="utf-8")
    if args.report_out:
        with args.report_out.open("w", encoding="utf-8") as out:
            for entry in [*result.report, {"kind": "cord_uid_changes", **assignment.changes}]:
                out.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
    changes = assignment.changes
    logger.info(
        "%d records -> %d papers (cord_uids new %d, removed %d, merged %d, split %d)",
        len(records), len(result.clusters), len(changes["new"]), len(changes["removed"]),
        len(changes["merged"]), len(changes["split"]),
    )
    return 0
