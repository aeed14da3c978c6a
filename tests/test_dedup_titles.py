"""Title and name normal forms: compact titles, words, generic titles, notices, numerals, name keys."""
import pytest

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
