"""Issue #15, feed side: one bad record never stops a feed file, and no record is lost.

Each fault the issue lists is made from a real feed file (tests/support/feed_faults.py);
the accounting invariant (every record of a file is a record or a record error) is
checked with an independent count (tests/support/feed_accounting.py) over every real
feed file of the corpus and the sample snapshot and over every fault.
"""
import gzip
import json

import pytest
from apache_beam.coders import FastPrimitivesCoder

from parsers.feeds import iter_feed_records, parse_feed_bytes
from parsers.feeds.csvfile import MAX_RECORD_BYTES
from parsers.feeds.errors import UNFORESEEN_PREFIX, FeedError, FeedRecordError, convert_items
from parsers.feeds.record import MAX_FIELD_CHARS, load_json_payload, replace_lone_surrogates
from schemas import schema_errors
from tests.support.feed_accounting import account, count_feed_records
from tests.support.feed_faults import (
    BIORXIV_DETAILS,
    CROSSREF_OTHER_WORK,
    CROSSREF_WORK,
    FEED_FAULTS,
    WHO_EXPORT,
    crossref_work_list_with_author,
    who_unterminated_quote,
)
from tests.support.parser_fuzz import SAMPLE_SNAPSHOT, corpus_feed_files, sample_feed_files
from tests.support.paths import corpus_path

WHO_ROWS = 150


def parse_with_errors(kind: str, data: bytes) -> tuple[list[dict], list[FeedRecordError]]:
    errors: list[FeedRecordError] = []
    return parse_feed_bytes(kind, data, on_error=errors.append), errors


def real(corpus_dir, name: str) -> bytes:
    return (corpus_dir / "feeds" / name).read_bytes()


# ---------------------------------------------------------------- the accounting invariant


@pytest.mark.parametrize("kind, name", [(kind, str(path.relative_to(corpus_path() / "feeds")))
                                        for kind, path in corpus_feed_files(corpus_path())]
                         if (corpus_path() / "feeds").is_dir() else [])
def test_every_record_of_every_corpus_feed_file_is_accounted_for(corpus_dir, tmp_path, kind, name):
    result = account(kind, real(corpus_dir, name), tmp_path)
    assert result.problems() == []
    assert result.errors == []
    if result.file_error is not None:  # only arXiv's error feed is refused as a whole
        assert (result.file_error.reason, result.records) == ("feed_api_error", [])
    else:
        assert result.expected == len(result.records)


@pytest.mark.parametrize("kind, path", sample_feed_files(), ids=lambda value: str(value).rsplit("/", 1)[-1])
def test_every_record_of_every_sample_feed_file_is_accounted_for(tmp_path, kind, path):
    result = account(kind, path.read_bytes(), tmp_path)
    assert result.problems() == []
    assert result.file_error is None
    bad = [error.item for error in result.errors]
    assert bad == (["PubmedArticle #8"] if path == SAMPLE_SNAPSHOT / "feeds/pubmed/page-0002.xml" else [])


@pytest.mark.parametrize("fault", sorted(FEED_FAULTS))
def test_every_fault_is_a_record_error_and_every_record_is_accounted_for(corpus_dir, tmp_path, fault):
    kind, name, build, bad_records = FEED_FAULTS[fault]
    original = real(corpus_dir, name)
    result = account(kind, build(original), tmp_path)
    assert result.file_error is None
    assert result.problems() == []
    assert result.expected == count_feed_records(kind, original)
    assert len(result.errors) == bad_records
    assert len(result.records) == result.expected - bad_records
    for record in result.records:
        assert schema_errors("source_record", record) == []
        FastPrimitivesCoder().encode(record)  # what Beam does with it (a lone surrogate failed here)


# ---------------------------------------------------------------- JSON items of the wrong type


