"""Identifier, date, author and licence normalisation shared by every feed parser."""
import pytest

from parsers.feeds.normalize import (
    normalize_arxiv_id,
    normalize_covidence_id,
    normalize_date,
    normalize_doi,
    normalize_license,
    normalize_pmcid,
    normalize_pmid,
    split_author_name,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("https://doi.org/10.1016/J.JDS.2020.02.002", "10.1016/j.jds.2020.02.002"),
        ("http://dx.doi.org/10.1103%2FPhysRevB.85.115117", "10.1103/physrevb.85.115117"),
        ("doi:10.1101/000109", "10.1101/000109"),
        ("doi:https://doi.org/10.2807/1560-7917.ES.2019.24.48.1900244", "10.2807/1560-7917.es.2019.24.48.1900244"),
        (" 10.1002/jmv.25767 ", "10.1002/jmv.25767"),
        ("not a doi", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_doi(raw, expected):
    assert normalize_doi(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("PMC7112410", "PMC7112410"), ("pmc7112410.1", "PMC7112410"), ("7112410", "PMC7112410"),
     (7112410, "PMC7112410"), ("PMCabc", None), ("0", None), (None, None)],
)
def test_normalize_pmcid(raw, expected):
    assert normalize_pmcid(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("12781535", "12781535"), ("12781535.0", "12781535"), ("PMID: 123", "123"), (42, "42"),
     ("abc", None), ("", None)],
)
def test_normalize_pmid(raw, expected):
    assert normalize_pmid(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("1111.2011v2", "1111.2011"), ("http://arxiv.org/abs/2202.12139v1", "2202.12139"),
     ("arXiv:2004.10706", "2004.10706"), ("hep-th/9901001v3", "hep-th/9901001"),
     ("https://arxiv.org/pdf/2405.13786v1", "2405.13786"),
     ("https://arxiv.org/api/errors#incorrect_id_format_for_abc", None)],
)
def test_normalize_arxiv_id(raw, expected):
    assert normalize_arxiv_id(raw) == expected


@pytest.mark.parametrize("raw, expected", [("#8973", "#8973"), ("8973", "#8973"), (8973, "#8973"), ("x", None)])
def test_normalize_covidence_id(raw, expected):
    assert normalize_covidence_id(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2020 Mar-Apr", "2020-03"),
        ("1998 Dec-1999 Jan", "1998-12"),
        ("2020 Mar 15-21", "2020-03-15"),
        ("2000 Spring", "2000"),
        ("2017 06", "2017-06"),
        ("2020-03-18 10:00", "2020-03-18"),
        ("2020-03-18", "2020-03-18"),
        ("2011-11-08T18:48:36Z", "2011-11-08"),
        ("2003/2/5", "2003-02-05"),
        ("24 May 2003", "2003-05-24"),
        ("May 2003", "2003-05"),
        ("2020", "2020"),
        (2019, "2019"),
        ([[2014, 4, 4]], "2014-04-04"),
        ({"date-parts": [[2003, 2]]}, "2003-02"),
        ({"date-parts": [[None]]}, ""),
        ("2020-13-01", "2020"),
        ("2021-02-29", "2021-02"),
        ("2020-02-29", "2020-02-29"),
        ("", ""),
        (None, ""),
        ("unknown", ""),
    ],
)
def test_normalize_date(raw, expected):
    assert normalize_date(raw) == expected


@pytest.mark.parametrize(
    "raw, first, middle, last, suffix",
    [
        ("Qu, Rong", "Rong", [], "Qu", ""),
        ("Ba Abduallah, Mohammed M.", "Mohammed", ["M."], "Ba Abduallah", ""),
        ("King, Martin L., Jr.", "Martin", ["L."], "King", "Jr."),
        ("Adrian Del Maestro", "Adrian", [], "Del Maestro", ""),
        ("James M. Murray", "James", ["M."], "Murray", ""),
        ("Martin Luther King Jr.", "Martin", ["Luther"], "King", "Jr."),
        ("O'Neill AF", "A", ["F"], "O'Neill", ""),
        ("Öztürk Fincan GS", "G", ["S"], "Öztürk Fincan", ""),
        ("Ruiyun Li1", "Ruiyun", [], "Li", ""),
        ("Nature", "", [], "Nature", ""),
    ],
)
def test_split_author_name(raw, first, middle, last, suffix):
    assert split_author_name(raw) == {"first": first, "middle": middle, "last": last, "suffix": suffix}


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("cc_by", "cc-by"),
        ("cc_by_nc_nd", "cc-by-nc-nd"),
        ("CC BY-NC 4.0", "cc-by-nc"),
        ("cc by-nc-sa", "cc-by-nc-sa"),
        ("CC0", "cc0"),
        ("http://creativecommons.org/licenses/by-nc-nd/4.0/", "cc-by-nc-nd"),
        ("https://creativecommons.org/publicdomain/zero/1.0/", "cc0"),
        ("NO-CC CODE", "no-cc"),
        ("http://arxiv.org/licenses/nonexclusive-distrib/1.0/", "arxiv"),
        ("gold", "gold-oa"),
        ("els-covid", "els-covid"),
        ("http://link.aps.org/licenses/aps-default-license", "unk"),
        (None, "unk"),
    ],
)
def test_normalize_license(raw, expected):
    assert normalize_license(raw) == expected


def test_normalize_license_default_for_unknown():
    assert normalize_license("all rights reserved", default="biorxiv") == "biorxiv"
