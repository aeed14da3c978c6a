"""Rules of the house: only pipeline/ imports Beam; every CLI subcommand is in the README;
tests and benchmarks share helpers through tests/support/ only."""
import ast

from pipeline.cli import make_parser
from tests.support.paths import PROJECT_ROOT

PLAIN_PACKAGES = ("schemas", "parsers", "dedup", "release")


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_pipeline_imports_apache_beam():
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for package in PLAIN_PACKAGES
        for path in (PROJECT_ROOT / package).rglob("*.py")
        if any(name.split(".")[0] == "apache_beam" for name in imported_modules(path))
    ]
    assert offenders == []


def test_packages_import_only_what_the_architecture_allows():
    allowed = {"schemas": set(), "parsers": {"schemas"}, "dedup": {"schemas"}, "release": {"schemas"}}
    ours = set(PLAIN_PACKAGES) | {"pipeline"}
    offenders = []
    for package, may_import in allowed.items():
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            for name in imported_modules(path):
                top = name.split(".")[0]
                if top in ours and top != package and top not in may_import:
                    offenders.append(f"{path.relative_to(PROJECT_ROOT)} imports {name}")
    assert offenders == []


def test_every_cli_subcommand_is_documented_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    parser = make_parser()
    subcommands = next(action for action in parser._actions if action.dest == "command").choices
    missing = [name for name in subcommands if f"cord19 {name}" not in readme]
    assert missing == []


def test_no_test_or_benchmark_imports_a_test_module():
    """What tests and benchmarks share lives in tests/support/, never in a test module."""
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for folder in ("tests", "benchmarks", "scripts")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[-1].startswith("test_") or name.startswith("benchmarks")
    ]
    assert offenders == []
    assert not list((PROJECT_ROOT / "tests" / "support").glob("test_*.py"))
