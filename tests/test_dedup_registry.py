"""cord_uid registry: stable ids across builds, merges, splits, retirements, minting."""
import json
import re

import pytest

from dedup import Cluster, Registry, RegistryError, assign_cord_uids, cluster_records
from dedup.registry import mint_uid
from schemas import schema_errors


def record(source, source_id, title, ids, authors=(("Malik", "Peiris"), ("Leo", "Poon"))):
    return {
        "source": source, "source_id": source_id, "ids": ids, "title": title, "abstract": "",
        "authors": [{"first": f, "middle": [], "last": l, "suffix": ""} for f, l in authors],
        "publish_time": "2020", "journal": "", "license": "unk", "urls": [], "documents": [],
    }


def cluster(*keys, members=None):
    return Cluster(members=members or [], how="ids", keys=sorted(keys))


FIRST_RELEASE = [
    record("Medline", "100", "Seroprevalence of SARS-CoV-2 in blood donors in Hong Kong", {"pubmed_id": "100", "doi": "10.1000/sero"}),
    record("PMC", "PMC100", "Seroprevalence of SARS-CoV-2 in blood donors in Hong Kong", {"pmcid": "PMC100", "pubmed_id": "100"}),
    record("WHO", "#7", "Viral shedding dynamics in mild COVID-19 outpatients", {"who_covidence_id": "#7"}),
    record("Medline", "200", "Viral shedding dynamics in severe COVID-19 inpatients", {"pubmed_id": "200"}),
    record("Medline", "300", "Air and surface contamination in a COVID-19 ward", {"pubmed_id": "300"}),
]


def build(records, previous=None):
    result = cluster_records(records)
    assignment = assign_cord_uids(result.clusters, previous)
    by_label = {f"{m['source']}:{m['source_id']}": uid
                for uid, c in zip(assignment.uids, result.clusters) for m in c.members}
    return assignment, by_label


def test_first_build_mints_valid_distinct_ids_and_a_valid_registry():
    assignment, by_label = build(FIRST_RELEASE)
    assert len(set(assignment.uids)) == 4
    assert all(re.fullmatch(r"[a-z0-9]{8}", uid) for uid in assignment.uids)
    assert by_label["Medline:100"] == by_label["PMC:PMC100"]
    assert assignment.changes == {"new": sorted(assignment.uids), "removed": [], "merged": [], "split": []}
    data = json.loads(assignment.registry.to_json())
    assert schema_errors("cord_uid_registry", data) == []
    assert data["generation"] == 1
    assert data["keys"]["pmcid:PMC100"] == by_label["PMC:PMC100"]


def test_same_inputs_mint_the_same_ids_and_identical_registry_bytes():
    first, _ = build(FIRST_RELEASE)
    second, _ = build(list(reversed(FIRST_RELEASE)))
    assert first.uids == second.uids
    assert first.registry.to_json() == second.registry.to_json()


def test_second_build_keeps_ids_records_a_merge_and_a_split():
    first, old = build(FIRST_RELEASE)
    previous = Registry.from_json(first.registry.to_json())
    second_release = [
        # the split: PMC now gives another PMID, so PMC100 leaves the Medline/DOI paper
        record("Medline", "100", "Seroprevalence of SARS-CoV-2 in blood donors in Hong Kong", {"pubmed_id": "100", "doi": "10.1000/sero"}),
        record("PMC", "PMC100", "Seroprevalence of SARS-CoV-2 in blood donors in Hong Kong", {"pmcid": "PMC100", "pubmed_id": "101"}),
        # the merge: WHO #7 now carries PMID 200, joining two earlier papers
        record("WHO", "#7", "Viral shedding dynamics in mild COVID-19 outpatients", {"who_covidence_id": "#7", "pubmed_id": "200"}),
        record("Medline", "200", "Viral shedding dynamics in severe COVID-19 inpatients", {"pubmed_id": "200"}),
        # Medline 300 is gone; a new paper arrives
        record("Medline", "400", "Masks and respirators in community settings", {"pubmed_id": "400"}),
    ]
    second, new = build(second_release, previous)
    # the split keeps the id on the part with most of its identifiers (pubmed_id:100 + doi)
    assert new["Medline:100"] == old["Medline:100"]
    assert new["PMC:PMC100"] != old["PMC:PMC100"]
    # the merge keeps the older id; both were minted together, so the smaller id wins
    merged_ids = sorted([old["WHO:#7"], old["Medline:200"]])
    assert new["WHO:#7"] == new["Medline:200"] == merged_ids[0]
    assert second.changes == {
        "new": sorted([new["PMC:PMC100"], new["Medline:400"]]),
        "removed": [old["Medline:300"]],
        "merged": [{"old": merged_ids[1], "new": merged_ids[0]}],
        "split": [{"old": old["PMC:PMC100"], "new": new["PMC:PMC100"]}],
    }
    registry = second.registry
    assert schema_errors("cord_uid_registry", json.loads(registry.to_json())) == []
    assert registry.generation == 2
    assert registry.uids[merged_ids[1]] == {"minted": 1, "status": "merged", "merged_into": merged_ids[0]}
    assert registry.uids[old["Medline:300"]]["status"] == "retired"
    assert registry.keys["pubmed_id:300"] == old["Medline:300"]

    # a third build where Medline 300 comes back revives its id
    third, again = build(second_release + [FIRST_RELEASE[4]], Registry.from_json(registry.to_json()))
    assert again["Medline:300"] == old["Medline:300"]
    assert third.changes["new"] == [old["Medline:300"]]
    assert third.registry.uids[old["Medline:300"]] == {"minted": 1, "status": "active"}


