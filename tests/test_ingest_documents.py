"""Document downloads (pipeline/ingest/documents.py): mirrors and content sniffing."""
import pytest

from parsers.pdf.errors import NotPdfError
from pipeline.ingest import check_pdf, jats_bytes, mirrored_url
from tests.support.feed_server import oa_package, pmc_corpus_articles

def test_mirrors_use_the_longest_prefix():
    mirrors = {"https://x.org/": "http://m/", "https://x.org/special/": "http://s/"}
    assert mirrored_url("https://x.org/a.pdf", mirrors) == "http://m/a.pdf"
    assert mirrored_url("https://x.org/special/b.pdf", mirrors) == "http://s/b.pdf"
    assert mirrored_url("https://y.org/c.pdf", mirrors) == "https://y.org/c.pdf"


def test_document_sniffing(corpus_dir, tmp_path):
    html = tmp_path / "error.pdf"
    html.write_bytes(b"<!DOCTYPE html><html><body>Forbidden</body></html>")
    with pytest.raises(NotPdfError, match="HTML page"):
        check_pdf(html)
    pdf = tmp_path / "good.pdf"
    pdf.write_bytes((corpus_dir / "pdf/grobid_two_pages.pdf").read_bytes())
    check_pdf(pdf)
    pmcid, article = pmc_corpus_articles(corpus_dir)[0]
    package = tmp_path / "package.tar.gz"
    package.write_bytes(oa_package(pmcid, article))
    assert jats_bytes(package) == article
    lfs = tmp_path / "lfs.xml"
    lfs.write_bytes((corpus_dir / "jats/odd_git_lfs_pointer_PMC3258128.xml").read_bytes())
    with pytest.raises(Exception) as caught:
        jats_bytes(lfs)
    assert caught.type.__name__ == "GitLfsPointerError"
