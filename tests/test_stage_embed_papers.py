"""EmbedPapers on lists: one part file pair per cord_uid range; a previous release's unchanged vectors reused,
read from its file, never shuffled."""
import json
from pathlib import Path

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq

from pipeline.stages.embed_papers import EmbedPapers
from pipeline.stages.metrics import local_counts, reset_local_counts
from release.embedding_models import resolve_model
from release.embeddings import PreviousVectors, csv_chunks, part_number, read_part_vectors, write_parquet, write_tarball
from release.folders import LocalFolder
from tests.support.beam_helpers import biggest_shuffled, measure_shuffle_inputs, run_and_collect
from tests.support.release_fixtures import make_row

SPEC = resolve_model("hashing-768")


def rows(count: int, changed: tuple[int, ...] = ()) -> list[dict]:
    return [make_row(f"{n:03d}{'abcdefghij'[n % 10]}x{n % 7}yz"[:8], title=f"Coronavirus paper {n}",
                     abstract=f"Abstract {n} {'revised' if n in changed else ''} about SARS-CoV-2 spike binding.")
            for n in range(count)]


def run_stage(tmp_path, name, papers, previous=None, batch_size=32):
    staging = tmp_path / name

    def build(p):
        return {"parts": p | beam.Create(papers) | EmbedPapers(str(staging), SPEC, previous, batch_size=batch_size)}

    return staging, run_and_collect(tmp_path / f"collect-{name}", build)["parts"]


def vectors_of(staging, parts) -> dict[str, bytes]:
    found = {}
    for part in sorted(parts, key=lambda part: part.number):
        with open(staging / part.vectors, "rb") as handle:
            table = read_part_vectors(handle)
        for uid, vector in zip(table.column("cord_uid").to_pylist(), table.column("embedding").to_pylist()):
            found[uid] = np.asarray(vector, dtype="<f4").tobytes()
    return found


def as_previous_release(tmp_path, staging, parts, model_entry) -> str:
    folder = tmp_path / "previous"
    folder.mkdir()
    with open(folder / "cord_19_embeddings.tar.gz", "wb") as out:
        members = write_tarball(out, LocalFolder(staging), "2026-01-01", parts)
    with open(folder / "cord_19_embeddings.parquet", "wb") as out:
        write_parquet(out, LocalFolder(staging), parts, 768, members)
    (folder / "manifest.json").write_text(json.dumps({"embeddings": model_entry}))
    return str(folder)


def test_every_row_gets_one_vector_in_parts_that_follow_the_cord_uid_order(tmp_path):
    papers = rows(120)
    staging, parts = run_stage(tmp_path, "full", papers)
    assert len(parts) > 1 and sum(part.rows for part in parts) == 120 and sum(part.embedded for part in parts) == 120
    found = vectors_of(staging, parts)
    assert list(found) == sorted(row["cord_uid"] for row in papers)
    _, small_batches = run_stage(tmp_path, "batch-of-1", papers, batch_size=1)
    assert vectors_of(tmp_path / "batch-of-1", small_batches) == found


def test_unchanged_papers_reuse_their_vector_bytes_and_only_changed_ones_are_embedded(tmp_path):
    first, parts = run_stage(tmp_path, "first", rows(200))
    previous = as_previous_release(tmp_path, first, parts, SPEC.manifest_entry())
    assert pq.read_table(previous + "/cord_19_embeddings.parquet").num_rows == 200
    nightly = rows(201, changed=(5, 77))[1:]  # paper 0 retired, 200 new, 5 and 77 changed
    second, new_parts = run_stage(tmp_path, "second", nightly, previous)
    assert sum(part.embedded for part in new_parts) == 3 and sum(part.reused for part in new_parts) == 197
    before, after = vectors_of(first, parts), vectors_of(second, new_parts)
    uids = [row["cord_uid"] for row in nightly]
    changed = {uids[4], uids[76]}  # papers 5 and 77
    assert all(after[uid] == before[uid] for uid in uids[:-1] if uid not in changed)
    assert all(after[uid] != before[uid] for uid in changed)
    fresh, _ = run_stage(tmp_path, "fresh", nightly)
    assert vectors_of(fresh, _) == after  # reuse gives the bytes a fresh embedding gives


