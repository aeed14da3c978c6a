"""Where the project and the shared corpus are."""
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def corpus_path() -> Path:
    """Where the shared corpus lives: CORD19_CORPUS, default ../shared/corpus (it is never copied into the project)."""
    return Path(os.environ.get("CORD19_CORPUS", PROJECT_ROOT.parent / "shared" / "corpus")).resolve()
