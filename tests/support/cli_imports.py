"""Run `cord19 ...` in a fresh interpreter and report which heavy libraries it imported."""
import json
import subprocess
import sys

from tests.support.paths import PROJECT_ROOT

# Calls pipeline.cli.main with the arguments, then prints its exit code and the loaded modules of interest.
IMPORT_REPORT = """
import json, sys
from pipeline.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as stopped:  # usage errors
    code = stopped.code
tops = sys.argv[1].split(",")
loaded = sorted(name for name in sys.modules if name.split(".")[0] in tops)
print(json.dumps({"code": code, "loaded": loaded}))
"""


def run_reporting_imports(args: list[str], libraries: tuple[str, ...] = ("apache_beam",)) -> dict:
    """{"code": exit code, "loaded": the modules of `libraries` that `cord19 <args>` imported}."""
    result = subprocess.run([sys.executable, "-c", IMPORT_REPORT, ",".join(libraries), *args],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=180)
    return json.loads(result.stdout.splitlines()[-1])
