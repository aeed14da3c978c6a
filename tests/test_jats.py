"""parse_jats on small hand-written JATS snippets, one rule per test."""
import hashlib
import json

import pytest

from parsers.errors import EmptyInputError, GitLfsPointerError, NotXmlError
from schemas.invariants import paper_problems
from parsers.jats import MultipleArticlesError, NotJatsError, parse_jats
from schemas import schema_errors

NAMESPACES = 'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:mml="http://www.w3.org/1998/Math/MathML"'


def article(body: str = "", front_meta: str = "", back: str = "", article_type: str = "research-article",
            refs: str = "") -> bytes:
    """A minimal JATS article around the given pieces."""
    ref_list = f"<ref-list>{refs}</ref-list>" if refs else ""
    return (
        f'<article {NAMESPACES} article-type="{article_type}"><front><journal-meta>'
        f"<journal-title-group><journal-title>J Test</journal-title></journal-title-group></journal-meta>"
        f"<article-meta>{front_meta}</article-meta></front>"
        f"<body>{body}</body><back>{back}{ref_list}</back></article>"
    ).encode("utf-8")


def numbered_refs(count: int, labels: bool = True) -> str:
    return "".join(
        f'<ref id="B{n}">{f"<label>{n}</label>" if labels else ""}'
        f"<element-citation><article-title>Paper {n}</article-title></element-citation></ref>"
        for n in range(1, count + 1)
    )


def parse_ok(data: bytes, fallback: str = "test"):
    result = parse_jats(data, fallback_paper_id=fallback)
    assert schema_errors("pmc_json", result.paper) == []
    assert paper_problems(result.paper) == []
    return result


def cites(paragraph: dict) -> list[tuple[str, str | None]]:
    return [(span["mention"], span["ref_id"]) for span in paragraph["cite_spans"]]


# --- citations -------------------------------------------------------------------------

def test_range_between_two_xrefs_with_en_dash_gives_its_two_printed_ends():
    body = ('<p>Shown before [<xref ref-type="bibr" rid="B3">3</xref>\u2013'
            '<xref ref-type="bibr" rid="B5">5</xref>].</p>')
    paper = parse_ok(article(body, refs=numbered_refs(6))).paper
    paragraph = paper["body_text"][0]
    assert paragraph["text"] == "Shown before [3\u20135]."
    assert cites(paragraph) == [("3", "BIBREF2"), ("5", "BIBREF4")]


def test_range_with_bracketed_xrefs_and_hyphen():
    body = '<p>See <xref ref-type="bibr" rid="B1">[1]</xref>-<xref ref-type="bibr" rid="B4">[4]</xref>.</p>'
    paragraph = parse_ok(article(body, refs=numbered_refs(4))).paper["body_text"][0]
    assert paragraph["text"] == "See [1]-[4]."
    assert cites(paragraph) == [("[1]", "BIBREF0"), ("[4]", "BIBREF3")]


def test_range_inside_one_xref_gives_a_span_per_printed_number():
    body = '<p>Known (<xref ref-type="bibr" rid="B2">2-4</xref>).</p>'
    paper = parse_ok(article(body, refs=numbered_refs(5))).paper
    paragraph = paper["body_text"][0]
    assert cites(paragraph) == [("2", "BIBREF1"), ("4", "BIBREF3")]
    assert [paragraph["text"][s["start"]:s["end"]] for s in paragraph["cite_spans"]] == ["2", "4"]


def test_range_in_one_xref_listing_every_rid_links_its_ends():
    body = '<p>Known [<xref ref-type="bibr" rid="B1 B2 B3">1–3</xref>].</p>'
    paragraph = parse_ok(article(body, refs=numbered_refs(3))).paper["body_text"][0]
    assert cites(paragraph) == [("1", "BIBREF0"), ("3", "BIBREF2")]


def test_number_list_without_labels_uses_reference_positions():
    body = '<p>Known [<xref ref-type="bibr" rid="B2">2,4</xref>].</p>'
    paragraph = parse_ok(article(body, refs=numbered_refs(5, labels=False))).paper["body_text"][0]
    assert cites(paragraph) == [("2", "BIBREF1"), ("4", "BIBREF3")]


