"""parsers.pdf.tei: GROBID TEI -> pdf_json, on the real corpus TEI and on small TEI snippets."""
import hashlib
import json

import pytest
from rapidfuzz import fuzz

from parsers.errors import GitLfsPointerError, NotXmlError
from schemas.invariants import overlap_problems, paper_problems
from parsers.pdf.tei import PARSER_VERSION, NotTeiError, tei_to_pdf_json
from schemas import schema_errors

DOC2JSON = "expected/doc2json_pdf_f2235cd/f2235cd28c171f9f3b6a8bcebe246159c464980c"
PAPER_ID = "0" * 40


def corpus_tei_files(corpus_dir):
    return sorted((corpus_dir / "tei").glob("*.xml")) + [corpus_dir / f"{DOC2JSON}.tei.xml"]


def convert(path):
    data = path.read_bytes()
    return tei_to_pdf_json(data, hashlib.sha1(data).hexdigest())


def tei_doc(body: str = "", back: str = "", header: str = "<teiHeader/>") -> bytes:
    """A minimal TEI document around the given body and back fragments."""
    return (
        '<TEI xmlns="http://www.tei-c.org/ns/1.0">'
        f"{header}<text><body>{body}</body><back>{back}</back></text></TEI>"
    ).encode()


def bibl_list(count: int, first_id: int = 0) -> str:
    """`count` biblStructs b<first_id>.. with surname Author<n> and year 2000+n."""
    items = []
    for n in range(first_id, first_id + count):
        items.append(
            f'<biblStruct xml:id="b{n}"><analytic><title level="a" type="main">Paper {n}</title>'
            f"<author><persName><forename type=\"first\">A</forename><surname>Author{n}</surname>"
            f"</persName></author></analytic><monogr><title level=\"j\">J</title><imprint>"
            f'<date type="published" when="{2000 + n}"/></imprint></monogr></biblStruct>'
        )
    return '<div type="references"><listBibl>' + "".join(items) + "</listBibl></div>"


def cites(paragraph: dict) -> list[tuple[str, str | None]]:
    return [(s["text"], s["ref_id"]) for s in paragraph["cite_spans"]]


# ---------------------------------------------------------------- real corpus


def test_every_corpus_tei_converts_and_passes_schema_and_invariants(corpus_dir):
    files = corpus_tei_files(corpus_dir)
    assert len(files) >= 7
    for path in files:
        paper = convert(path)
        assert schema_errors("pdf_json", paper) == [], path.name
        assert paper_problems(paper) == [], path.name
        assert overlap_problems(paper) == [], path.name  # one span per cited item, never overlapping


def test_doc2json_expected_body_paragraphs_match(corpus_dir):
    expected = json.loads((corpus_dir / f"{DOC2JSON}.json").read_text(encoding="utf-8"))
    tei = (corpus_dir / f"{DOC2JSON}.tei.xml").read_bytes()
    paper = tei_to_pdf_json(tei, expected["paper_id"])
    assert paper["paper_id"] == "f2235cd28c171f9f3b6a8bcebe246159c464980c"
    assert len(paper["body_text"]) == len(expected["body_text"])
    for ours, theirs in zip(paper["body_text"], expected["body_text"]):
        assert fuzz.ratio(ours["text"], theirs["text"]) >= 95, theirs["text"][:80]
        assert ours["section"] == theirs["section"]
    assert len(paper["bib_entries"]) == len(expected["bib_entries"]) == 39
    assert paper["metadata"]["title"] == expected["metadata"]["title"]
    for paragraph in paper["body_text"]:
        for span in paragraph["cite_spans"]:
            assert span["ref_id"] is None or span["ref_id"] in paper["bib_entries"]
    # We link at least every citation doc2json linked (and more through name + year).
    linked = lambda p: sum(1 for para in p["body_text"] for s in para["cite_spans"] if s["ref_id"])
    assert linked(paper) >= linked(expected)


def test_doc2json_split_author_year_markers_are_clean(corpus_dir):
    paper = convert(corpus_dir / f"{DOC2JSON}.tei.xml")
    all_cites = [c for p in paper["body_text"] for c in cites(p)]
    assert ("Cherret, 1999", "BIBREF7") in all_cites
    assert ("Miranda, 2003", "BIBREF23") in all_cites
    for text, _ in all_cites:
        assert not text.endswith((";", ",")) and not text.startswith(("(", " "))


