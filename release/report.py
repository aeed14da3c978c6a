"""report.html: one release drawn as charts, for a reader who would rather see than read.

The page shows papers by source and by publish year, licences, full-text coverage by
source (what `cord19 load` gives as `full_text_source`: pmc_json, else pdf_json, else
none), dead letters by stage and reason with a few examples each, the dedup report's
merges by rule and entries by kind, and what changed since the previous release
(cord_uids added and removed against its metadata.csv; merged, split and retired ones
from the registry; parse files new and removed).

How it is made: release/assemble.py feeds a `ReportCounts` while it streams the release's
files (each metadata row, dead letter and dedup report entry passes once) and calls
`report_html` before it writes manifest.json, which lists and hashes report.html like
every other file. ReportCounts holds counters and at most EXAMPLES examples per kind, so
its memory does not grow with the corpus; the one list it keeps is the previous
release's cord_uids, sorted (the final step holds them already), walked beside this
release's sorted rows to find the cord_uids that are gone.

The charts are drawn with matplotlib's SVG backend and inlined: the page loads no script,
font, image or style sheet, and its Content-Security-Policy (default-src 'none') tells a
browser to refuse anything else. Why matplotlib:
- well kept and known to every Python reader; from PyPI, nothing fetched at run time;
- install: the wheel is 8.8 MB; with fontTools, pillow, kiwisolver, contourpy and cycler
  it adds about 95 MB to this package's 830 MB install (numpy, pyparsing and dateutil
  come with Beam already); matplotlib with all of its dependencies installs from PyPI in
  14 s on a machine without a pip cache. Only writing a release imports it (0.5 s);
- small pages: static SVG with its text kept as text (svg.fonttype "none": searchable,
  drawn with DejaVu Sans or the browser's sans-serif), 86 KB for the sample release.
  Text is measured with the DejaVu Sans matplotlib ships (its own fonts come first when
  it looks one up), so the fonts installed on a machine change nothing.
  A JavaScript library inlined costs more in every report (Plotly's plotly.min.js alone
  is 4.8 MB); pygal is small but gives its elements random ids and loads its tooltip
  script from a CDN unless told not to;
- deterministic: matplotlib's default style (no matplotlibrc on the machine changes a
  byte), svg.hashsalt fixed, no date or creator metadata, and each chart's element ids
  prefixed with its name so that the inline SVGs share none. matplotlib is pinned in
  setup.py, as pyarrow is, because another version may draw other bytes.
"""
import html
import io
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import matplotlib
import matplotlib.style
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from release.writer import ChangelogFacts, split_multi

EXAMPLES = 3  # examples kept per dead-letter reason, dedup entry kind and kind of change
TOP_CATEGORIES = 12  # bars drawn per chart of sources or licences; the rest are one "other" bar
MESSAGE_CHARS = 240  # an example's message or evidence is cut to this length
UNKNOWN = "(none)"
FULL_TEXT_KINDS = ("pmc_json", "pdf_json", "none")
FULL_TEXT_COLOURS = {"pmc_json": "#2a9d8f", "pdf_json": "#457b9d", "none": "#c9c9c9"}
BAR_COLOUR = "#457b9d"
STAGE_COLOURS = ("#e76f51", "#f4a261", "#2a9d8f", "#457b9d", "#8d6a9f", "#6c757d")
MERGE_KINDS = ("same_source_duplicate", "fuzzy_merge")  # dedup report entries that record a join
CHART_STYLE = {
    "svg.hashsalt": "cord19-report",
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
}
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
FIGURE_WIDTH = 9.5  # inches (684 pt; the page scales it to its width)