def test_number_list_that_cannot_be_linked_stays_one_span():
    body = '<p>Known [<xref ref-type="bibr" rid="B2">2,9</xref>].</p>'
    paragraph = parse_ok(article(body, refs=numbered_refs(5))).paper["body_text"][0]
    assert cites(paragraph) == [("2,9", "BIBREF1")]


def test_comma_list_and_author_year_citations_are_not_ranges():
    body = ('<p>A [<xref ref-type="bibr" rid="B1">1</xref>,<xref ref-type="bibr" rid="B3">3</xref>] and '
            '<xref ref-type="bibr" rid="S">Smith 2001</xref>\u2013<xref ref-type="bibr" rid="J">Jones 2004</xref>.</p>')
    refs = numbered_refs(3) + '<ref id="S"><mixed-citation>S</mixed-citation></ref><ref id="J"><mixed-citation>J</mixed-citation></ref>'
    paragraph = parse_ok(article(body, refs=refs)).paper["body_text"][0]
    assert [ref for _, ref in cites(paragraph)] == ["BIBREF0", "BIBREF2", "BIBREF3", "BIBREF4"]


def test_a_backwards_range_keeps_its_two_markers():
    body = '<p>X [<xref ref-type="bibr" rid="B5">5</xref>-<xref ref-type="bibr" rid="B2">2</xref>].</p>'
    paragraph = parse_ok(article(body, refs=numbered_refs(5))).paper["body_text"][0]
    assert [ref for _, ref in cites(paragraph)] == ["BIBREF4", "BIBREF1"]


def test_xref_with_several_rids_and_unknown_target():
    body = ('<p>Both<xref ref-type="bibr" rid="B1 B2"><sup>1,2</sup></xref> and '
            '<xref ref-type="bibr" rid="nowhere">9</xref>.</p>')
    paragraph = parse_ok(article(body, refs=numbered_refs(2))).paper["body_text"][0]
    assert paragraph["text"] == "Both1,2 and 9."
    assert cites(paragraph) == [("1", "BIBREF0"), ("2", "BIBREF1"), ("9", None)]


def test_figure_table_and_supplementary_xrefs_become_ref_spans():
    body = ('<p>See <xref ref-type="fig" rid="f1">Figure 1</xref>, <xref ref-type="table" rid="t1">Table 1</xref> '
            'and <xref ref-type="supplementary-material" rid="s1">Additional file 1</xref>.</p>'
            '<fig id="f1"><label>Figure 1</label><caption><title>Flow.</title><p>Patients.</p></caption></fig>'
            '<table-wrap id="t1"><label>Table 1</label><caption><p>Counts</p></caption><table><tr><td>1</td></tr></table></table-wrap>'
            '<supplementary-material id="s1"><label>Additional file 1</label><caption><p>Raw data.</p></caption></supplementary-material>')
    paper = parse_ok(article(body)).paper
    spans = [(s["mention"], s["ref_id"]) for s in paper["body_text"][0]["ref_spans"]]
    assert spans == [("Figure 1", "FIGREF0"), ("Table 1", "TABREF0"), ("Additional file 1", None)]
    assert paper["ref_entries"]["FIGREF0"] == {"text": "Figure 1: Flow. Patients.", "type": "figure"}
    assert len(paper["body_text"]) == 1
    assert {"text": "Additional file 1 Raw data.", "cite_spans": [], "ref_spans": [],
            "section": "Supplementary material"} in paper["back_matter"]


# --- body structure --------------------------------------------------------------------

def test_nested_sections_are_joined_child_first():
    body = ('<sec><title>Methods</title><p>Intro.</p><sec><title>Patients</title>'
            '<sec><title>Adults</title><p>Deep.</p></sec></sec></sec><p>Loose.</p>')
    paper = parse_ok(article(body)).paper
    assert [(p["section"], p["text"]) for p in paper["body_text"]] == [
        ("Methods", "Intro."), ("Adults ::: Patients ::: Methods", "Deep."), ("", "Loose.")]


def test_whitespace_and_inline_markup_are_flattened_without_leaking_tags():
    body = '<sec><title>R<italic>esults</italic></title><p>\n  CO<sub>2</sub>   and\n<bold>bold</bold> text </p></sec>'
    paragraph = parse_ok(article(body)).paper["body_text"][0]
    assert paragraph == {"text": "CO2 and bold text", "cite_spans": [], "ref_spans": [], "section": "Results"}


