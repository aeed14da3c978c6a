"""WriteRelease: parse files into the staging folder, then every release file, then move into place.

Parse files are written in parallel by the workers; the final step runs once, after
all of them (it takes the written paths as a side input), and writes metadata.csv,
the tarball, changelog, manifest and the rest through release/writer.py.
"""
from dataclasses import dataclass
from pathlib import Path

import apache_beam as beam

from pipeline.stages.metrics import count
from release.writer import ReleaseContent, publish_staging, write_paper_file, write_release_files

STAGE = "write_release"


class WriteParseFile(beam.DoFn):
    def __init__(self, staging_dir: str):
        self.staging_dir = staging_dir

    def process(self, doc):
        write_paper_file(Path(self.staging_dir), doc.json_path, doc.paper_json)
        count(STAGE, f"{doc.type}_files")
        yield doc.json_path


def finish_release(_, staging_dir: str, release_dir: str, base: ReleaseContent, rows, dead_letters, registry, report, changes, source_records, written):
    """Write the release files around the parse files already in staging, then move it into place."""
    content = ReleaseContent(
        release_date=base.release_date,
        rows=list(rows),
        dead_letters=list(dead_letters),
        registry_json=registry,
        dedup_report=list(report),
        cord_uid_changes=changes,
        parser_versions=base.parser_versions,
        source_record_count=source_records,
        previous_changelog=base.previous_changelog,
        previous_manifest=base.previous_manifest,
        previous_cord_uids=base.previous_cord_uids,
    )
    manifest = write_release_files(Path(staging_dir), content)
    publish_staging(Path(staging_dir), Path(release_dir))
    yield manifest


@dataclass
class WriteRelease(beam.PTransform):
    """Writes the release; its output is the manifest (one element)."""

    staging_dir: str
    release_dir: str
    base: ReleaseContent  # release date, parser versions and what came from the previous release

    def __post_init__(self):
        super().__init__()

    def expand(self, inputs):
        written = inputs["attached"] | "WriteParseFiles" >> beam.ParDo(WriteParseFile(self.staging_dir))
        side = beam.pvalue
        return (
            inputs["attached"].pipeline
            | "Start" >> beam.Create([None])
            | "Finish" >> beam.FlatMap(
                finish_release,
                self.staging_dir,
                self.release_dir,
                self.base,
                rows=side.AsList(inputs["rows"]),
                dead_letters=side.AsList(inputs["dead_letters"]),
                registry=side.AsSingleton(inputs["registry"]),
                report=side.AsList(inputs["report"]),
                changes=side.AsSingleton(inputs["changes"]),
                source_records=side.AsSingleton(inputs["source_records"]),
                written=side.AsList(written),
            )
        )
