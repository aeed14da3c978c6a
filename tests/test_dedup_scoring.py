"""Pair scoring: title and author agreement, year gap, the rule that matched, and pairs never matched."""
from dedup.scoring import TITLE_MATCH_MIN, score_pair
from tests.support.dedup_records import featured_record


def test_score_pair_keeps_the_evidence():
    title = "Seroprevalence of SARS-CoV-2 antibodies among health care workers in Madrid"
    score = score_pair(featured_record(title), featured_record(title.replace("among", "amnog").upper(), publish_time="2021"))
    assert score is not None and TITLE_MATCH_MIN <= score.title < 100
    assert (score.authors, score.year_gap, score.rule) == (1.0, 1, "title+authors")


def test_family_name_first_authors_still_agree():
    title = "Seroprevalence of SARS-CoV-2 antibodies among health care workers in Wuhan"
    left = featured_record(title, (("Wei", "Zhang"), ("Li", "Wang")))
    right = featured_record(title, (("Zhang", "Wei"), ("Wang", "Li")))
    assert score_pair(left, right).authors == 1.0


def test_correction_article_type_never_matches_the_article():
    title = "Seroprevalence of SARS-CoV-2 antibodies among health care workers in Wuhan"
    assert score_pair(featured_record(title), featured_record(title, article_type="correction")) is None
    assert score_pair(featured_record(title, article_type="correction"), featured_record(title, article_type="correction")) is not None
