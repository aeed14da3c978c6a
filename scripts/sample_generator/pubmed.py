"""PubMed efetch XML (the 2019 PubMedArticle DTD layout)."""
from lxml import etree

from .data import PAPER, RECORD_WITHOUT_PMID, SOURCES, Paper
from .markup import MONTH_ABBREVIATIONS, sub, xml_bytes

PUBMED_DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2019//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd">'
)
DATE_REVISED = "2021-05-04"
MEDLINE_DATES: dict[str, str] = SOURCES["pubmed"]["medline_dates"]  # paper key -> a MedlineDate range
COLLECTIVE_AUTHORS: dict[str, str] = SOURCES["pubmed"]["collective_authors"]  # paper key -> group author
ERRATA: dict[str, str] = SOURCES["pubmed"]["errata"]  # erratum's paper key -> the corrected paper's key


def pubmed_date(parent: etree._Element, tag: str, date: str, **attrs: str) -> None:
    """A PubMed date element with numeric Year, Month and Day."""
    year, month, day = date.split("-")
    element = sub(parent, tag, **attrs)
    sub(element, "Year", year)
    sub(element, "Month", month)
    sub(element, "Day", day)


def printed_date(date: str) -> str:
    """"2020-09-14" -> "2020 Sep 14", as citations print dates."""
    year, month, day = date.split("-")
    return f"{year} {MONTH_ABBREVIATIONS[int(month) - 1]} {int(day)}"


def pubmed_journal(article: etree._Element, paper: Paper) -> None:
    journal = sub(article, "Journal")
    sub(journal, "ISSN", paper.issn, IssnType="Electronic")
    issue = sub(journal, "JournalIssue", CitedMedium="Internet")
    if paper.volume:
        sub(issue, "Volume", paper.volume)
    if paper.issue:
        sub(issue, "Issue", paper.issue)
    pub_date = sub(issue, "PubDate")
    if paper.key in MEDLINE_DATES:
        sub(pub_date, "MedlineDate", MEDLINE_DATES[paper.key])
    else:
        year, month, day = paper.date.split("-")
        sub(pub_date, "Year", year)
        sub(pub_date, "Month", MONTH_ABBREVIATIONS[int(month) - 1])
        sub(pub_date, "Day", day)
    sub(journal, "Title", paper.journal)
    sub(journal, "ISOAbbreviation", paper.journal_abbrev)


def pubmed_abstract(article: etree._Element, paper: Paper) -> None:
    abstract = sub(article, "Abstract")
    for label, text in paper.abstract:
        if label:
            sub(abstract, "AbstractText", text, Label=label.upper(), NlmCategory=label.upper())
        else:
            sub(abstract, "AbstractText", text)
    sub(abstract, "CopyrightInformation", f"Copyright © {paper.year} The Authors.")


def pubmed_authors(article: etree._Element, paper: Paper) -> None:
    author_list = sub(article, "AuthorList", CompleteYN="Y")
    for author in paper.authors:
        author_el = sub(author_list, "Author", ValidYN="Y")
        sub(author_el, "LastName", author.last)
        sub(author_el, "ForeName", author.given)
        sub(author_el, "Initials", author.initials)
        if author.suffix:
            sub(author_el, "Suffix", author.suffix)
        sub(sub(author_el, "AffiliationInfo"), "Affiliation", author.affiliation)
    if paper.key in COLLECTIVE_AUTHORS:
        sub(sub(author_list, "Author", ValidYN="Y"), "CollectiveName", COLLECTIVE_AUTHORS[paper.key])


def pubmed_article_element(citation: etree._Element, paper: Paper) -> None:
    """The <Article> of a MedlineCitation: journal, title, pages, abstract, authors, types."""
    article = sub(citation, "Article", PubModel="Print-Electronic")
    pubmed_journal(article, paper)
    sub(article, "ArticleTitle", paper.title + ".")
    if paper.pages:
        sub(sub(article, "Pagination"), "MedlinePgn", paper.pages)
    sub(article, "ELocationID", paper.doi, EIdType="doi", ValidYN="Y")
    if paper.abstract:
        pubmed_abstract(article, paper)
    if paper.authors:
        pubmed_authors(article, paper)
    sub(article, "Language", "eng")
    types = sub(article, "PublicationTypeList")
    if paper.article_type == "correction":
        sub(types, "PublicationType", "Published Erratum", UI="D016425")
    else:
        sub(types, "PublicationType", "Journal Article", UI="D016428")
    pubmed_date(article, "ArticleDate", paper.date, DateType="Electronic")


def pubmed_erratum_for(citation: etree._Element, original: Paper) -> None:
    corrections = sub(citation, "CommentsCorrectionsList")
    comment = sub(corrections, "CommentsCorrections", RefType="ErratumFor")
    source = (
        f"{original.journal_abbrev}. {printed_date(original.date)};"
        f"{original.volume}({original.issue}):{original.pages}"
    )
    sub(comment, "RefSource", source)
    sub(comment, "PMID", original.pmid, Version="1")


def pubmed_data(article_el: etree._Element, paper: Paper, with_pmid: bool) -> None:
    data = sub(article_el, "PubmedData")
    history = sub(data, "History")
    for status in ("entrez", "pubmed", "medline"):
        pubmed_date(history, "PubMedPubDate", paper.date, PubStatus=status)
    sub(data, "PublicationStatus", "ppublish")
    ids = sub(data, "ArticleIdList")
    if with_pmid:
        sub(ids, "ArticleId", paper.pmid, IdType="pubmed")
    sub(ids, "ArticleId", paper.doi, IdType="doi")
    if paper.pmcid:
        sub(ids, "ArticleId", paper.pmcid, IdType="pmc")


def pubmed_article(parent: etree._Element, paper: Paper, with_pmid: bool = True) -> None:
    """One PubmedArticle in the efetch (2019 DTD) layout."""
    article_el = sub(parent, "PubmedArticle")
    citation = sub(article_el, "MedlineCitation", Status="MEDLINE", Owner="NLM")
    if with_pmid:
        sub(citation, "PMID", paper.pmid, Version="1")
    pubmed_date(citation, "DateCompleted", paper.date)
    pubmed_date(citation, "DateRevised", DATE_REVISED)
    pubmed_article_element(citation, paper)
    info = sub(citation, "MedlineJournalInfo")
    sub(info, "Country", "England")
    sub(info, "MedlineTA", paper.journal_abbrev)
    sub(info, "NlmUniqueID", "99" + paper.issn.replace("-", ""))
    sub(info, "ISSNLinking", paper.issn)
    sub(citation, "CitationSubset", "IM")
    if paper.key in ERRATA:
        pubmed_erratum_for(citation, PAPER[ERRATA[paper.key]])
    pubmed_data(article_el, paper, with_pmid)


def pubmed_page(keys: list[str], with_record_without_pmid: bool) -> bytes:
    """An efetch (db=pubmed) answer: a PubmedArticleSet of the papers `keys`."""
    root = etree.Element("PubmedArticleSet")
    for key in keys:
        pubmed_article(root, PAPER[key])
    if with_record_without_pmid:
        pubmed_article(root, RECORD_WITHOUT_PMID, with_pmid=False)
    return xml_bytes(root, PUBMED_DOCTYPE, pretty=True)