def test_merge_keeps_the_older_id_even_when_the_younger_sorts_first():
    previous = Registry(
        generation=2,
        keys={"pubmed_id:1": "zzzzzzz1", "who_covidence_id:#2": "aaaaaaa2"},
        uids={"zzzzzzz1": {"minted": 1, "status": "active"}, "aaaaaaa2": {"minted": 2, "status": "active"}},
    )
    assignment = assign_cord_uids([cluster("pubmed_id:1", "who_covidence_id:#2")], previous)
    assert assignment.uids == ["zzzzzzz1"]
    assert assignment.changes["merged"] == [{"old": "aaaaaaa2", "new": "zzzzzzz1"}]
    assert assignment.registry.resolve("aaaaaaa2") == "zzzzzzz1"


def test_ids_merged_earlier_are_followed():
    previous = Registry(
        generation=3,
        keys={"doi:10.1000/a": "bbbbbbb1", "pubmed_id:9": "ccccccc1"},
        uids={"bbbbbbb1": {"minted": 1, "status": "merged", "merged_into": "ccccccc1"},
              "ccccccc1": {"minted": 1, "status": "active"}},
    )
    assignment = assign_cord_uids([cluster("doi:10.1000/a")], previous)
    assert assignment.uids == ["ccccccc1"]
    assert assignment.changes == {"new": [], "removed": [], "merged": [], "split": []}


def test_split_goes_to_the_part_with_most_identifiers():
    previous = Registry(
        generation=1,
        keys={"doi:10.1000/a": "ddddddd1", "pmcid:PMC1": "ddddddd1", "pubmed_id:1": "ddddddd1"},
        uids={"ddddddd1": {"minted": 1, "status": "active"}},
    )
    clusters = [cluster("pmcid:PMC1"), cluster("doi:10.1000/a", "pubmed_id:1")]
    assignment = assign_cord_uids(clusters, previous)
    assert assignment.uids[1] == "ddddddd1"
    assert assignment.uids[0] != "ddddddd1"
    assert assignment.changes["split"] == [{"old": "ddddddd1", "new": assignment.uids[0]}]
    assert assignment.changes["new"] == [assignment.uids[0]]


def test_minting_skips_taken_ids():
    first = mint_uid("seed", set())
    second = mint_uid("seed", {first})
    assert first != second and re.fullmatch(r"[a-z0-9]{8}", second)
    assert mint_uid("seed", set()) == first


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        json.dumps({"schema_version": "1", "generation": 1, "keys": {"doi:x": "aaaaaaa1"}, "uids": {}}),
        json.dumps({"schema_version": "1", "generation": 1, "keys": {}, "uids": {"BAD": {"minted": 1, "status": "active"}}}),
        json.dumps({"schema_version": "1", "generation": 1, "keys": {},
                    "uids": {"aaaaaaa1": {"minted": 1, "status": "merged", "merged_into": "aaaaaaa2"}}}),
    ],
)
def test_broken_registries_are_refused(text):
    with pytest.raises(RegistryError):
        Registry.from_json(text)


def test_records_without_identifiers_keep_their_ids_through_fuzzy_and_record_keys():
    no_ids = dict.fromkeys(("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id", "s2_id"))
    records = [record("Europe PMC", "PPR1", "Household transmission of SARS-CoV-2 in Geneva", no_ids),
               record("Europe PMC", "PPR2", "", no_ids)]
    first, old = build(records)
    result = cluster_records(records)
    assert [key.split(":")[0] for c in result.clusters for key in c.keys] == ["fuzzy", "record", "record"]
    assert result.clusters[1].keys == ["record:Europe PMC:PPR2"]
    # the title's formatting changes; its fuzzy key (compact title, first surname, year) does not
    records[0] = dict(records[0], title="HOUSEHOLD TRANSMISSION OF SARS-COV-2 IN GENEVA.")
    second, new = build(records, Registry.from_json(first.registry.to_json()))
    assert new == old
    assert second.changes == {"new": [], "removed": [], "merged": [], "split": []}


def test_records_without_identifiers_sharing_a_fuzzy_key_keep_their_own_ids():
    no_ids = dict.fromkeys(("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id", "s2_id"))
    records = [record("Europe PMC", f"PPR{n}", "Editorial", no_ids) for n in range(3)]
    first, old = build(records)
    assert len(set(old.values())) == 3
    registry = Registry.from_json(first.registry.to_json())
    for _ in range(2):
        again, new = build(records, registry)
        assert new == old and again.changes == {"new": [], "removed": [], "merged": [], "split": []}
        registry = again.registry
