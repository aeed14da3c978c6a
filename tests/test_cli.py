"""The `cord19` command line itself: unknown flags, -v, usage exit codes, what each command imports."""
import argparse
import logging

import pytest

from pipeline import cli
from pipeline.cli import main, make_parser, refuse_unknown_flags
from tests.support.cli_imports import run_reporting_imports
from tests.support.release_fixtures import write_small_release

BROKEN_JATS = b"<article><front>"


@pytest.fixture(autouse=True)
def logger_levels():
    """main() sets the levels of our and Beam's loggers; give them back after each test."""
    names = cli.OUR_LOGGERS + cli.QUIET_LOGGERS
    saved = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def usage_error(argv: list[str], capsys) -> str:
    """Run `cord19 argv`, expect exit 2 with the command's usage line; return stderr."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    return capsys.readouterr().err


def test_a_typo_of_a_build_flag_is_a_usage_error_not_a_sample_build(tmp_path, capsys):
    err = usage_error(["build", "--snapshott", str(tmp_path / "snap"), "--out", str(tmp_path / "out")], capsys)
    assert err.startswith("usage: cord19 build")
    assert err.splitlines()[-1] == f"cord19 build: error: unrecognized arguments: --snapshott {tmp_path / 'snap'}"
    assert not (tmp_path / "out").exists()  # nothing was built


def test_a_typo_of_previous_is_a_usage_error(tmp_path, capsys):
    err = usage_error(["build", "--out", str(tmp_path / "out"), "--prevous", str(tmp_path / "old")], capsys)
    assert "unrecognized arguments: --prevous" in err and not (tmp_path / "out").exists()


def test_a_beam_flag_with_a_bad_value_is_a_usage_error(tmp_path, capsys):
    err = usage_error(["build", "--out", str(tmp_path / "out"), "--direct_num_workers", "two"], capsys)
    assert "Beam option: argument --direct_num_workers: invalid int value: 'two'" in err


@pytest.mark.parametrize("flags", [
    ["--runner=FlinkRunner", "--flink_master=[local]", "--flink_version", "1.19"],
    ["--direct_num_workers", "2", "--direct_running_mode=multi_processing"],
    ["--runner", "DataflowRunner", "--project", "p", "--region", "r", "--temp_location", "gs://b/tmp"],
    ["--s3_endpoint_url=http://127.0.0.1:9", "--environment_type", "DOCKER", "--environment_config", "img:1"],
])
def test_beam_pipeline_options_pass_through_build(flags):
    parser = make_parser("build")
    args, extra = parser.parse_known_args(["build", "--out", "x", *flags])
    assert extra == flags
    refuse_unknown_flags(parser, args, extra)  # no SystemExit: Beam defines every one of them


def test_other_commands_refuse_any_unknown_flag_even_a_beam_one(tmp_path, capsys):
    err = usage_error(["validate", str(tmp_path), "--runner=FlinkRunner"], capsys)
    assert err.startswith("usage: cord19 validate") and "unrecognized arguments: --runner=FlinkRunner" in err


def test_validate_of_a_path_that_names_nothing_exits_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nonexistent")]) == 2
    assert capsys.readouterr().err.strip() == f"cord19 validate: error: {tmp_path / 'nonexistent'} does not exist"


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_before_or_after_the_command_logs_ours_at_debug(tmp_path, caplog, where):
    (tmp_path / "broken.xml").write_bytes(BROKEN_JATS)
    command = ["parse", str(tmp_path / "broken.xml"), "--out", str(tmp_path / "out")]
    argv = ["-v", *command] if where == "before" else [*command, "-v"]
    caplog.set_level(logging.DEBUG)
    assert main(argv) == 1
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG and r.name == "pipeline.commands.parse"]
    assert debug and "not well-formed" in debug[0].getMessage()
    assert logging.getLogger("apache_beam").getEffectiveLevel() == logging.WARNING


def test_without_verbose_there_is_no_debug_of_ours(tmp_path, caplog):
    (tmp_path / "broken.xml").write_bytes(BROKEN_JATS)
    caplog.set_level(logging.DEBUG)
    assert main(["parse", str(tmp_path / "broken.xml"), "--out", str(tmp_path / "out")]) == 1
    assert not [r for r in caplog.records if r.levelno == logging.DEBUG and r.name.startswith("pipeline")]


def test_verbose_is_a_flag_of_every_command():
    parser = make_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, subparser in subparsers.choices.items():
        assert any("-v" in action.option_strings for action in subparser._actions), name


def test_validate_and_load_never_import_apache_beam(tmp_path):
    release = write_small_release(tmp_path / "releases")
    assert run_reporting_imports(["validate", str(release)]) == {"code": 0, "loaded": []}
    out = tmp_path / "papers.jsonl"
    assert run_reporting_imports(["load", str(release), "--out", str(out)]) == {"code": 0, "loaded": []}
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


def test_the_import_report_sees_beam_when_a_command_loads_it(tmp_path):
    """The check above can fail: `build`, even with a typo, loads Beam to tell its flags from typos."""
    report = run_reporting_imports(["build", "--out", str(tmp_path / "out"), "--snapshott", "x"])
    assert report["code"] == 2 and "apache_beam.options.pipeline_options" in report["loaded"]
