"""Title and name normal forms, blocking keys and pair scoring."""
import pytest

from dedup.blocking import blocking_keys
from dedup.features import match_features
from dedup.scoring import TITLE_MATCH_MIN, score_pair
from dedup.titles import compact_title, is_generic_title, name_key, notice_prefix, numeral_signature, title_words


@pytest.mark.parametrize(
    "variants",
    [
        ["(99m)Tc-MDP bone scan in COVID-19", "99mTc-MDP bone scan in COVID-19", "<sup>99m</sup>Tc‐MDP Bone Scan in COVID‐19."],
        ["Successive changes in the ultrastructure of Oryza sativa L. cells",
         "Successive changes in the ultrastructure ofOryza sativa L. cells",
         "Successive changes in the ultrastructure of <i>Oryza sativa</i> L. cells"],
        ["TNF-α and IL-6 in SARS-CoV-2 infection", "TNF-alpha and IL-6 in SARS-CoV-2 infection", "TNF‐ALPHA AND IL‐6 IN SARS‐COV‐2 INFECTION"],
        ["Risk & resilience: Montréal’s response", "Risk and resilience: Montreal's response", "Risk &amp; resilience: MONTRÉAL'S RESPONSE"],
        ["[Taste and smell loss in patients with COVID-19].", "Taste and smell loss in patients with COVID-19"],
    ],
)
def test_formatting_variants_share_one_compact_title(variants):
    assert len({compact_title(v) for v in variants}) == 1


def test_non_latin_titles_keep_their_letters():
    assert compact_title("新型冠状病毒肺炎的临床特征") == "新型冠状病毒肺炎的临床特征"
    assert compact_title("Коронавирусная инфекция") == "коронавируснаяинфекция"


def test_words_generic_notice_and_numerals():
    assert title_words("COVID-19: a <i>review</i>") == ["covid", "19", "a", "review"]
    assert is_generic_title("editorial") and is_generic_title("covid19andtheheart")
    assert not is_generic_title(compact_title("Clinical features of patients infected with 2019 novel coronavirus"))
    assert notice_prefix(compact_title("Correction to: Remdesivir for COVID-19")) == "correctionto"
    assert notice_prefix(compact_title("Remdesivir for COVID-19")) == ""
    words = title_words("SARS-CoV-2 vaccines, part II")
    assert numeral_signature(compact_title("SARS-CoV-2 vaccines, part II"), words) == "2 ii"
    assert name_key("O'Neill-Ávila") == "oneillavila"


def record(title, authors=(("Jane", "Doe"),), publish_time="2020", article_type=None):
    out = {"title": title, "authors": [{"first": f, "middle": [], "last": l, "suffix": ""} for f, l in authors],
           "publish_time": publish_time}
    if article_type:
        out["article_type"] = article_type
    return match_features(out)


def test_blocking_keys_of_a_long_title_and_a_generic_one():
    keys = blocking_keys(record("Seroprevalence of SARS-CoV-2 antibodies among health care workers in Madrid"))
    assert [key[:2] for key in keys] == ["t:", "p:", "s:", "e:", "o:"]
    assert keys[1] == "p:doe|seroprevalenceofsarscov2"
    assert keys[3] == "e:seroprevalence sars 2 among care in"
    assert blocking_keys(record("Editorial")) == ["t:editorial"]
    assert blocking_keys(record("")) == []


def test_score_pair_keeps_the_evidence():
    title = "Seroprevalence of SARS-CoV-2 antibodies among health care workers in Madrid"
    score = score_pair(record(title), record(title.replace("among", "amnog").upper(), publish_time="2021"))
    assert score is not None and TITLE_MATCH_MIN <= score.title < 100
    assert (score.authors, score.year_gap, score.rule) == (1.0, 1, "title+authors")


def test_family_name_first_authors_still_agree():
    title = "Seroprevalence of SARS-CoV-2 antibodies among health care workers in Wuhan"
    left = record(title, (("Wei", "Zhang"), ("Li", "Wang")))
    right = record(title, (("Zhang", "Wei"), ("Wang", "Li")))
    assert score_pair(left, right).authors == 1.0


def test_correction_article_type_never_matches_the_article():
    title = "Seroprevalence of SARS-CoV-2 antibodies among health care workers in Wuhan"
    assert score_pair(record(title), record(title, article_type="correction")) is None
    assert score_pair(record(title, article_type="correction"), record(title, article_type="correction")) is not None
