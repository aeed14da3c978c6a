"""A sources.toml that points every source at the loopback feed server, and a
requests session that refuses any host but 127.0.0.1 (tests never leave the machine)."""
from pathlib import Path
from urllib.parse import urlsplit

import requests

# {url}: the feed server's URL; {max_attempts}: the HTTP attempts per request.
SOURCES = """
[query]
terms = ["coronavirus", "SARS"]
fields = ["title", "abstract"]

[http]
max_attempts = {max_attempts}
backoff_seconds = 0.01
max_backoff_seconds = 0.05
connect_timeout = 2.0
read_timeout = 0.5

[documents]
max_bytes = 5000000
rate_limit = 1000.0

[mirrors]
"https://www.biorxiv.org/" = "{url}/pdf/biorxiv/"
"https://www.biorxiv.org/content/10.1101/000141v1.full.pdf" = "{url}/html-error/000141"
"http://arxiv.org/" = "{url}/pdf/arxiv-2016/"
"https://arxiv.org/" = "{url}/pdf/arxiv/"
"https://www.ebi.ac.uk/" = "{url}/"
"https://ftp.ncbi.nlm.nih.gov/" = "{url}/"
"https://usurj.journals.usask.ca/" = "{url}/html-error/"

[[sources]]
name = "pubmed"
kind = "pubmed"
base_url = "{url}/eutils/"
query = "coronavirus"
page_size = 2
rate_limit = 1000.0
api_key_env = "TEST_NCBI_KEY"

[[sources]]
name = "pmc"
kind = "pmc"
base_url = "{url}/eutils/"
query = "coronavirus"
page_size = 4
rate_limit = 1000.0

[[sources]]
name = "biorxiv"
kind = "biorxiv"
base_url = "{url}/biorxiv-api/"
date_from = "2013-01-01"
date_to = "2013-11-07"
rate_limit = 1000.0

[[sources]]
name = "medrxiv"
kind = "medrxiv"
base_url = "{url}/biorxiv-api/"
date_from = "2013-01-01"
date_to = "2013-11-07"
rate_limit = 1000.0

[[sources]]
name = "arxiv"
kind = "arxiv"
base_url = "{url}/arxiv-api/"
query = "all:testing"
page_size = 5
rate_limit = 1000.0

[[sources]]
name = "publishers"
kind = "crossref"
base_url = "{url}/crossref/"
query = "coronavirus"
page_size = 3
rate_limit = 1000.0
params = {{ filter = "member:78", mailto = "test@example.org" }}

[[sources]]
name = "europepmc"
kind = "europepmc"
base_url = "{url}/europepmc/webservices/rest/"
query = "cancer"
page_size = 10
rate_limit = 1000.0

[[sources]]
name = "who"
kind = "who"
base_url = "{url}/files/"
files = ["who.csv"]
rate_limit = 1000.0

[[sources]]
name = "pmc-oa"
kind = "pmc"
api = "file"
base_url = "{url}/files/"
files = ["oa_file_list.csv"]
rate_limit = 1000.0
"""


class LoopbackOnlySession(requests.Session):
    """A requests session that refuses any host but 127.0.0.1: tests never leave the machine."""

    def request(self, method, url, *args, **kwargs):
        assert urlsplit(url).hostname == "127.0.0.1", f"test tried to reach {url}"
        return super().request(method, url, *args, **kwargs)


def write_sources(tmp_path: Path, url: str, max_attempts: int = 4) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES.format(url=url, max_attempts=max_attempts), encoding="utf-8")
    return path