def test_list_inside_paragraph_splits_it_in_reading_order():
    body = ('<sec><title>S</title><p>Criteria were: <list list-type="order">'
            '<list-item><label>1.</label><p>fever <xref ref-type="bibr" rid="B1">[1]</xref>;</p></list-item>'
            '<list-item><label>2.</label><p>cough.</p></list-item></list> All were met.</p></sec>')
    paper = parse_ok(article(body, refs=numbered_refs(1))).paper
    assert [p["text"] for p in paper["body_text"]] == ["Criteria were:", "1. fever [1];", "2. cough.", "All were met."]
    assert cites(paper["body_text"][1]) == [("[1]", "BIBREF0")]
    assert {p["section"] for p in paper["body_text"]} == {"S"}


def test_boxed_text_title_joins_the_section_and_quotes_stay_in_place():
    body = ('<sec><title>Discussion</title><boxed-text><caption><title>Key points</title></caption>'
            '<p>Point one.</p></boxed-text><disp-quote><p>A quote.</p></disp-quote></sec>')
    paper = parse_ok(article(body)).paper
    assert [(p["section"], p["text"]) for p in paper["body_text"]] == [
        ("Key points ::: Discussion", "Point one."), ("Discussion", "A quote.")]


def test_footnotes_are_kept_out_of_running_text():
    body = ('<p>Main claim<xref ref-type="fn" rid="fn1">a</xref> holds.<fn id="fn1"><p>A footnote.</p></fn></p>'
            '<fn-group><fn id="fn2"><p>Group note.</p></fn></fn-group>')
    paper = parse_ok(article(body)).paper
    assert [p["text"] for p in paper["body_text"]] == ["Main claim holds."]
    notes = [(p["section"], p["text"]) for p in paper["back_matter"]]
    assert ("Footnotes", "A footnote.") in notes and ("Footnotes", "Group note.") in notes


def test_inline_and_display_formulas_become_readable_text():
    body = ('<p>Energy <inline-formula><mml:math><mml:msup><mml:mi>x</mml:mi><mml:mn>2</mml:mn></mml:msup>'
            '<mml:mo>+</mml:mo><mml:mfrac><mml:mi>a</mml:mi><mml:mrow><mml:mi>b</mml:mi><mml:mo>+</mml:mo>'
            '<mml:mi>c</mml:mi></mml:mrow></mml:mfrac></mml:math></inline-formula> is given by'
            '<disp-formula id="e1"><label>(1)</label><alternatives><tex-math id="t1">'
            r'\documentclass[12pt]{minimal}\begin{document}$$E = mc^{2}$$\end{document}'
            '</tex-math><mml:math><mml:mi>E</mml:mi></mml:math></alternatives></disp-formula> here.</p>'
            '<disp-formula><mml:math><mml:msub><mml:mi>y</mml:mi><mml:mi>ij</mml:mi></mml:msub></mml:math></disp-formula>')
    paper = parse_ok(article(body)).paper
    assert [p["text"] for p in paper["body_text"]] == [
        "Energy x^2+a/(b+c) is given by E = mc^{2} (1) here.", "y_{ij}"]


def test_mathml_tex_annotation_wins():
    body = ('<p><inline-formula><mml:math><mml:semantics><mml:mi>α</mml:mi>'
            '<mml:annotation encoding="TeX">\\alpha</mml:annotation></mml:semantics></mml:math></inline-formula></p>')
    assert parse_ok(article(body)).paper["body_text"][0]["text"] == "\\alpha"


def test_paragraphs_inside_figures_and_tables_are_not_body_text():
    body = ('<p>Before.</p><table-wrap id="t1"><label>Table 1</label><caption><title>Sizes.</title></caption>'
            '<table><thead><tr><th colspan="2">Group &amp; size</th></tr></thead><tbody><tr><td>A</td>'
            '<td rowspan="1">1<xref ref-type="table-fn" rid="tf1">a</xref></td></tr></tbody></table>'
            '<table-wrap-foot><fn id="tf1"><label>a</label><p>Median.</p></fn></table-wrap-foot></table-wrap>')
    paper = parse_ok(article(body)).paper
    assert [p["text"] for p in paper["body_text"]] == ["Before."]
    table = paper["ref_entries"]["TABREF0"]
    assert table["text"] == "Table 1: Sizes.\na Median."
    assert table["html"] == ('<html><body><table><thead><tr><th colspan="2">Group &amp; size</th></tr></thead>'
                             "<tbody><tr><td>A</td><td>1a</td></tr></tbody></table></body></html>")


