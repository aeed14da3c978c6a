"""Blocking keys: which records are compared at all."""
from dedup.blocking import blocking_keys
from tests.support.dedup_records import featured_record


def test_blocking_keys_of_a_long_title_and_a_generic_one():
    keys = blocking_keys(featured_record("Seroprevalence of SARS-CoV-2 antibodies among health care workers in Madrid"))
    assert [key[:2] for key in keys] == ["t:", "p:", "s:", "e:", "o:"]
    assert keys[1] == "p:doe|seroprevalenceofsarscov2"
    assert keys[3] == "e:seroprevalence sars 2 among care in"
    assert blocking_keys(featured_record("Editorial")) == ["t:editorial"]
    assert blocking_keys(featured_record("")) == []