class CordUidWalk:
    """cord_uids added, kept and removed against the previous release, from this release's cord_uids in sorted order.

    The previous release's cord_uids are walked in sorted order beside them, so no set of
    this release's cord_uids is built.
    """

    def __init__(self, previous: Iterable[str]):
        self._previous = iter(sorted(previous))
        self._next = next(self._previous, None)
        self._last = ""
        self.added = self.kept = self.removed = 0
        self.added_examples: list[tuple[str, str]] = []  # (cord_uid, title)
        self.removed_examples: list[str] = []

    def add(self, uid: str, title: str) -> None:
        if uid <= self._last:
            raise ValueError(f"cord_uids out of order: {self._last!r} then {uid!r}")
        self._last = uid
        self._remove_before(uid)
        if self._next == uid:
            self.kept += 1
            self._next = next(self._previous, None)
            return
        self.added += 1
        if len(self.added_examples) < EXAMPLES:
            self.added_examples.append((uid, title))

    def finish(self) -> None:
        """Count the previous cord_uids after the last one of this release as removed."""
        self._remove_before(None)

    def _remove_before(self, uid: str | None) -> None:
        while self._next is not None and (uid is None or self._next < uid):
            self.removed += 1
            if len(self.removed_examples) < EXAMPLES:
                self.removed_examples.append(self._next)
            self._next = next(self._previous, None)


@dataclass
class ReportCounts:
    """What the report draws, counted while the release's files stream past (counters and a few examples)."""

    cord_uids: CordUidWalk
    papers: int = 0
    sources: Counter = field(default_factory=Counter)  # source -> papers listing it
    years: Counter = field(default_factory=Counter)  # publish year (int) -> papers
    no_year: int = 0
    licences: Counter = field(default_factory=Counter)
    full_text: Counter = field(default_factory=Counter)  # FULL_TEXT_KINDS -> papers
    full_text_by_source: dict[str, Counter] = field(default_factory=dict)  # source -> Counter of FULL_TEXT_KINDS
    dead_letters: Counter = field(default_factory=Counter)  # (stage, reason) -> count
    dead_letter_examples: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    dedup_kinds: Counter = field(default_factory=Counter)
    merge_rules: Counter = field(default_factory=Counter)  # (kind, rule) of the joins in the dedup report
    dedup_examples: dict[str, list[dict]] = field(default_factory=dict)
    dedup_summary: dict | None = None  # records and clusters the dedup stage saw

    @classmethod
    def against(cls, previous_uids: Iterable[str]) -> "ReportCounts":
        """Counts for a release whose previous release held `previous_uids` (empty: no previous release)."""
        return cls(cord_uids=CordUidWalk(previous_uids))

    def add_row(self, row: dict) -> None:
        """One metadata row (rows come in cord_uid order)."""
        self.papers += 1
        self.cord_uids.add(row["cord_uid"], row.get("title", ""))
        sources = split_multi(row.get("source_x", "")) or [UNKNOWN]
        self.sources.update(sources)
        year = publish_year(row.get("publish_time", ""))
        if year is None:
            self.no_year += 1
        else:
            self.years[year] += 1
        self.licences[row.get("license") or UNKNOWN] += 1
        kind = "pmc_json" if row.get("pmc_json_files") else "pdf_json" if row.get("pdf_json_files") else "none"
        self.full_text[kind] += 1
        for source in sources:
            self.full_text_by_source.setdefault(source, Counter())[kind] += 1

    def add_dead_letter(self, letter: dict) -> None:
        key = (letter["stage"], letter["reason"])
        self.dead_letters[key] += 1
        examples = self.dead_letter_examples.setdefault(key, [])
        if len(examples) < EXAMPLES:
            examples.append({name: letter.get(name) for name in ("input", "source", "message")})

    def add_dedup_entry(self, entry: dict) -> None:
        kind = entry.get("kind", UNKNOWN)
        if kind == "summary":
            self.dedup_summary = entry
            return
        self.dedup_kinds[kind] += 1
        if kind in MERGE_KINDS:
            self.merge_rules[(kind, entry.get("rule", UNKNOWN))] += 1
        examples = self.dedup_examples.setdefault(kind, [])
        if len(examples) < EXAMPLES:
            examples.append(entry)


