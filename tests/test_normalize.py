"""parsers.normalize: date, author name and licence normal forms shared by the JATS and feed parsers."""
import pytest

from parsers.normalize import normalize_date, normalize_license, split_author_name


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