def test_table_given_only_as_image_has_no_html():
    body = '<table-wrap id="t1"><label>Table 1</label><caption><p>Scan</p></caption><graphic xlink:href="t1.jpg"/></table-wrap>'
    assert parse_ok(article(body)).paper["ref_entries"]["TABREF0"] == {"text": "Table 1: Scan\n", "type": "table"}


def test_article_without_body_is_a_valid_paper():
    data = (f'<article {NAMESPACES}><front><article-meta><title-group><article-title>Only front'
            "</article-title></title-group></article-meta></front></article>").encode()
    result = parse_ok(data, fallback="nobody")
    assert result.paper["body_text"] == [] and result.paper["metadata"]["title"] == "Only front"
    assert result.paper["paper_id"] == "nobody"


# --- front -----------------------------------------------------------------------------

FRONT = """
<article-id pub-id-type="pmid">12345</article-id><article-id pub-id-type="pmc">777</article-id>
<article-id pub-id-type="doi">10.1000/ABC.1</article-id>
<title-group><article-title>A <italic>novel</italic> virus<xref ref-type="fn" rid="tfn">*</xref></article-title></title-group>
<contrib-group>
 <contrib contrib-type="author"><name><surname>Smith</surname><given-names>John Paul</given-names><suffix>Jr</suffix></name>
  <xref ref-type="aff" rid="a1"><sup>1</sup></xref><xref ref-type="corresp" rid="c1">*</xref></contrib>
 <contrib contrib-type="author"><name><surname>Lee</surname><given-names>Ann</given-names></name>
  <xref ref-type="aff" rid="a2 a1">2</xref><email>ann@lee.org</email></contrib>
 <contrib contrib-type="author"><collab>The Study Group</collab></contrib>
 <contrib contrib-type="editor"><name><surname>Editor</surname><given-names>E</given-names></name></contrib>
 <aff id="a1"><label>1</label><institution content-type="dept">Department of Virology</institution>,
  <institution>University of Hong Kong</institution>, <addr-line><named-content content-type="city">Hong Kong</named-content>
  </addr-line>, <country>China</country></aff>
 <aff id="a2"><sup>2</sup> Institut Pasteur, Paris, <country>France</country></aff>
</contrib-group>
<author-notes><corresp id="c1">Correspondence: <email>jp.smith@hku.hk</email></corresp></author-notes>
<pub-date pub-type="ppub"><month>Mar</month><year>2020</year></pub-date>
<pub-date pub-type="epub"><day>5</day><month>2</month><year>2020</year></pub-date>
<permissions><license license-type="open-access" xlink:href="https://creativecommons.org/licenses/by-nc/4.0/">
 <license-p>Open.</license-p></license></permissions>
<abstract><sec><title>Background</title><p>Why.</p></sec><sec><title>Methods</title><p>How <italic>so</italic>.</p></sec></abstract>
<abstract abstract-type="graphical"><p>Picture.</p></abstract>
"""


def test_front_ids_title_journal_date_licence_and_abstract():
    result = parse_ok(article("<p>x</p>", front_meta=FRONT))
    assert result.ids == {"pmcid": "PMC777", "pubmed_id": "12345", "doi": "10.1000/abc.1"}
    assert result.paper["paper_id"] == "PMC777"
    assert result.paper["metadata"]["title"] == "A novel virus"
    assert result.journal == "J Test"
    assert result.publish_time == "2020-02-05"
    assert result.license == "cc-by-nc"
    assert result.abstract == "Background: Why. Methods: How so."
    assert result.article_type == "research-article"


def test_authors_names_affiliations_and_emails():
    authors = parse_ok(article("<p>x</p>", front_meta=FRONT)).paper["metadata"]["authors"]
    assert [(a["first"], a["middle"], a["last"], a["suffix"]) for a in authors] == [
        ("John", ["Paul"], "Smith", "Jr"), ("Ann", [], "Lee", ""), ("", [], "The Study Group", "")]
    assert authors[0]["affiliation"] == {
        "laboratory": "Department of Virology", "institution": "University of Hong Kong",
        "location": {"country": "China", "settlement": "Hong Kong"}}
    assert authors[1]["affiliation"] == {"laboratory": "", "institution": "Institut Pasteur, Paris",
                                         "location": {"country": "France"}}
    assert authors[0]["email"] == "jp.smith@hku.hk"
    assert authors[1]["email"] == "ann@lee.org"
    assert authors[2]["email"] is None and authors[2]["affiliation"] == {}


