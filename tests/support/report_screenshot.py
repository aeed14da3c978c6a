"""Make docs/report.png, the README's picture of report.html: the sample release's report in headless Chromium.

Builds the bundled sample for the sample date into a temporary folder, has Debian's
Chromium (/usr/bin/chromium; `apt-get install chromium`) draw the first part of its
report.html, and keeps it small: 900 pixels wide, 128 colours. Usage, from the project root:

    python -m tests.support.report_screenshot [--out docs/report.png] [--height 1500]
"""
import argparse
import logging
import sys
import tempfile
from pathlib import Path

from PIL import Image

from pipeline.cli import main as cord19
from release.layout import REPORT
from tests.support.chromium import screenshot
from tests.support.sample_release_checksums import SAMPLE_DATE

WIDTH = 900
COLOURS = 128


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/report.png"))
    parser.add_argument("--height", type=int, default=1500, help="pixels of the page to keep, from its top")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        if cord19(["build", "--out", folder, "--release-date", SAMPLE_DATE]) != 0:
            return 1
        shot = screenshot(Path(folder) / SAMPLE_DATE / REPORT, Path(folder) / "shot.png", WIDTH, args.height)
        image = Image.open(shot).convert("RGB").quantize(COLOURS)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    image.save(args.out, optimize=True)
    logging.getLogger(__name__).info("wrote %s (%d bytes)", args.out, args.out.stat().st_size)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.exit(main())
