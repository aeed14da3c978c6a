"""`cord19 records SNAPSHOT --out RECORDS.jsonl`: the source records of a snapshot, as `cord19 dedup` reads them.

The feed files are read with the build's own code (pipeline/records.py, no Beam):
one source record per line (sorted keys), in feed-file order; what the build would
send to the dead letters goes to `--dead-letters FILE` when given. Local snapshots only.
"""
import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from schemas.files import atomic_output


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "records",
        help="write the source records of a snapshot's feed files (the input of `cord19 dedup`)",
        description="Read every feed file of a local snapshot as the build does and write one source record "
        "per line. Records and files the feed parsers cannot use are counted (and written to --dead-letters).",
    )
    parser.add_argument("snapshot", type=Path, help="snapshot folder")
    parser.add_argument("--out", type=Path, required=True, help="where to write the records (JSON lines)")
    parser.add_argument("--dead-letters", type=Path, help="also write the dead letters here (JSON lines)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    from pipeline.records import read_snapshot_records

    dead_letters: list = []
    written = 0
    with atomic_output(args.out) as out:
        for record in read_snapshot_records(args.snapshot, dead_letters.append):
            out.write((json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
            written += 1
    if args.dead_letters:
        with atomic_output(args.dead_letters) as out:
            for letter in dead_letters:
                out.write((json.dumps(letter, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
    reasons = Counter(letter["reason"] for letter in dead_letters)
    shown = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()))
    sys.stdout.write(f"{written} source records -> {args.out}; {len(dead_letters)} dead letters"
                     f"{f' ({shown})' if shown else ''}\n")
    return 0
