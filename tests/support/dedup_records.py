"""Small source records for dedup's unit tests."""
from dedup.features import MatchFeatures, match_features


def featured_record(title, authors=(("Jane", "Doe"),), publish_time="2020", article_type=None) -> MatchFeatures:
    """The matching features of a source record with this title, (first, last) authors and date."""
    out = {"title": title, "authors": [{"first": f, "middle": [], "last": l, "suffix": ""} for f, l in authors],
           "publish_time": publish_time}
    if article_type:
        out["article_type"] = article_type
    return match_features(out)