def test_single_unlinked_affiliation_applies_to_every_author():
    meta = ('<contrib-group><contrib><name><surname>A</surname><given-names>B</given-names></name></contrib>'
            '</contrib-group><aff>Karolinska Institutet, Stockholm, Sweden</aff>')
    author = parse_ok(article("", front_meta=meta)).paper["metadata"]["authors"][0]
    assert author["affiliation"] == {"laboratory": "", "institution": "Karolinska Institutet, Stockholm, Sweden",
                                     "location": {}}


def test_corresponding_note_email_matched_by_surname():
    meta = ('<contrib-group><contrib corresp="yes"><name><surname>Ng</surname><given-names>W</given-names></name></contrib>'
            '<contrib corresp="yes"><name><surname>Chan</surname><given-names>K</given-names></name></contrib></contrib-group>'
            '<author-notes><corresp>Emails: <email>kchan@x.org</email>, <email>wng@x.org</email></corresp></author-notes>')
    authors = parse_ok(article("", front_meta=meta)).paper["metadata"]["authors"]
    assert [a["email"] for a in authors] == ["wng@x.org", "kchan@x.org"]


@pytest.mark.parametrize("kind", ["correction", "retraction"])
def test_corrections_and_retractions_are_kept_and_marked(kind):
    meta = ('<title-group><article-title>Correction to: X</article-title></title-group>'
            '<related-article related-article-type="corrected-article" ext-link-type="doi" xlink:href="10.1/x"/>')
    result = parse_ok(article("<p>In the article, a number was wrong.</p>", front_meta=meta, article_type=kind))
    assert result.article_type == kind
    assert result.paper["body_text"][0]["text"] == "In the article, a number was wrong."


# --- back ------------------------------------------------------------------------------

REFS = """
<ref id="r1"><label>1</label><element-citation publication-type="journal"><person-group person-group-type="author">
 <name><surname>Peiris</surname><given-names>J S M</given-names></name><name><surname>Lai</surname><given-names>ST</given-names></name>
 <etal/></person-group><article-title>Coronavirus as a possible cause of SARS</article-title><source>Lancet</source>
 <year>2003</year><volume>361</volume><issue>9366</issue><fpage>1319</fpage><lpage>1325</lpage>
 <pub-id pub-id-type="doi">10.1016/S0140-6736(03)13077-2</pub-id><pub-id pub-id-type="pmid">12711465</pub-id></element-citation></ref>
<ref id="r2"><label>2</label><mixed-citation publication-type="book"><string-name><surname>Knipe</surname>
 <given-names>DM</given-names></string-name>. <source>Fields Virology</source>. <publisher-name>LWW</publisher-name>;
 <year>2013</year>.</mixed-citation></ref>
<ref id="r3"><label>3</label><nlm-citation citation-type="journal"><collab>WHO</collab><article-title>Summary</article-title>
 <source>Wkly Epidemiol Rec</source><year>2003a</year><page-range>12-19</page-range></nlm-citation></ref>
<ref id="r4"><label>4</label><citation citation-type="journal"><name><surname>Old</surname><given-names>NLM</given-names></name>
 <article-title>Old DTD</article-title><source>J Old</source><year>1999</year><elocation-id>e12</elocation-id></citation></ref>
<ref id="r5"><label>5</label><mixed-citation>World Health Organization. Situation report 1. Geneva, 2020.</mixed-citation></ref>
"""