@pytest.mark.parametrize("fault, message", [
    ("biorxiv doi is a number", "'doi' is a number, not a string"),
    ("biorxiv title is an object", "'title' is an object, not a string"),
    ("biorxiv abstract is a number", "'abstract' is a number, not a string"),
    ("biorxiv abstract over the field limit", f"the abstract is {MAX_FIELD_CHARS + 1:,} characters long"),
])
def test_a_biorxiv_item_of_the_wrong_shape_is_reported_and_the_rest_parse(corpus_dir, fault, message):
    _, name, build, _ = FEED_FAULTS[fault]
    records, errors = parse_with_errors("biorxiv", build(real(corpus_dir, name)))
    assert len(records) == 7
    assert [error.item for error in errors] == ["collection item #3"]
    assert message in str(errors[0])
    assert errors[0].reason == "feed_record_error"
    with pytest.raises(FeedRecordError):  # without on_error the error is raised, as before
        parse_feed_bytes("biorxiv", build(real(corpus_dir, name)))


@pytest.mark.parametrize("bad_author, message", [("Smith, J.", "'author'[1] is a string, not an object"),
                                                  (None, "'author'[1] is null, not an object")])
def test_a_crossref_author_list_holding_a_string_or_null(corpus_dir, bad_author, message):
    data = crossref_work_list_with_author(bad_author)(real(corpus_dir, CROSSREF_WORK), real(corpus_dir, CROSSREF_OTHER_WORK))
    records, errors = parse_with_errors("crossref", data)
    assert [record["ids"]["doi"] for record in records] == ["10.1017/s1047951103000064"]
    assert [(error.item, str(error)) for error in errors] == [("work #1", message)]


def test_a_lone_surrogate_becomes_the_replacement_character(corpus_dir):
    _, name, build, _ = FEED_FAULTS["biorxiv title holds a lone surrogate"]
    escaped = build(real(corpus_dir, name))
    assert b"\\ud800" in escaped
    raw = json.dumps(json.loads(escaped), ensure_ascii=False).encode("utf-8", "surrogatepass")
    assert b"\xed\xa0\x80" in raw
    for data in (escaped, raw):
        records, errors = parse_with_errors("biorxiv", data)
        assert errors == [] and len(records) == 8
        assert records[2]["title"] == "Speciation \ufffd and introgression"
        FastPrimitivesCoder().encode(records[2])
    assert replace_lone_surrogates("a\udc80b\ud83d") == "a\ufffdb\ufffd"
    assert load_json_payload(json.dumps({"\ud800": ["ok \U0001f600", "\udfff"]}).encode()) == {"\ufffd": ["ok \U0001f600", "\ufffd"]}


def test_json_that_cannot_be_read_record_by_record_is_refused_as_a_whole(corpus_dir):
    data = real(corpus_dir, BIORXIV_DETAILS)
    with pytest.raises(FeedError, match="not UTF-8 JSON"):  # RFC 8259: JSON is UTF-8; a stray byte is damage
        parse_feed_bytes("biorxiv", data.replace(b"Speciation", b"Sp\xe9ciation"))
    with pytest.raises(FeedError, match="nested too deeply"):
        parse_feed_bytes("biorxiv", b"[" * 100_000 + b"]" * 100_000)
    huge_number = data.replace(b'"version": "1"', b'"version": ' + b"9" * 5000, 1)
    records, errors = parse_with_errors("biorxiv", huge_number)
    assert len(records) == 7 and "'version' is a number" in str(errors[0])


def test_an_unforeseen_shape_is_a_record_error_not_a_traceback():
    def convert(item):
        return {"ok": item["id"].upper()}

    errors = []
    records = list(convert_items([{"id": "a"}, {"id": 3}, {}], convert, "item", errors.append))
    assert records == [{"ok": "A"}]
    assert [error.item for error in errors] == ["item #2", "item #3"]
    assert str(errors[0]).startswith(f"{UNFORESEEN_PREFIX} (AttributeError")
    assert str(errors[1]).startswith(f"{UNFORESEEN_PREFIX} (KeyError")


# ---------------------------------------------------------------- the WHO CSV export