def test_numeric_split_markers_become_one_span_per_entry(corpus_dir):
    paper = convert(corpus_dir / "tei" / "grobidclient_0046d83a-edd6-4631-b57c-755cdcce8b7f.tei.xml")
    all_cites = [c for p in paper["body_text"] for c in cites(p)]
    assert ("3", "BIBREF2") in all_cites and ("4", "BIBREF3") in all_cites
    assert all(not text.startswith("[") and not text.endswith(("]", ",")) for text, _ in all_cites)


@pytest.mark.parametrize(
    "name, version",
    [
        ("grobid_xslt_sample1.tei.header.xml", "0.4.1"),
        ("sandcrawler_23b29ea36382680716be08fc71aa81bd226e8a85.tei.xml", "0.5.1"),
        ("grobidclient_0046d83a-edd6-4631-b57c-755cdcce8b7f.tei.xml", "0.6.1"),
        ("grobidclientgo_062RoisinAronAmericanNaturalist03.grobid.tei.xml", "0.8.0"),
        ("colrev_WagnerLukyanenkoParEtAl2022.tei.xml", "0.8.2"),
    ],
)
def test_each_grobid_version_gives_title_authors_and_abstract(corpus_dir, name, version):
    path = corpus_dir / "tei" / name
    assert f'version="{version}' in path.read_text(encoding="utf-8")
    paper = convert(path)
    assert paper["metadata"]["title"]
    assert paper["metadata"]["authors"] and all(a["last"] for a in paper["metadata"]["authors"])
    assert paper["abstract"] and all(p["section"] for p in paper["abstract"])


def test_full_text_versions_have_sections_bibliography_and_linked_citations(corpus_dir):
    for name in (
        "sandcrawler_23b29ea36382680716be08fc71aa81bd226e8a85.tei.xml",
        "grobidclient_0046d83a-edd6-4631-b57c-755cdcce8b7f.tei.xml",
        "grobidclientgo_062RoisinAronAmericanNaturalist03.grobid.tei.xml",
        "colrev_WagnerLukyanenkoParEtAl2022.tei.xml",
    ):
        paper = convert(corpus_dir / "tei" / name)
        spans = [s for p in paper["body_text"] for s in p["cite_spans"]]
        assert len(paper["body_text"]) > 20, name
        assert any(p["section"] for p in paper["body_text"]), name
        assert len(paper["bib_entries"]) > 40, name
        assert sum(1 for s in spans if s["ref_id"]) > 0.9 * len(spans), name


def test_header_only_tei(corpus_dir):
    paper = convert(corpus_dir / "tei" / "grobid_xslt_sample1.tei.header.xml")
    assert paper["metadata"]["title"] == (
        "A Virtual Machine Introspection Based Architecture for Intrusion Detection"
    )
    assert [a["last"] for a in paper["metadata"]["authors"]] == ["Garfinkel", "Rosenblum"]
    assert paper["metadata"]["authors"][0]["affiliation"]["institution"] == "Stanford University"
    assert paper["metadata"]["authors"][0]["email"] == ""
    assert len(paper["abstract"]) == 1 and paper["abstract"][0]["text"].startswith("Today's architectures")
    assert "  " not in paper["abstract"][0]["text"]
    assert paper["body_text"] == [] and paper["bib_entries"] == {}


def test_references_only_tei(corpus_dir):
    paper = convert(corpus_dir / "tei" / "grobidclientgo_testdata_citation_list_example.tei.xml")
    assert paper["metadata"] == {"title": "", "authors": []}
    assert paper["body_text"] == [] and paper["abstract"] == []
    assert len(paper["bib_entries"]) == 13
    first = paper["bib_entries"]["BIBREF0"]
    assert first["title"] == "E-commerce: the challenge for UK SMEs in the twenty-first century"
    assert first["venue"] == "International Journal of Operations and Production Management"
    assert (first["volume"], first["issn"], first["pages"], first["year"]) == ("22", "10", "1148--1161", 2002)
    assert first["authors"] == [{"first": "M", "middle": [], "last": "Quayle", "suffix": ""}]


def test_bib_entry_ids_and_header_affiliation(corpus_dir):
    paper = convert(corpus_dir / "tei" / "grobidclient_0046d83a-edd6-4631-b57c-755cdcce8b7f.tei.xml")
    assert paper["bib_entries"]["BIBREF0"]["other_ids"] == {"DOI": ["10.1186/2040-7378-6-9"]}
    author = paper["metadata"]["authors"][0]
    assert author["email"] == "cristiano.demarchis@uniroma3.it"
    assert author["affiliation"]["location"]["country"] == "Germany"