def test_bibliography_from_element_mixed_nlm_and_old_citations():
    bib = parse_ok(article('<p><xref ref-type="bibr" rid="r1">1</xref></p>', refs=REFS)).paper["bib_entries"]
    assert bib["BIBREF0"] == {
        "title": "Coronavirus as a possible cause of SARS",
        "authors": [{"first": "J", "middle": ["S", "M"], "last": "Peiris", "suffix": ""},
                    {"first": "S", "middle": ["T"], "last": "Lai", "suffix": ""}],
        "year": 2003, "venue": "Lancet", "volume": "361", "issn": "9366", "pages": "1319-1325",
        "other_ids": {"DOI": ["10.1016/s0140-6736(03)13077-2"], "PMID": ["12711465"]}}
    assert (bib["BIBREF1"]["title"], bib["BIBREF1"]["venue"], bib["BIBREF1"]["year"]) == ("Fields Virology", "LWW", 2013)
    assert bib["BIBREF1"]["authors"] == [{"first": "D", "middle": ["M"], "last": "Knipe", "suffix": ""}]
    assert (bib["BIBREF2"]["authors"][0]["last"], bib["BIBREF2"]["year"], bib["BIBREF2"]["pages"]) == ("WHO", 2003, "12-19")
    assert (bib["BIBREF3"]["title"], bib["BIBREF3"]["pages"], bib["BIBREF3"]["venue"]) == ("Old DTD", "e12", "J Old")
    assert bib["BIBREF4"]["title"] == "World Health Organization. Situation report 1. Geneva, 2020."


def test_back_matter_acknowledgements_funding_notes_appendix_and_glossary():
    back = ('<ack><p>Thanks to <xref ref-type="bibr" rid="B1">1</xref>.</p></ack>'
            '<notes notes-type="coi"><title>Competing interests</title><p>None.</p></notes>'
            '<app-group><app><title>Appendix A</title><p>Extra.</p></app></app-group>'
            '<glossary><title>Abbreviations</title><def-list><def-item><term>ARDS</term>'
            '<def><p>acute respiratory distress syndrome</p></def></def-item></def-list></glossary>')
    meta = '<funding-group><award-group><funding-source>NIH</funding-source><award-id>R01</award-id></award-group></funding-group>'
    paper = parse_ok(article("<p>x</p>", front_meta=meta, back=back, refs=numbered_refs(1))).paper
    assert [(p["section"], p["text"]) for p in paper["back_matter"]] == [
        ("Acknowledgements", "Thanks to 1."), ("Competing interests", "None."), ("Appendix A", "Extra."),
        ("Abbreviations", "ARDS: acute respiratory distress syndrome"), ("Funding", "NIH (R01)")]
    assert cites(paper["back_matter"][0]) == [("1", "BIBREF0")]


# --- odd inputs ------------------------------------------------------------------------

def test_pmc_articleset_wrapper_with_one_article():
    data = b"<pmc-articleset>" + article("<p>Wrapped.</p>") + b"</pmc-articleset>"
    assert parse_ok(data).paper["body_text"][0]["text"] == "Wrapped."


def test_pmc_articleset_with_two_articles_or_none_is_refused():
    with pytest.raises(MultipleArticlesError) as two:
        parse_jats(b"<pmc-articleset>" + article() + article() + b"</pmc-articleset>")
    assert two.value.reason == "multiple_articles"
    with pytest.raises(NotJatsError):
        parse_jats(b"<pmc-articleset><error>ID list is empty</error></pmc-articleset>")


def test_iso_8859_1_with_cdata_and_windows_1252_quotes():
    data = ('<?xml version="1.0" encoding="ISO-8859-1"?><article><front><article-meta><title-group>'
            "<article-title><![CDATA[Nutrición en niños de Azote\u2019y]]></article-title></title-group>"
            "</article-meta></front><body><p><![CDATA[Texto en español.]]></p></body></article>").encode("cp1252")
    result = parse_ok(data)
    assert result.paper["metadata"]["title"] == "Nutrición en niños de Azote\u2019y"
    assert result.paper["body_text"][0]["text"] == "Texto en español."


def test_html_escaped_in_cdata_bodies_becomes_paragraphs_with_headings():
    data = ("<article><front/><body><![CDATA[<p><b>INTRODUCCI&Oacute;N</b></p><p>&nbsp;</p>"
            "<p>Primer p&aacute;rrafo.</p>]]></body><body><![CDATA[<p>Segundo.</p>]]></body></article>").encode()
    paper = parse_ok(data).paper
    assert [(p["section"], p["text"]) for p in paper["body_text"]] == [
        ("INTRODUCCIÓN", "Primer párrafo."), ("INTRODUCCIÓN", "Segundo.")]


