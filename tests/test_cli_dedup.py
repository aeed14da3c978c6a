"""`cord19 dedup RECORDS.jsonl --out CLUSTERS.jsonl [--previous RELEASE_DIR]`."""
import json

from pipeline.cli import main
from schemas import schema_errors


def record(source, source_id, title, ids, authors=(("Kwok-Yung", "Yuen"),), publish_time="2020-02-01"):
    all_ids = dict.fromkeys(("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id", "s2_id"))
    all_ids.update(ids)
    return {"source": source, "source_id": source_id, "ids": all_ids, "title": title, "abstract": "",
            "authors": [{"first": f, "middle": [], "last": l, "suffix": ""} for f, l in authors],
            "publish_time": publish_time, "journal": "", "license": "unk", "urls": [], "documents": []}


RECORDS = [
    record("Medline", "31986261", "A familial cluster of pneumonia associated with the 2019 novel coronavirus",
           {"pubmed_id": "31986261", "doi": "10.1016/s0140-6736(20)30154-9"}),
    record("PMC", "PMC7159286", "A familial cluster of pneumonia associated with the 2019 novel coronavirus",
           {"pmcid": "PMC7159286", "pubmed_id": "31986261"}),
    record("WHO", "#1", "A FAMILIAL CLUSTER OF PNEUMONIA ASSOCIATED WITH THE 2019 NOVEL CORONAVIRUS.",
           {"who_covidence_id": "#1"}, publish_time="2020"),
    record("WHO", "#2", "Editorial", {"who_covidence_id": "#2"}),
]


def write_jsonl(path, items):
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_dedup_writes_one_line_per_paper_and_keeps_ids_with_previous(tmp_path):
    records = tmp_path / "records.jsonl"
    write_jsonl(records, RECORDS)
    release = tmp_path / "2020-03-13"
    release.mkdir()
    out = tmp_path / "clusters.jsonl"
    assert main(["dedup", str(records), "--out", str(out), "--registry-out", str(release / "cord_uid_registry.json"),
                 "--report-out", str(tmp_path / "report.jsonl")]) == 0
    lines = read_jsonl(out)
    assert [(line["how"], line["members"]) for line in lines] == [
        ("fuzzy", [{"source": "Medline", "source_id": "31986261"}, {"source": "PMC", "source_id": "PMC7159286"},
                   {"source": "WHO", "source_id": "#1"}]),
        ("single", [{"source": "WHO", "source_id": "#2"}]),
    ]
    for line in lines:
        assert schema_errors("metadata_row", line["metadata"]) == []
        assert line["metadata"]["cord_uid"] == line["cord_uid"]
    assert lines[0]["metadata"]["source_x"] == "Medline; PMC; WHO"
    report = read_jsonl(tmp_path / "report.jsonl")
    assert [entry["kind"] for entry in report] == ["fuzzy_merge", "summary", "cord_uid_changes"]

    # second build: same papers plus one, against the previous release
    write_jsonl(records, RECORDS + [record("ArXiv", "2003.00001", "Transmission of SARS-CoV-2 on cruise ships",
                                           {"arxiv_id": "2003.00001"})])
    again = tmp_path / "again.jsonl"
    assert main(["dedup", str(records), "--out", str(again), "--previous", str(release)]) == 0
    second = read_jsonl(again)
    old_ids = {line["members"][0]["source_id"]: line["cord_uid"] for line in lines}
    new_ids = {line["members"][0]["source_id"]: line["cord_uid"] for line in second}
    assert {key: new_ids[key] for key in old_ids} == old_ids
    assert len(set(new_ids.values())) == 3


def test_dedup_output_is_byte_identical_for_shuffled_input(tmp_path):
    for name, items in (("a", RECORDS), ("b", RECORDS[::-1])):
        write_jsonl(tmp_path / f"{name}.jsonl", items)
        assert main(["dedup", str(tmp_path / f"{name}.jsonl"), "--out", str(tmp_path / f"{name}.out")]) == 0
    assert (tmp_path / "a.out").read_bytes() == (tmp_path / "b.out").read_bytes()


def test_bad_record_line_is_a_clean_error(tmp_path, capsys):
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps(RECORDS[0]) + "\n" + json.dumps({"source": "WHO"}) + "\n", encoding="utf-8")
    assert main(["dedup", str(records), "--out", str(tmp_path / "out.jsonl")]) == 1
    assert "records.jsonl:2: not a source record" in capsys.readouterr().err


def test_previous_release_without_registry_is_a_clean_error(tmp_path, capsys):
    records = tmp_path / "records.jsonl"
    write_jsonl(records, RECORDS)
    assert main(["dedup", str(records), "--out", str(tmp_path / "out.jsonl"), "--previous", str(tmp_path)]) == 1
    assert "cord_uid_registry.json" in capsys.readouterr().err