def test_tables_get_html_and_back_matter_holds_acknowledgements(corpus_dir):
    paper = convert(corpus_dir / "tei" / "grobidclientgo_062RoisinAronAmericanNaturalist03.grobid.tei.xml")
    tables = [e for e in paper["ref_entries"].values() if e["type"] == "table"]
    assert tables and all(t["html"].startswith("<html><body><table><tr>") for t in tables if "html" in t)
    assert all(t["html"].endswith("</table></body></html>") for t in tables if "html" in t)
    assert any('colspan="9"' in t.get("html", "") for t in tables)
    assert any(p["section"].lower().startswith("acknowledg") for p in paper["back_matter"])
    refs = [s for p in paper["body_text"] for s in p["ref_spans"]]
    assert refs and all(s["ref_id"] is None or s["ref_id"].startswith(("FIGREF", "TABREF")) for s in refs)


# ---------------------------------------------------------------- small TEI snippets


def test_numeric_markers_split_across_refs_give_one_span_per_printed_number():
    body = (
        '<div><head n="1">Intro</head><p>Known <ref type="bibr" target="#b2">[3,</ref>'
        '<ref type="bibr" target="#b3">4]</ref> and <ref type="bibr" target="#b0">[1]</ref>'
        ' also <ref type="bibr" target="#b4">[5-7]</ref> and <ref type="bibr" target="#b1">[2]</ref>-'
        ' <ref type="bibr">[5]</ref> done.</p></div>'
    )
    paper = tei_to_pdf_json(tei_doc(body, bibl_list(8)), PAPER_ID)
    assert paper_problems(paper) == [] and schema_errors("pdf_json", paper) == []
    assert overlap_problems(paper) == []
    paragraph = paper["body_text"][0]
    assert paragraph["section"] == "Intro"
    assert paragraph["text"] == "Known [3, 4] and [1] also [5-7] and [2]- [5] done."
    assert cites(paragraph) == [
        ("3", "BIBREF2"),
        ("4", "BIBREF3"),
        ("1", "BIBREF0"),
        ("5", "BIBREF4"),
        ("7", "BIBREF6"),
        ("2", "BIBREF1"),
        ("5", "BIBREF4"),
    ]
    assert paper["bib_entries"]["BIBREF2"]["ref_id"] == "b2"


def test_a_citation_group_keeps_the_space_grobid_dropped_between_its_refs():
    body = ('<div><p>Seen <ref type="bibr" target="#b0">(14,</ref><ref type="bibr" target="#b1">28)</ref> and '
            '<ref type="bibr" target="#b0">(Smith, 2001;</ref><ref type="bibr" target="#b1">Jones, 2002)</ref>.</p>'
            '<p>Also <s>in <ref type="bibr" target="#b0">[1,</ref><ref type="bibr" target="#b1">2]</ref>.</s></p></div>')
    paper = tei_to_pdf_json(tei_doc(body, bibl_list(2)), PAPER_ID)
    first, second = paper["body_text"]
    assert first["text"] == "Seen (14, 28) and (Smith, 2001; Jones, 2002)."
    assert [s["text"] for s in first["cite_spans"]] == ["14", "28", "Smith, 2001", "Jones, 2002"]
    assert second["text"] == "Also in [1, 2]."
    assert cites(second) == [("1", "BIBREF0"), ("2", "BIBREF1")]
    assert paper_problems(paper) == [] and overlap_problems(paper) == []


def test_author_year_markers_are_trimmed_and_linked_by_name_and_year():
    body = (
        "<div><p>As shown <ref type=\"bibr\" target=\"#b1\">(Author1, 2001;</ref> "
        "<ref type=\"bibr\">Author2, 2002)</ref> and <ref type=\"bibr\">(Nobody, 1999)</ref>"
        " and <ref type=\"bibr\" target=\"#b99\">Author3 et al. (2003)</ref>.</p></div>"
    )
    paper = tei_to_pdf_json(tei_doc(body, bibl_list(4)), PAPER_ID)
    assert cites(paper["body_text"][0]) == [
        ("Author1, 2001", "BIBREF1"),
        ("Author2, 2002", "BIBREF2"),
        ("Nobody, 1999", None),
        ("Author3 et al. (2003)", "BIBREF3"),
    ]
    assert paper_problems(paper) == []


