"""`cord19 build` embeds every released paper: the Hugging Face `cord19` script's three configurations read
the release, merged duplicates are one row, a rebuild on top of it reuses every vector, a real model embeds too."""
import csv
import json
import os
import tarfile

import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from release.load import iter_papers
from tests.support.sample_release_checksums import SAMPLE_DATE

DATE = SAMPLE_DATE


def build(out, date=DATE, *extra):
    assert main(["build", "--out", str(out), "--release-date", date, *extra]) == 0
    return out / date


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return build(tmp_path_factory.mktemp("embedded"))


def hf_style_examples(release_dir, date, scratch, config):
    """What the Hugging Face `cord19` script yields for `config`, read the way it reads (written from its logic).

    It extracts the tarballs, reads metadata.csv with csv.reader (header skipped), takes the first pdf_json
    path of a row for the full text, and reads the embeddings CSV one line per metadata row, keeping a
    vector only when the line's first field is the row's cord_uid and dropping the line's last field.
    """
    parses, vectors = scratch / "parses", scratch / "vectors"
    with tarfile.open(release_dir / "document_parses.tar.gz") as archive:
        archive.extractall(parses, filter="data")
    with tarfile.open(release_dir / "cord_19_embeddings.tar.gz") as archive:
        archive.extractall(vectors, filter="data")
    embeddings = open(vectors / f"cord_19_embeddings_{date}.csv", encoding="utf-8")
    with open(release_dir / "metadata.csv", encoding="utf-8") as handle, embeddings:
        reader = csv.reader(handle, delimiter=",")
        next(reader, None)
        for line in reader:
            example = {"cord_uid": line[0], "title": line[3], "abstract": line[8], "url": line[17]}
            if config == "fulltext":
                example["fulltext"] = ""
                if line[15]:
                    with open(os.path.join(parses, line[15].split(";")[0]), encoding="utf-8") as parse:
                        example["fulltext"] = "\n".join(block["text"] for block in json.load(parse)["body_text"])
            if config == "embeddings":
                fields = embeddings.readline().split(",")
                example["doc_embeddings"] = [float(v) for v in fields[1:-1]] if fields[0] == line[0] else []
            yield example


def test_the_hugging_face_scripts_three_configurations_read_the_release(release, tmp_path):
    metadata = list(hf_style_examples(release, DATE, tmp_path / "m", "metadata"))
    fulltext = list(hf_style_examples(release, DATE, tmp_path / "f", "fulltext"))
    embedded = list(hf_style_examples(release, DATE, tmp_path / "e", "embeddings"))
    assert len(metadata) == len(fulltext) == len(embedded) > 0
    assert sum(1 for example in fulltext if example["fulltext"]) >= 4
    assert all(len(example["doc_embeddings"]) == 767 for example in embedded)  # the script drops the last float


def test_one_vector_per_released_paper_so_merged_duplicates_are_one_row(release):
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["counts"]["source_records"] > manifest["counts"]["metadata_rows"]  # duplicates were merged
    table = pq.read_table(release / "cord_19_embeddings.parquet")
    uids = [row["cord_uid"] for row in csv.DictReader((release / "metadata.csv").open(encoding="utf-8"))]
    assert table.column("cord_uid").to_pylist() == uids
    assert str(table.schema.field("embedding").type) == "fixed_size_list<element: float>[768]"
    entry = manifest["embeddings"]
    assert (entry["model"], entry["revision"], entry["rows"], entry["embedded"]) == (
        "hashing-768", "hashing-v1", len(uids), len(uids))
    assert {"cord_19_embeddings.tar.gz", "cord_19_embeddings.parquet"} <= set(manifest["files"])
    assert "Embeddings: hashing-768 (revision hashing-v1)" in (release / "changelog").read_text()


def test_load_attaches_each_papers_vector(release):
    records = list(iter_papers(release, embeddings=True))
    vectors = pq.read_table(release / "cord_19_embeddings.parquet").column("embedding").to_pylist()
    assert [record["embedding"] for record in records] == vectors


def test_a_rebuild_on_top_of_the_release_reuses_every_vector(release, tmp_path):
    nxt = build(tmp_path, "2026-01-02", "--previous", str(release))
    entry = json.loads((nxt / "manifest.json").read_text())["embeddings"]
    assert (entry["embedded"], entry["reused"]) == (0, entry["rows"])
    before, after = (pq.read_table(folder / "cord_19_embeddings.parquet") for folder in (release, nxt))
    assert after.column("embedding").to_pylist() == before.column("embedding").to_pylist()


def test_an_unknown_model_name_stops_the_build_with_one_line(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path), "--embedding-model", "hashing-0"]) == 1
    assert "hashing-<dimensions>" in capsys.readouterr().err


def test_a_tiny_real_model_embeds_the_sample_on_the_build(tmp_path, monkeypatch):
    pytest.importorskip("transformers")
    from tests.support.tiny_models import tiny_bert

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = tiny_bert(tmp_path / "tiny-bert")
    built = build(tmp_path / "out", DATE, "--embedding-model", str(model))
    entry = json.loads((built / "manifest.json").read_text())["embeddings"]
    assert (entry["kind"], entry["pooling"], entry["dimensions"]) == ("transformers", "cls", 32)
    again = build(tmp_path / "again", DATE, "--embedding-model", str(model))
    assert (again / "cord_19_embeddings.tar.gz").read_bytes() == (built / "cord_19_embeddings.tar.gz").read_bytes()
