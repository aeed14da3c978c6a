"""AssignCordUids, after ClusterPapers: the ids do not depend on input order or worker count."""
from tests.support.beam_helpers import run_and_collect
from tests.support.stage_chain import DOCS, RECORDS, cluster_assign_harmonize, write_candidates


def test_cord_uids_do_not_depend_on_input_order_or_worker_count(tmp_path):
    write_candidates(tmp_path / "sa")
    write_candidates(tmp_path / "sb")
    first = run_and_collect(tmp_path / "a", lambda p: cluster_assign_harmonize(p, tmp_path / "sa"))
    second = run_and_collect(tmp_path / "b", lambda p: cluster_assign_harmonize(p, tmp_path / "sb", records=RECORDS[::-1],
                                                                                docs=DOCS[::-1]),
                             beam_args=("--direct_running_mode=multi_processing", "--direct_num_workers=2"))
    assert sorted(r["cord_uid"] for r in first["rows"]) == sorted(r["cord_uid"] for r in second["rows"])
    registry = "cord_uid_registry.json"
    assert (tmp_path / "sa" / registry).read_bytes() == (tmp_path / "sb" / registry).read_bytes()
