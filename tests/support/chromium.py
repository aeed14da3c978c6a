"""Debian's headless Chromium, for tests (and the README screenshot) that look at report.html in a real browser.

`.ci/run` installs it (`apt-get install chromium`); tests skip when /usr/bin/chromium is absent.
Chromium starts with a new empty profile and without its background services, and every host
name resolves to nothing, so it reaches no network; the requests it still makes of its own
(time, component updates, accounts) have no page as initiator, which `page_requests` tells
apart from what a page asks for.
"""
import json
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars",
)
TIMEOUT_SECONDS = 60
BROWSER_INITIATOR = "not an origin"  # the initiator of the browser's own requests in a net log


def run_chromium(page: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Load `page` (a file) from its file:// URL in a fresh headless Chromium with `arguments`; stdout as text."""
    with tempfile.TemporaryDirectory() as profile:
        command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *arguments, page.resolve().as_uri()]
        return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=True)


def dump_dom(page: Path) -> str:
    """The page's DOM, serialised by Chromium after it loaded the page."""
    return run_chromium(page, "--dump-dom").stdout


def screenshot(page: Path, out: Path, width: int = 1000, height: int = 3000) -> Path:
    """A PNG of the page's first `width` x `height` pixels, as Chromium draws it."""
    run_chromium(page, f"--window-size={width},{height}", f"--screenshot={out}")
    return out


def page_requests(page: Path, net_log: Path) -> list[str]:
    """The URLs of every request that loading `page` made (the browser's own requests left out)."""
    run_chromium(page, f"--log-net-log={net_log}", "--dump-dom")
    log = json.loads(net_log.read_text(encoding="utf-8"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start_job and "url" in event.get("params", {})
        and event["params"].get("initiator") != BROWSER_INITIATOR
    ]