def publish_year(publish_time: str) -> int | None:
    """The year of a publish_time (`2020-03-14`, `2020`, `2020 Mar 14`); None when it has none."""
    head = publish_time.strip()[:4]
    return int(head) if len(head) == 4 and head.isdigit() else None


@dataclass(frozen=True)
class Chart:
    """One drawn chart: its id in the page, its SVG and its caption."""

    name: str
    svg: str
    caption: str


def render_svg(figure: Figure, name: str) -> str:
    """The figure as SVG to inline in HTML: no XML prolog, every id prefixed with `name`."""
    buffer = io.StringIO()
    FigureCanvasSVG(figure)
    figure.savefig(buffer, format="svg", metadata=SVG_METADATA)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    for before, after in (('id="', f'id="{name}-'), ("url(#", f"url(#{name}-"), ('href="#', f'href="#{name}-')):
        svg = svg.replace(before, after)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(name)}" ', 1)


def _figure(rows: int, columns: int = 1, height: float | None = None) -> tuple[Figure, list]:
    figure = Figure(figsize=(FIGURE_WIDTH, height or 0.9 + 0.27 * max(rows, 1)), layout="constrained")
    axes = figure.subplots(1, columns, squeeze=False)[0]
    return figure, list(axes)


def _horizontal_bars(axes, labels: list[str], values: list[int], colours: list[str] | None = None,
                     title: str = "", empty: str = "none", slots: int = 0) -> None:
    """Bars from top to bottom in the order given, each labelled with its value.

    `slots` (at least the number of bars) keeps bars as thick as those of a neighbouring panel with more.
    """
    axes.set_title(title, loc="left")
    if not values:
        axes.text(0.5, 0.5, empty, ha="center", va="center", transform=axes.transAxes, color="#6c757d")
        axes.set_axis_off()
        return
    positions = range(len(values))
    bars = axes.barh(positions, values, color=colours or BAR_COLOUR, height=0.7)
    axes.bar_label(bars, labels=[f"{value:,}" for value in values], padding=3)
    axes.set_yticks(list(positions), labels=labels)
    axes.set_ylim(max(slots, len(values)) - 0.5, -0.5)  # the first bar on top
    axes.set_xlim(0, max(values) * 1.15 or 1)
    axes.xaxis.set_visible(False)
    axes.spines["bottom"].set_visible(False)


def top_categories(counter: Counter, top: int = TOP_CATEGORIES) -> list[tuple[str, int]]:
    """The `top` largest (name, count), largest first (ties by name), and one "other (N)" for the rest."""
    ordered = sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))
    kept, rest = ordered[:top], ordered[top:]
    if rest:
        kept.append((f"other ({len(rest)})", sum(count for _, count in rest)))
    return kept


def sources_chart(counts: ReportCounts) -> Chart:
    items = top_categories(counts.sources)
    figure, (axes,) = _figure(len(items))
    _horizontal_bars(axes, [name for name, _ in items], [count for _, count in items], empty="no papers")
    caption = "Papers by source (source_x); a paper listed by several sources counts once for each."
    return Chart("chart-sources", render_svg(figure, "chart-sources"), caption)


