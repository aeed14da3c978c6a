"""Tests for parsers.invariants.paper_problems (used by the JATS, TEI and PDF parsers)."""
from schemas.invariants import paper_problems


def _paper(paragraph: dict, bib: dict | None = None, refs: dict | None = None) -> dict:
    return {"body_text": [paragraph], "bib_entries": bib or {}, "ref_entries": refs or {}, "back_matter": []}


def _para(text: str, cites=(), refs=()) -> dict:
    return {"text": text, "cite_spans": list(cites), "ref_spans": list(refs), "section": ""}


def test_sound_paper_has_no_problems():
    para = _para("See [1] and Fig. 2.",
                 cites=[{"start": 4, "end": 7, "text": "[1]", "ref_id": "BIBREF0"}],
                 refs=[{"start": 12, "end": 18, "text": "Fig. 2", "ref_id": "FIGREF0"}])
    paper = _paper(para, bib={"BIBREF0": {}}, refs={"FIGREF0": {}})
    assert paper_problems(paper) == []


def test_null_ref_id_is_allowed():
    para = _para("See [1].", cites=[{"start": 4, "end": 7, "text": "[1]", "ref_id": None}])
    assert paper_problems(_paper(para)) == []


def test_wrong_surface_text_is_reported_with_location():
    para = _para("See [1].", cites=[{"start": 4, "end": 6, "text": "[1]", "ref_id": None}])
    problems = paper_problems(_paper(para))
    assert len(problems) == 1
    assert problems[0].startswith("body_text[0].cite_spans[0]")
    assert "'[1'" in problems[0]


def test_offsets_out_of_range_or_reversed():
    para = _para("abc", cites=[{"start": 2, "end": 9, "text": "c", "ref_id": None},
                               {"start": 2, "end": 1, "text": "", "ref_id": None},
                               {"start": -1, "end": 1, "text": "a", "ref_id": None}])
    problems = paper_problems(_paper(para))
    assert [p.split(":")[0] for p in problems] == [
        "body_text[0].cite_spans[0]", "body_text[0].cite_spans[1]", "body_text[0].cite_spans[2]"]


def test_dangling_ref_ids_in_back_matter_and_abstract():
    paper = _paper(_para("x"))
    paper["back_matter"] = [_para("Table 1", refs=[{"start": 0, "end": 7, "text": "Table 1", "ref_id": "TABREF3"}])]
    paper["abstract"] = [_para("[2]", cites=[{"start": 0, "end": 3, "text": "[2]", "ref_id": "BIBREF1"}])]
    problems = paper_problems(paper)
    assert any(p.startswith("back_matter[0].ref_spans[0]") and "TABREF3" in p for p in problems)
    assert any(p.startswith("abstract[0].cite_spans[0]") and "BIBREF1" in p for p in problems)


def test_overlapping_spans_are_reported():
    from schemas.invariants import overlap_problems

    para = {"text": "See [3-5] and Fig. 1.", "section": "",
            "cite_spans": [{"start": 5, "end": 6, "mention": "3", "ref_id": None},
                           {"start": 5, "end": 8, "mention": "3-5", "ref_id": None},
                           {"start": 7, "end": 8, "mention": "5", "ref_id": None}],
            "ref_spans": [{"start": 14, "end": 20, "mention": "Fig. 1", "ref_id": None}]}
    assert overlap_problems({"body_text": [para]}) == [
        "body_text[0]: cite_spans[0] (5..6) overlaps cite_spans[1] (5..8)",
        "body_text[0]: cite_spans[1] (5..8) overlaps cite_spans[2] (7..8)",
    ]
    assert paper_problems({"body_text": [para], "bib_entries": {}, "ref_entries": {}}) == overlap_problems(
        {"body_text": [para]})
