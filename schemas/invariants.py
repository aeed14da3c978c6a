"""Checks that a full-text paper (pdf_json or pmc_json) is internally consistent.

These are the invariants of the CORD-19 contract that a JSON Schema cannot express:
every span's offsets point at its own surface text inside its paragraph (the span's
`text` in pdf_json, its `mention` in pmc_json) and every non-null `ref_id` names an
entry that exists, and the spans of one paragraph never overlap (`overlap_problems`).
`paper_problems` checks them all; the build dead-letters a parse that breaks one.
"""
from collections.abc import Mapping
from typing import Any

from schemas.records import span_surface

SPAN_KINDS = (("cite_spans", "bib_entries"), ("ref_spans", "ref_entries"))
PARAGRAPH_LISTS = ("abstract", "body_text", "back_matter")


def paper_problems(paper: Mapping[str, Any]) -> list[str]:
    """Readable descriptions of every broken, dangling or overlapping span (empty when sound)."""
    problems: list[str] = []
    for list_name in PARAGRAPH_LISTS:
        paragraphs = paper.get(list_name)
        if not isinstance(paragraphs, list):
            continue
        for index, paragraph in enumerate(paragraphs):
            problems.extend(_paragraph_problems(paper, f"{list_name}[{index}]", paragraph))
    return problems + overlap_problems(paper)


def _paragraph_problems(paper: Mapping[str, Any], where: str, paragraph: dict) -> list[str]:
    problems: list[str] = []
    text = paragraph.get("text", "")
    if not isinstance(text, str):
        return [f"{where}: text is not a string"]
    for span_list, entries_name in SPAN_KINDS:
        entries = paper.get(entries_name) or {}
        for span_index, span in enumerate(paragraph.get(span_list, [])):
            label = f"{where}.{span_list}[{span_index}]"
            start, end = span.get("start"), span.get("end")
            if not isinstance(start, int) or not isinstance(end, int):
                problems.append(f"{label}: start/end are not integers ({start!r}, {end!r})")
                continue
            if not 0 <= start <= end <= len(text):
                problems.append(
                    f"{label}: offsets {start}..{end} outside 0..{len(text)} or reversed"
                )
                continue
            surface = span_surface(span)
            if text[start:end] != surface:
                problems.append(f"{label}: text[{start}:{end}] is {text[start:end]!r}, span says {surface!r}")
            ref_id = span.get("ref_id")
            if ref_id is not None and ref_id not in entries:
                problems.append(f"{label}: ref_id {ref_id!r} is not in {entries_name}")
    return problems


def overlap_problems(paper: Mapping[str, Any]) -> list[str]:
    """One message per pair of spans (cite or ref) of one paragraph whose characters overlap."""
    problems: list[str] = []
    for list_name in PARAGRAPH_LISTS:
        paragraphs = paper.get(list_name)
        if isinstance(paragraphs, list):
            for index, paragraph in enumerate(paragraphs):
                problems.extend(f"{list_name}[{index}]: {message}" for message in _overlaps(paragraph))
    return problems


def _overlaps(paragraph: dict) -> list[str]:
    found = []
    for span_list, _ in SPAN_KINDS:
        for index, span in enumerate(paragraph.get(span_list, [])):
            start, end = span.get("start"), span.get("end")
            if isinstance(start, int) and isinstance(end, int):
                found.append((start, end, f"{span_list}[{index}]"))
    found.sort()
    problems = []
    for position, (start, end, name) in enumerate(found):
        for other_start, other_end, other_name in found[position + 1:]:
            if other_start >= end:
                break
            if start < other_end:
                problems.append(f"{name} ({start}..{end}) overlaps {other_name} ({other_start}..{other_end})")
    return problems