def years_chart(counts: ReportCounts) -> Chart:
    figure, (axes,) = _figure(0, height=2.6)
    if counts.years:
        years = sorted(counts.years)
        axes.bar(years, [counts.years[year] for year in years], color=BAR_COLOUR, width=0.8)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.set_ylabel("papers")
    else:
        axes.text(0.5, 0.5, "no publish dates", ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
    caption = f"Papers by publish year (publish_time); {counts.no_year:,} without a publish date."
    return Chart("chart-years", render_svg(figure, "chart-years"), caption)


def licences_chart(counts: ReportCounts) -> Chart:
    items = top_categories(counts.licences)
    figure, (axes,) = _figure(len(items))
    _horizontal_bars(axes, [name for name, _ in items], [count for _, count in items], empty="no papers")
    return Chart("chart-licences", render_svg(figure, "chart-licences"), "Papers by licence (license).")


def full_text_chart(counts: ReportCounts) -> Chart:
    """Stacked bars: for each source (and all papers), papers with pmc_json, with pdf_json only, without full text."""
    names = [name for name, _ in top_categories(counts.sources) if name in counts.full_text_by_source]
    rows = [("all papers", counts.full_text)] if counts.papers else []
    rows += [(name, counts.full_text_by_source[name]) for name in names]
    figure, (axes,) = _figure(len(rows) + 1)
    if rows:
        positions = range(len(rows))
        left = [0] * len(rows)
        for kind in FULL_TEXT_KINDS:
            values = [by_kind[kind] for _, by_kind in rows]
            axes.barh(positions, values, left=left, color=FULL_TEXT_COLOURS[kind], height=0.7, label=kind)
            left = [start + value for start, value in zip(left, values)]
        axes.set_yticks(list(positions), labels=[name for name, _ in rows])
        axes.set_ylim(len(rows) - 0.5, -0.5)
        axes.set_xlabel("papers")
        axes.legend(loc="lower right", ncols=3, frameon=False, bbox_to_anchor=(1, 1))
    else:
        _horizontal_bars(axes, [], [], empty="no papers")
    caption = ("Full-text coverage by source: pmc_json (parsed from PMC JATS XML, whether or not there is also a PDF "
               "parse), pdf_json (a PDF parse only), none.")
    return Chart("chart-full-text", render_svg(figure, "chart-full-text"), caption)


def dead_letters_chart(counts: ReportCounts) -> Chart:
    keys = sorted(counts.dead_letters)
    stages = sorted({stage for stage, _ in keys})
    colours = {stage: STAGE_COLOURS[index % len(STAGE_COLOURS)] for index, stage in enumerate(stages)}
    figure, (axes,) = _figure(len(keys))
    _horizontal_bars(axes, [f"{stage} / {reason}" for stage, reason in keys], [counts.dead_letters[k] for k in keys],
                     colours=[colours[stage] for stage, _ in keys], empty="no dead letters")
    caption = ("Dead letters by stage and reason: every input record or document that is not in the release "
               "(filtered out or failed); all of them are in dead_letters.jsonl.")
    return Chart("chart-dead-letters", render_svg(figure, "chart-dead-letters"), caption)


def merges_by_rule(counts: ReportCounts) -> list[tuple[str, int]]:
    """(rule, joins): identifier joins (from the dedup summary, when there is one) and the report's joins by rule."""
    rules = [(f"{kind.replace('_', ' ')}: {rule}", number)
             for (kind, rule), number in sorted(counts.merge_rules.items())]
    summary = counts.dedup_summary
    if summary and isinstance(summary.get("records"), int) and isinstance(summary.get("clusters"), int):
        identifier_joins = summary["records"] - summary["clusters"] - sum(counts.merge_rules.values())
        rules.insert(0, ("shared identifiers", max(identifier_joins, 0)))
    return rules


def dedup_chart(counts: ReportCounts) -> Chart:
    rules = merges_by_rule(counts)
    kinds = sorted(counts.dedup_kinds.items())
    slots = max(len(rules), len(kinds))
    figure, (left, right) = _figure(slots + 1, columns=2)
    _horizontal_bars(left, [rule for rule, _ in rules], [number for _, number in rules],
                     title="records joined, by rule", empty="no joins", slots=slots)
    _horizontal_bars(right, [kind for kind, _ in kinds], [number for _, number in kinds],
                     title="dedup report entries, by kind", empty="no entries", slots=slots)
    caption = ("Duplicate merges: source records joined into one paper by shared identifiers (records minus papers "
               "minus the joins the report lists) and by each matching rule; and the dedup report's entries by kind.")
    return Chart("chart-dedup", render_svg(figure, "chart-dedup"), caption)


def changes_chart(counts: ReportCounts, facts: ChangelogFacts) -> Chart:
    walk, changes = counts.cord_uids, facts.cord_uid_changes
    uid_bars = [("added", walk.added), ("removed", walk.removed), ("merged", len(changes.get("merged", []))),
                ("split", len(changes.get("split", []))), ("retired", len(set(changes.get("removed", []))))]
    (_, new_pdfs, removed_pdfs), (_, new_pmcs, removed_pmcs) = facts.pdf_json, facts.pmc_json
    file_bars = [("pdf_json new", new_pdfs), ("pdf_json removed", removed_pdfs),
                 ("pmc_json new", new_pmcs), ("pmc_json removed", removed_pmcs)]
    figure, (left, right) = _figure(len(uid_bars) + 1, columns=2)
    _horizontal_bars(left, [name for name, _ in uid_bars], [number for _, number in uid_bars], title="cord_uids",
                     slots=len(uid_bars))
    _horizontal_bars(right, [name for name, _ in file_bars], [number for _, number in file_bars],
                     title="full-text files", slots=len(uid_bars))
    caption = (f"Since the previous release: cord_uids added, removed and kept ({walk.kept:,}) against its "
               "metadata.csv; merged, split and retired as the cord_uid registry records them; parse files new "
               "and removed.")
    return Chart("chart-changes", render_svg(figure, "chart-changes"), caption)


def draw_charts(counts: ReportCounts, facts: ChangelogFacts) -> list[Chart]:
    """Every chart of the report, in page order, drawn under one fixed style."""
    with matplotlib.style.context(["default", CHART_STYLE]):
        return [sources_chart(counts), years_chart(counts), licences_chart(counts), full_text_chart(counts),
                dead_letters_chart(counts), dedup_chart(counts), changes_chart(counts, facts)]


PAGE_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 62rem;
       padding: 1rem 1.5rem 3rem; color: #212529; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2.2rem; }
.summary { display: flex; flex-wrap: wrap; gap: .6rem; padding: 0; list-style: none; }
.summary li { background: #f1f3f5; border-radius: .4rem; padding: .45rem .8rem; }
.summary b { display: block; font-size: 1.25rem; }
figure { margin: .5rem 0; } figure svg { width: 100%; height: auto; }
figcaption { color: #495057; font-size: .9rem; }
table { border-collapse: collapse; font-size: .85rem; margin-top: .6rem; width: 100%; }
th, td { border-bottom: 1px solid #dee2e6; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.number { text-align: right; white-space: nowrap; }
ul.examples { margin: 0; padding-left: 1rem; overflow-wrap: anywhere; }
footer { margin-top: 3rem; color: #6c757d; font-size: .8rem; }
"""
# Nothing but what the page holds: no script, font, image, frame or style sheet from anywhere.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def report_html(counts: ReportCounts, facts: ChangelogFacts, previous_release: str | None,
                source_records: int) -> bytes:
    """The whole report.html of a release: every chart inline, UTF-8."""
    charts = {chart.name: chart for chart in draw_charts(counts, facts)}
    date = html.escape(facts.release_date)
    sections = [
        ("Sources", _figure_html(charts["chart-sources"])),
        ("Publish years", _figure_html(charts["chart-years"])),
        ("Licences", _figure_html(charts["chart-licences"])),
        ("Full text", _figure_html(charts["chart-full-text"])),
        ("Dead letters", _figure_html(charts["chart-dead-letters"]) + _dead_letter_table(counts)),
        ("Duplicates merged", _figure_html(charts["chart-dedup"]) + _dedup_table(counts)),
        ("Changes since the previous release", _changes_intro(previous_release)
         + _figure_html(charts["chart-changes"]) + _changes_table(counts, facts)),
    ]
    body = "\n".join(f"<section><h2>{html.escape(title)}</h2>\n{content}</section>" for title, content in sections)
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CONTENT_SECURITY_POLICY}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>CORD-19 release {date}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>CORD-19 release {date}</h1>\n{_summary_html(counts, facts, previous_release, source_records)}\n"
        f"{body}\n<footer>Written by cord19-pipeline with matplotlib {html.escape(matplotlib.__version__)}; "
        "the numbers come from this release's metadata.csv, dead_letters.jsonl, dedup_report.jsonl, changelog "
        "and cord_uid registry changes.</footer>\n</body>\n</html>\n"
    )
    return page.encode("utf-8")


def _summary_html(counts: ReportCounts, facts: ChangelogFacts, previous_release: str | None,
                  source_records: int) -> str:
    full_texts = counts.papers - counts.full_text["none"]
    items = [
        ("papers", f"{counts.papers:,}"),
        ("source records behind them", f"{source_records:,}"),
        ("with full text", f"{full_texts:,}"),
        ("parse files", f"{facts.pdf_json[0]:,} pdf_json, {facts.pmc_json[0]:,} pmc_json"),
        ("dead letters", f"{sum(counts.dead_letters.values()):,}"),
        ("previous release", previous_release or "none"),
    ]
    return "<ul class=\"summary\">" + "".join(
        f"<li><b>{html.escape(value)}</b>{html.escape(label)}</li>" for label, value in items) + "</ul>"


def _figure_html(chart: Chart) -> str:
    return (f"<figure id=\"{chart.name}\" class=\"chart\">\n{chart.svg}\n"
            f"<figcaption>{html.escape(chart.caption)}</figcaption>\n</figure>\n")


def _table(header: tuple[str, ...], rows: list[tuple[str, int, list]]) -> str:
    """A table of (kind, count, examples) rows, the examples listed in one cell; nothing when there are no rows."""
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = "".join(
        f"<tr><td>{html.escape(kind)}</td><td class=\"number\">{number:,}</td><td><ul class=\"examples\">"
        + "".join(f"<li>{html.escape(_shortened(example))}</li>" for example in examples) + "</ul></td></tr>\n"
        for kind, number, examples in rows
    )
    return f"<table>\n<tr>{head}</tr>\n{body}</table>\n"


def _shortened(value) -> str:
    """`value` as text (JSON when it is not text), cut to MESSAGE_CHARS."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS - 1] + "\u2026"


def _dead_letter_table(counts: ReportCounts) -> str:
    rows = [(f"{stage} / {reason}", number,
             [f"{example['input']} ({example['source']}): {example['message']}"
              for example in counts.dead_letter_examples[(stage, reason)]])
            for (stage, reason), number in sorted(counts.dead_letters.items())]
    return _table(("stage / reason", "count", f"examples (the first {EXAMPLES})"), rows)


def _dedup_table(counts: ReportCounts) -> str:
    rows = [(kind, number, [{name: value for name, value in example.items() if name != "kind"}
                            for example in counts.dedup_examples[kind]])
            for kind, number in sorted(counts.dedup_kinds.items())]
    return _table(("kind", "entries", f"examples (the first {EXAMPLES})"), rows)


def _changes_intro(previous_release: str | None) -> str:
    if previous_release is None:
        return "<p>No previous release: every cord_uid is new.</p>\n"
    return f"<p>Compared with the release of {html.escape(previous_release)}.</p>\n"


def _changes_table(counts: ReportCounts, facts: ChangelogFacts) -> str:
    walk, changes = counts.cord_uids, facts.cord_uid_changes
    merged, split = changes.get("merged", []), changes.get("split", [])
    retired = sorted(set(changes.get("removed", [])))
    rows = [
        ("added", walk.added, [f"{uid}: {title}" if title else uid for uid, title in walk.added_examples]),
        ("removed", walk.removed, walk.removed_examples),
        ("merged", len(merged), [f"{pair['old']} -> {pair['new']}" for pair in merged[:EXAMPLES]]),
        ("split", len(split), [f"{pair['old']} -> {pair['new']}" for pair in split[:EXAMPLES]]),
        ("retired", len(retired), retired[:EXAMPLES]),
    ]
    return _table(("cord_uids", "count", f"examples (the first {EXAMPLES})"), rows)