def test_empty_front_uses_fallback_then_content_hash_as_paper_id():
    data = b'<?xml version="1.0"?><article article-type="research-article"><front/></article>'
    assert parse_ok(data, fallback="stem").paper["paper_id"] == "stem"
    assert parse_jats(data).paper["paper_id"] == hashlib.sha1(data).hexdigest()


@pytest.mark.parametrize("data, error, reason", [
    (b"", EmptyInputError, "empty_input"),
    (b"  \n", EmptyInputError, "empty_input"),
    (b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n", GitLfsPointerError, "git_lfs_pointer"),
    (b"%PDF-1.4 not xml", NotXmlError, "not_xml"),
    (b"<article><front></article>", NotXmlError, "not_xml"),
    (b"<html><body><p>hi</p></body></html>", NotJatsError, "not_jats"),
    (b"<article><body><p>no front</p></body></article>", NotJatsError, "not_jats"),
])
def test_bad_inputs_raise_typed_errors(data, error, reason):
    with pytest.raises(error) as caught:
        parse_jats(data)
    assert caught.value.reason == reason


def test_output_is_deterministic():
    data = article('<p>A [<xref ref-type="bibr" rid="B1">1</xref>-<xref ref-type="bibr" rid="B3">3</xref>]</p>',
                   front_meta=FRONT, refs=numbered_refs(3))
    first = json.dumps(parse_jats(data).paper, ensure_ascii=False)
    assert first == json.dumps(parse_jats(data).paper, ensure_ascii=False)


def test_empty_link_shows_its_address():
    body = '<p>History:</p><p><ext-link ext-link-type="uri" xlink:href="http://example.org/prepub"/></p>'
    assert [p["text"] for p in parse_ok(article(body)).paper["body_text"]] == ["History:", "http://example.org/prepub"]


def test_untitled_acknowledgements_wrapping_a_titled_section_keep_only_that_title():
    back = "<ack><sec><title>Acknowledgments</title><p>Thanks.</p></sec></ack>"
    paper = parse_ok(article("<p>x</p>", back=back)).paper
    assert [(p["section"], p["text"]) for p in paper["back_matter"]] == [("Acknowledgments", "Thanks.")]


@pytest.mark.parametrize("permissions, expected", [
    ('<permissions><license><license-p>Distributed under the Creative Commons Attribution-NonCommercial-'
     "NoDerivatives 4.0 licence.</license-p></license></permissions>", "cc-by-nc-nd"),
    ("<copyright-statement>This is an open-access article distributed under the terms of the Creative "
     "Commons Attribution License.</copyright-statement>", "cc-by"),
    ("<permissions><license><license-p>Elsevier has created a COVID-19 resource centre ...</license-p>"
     "</license></permissions>", "els-covid"),
    ("<permissions><copyright-statement>All rights reserved.</copyright-statement></permissions>", "unk"),
])
def test_licence_from_license_wording_and_old_copyright_statements(permissions, expected):
    assert parse_ok(article("", front_meta=permissions)).license == expected


def test_namespaced_article_is_named_in_the_error():
    with pytest.raises(NotJatsError, match="namespace"):
        parse_jats(b'<article xmlns="http://example.org/ns"><front/></article>')


def test_escaped_html_without_paragraph_tags_is_kept_as_one_paragraph():
    data = b"<article><front/><body><![CDATA[<font size=2><b>Loose</b> text]]></body></article>"
    assert [p["text"] for p in parse_ok(data).paper["body_text"]] == ["Loose text"]


def test_a_box_of_the_floats_group_follows_the_paragraph_citing_it():
    data = (b'<article><front><article-meta/></front><body><sec><title>Intro</title>'
            b'<p>First (<xref ref-type="boxed-text" rid="bx1">panel</xref>).</p><p>Second.</p></sec>'
            b'<sec><title>End</title><p>Last.</p></sec></body><floats-group>'
            b'<boxed-text id="bx1"><caption><title>Research in context</title></caption><p>Evidence.</p></boxed-text>'
            b'<boxed-text id="bx2"><caption><title>Uncited</title></caption><p>Aside.</p></boxed-text>'
            b'</floats-group></article>')
    paper = parse_ok(data).paper
    assert [(p["section"], p["text"]) for p in paper["body_text"]] == [
        ("Intro", "First (panel)."), ("Research in context ::: Intro", "Evidence."), ("Intro", "Second."),
        ("End", "Last."), ("Uncited", "Aside."),
    ]