def test_the_real_who_export_reads_without_a_single_false_alarm(corpus_dir):
    records, errors = parse_with_errors("who", real(corpus_dir, WHO_EXPORT))
    assert (len(records), errors) == (WHO_ROWS, [])


def test_a_who_field_over_the_csv_modules_limit_is_read(corpus_dir):
    _, name, build, _ = FEED_FAULTS["who field over 131,072 bytes"]
    records, errors = parse_with_errors("who", build(real(corpus_dir, name)))
    assert errors == [] and len(records) == WHO_ROWS
    assert len(records[4]["abstract"]) > 131_072


def test_a_who_field_over_our_limit_is_a_record_error(corpus_dir):
    _, name, build, _ = FEED_FAULTS["who field over the field limit"]
    records, errors = parse_with_errors("who", build(real(corpus_dir, name)))
    assert len(records) == WHO_ROWS - 1
    assert [error.item for error in errors] == ["line 6"]
    assert f"'Abstract' is {MAX_FIELD_CHARS + 1:,} characters long" in str(errors[0])


def test_a_latin1_byte_makes_its_row_a_record_error_naming_the_byte(corpus_dir):
    _, name, build, _ = FEED_FAULTS["who latin-1 byte"]
    records, errors = parse_with_errors("who", build(real(corpus_dir, name)))
    assert len(records) == WHO_ROWS - 1
    assert [error.item for error in errors] == ["line 8"]
    assert "bytes that are not UTF-8 (0xe9 at byte" in str(errors[0])


def test_an_unterminated_quote_is_reported_and_the_row_it_swallowed_is_kept(corpus_dir):
    original = real(corpus_dir, WHO_EXPORT)
    records, errors = parse_with_errors("who", who_unterminated_quote(original))
    assert [(error.item, str(error)) for error in errors] == [
        ("line 11", "an unterminated quote: a quoted field of this row is never closed")]
    clean = {record["source_id"]: record for record in parse_feed_bytes("who", original)}
    broken_row = list(clean)[9]
    assert [record["source_id"] for record in records] == [key for key in clean if key != broken_row]
    assert {record["source_id"]: record for record in records}[list(clean)[10]] == clean[list(clean)[10]]


def test_an_unterminated_quote_in_the_last_row_is_reported(corpus_dir):
    lines = real(corpus_dir, WHO_EXPORT).rstrip(b"\n").split(b"\n")
    records, errors = parse_with_errors("who", who_unterminated_quote(b"\n".join(lines), line=len(lines)))
    assert len(records) == WHO_ROWS - 1 and [error.item for error in errors] == [f"line {len(lines)}"]


def test_real_multi_line_fields_crlf_and_blank_lines_are_not_false_alarms(corpus_dir, tmp_path):
    lines = real(corpus_dir, WHO_EXPORT).split(b"\n")
    # a title over three lines whose last line, with the rest of the row, has the header's width and a key
    title, rest = lines[3].split(b",", 1)
    lines[3] = b'"' + title + b'\nsecond line\nthird line",' + rest
    lines.insert(6, b"")
    data = b"\r\n".join(lines)
    records, errors = parse_with_errors("who", data)
    assert errors == [] and len(records) == WHO_ROWS
    assert "second line" in records[2]["title"]
    assert account("who", data, tmp_path).problems() == []


def test_a_line_longer_than_a_record_may_be_is_skipped_unread(corpus_dir):
    lines = real(corpus_dir, WHO_EXPORT).split(b"\n")
    lines[4] = lines[4] + b"x" * (MAX_RECORD_BYTES + 10)
    records, errors = parse_with_errors("who", b"\n".join(lines))
    assert len(records) == WHO_ROWS - 1
    assert [error.item for error in errors] == ["line 5"] and "over the limit" in str(errors[0])