def csv_members_of(staging, parts) -> dict[int, bytes]:
    return {part.number: (staging / part.csv_member).read_bytes() for part in parts}


def test_a_part_whose_rows_are_all_unchanged_copies_its_csv_member_and_a_damaged_one_is_made_again(tmp_path):
    first, parts = run_stage(tmp_path, "first", rows(200))
    previous = as_previous_release(tmp_path, first, parts, SPEC.manifest_entry())
    nightly = rows(200, changed=(5,))
    fresh, fresh_parts = run_stage(tmp_path, "fresh", nightly)
    reset_local_counts()
    second, new_parts = run_stage(tmp_path, "second", nightly, previous)
    assert local_counts()["embed_papers.copied_parts"] == len(parts) - 1  # all but the part of paper 5
    changed_part = next(part for part in new_parts if part.number == part_number(nightly[5]["cord_uid"]))
    assert local_counts()["embed_papers.reused_lines"] == changed_part.rows - 1  # its other rows, not formatted
    part_uids = sorted(row["cord_uid"] for row in nightly if part_number(row["cord_uid"]) == changed_part.number)
    assert local_counts()["embed_papers.reused_chunks"] == len(csv_chunks(part_uids, part_uids)) - 1  # not compressed
    assert csv_members_of(second, new_parts) == csv_members_of(fresh, fresh_parts)
    tarball = Path(previous, "cord_19_embeddings.tar.gz")
    with open(Path(previous, "cord_19_embeddings.parquet"), "rb") as handle:
        place = PreviousVectors(handle).csv_members[part_number(nightly[50]["cord_uid"])]  # not paper 5's part
    damaged = bytearray(tarball.read_bytes())
    damaged[place.offset + place.length // 2] ^= 0xFF
    tarball.write_bytes(bytes(damaged))
    reset_local_counts()
    third, third_parts = run_stage(tmp_path, "third", nightly, previous)
    assert local_counts()["embed_papers.copied_parts"] == len(parts) - 2
    assert csv_members_of(third, third_parts) == csv_members_of(fresh, fresh_parts)


def test_a_part_that_only_lost_a_paper_takes_every_row_from_the_previous_member(tmp_path):
    first, parts = run_stage(tmp_path, "first", rows(60))
    previous = as_previous_release(tmp_path, first, parts, SPEC.manifest_entry())
    nightly = rows(60)[:7] + rows(60)[8:]  # paper 7 retired, nothing changed
    fresh, fresh_parts = run_stage(tmp_path, "fresh", nightly)
    reset_local_counts()
    second, new_parts = run_stage(tmp_path, "second", nightly, previous)
    shrunk = next(part for part in new_parts if part.number == part_number(rows(60)[7]["cord_uid"]))
    assert local_counts()["embed_papers.reused_lines"] == shrunk.rows and local_counts()["embed_papers.embedded"] == 0
    assert csv_members_of(second, new_parts) == csv_members_of(fresh, fresh_parts)


def test_a_member_whose_recorded_length_is_more_than_its_rows_can_take_is_not_inflated(tmp_path, caplog):
    first, parts = run_stage(tmp_path, "first", rows(60))
    previous = as_previous_release(tmp_path, first, parts, SPEC.manifest_entry())
    parquet = Path(previous, "cord_19_embeddings.parquet")
    table = pq.read_table(parquet)
    places = json.loads(table.schema.metadata[b"cord19_csv_members"])
    nightly = rows(60, changed=(5,))
    changed_part = str(part_number(nightly[5]["cord_uid"]))
    places["parts"][changed_part][2] = 1 << 40  # raw length: a terabyte
    pq.write_table(table.replace_schema_metadata({b"cord19_csv_members": json.dumps(places)}), parquet)
    fresh, fresh_parts = run_stage(tmp_path, "fresh", nightly)
    reset_local_counts()
    second, new_parts = run_stage(tmp_path, "second", nightly, previous)
    assert "embed_papers.reused_lines" not in local_counts() and "more than its rows can take" in caplog.text
    assert csv_members_of(second, new_parts) == csv_members_of(fresh, fresh_parts)


def test_an_unreadable_previous_tarball_still_lets_vectors_be_reused_and_copies_nothing(tmp_path):
    first, parts = run_stage(tmp_path, "first", rows(60))
    previous = as_previous_release(tmp_path, first, parts, SPEC.manifest_entry())
    Path(previous, "cord_19_embeddings.tar.gz").write_bytes(b"\x1f\x8b\x08\x00 truncated")
    reset_local_counts()
    second, new_parts = run_stage(tmp_path, "second", rows(60), previous)
    assert "embed_papers.copied_parts" not in local_counts() and sum(part.reused for part in new_parts) == 60
    assert csv_members_of(second, new_parts) == csv_members_of(first, parts)


def test_previous_vectors_are_read_by_the_part_that_needs_them_and_never_shuffled(tmp_path):
    first, parts = run_stage(tmp_path, "first", rows(200))
    previous = as_previous_release(tmp_path, first, parts, SPEC.manifest_entry())
    assert pq.ParquetFile(previous + "/cord_19_embeddings.parquet").num_row_groups == len(parts)  # a group a part
    sizes = tmp_path / "sizes"
    sizes.mkdir()

    def build(p):
        out = p | beam.Create(rows(200), reshuffle=False) | EmbedPapers(str(tmp_path / "second"), SPEC, previous)
        assert measure_shuffle_inputs(p, sizes) == {"EmbedPapers/GroupParts"}
        return {"parts": out}

    new_parts = run_and_collect(tmp_path / "collect-second", build)["parts"]
    assert sum(part.reused for part in new_parts) == 200 and sum(part.embedded for part in new_parts) == 0
    assert vectors_of(tmp_path / "second", new_parts) == vectors_of(first, parts)
    assert max(biggest_shuffled(sizes).values()) < 1024  # one vector alone pickles to more than 3,072 bytes


def test_vectors_of_another_model_or_revision_are_not_reused(tmp_path):
    first, parts = run_stage(tmp_path, "first", rows(30))
    previous = as_previous_release(tmp_path, first, parts, {**SPEC.manifest_entry(), "revision": "hashing-v0"})
    _, new_parts = run_stage(tmp_path, "second", rows(30), previous)
    assert sum(part.embedded for part in new_parts) == 30 and sum(part.reused for part in new_parts) == 0


def test_an_empty_abstract_or_no_text_at_all(tmp_path):
    papers = [make_row("aaaaaaaa", title="Coronavirus spike", abstract=""),
              make_row("bbbbbbbb", title="", abstract=""),
              make_row("cccccccc", title="Coronavirus spike", abstract="Binding assays.")]
    staging, parts = run_stage(tmp_path, "run", papers)
    found = {uid: np.frombuffer(vector, dtype=np.float32) for uid, vector in vectors_of(staging, parts).items()}
    assert np.linalg.norm(found["aaaaaaaa"]) > 0.99 and not found["bbbbbbbb"].any()
    assert not np.array_equal(found["aaaaaaaa"], found["cccccccc"])


def test_a_part_whose_papers_are_all_retired_writes_nothing(tmp_path):
    first, parts = run_stage(tmp_path, "first", rows(30))
    previous = as_previous_release(tmp_path, first, parts, SPEC.manifest_entry())
    nightly = rows(30)[10:]  # papers 0-9 are the whole part of the cord_uids starting with "00"
    second, new_parts = run_stage(tmp_path, "second", nightly, previous)
    assert sum(part.rows for part in new_parts) == 20 and sum(part.reused for part in new_parts) == 20
    assert part_number("000ax0yz") in {part.number for part in parts} - {part.number for part in new_parts}
    assert list(vectors_of(second, new_parts)) == [row["cord_uid"] for row in nightly]