def test_dangling_targets_never_produce_ref_ids():
    body = (
        '<div><p>See <ref type="bibr" target="#b40">[41]</ref> and '
        '<ref type="figure" target="#fig_9">Fig. 9</ref> and <ref type="table">Table 2</ref>.</p></div>'
    )
    paper = tei_to_pdf_json(tei_doc(body, bibl_list(2)), PAPER_ID)
    paragraph = paper["body_text"][0]
    assert cites(paragraph) == [("41", None)]
    assert [(s["text"], s["ref_id"]) for s in paragraph["ref_spans"]] == [("Fig. 9", None), ("Table 2", None)]


def test_figures_tables_formulas_and_whitespace():
    body = (
        "<div><head>Results</head><p>Values   in\n <ref type=\"table\" target=\"#tab_0\">Table 1</ref>"
        ' and <ref type="figure">(Fig. 1)</ref>.</p>'
        '<formula xml:id="formula_0">E = mc 2<label>(1)</label></formula></div>'
        '<figure xml:id="fig_0"><head>Figure 1</head><label>1</label><figDesc>A cat &amp; a dog.</figDesc></figure>'
        '<figure type="table" xml:id="tab_0"><head>Table 1</head><label>1</label><figDesc>Counts</figDesc>'
        '<table><row><cell role="head">a&lt;b</cell><cell cols="2">x</cell></row></table></figure>'
    )
    paper = tei_to_pdf_json(tei_doc(body), PAPER_ID)
    text, formula = paper["body_text"]
    assert text["text"] == "Values in Table 1 and (Fig. 1)."
    assert [(s["text"], s["ref_id"]) for s in text["ref_spans"]] == [("Table 1", "TABREF0"), ("Fig. 1", "FIGREF0")]
    assert formula == {"text": "E = mc 2(1)", "cite_spans": [], "ref_spans": [], "section": "Results"}
    assert paper["ref_entries"]["FIGREF0"] == {"text": "A cat & a dog.", "latex": None, "type": "figure"}
    assert paper["ref_entries"]["TABREF0"]["html"] == (
        '<html><body><table><tr><th>a&lt;b</th><td colspan="2">x</td></tr></table></body></html>')


def test_sentence_segmented_paragraphs_and_inline_markup():
    body = (
        '<div><head>Intro</head><p><s>Cases rose <ref type="bibr" target="#b0">[1]</ref>.</s>'
        '<s>They fell <hi rend="italic">later</hi> <ref type="bibr" target="#b1">[2]</ref>.</s></p></div>'
    )
    paper = tei_to_pdf_json(tei_doc(body, bibl_list(2)), PAPER_ID)
    paragraph = paper["body_text"][0]
    assert paragraph["text"] == "Cases rose [1]. They fell later [2]."
    assert cites(paragraph) == [("1", "BIBREF0"), ("2", "BIBREF1")]
    assert paper_problems(paper) == []


def test_supplementary_material_blurbs_go_to_back_matter():
    body = (
        "<div><head>Results</head><p>Cases rose.</p>"
        "<p>Supplementary material related to this article can be found online.</p></div>"
        "<div><head>Appendix A. Supplementary data</head><p>Table S1 lists the sites.</p></div>"
    )
    back = '<div type="acknowledgement"><div><head>Acknowledgements</head><p>We thank the nurses.</p></div></div>'
    paper = tei_to_pdf_json(tei_doc(body, back), PAPER_ID)
    assert [p["text"] for p in paper["body_text"]] == ["Cases rose."]
    assert [(p["section"], p["text"][:20]) for p in paper["back_matter"]] == [
        ("Results", "Supplementary materi"),
        ("Appendix A. Supplementary data", "Table S1 lists the s"),
        ("Acknowledgements", "We thank the nurses."),
    ]


def test_bad_inputs_raise_typed_errors():
    with pytest.raises(NotTeiError) as exc:
        tei_to_pdf_json(b"<article><front/></article>", PAPER_ID)
    assert exc.value.reason == "not_tei"
    with pytest.raises(NotXmlError):
        tei_to_pdf_json(b"<html><body>503 Service Unavailable", PAPER_ID)
    with pytest.raises(GitLfsPointerError):
        tei_to_pdf_json(b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 1\n", PAPER_ID)


def test_parser_version_is_a_string():
    assert isinstance(PARSER_VERSION, str) and PARSER_VERSION
