"""report.html: counted while the release streams, one chart per topic, byte-identical, and seen in Chromium."""
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import pytest

from release.assemble import ReleaseContent, write_release
from release.layout import REPORT, PreviousRelease, paper_relative_path
from release.report import EXAMPLES, CordUidWalk, ReportCounts, merges_by_rule, publish_year
from schemas.records import paper_json_bytes
from tests.support.chromium import CHROMIUM, dump_dom, page_requests, screenshot
from tests.support.release_fixtures import PDF_SHA1, make_pdf_paper, make_row

CHART_IDS = ["chart-sources", "chart-years", "chart-licences", "chart-full-text", "chart-dead-letters",
             "chart-dedup", "chart-changes"]
SVG_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
needs_chromium = pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"{CHROMIUM} is not installed (.ci/run installs it)")


def dead_letter(stage: str, reason: str, number: int) -> dict:
    return {"schema_version": "1", "stage": stage, "reason": reason, "input": f"feeds/x/page-{number:04d}.xml",
            "source": "PubMed", "error": "FeedRecordError", "message": f"record {number} is broken"}


def report_content(date: str = "2026-02-01") -> ReleaseContent:
    """A release with something in every chart: several sources, years, licences, full-text kinds, dead letters
    of two stages, dedup entries of four kinds, and a previous release with merged, split and retired cord_uids."""
    pdf_path = paper_relative_path("pdf", PDF_SHA1)
    rows = [
        make_row("aaaa0001", source_x="Medline; PMC", publish_time="2020-03-01", license="cc-by",
                 pdf_json_files=pdf_path, pmc_json_files="document_parses/pmc_json/PMC1.xml.json", title="One"),
        make_row("aaaa0002", source_x="WHO", publish_time="2021", license="unk", pdf_json_files=pdf_path),
        make_row("aaaa0003", source_x="BioRxiv", publish_time="2019 Dec 30", license="biorxiv"),
        make_row("aaaa0005", source_x="Medline", publish_time="", license="cc-by-nc"),
    ]
    letters = [dead_letter("read_records", "feed_record_error", number) for number in range(EXAMPLES + 4)]
    letters.append({**dead_letter("parse_documents", "not_pdf", 99), "message": "the input is an HTML page, not a PDF"})
    report = [
        {"kind": "fuzzy_merge", "records": ["WHO:#1", "Medline:2"], "rule": "title+authors", "title_score": 97.0},
        {"kind": "fuzzy_merge", "records": ["WHO:#3", "Medline:4"], "rule": "title-only", "title_score": 99.0},
        {"kind": "same_source_duplicate", "records": ["WHO:#5", "WHO:#6"], "rule": "shared-doi+title+authors"},
        {"kind": "id_conflict", "key": "doi:10.1/x", "record": "PMC:PMC9", "kept_apart_from": ["Medline:9"]},
        {"kind": "summary", "records": 12, "clusters": 4, "candidate_pairs": 7},
    ]
    previous = PreviousRelease(release_date="2026-01-01", changelog="2026-01-01\n---SUMMARY---\n",
                               parse_files=frozenset({pdf_path}),
                               cord_uids=frozenset({"aaaa0001", "aaaa0004", "aaaa0006", "zzzz9999"}))
    changes = {"merged": [{"old": "aaaa0004", "new": "aaaa0001"}], "split": [{"old": "aaaa0001", "new": "aaaa0005"}],
               "removed": ["aaaa0006"]}
    return ReleaseContent(release_date=date, rows=rows, papers={pdf_path: paper_json_bytes(make_pdf_paper())},
                          dead_letters=letters, dedup_report=report, cord_uid_changes=changes,
                          source_record_count=12, previous=previous)


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> Path:
    release_dir = tmp_path_factory.mktemp("report") / "2026-02-01"
    write_release(release_dir, report_content())
    return release_dir / REPORT


