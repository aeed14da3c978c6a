"""Rules of the house: what each package may import (Beam only in the pipeline's stages and
build.py); no module over 700 lines and no function over 80 outside tests and data; every CLI
subcommand is in the README; tests and benchmarks share helpers through tests/support/ only."""
import ast
from pathlib import Path

from pipeline.cli import make_parser
from tests.support.paths import PROJECT_ROOT

PACKAGES = ("schemas", "parsers", "dedup", "release", "pipeline")
# What each package may import of ours (pipeline: anything).
ALLOWED_IMPORTS = {"schemas": set(), "parsers": {"schemas"}, "dedup": {"schemas"}, "release": {"schemas"}}
# The only code that imports Apache Beam: the pipeline's stages and the graph.
BEAM_MODULES = ("pipeline/stages/", "pipeline/build.py")
# The code the size limits apply to: everything but tests (data files are not Python).
SIZED_FOLDERS = PACKAGES + ("scripts", "benchmarks")
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 80


def python_files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (PROJECT_ROOT / folder).rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT).as_posix()


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside functions; relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = list(path.relative_to(PROJECT_ROOT).parent.parts)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            names.add(".".join(base + ([node.module] if node.module else [])))
    return names


def test_only_the_stages_and_build_import_apache_beam():
    offenders = [
        relative(path)
        for path in python_files(*PACKAGES)
        if not relative(path).startswith(BEAM_MODULES)
        and any(name.split(".")[0] == "apache_beam" for name in imported_modules(path))
    ]
    assert offenders == []


def test_packages_import_only_what_the_architecture_allows():
    offenders = []
    for package, may_import in ALLOWED_IMPORTS.items():
        for path in python_files(package):
            for name in imported_modules(path):
                top = name.split(".")[0]
                if top in PACKAGES and top != package and top not in may_import:
                    offenders.append(f"{relative(path)} imports {name}")
    assert offenders == []


def test_no_module_or_function_is_over_the_size_limits():
    """No module over 700 lines, no function (or method) over 80, outside tests and data."""
    offenders = []
    for path in python_files(*SIZED_FOLDERS):
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            offenders.append(f"{relative(path)}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    offenders.append(f"{relative(path)}:{node.lineno} {node.name}: {length} lines")
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