@pytest.mark.parametrize("change, message", [
    (lambda row: row + b",one more", "17 fields where the header has 16"),
    (lambda row: row.split(b",", 1)[1], "15 fields where the header has 16"),
    (lambda row: row.replace(b" ", b"\r", 1), "reads as 2 rows"),
])
def test_a_row_of_the_wrong_shape_is_a_record_error(corpus_dir, change, message):
    lines = real(corpus_dir, WHO_EXPORT).split(b"\n")
    lines[20] = change(lines[20])
    records, errors = parse_with_errors("who", b"\n".join(lines))
    assert len(records) == WHO_ROWS - 1
    assert [error.item for error in errors] == ["line 21"] and message in str(errors[0])


def test_the_pmc_oa_file_list_uses_the_same_reader(corpus_dir, tmp_path):
    name = "pmc_oa_file_list_excerpt_seanBr97.csv"
    lines = real(corpus_dir, name).split(b"\n")
    lines[1] = lines[1].replace(b"Lancet", b"L\xe9ncet")
    lines[2] = lines[2].replace(b",PMC7135076,", b',"PMC7135076,')
    data = b"\n".join(lines)
    records, errors = parse_with_errors("pmc", data)
    assert [record["source_id"] for record in records] == ["PMC7159286", "PMC7159299"]
    assert [error.item for error in errors] == ["line 2", "line 3"]
    assert account("pmc", data, tmp_path).problems() == []
    path = tmp_path / "oa_file_list.csv.gz"
    path.write_bytes(gzip.compress(data))
    errors = []
    assert len(list(iter_feed_records("pmc", str(path), on_error=errors.append))) == 2 and len(errors) == 2


def test_a_header_that_cannot_be_read_refuses_the_file(corpus_dir):
    data = real(corpus_dir, WHO_EXPORT)
    for broken in (b"\xe9" + data, b'"Title' + data, data.replace(b"Covidence #", b"Covidence", 1)):
        with pytest.raises(FeedError):
            parse_feed_bytes("who", broken)


# ---------------------------------------------------------------- XML feeds


def test_a_pubmed_record_with_a_huge_title_is_a_record_error(corpus_dir):
    data = real(corpus_dir, "pubmed/biopython_pubmed1.xml")
    title = data.index(b"<ArticleTitle>") + len(b"<ArticleTitle>")
    records, errors = parse_with_errors("pubmed", data[:title] + b"long title " * 100_000 + data[title:])
    assert [record["source_id"] for record in records] == ["9997"]
    assert [error.item for error in errors] == ["PubmedArticle #1"] and "the title is" in str(errors[0])


def test_pubmed_root_is_read_by_the_parser_whatever_the_prolog(corpus_dir):
    data = real(corpus_dir, "pubmed/biopython_pubmed1.xml")
    declaration_end = data.index(b"?>") + 2
    long_prolog = data[:declaration_end] + b"\n<!-- " + b"x" * 70_000 + b" -->\n" + data[declaration_end:]
    assert len(parse_feed_bytes("pubmed", long_prolog)) == 2
    with pytest.raises(FeedError, match="root element 'eFetchResult'"):
        parse_feed_bytes("pubmed", b"<eFetchResult>" + data[data.index(b"<PubmedArticleSet>"):] + b"</eFetchResult>")
    with pytest.raises(FeedError, match="no PubmedArticleSet"):
        parse_feed_bytes("pubmed", b"<html><body>Service unavailable</body></html>")


def test_a_pmc_articleset_is_known_by_its_root_in_utf8_or_utf16(corpus_dir):
    data = (corpus_dir / "jats/pmcoa_PMC7112410_lancet.nxml").read_bytes()
    body = data[data.index(b"<article "):].decode("utf-8")
    articleset = '<?xml version="1.0" encoding="UTF-16"?><pmc-articleset>' + body + "</pmc-articleset>"
    for codec in ("utf-16", "utf-16-le"):
        assert [record["source_id"] for record in parse_feed_bytes("pmc", articleset.encode(codec))] == ["PMC7112410"]
    for page in (b"<html><article><front/></article></html>", b"<html><body>Bad gateway</body></html>"):
        with pytest.raises(FeedError, match="not a PMC articleset"):
            parse_feed_bytes("pmc", page)