class PageElements(HTMLParser):
    """The ids, figures (with the elements inside each) and URL-bearing attributes of an HTML page."""

    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.figures: dict[str, list[str]] = {}
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self._figure: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "figure":
            self._figure = attributes.get("id")
            self.figures[self._figure] = []
        elif self._figure is not None:
            self.figures[self._figure].append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action", "poster", "data") or "url(" in (value or ""):
                self.urls.append((tag, name, value or ""))

    def handle_endtag(self, tag):
        if tag == "figure":
            self._figure = None


def page_elements(text: str) -> PageElements:
    parser = PageElements()
    parser.feed(text)
    return parser


def test_every_release_has_a_report_listed_and_hashed_in_its_manifest(report_page: Path):
    manifest = json.loads((report_page.parent / "manifest.json").read_text(encoding="utf-8"))
    data = report_page.read_bytes()
    assert manifest["files"][REPORT] == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert data.startswith(b"<!DOCTYPE html>") and len(data) < 200_000


def test_the_report_is_byte_identical_for_the_same_release_whatever_matplotlib_was_told(report_page, tmp_path):
    """A matplotlibrc (here: the same settings changed in-process) changes no byte: the report draws in its own style."""
    with matplotlib.rc_context({"font.size": 20, "axes.facecolor": "red", "svg.hashsalt": "other",
                                "svg.fonttype": "path", "lines.linewidth": 7}):
        write_release(tmp_path / "again", report_content())
    assert (tmp_path / "again" / REPORT).read_bytes() == report_page.read_bytes()


def test_one_chart_per_topic_each_an_inline_svg_with_unique_ids_and_no_url(report_page: Path):
    text = report_page.read_text(encoding="utf-8")
    page = page_elements(text)
    assert list(page.figures) == CHART_IDS
    for name, tags in page.figures.items():
        assert tags[0] == "svg" and tags.count("svg") == 1 and "path" in tags and "text" in tags, name
    assert len(page.ids) == len(set(page.ids))
    assert all(value.startswith("#") for _, _, value in page.urls if not value.startswith("url(#")), page.urls
    assert not [tag for tags in page.figures.values() for tag in tags if tag in ("img", "script", "iframe", "link")]
    assert "<script" not in text and "@import" not in text and "@font-face" not in text
    assert set(re.findall(r"[a-z][a-z0-9+.-]*://[^\s\"'<>)]*", text)) <= SVG_NAMESPACES  # the only URLs: names
    assert "Content-Security-Policy" in text and "default-src 'none'" in text


def test_the_report_counts_what_the_release_holds(report_page: Path):
    text = report_page.read_text(encoding="utf-8")
    # dead letters: the count of a reason, and only its first examples
    assert "read_records / feed_record_error</td><td class=\"number\">7<" in text
    assert "record 2 is broken" in text and "record 3 is broken" not in text
    # changes against the previous release: added aaaa0002, aaaa0003, aaaa0005; removed aaaa0004, aaaa0006, zzzz9999
    assert "<td>added</td><td class=\"number\">3<" in text and "<td>removed</td><td class=\"number\">3<" in text
    assert "aaaa0004 -&gt; aaaa0001" in text and "Compared with the release of 2026-01-01" in text
    # dedup: 12 records in 4 clusters is 8 joins, 3 of them listed in the report, so 5 by shared identifiers
    assert ">shared identifiers<" in text and ">fuzzy merge: title-only<" in text


def test_counts_keep_counters_and_a_few_examples_only():
    counts = ReportCounts.against([])
    for number in range(10_000):
        counts.add_dead_letter(dead_letter("read_records", "feed_record_error", number))
        counts.add_dedup_entry({"kind": "id_conflict", "key": f"doi:{number}"})
        counts.add_row(make_row(f"a{number:07d}", source_x="WHO; PMC", publish_time=f"{2000 + number % 20}-01-01",
                                pmc_json_files="x" if number % 2 else ""))
    assert counts.dead_letters == {("read_records", "feed_record_error"): 10_000}
    assert len(counts.dead_letter_examples[("read_records", "feed_record_error")]) == EXAMPLES
    assert counts.dedup_kinds == {"id_conflict": 10_000} and len(counts.dedup_examples["id_conflict"]) == EXAMPLES
    assert counts.sources == {"WHO": 10_000, "PMC": 10_000} and len(counts.years) == 20
    assert counts.full_text == {"pmc_json": 5_000, "none": 5_000}
    assert counts.cord_uids.added == 10_000 and len(counts.cord_uids.added_examples) == EXAMPLES


def test_the_cord_uid_walk_finds_added_kept_and_removed_in_one_pass():
    walk = CordUidWalk({"b", "a", "d", "f"})
    for uid in ("b", "c", "e"):
        walk.add(uid, f"title {uid}")
    walk.finish()
    assert (walk.added, walk.kept, walk.removed) == (2, 1, 3)
    assert walk.added_examples == [("c", "title c"), ("e", "title e")] and walk.removed_examples == ["a", "d", "f"]
    with pytest.raises(ValueError, match="out of order"):
        walk.add("a", "")


def test_merges_by_rule_without_a_summary_lists_only_the_reported_joins():
    counts = ReportCounts.against([])
    counts.add_dedup_entry({"kind": "fuzzy_merge", "rule": "title+authors"})
    assert merges_by_rule(counts) == [("fuzzy merge: title+authors", 1)]
    counts.add_dedup_entry({"kind": "summary", "records": 5, "clusters": 3})
    assert merges_by_rule(counts) == [("shared identifiers", 1), ("fuzzy merge: title+authors", 1)]


def test_publish_year_reads_the_forms_of_publish_time():
    assert [publish_year(value) for value in ("2020-03-14", "2020", "2020 Mar 14", "", "n.d.", "20")] == [
        2020, 2020, 2020, None, None, None]


def test_an_empty_release_still_has_every_chart(tmp_path):
    write_release(tmp_path / "empty", ReleaseContent(release_date="2026-01-01", rows=[], papers={}))
    assert list(page_elements((tmp_path / "empty" / REPORT).read_text(encoding="utf-8")).figures) == CHART_IDS


@needs_chromium
def test_the_report_renders_in_headless_chromium(report_page: Path, tmp_path):
    dom = page_elements(dump_dom(report_page))
    assert list(dom.figures) == CHART_IDS
    for name, tags in dom.figures.items():  # the browser built each chart's SVG elements
        assert tags[0] == "svg" and tags.count("path") >= 3 and "text" in tags, name
    from PIL import Image  # matplotlib's own dependency

    image = Image.open(screenshot(report_page, tmp_path / "report.png")).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    bar_pixels = sum(count for count, colour in colours if colour == (0x45, 0x7B, 0x9D))
    assert image.size == (1000, 3000) and len(colours) > 50 and bar_pixels > 20_000  # charts drawn, not blank


@needs_chromium
def test_the_report_loads_nothing_from_the_network(report_page: Path, tmp_path):
    assert page_requests(report_page, tmp_path / "report-net.json") == []
    # The check sees a page's requests: a page that asks for an image and a script is caught.
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!DOCTYPE html><img src="https://example.com/x.png"><script src="http://127.0.0.1:9/a.js">'
                     "</script>", encoding="utf-8")
    assert page_requests(leaky, tmp_path / "leaky-net.json") == ["https://example.com/x.png", "http://127.0.0.1:9/a.js"]
