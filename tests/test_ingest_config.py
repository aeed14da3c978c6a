"""The sources file (pipeline/ingest/config.py): the shipped one, and bad ones refused clearly."""
import re

import pytest

from pipeline.cli import main
from pipeline.ingest import SourcesFileError, default_sources_file, load_sources

def test_the_shipped_sources_file_mirrors_cord19():
    config = load_sources(default_sources_file())
    assert {s.kind for s in config.sources} >= {"pubmed", "pmc", "biorxiv", "medrxiv", "arxiv", "crossref", "who"}
    assert "Middle East Respiratory Syndrome" in config.query["terms"]
    assert all(s.base_url.startswith("https://") for s in config.sources)
    assert "unk" not in config.document_licenses


@pytest.mark.parametrize(
    "text, message",
    [
        ('[[sources]]\nname = "x"\nkind = "gopher"\nbase_url = "http://h/"\n', "kind 'gopher'"),
        ('[[sources]]\nname = "x"\nkind = "pubmed"\n', "base_url"),
        ('[[sources]]\nname = "x"\nkind = "who"\nbase_url = "http://h/"\n', "files list"),
        ('[[sources]]\nname = "../x"\nkind = "pubmed"\nbase_url = "http://h/"\n', "plain folder name"),
        ('[documents]\nlicenses = ["free"]\n[[sources]]\nname = "x"\nkind = "pubmed"\nbase_url = "http://h/"\n', "unknown values"),
        ('[[sources]]\nname = "x"\nkind = "pubmed"\nbase_url = "http://h/"\npage_size = "ten"\n', "page_size"),
        ("not toml [", "cannot read"),
        ("", "no [[sources]]"),
    ],
)
def test_bad_sources_files_are_refused(tmp_path, text, message):
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourcesFileError, match=re.escape(message)):
        load_sources(path)


def test_bad_sources_file_is_a_clean_cli_error(tmp_path, capsys):
    path = tmp_path / "sources.toml"
    path.write_text("", encoding="utf-8")
    assert main(["ingest", "--sources", str(path), "--snapshot", str(tmp_path / "s")]) == 1
    assert "no [[sources]]" in capsys.readouterr().err
