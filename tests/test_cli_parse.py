"""`cord19 parse`: output files, failures.jsonl (dead letters), exit codes, what it imports.

Kind detection by content is tested in tests/test_documents.py."""
import json
import logging
import shutil

from parsers.jats import parse_jats
from pipeline.cli import main
from schemas import schema_errors
from schemas.records import paper_json_bytes
from tests.support.cli_imports import run_reporting_imports

SMALL_ARTICLE = (b'<?xml version="1.0"?><article><front><article-meta>'
                 b'<article-id pub-id-type="pmc">PMC42</article-id></article-meta></front>'
                 b"<body><p>Hello.</p></body></article>")


def read_failures(out_dir) -> list[dict]:
    path = out_dir / "failures.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_parse_corpus_folder(corpus_dir, tmp_path, caplog):
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO, logger="pipeline.commands.parse"):
        code = main(["parse", str(corpus_dir / "jats"), "--out", str(out)])
    assert code == 1
    written = sorted(p.name for p in (out / "pmc_json").iterdir())
    assert "PMC7112410.xml.json" in written
    assert "elifetools_simple-jats-doctype-1.1.xml.json" in written
    assert len(written) == len(list((corpus_dir / "jats").iterdir())) - 1
    for name in written:
        paper = json.loads((out / "pmc_json" / name).read_text(encoding="utf-8"))
        assert schema_errors("pmc_json", paper) == []
        assert name == f"{paper['paper_id']}.xml.json"
    source = (corpus_dir / "jats" / "pmcoa_PMC7159286_lancet.nxml").read_bytes()
    assert (out / "pmc_json" / "PMC7159286.xml.json").read_bytes() == paper_json_bytes(parse_jats(source).paper)
    failures = read_failures(out)
    assert failures == [{
        "schema_version": "1", "stage": "parse",
        "input": str(corpus_dir / "jats" / "odd_git_lfs_pointer_PMC3258128.xml"), "source": None, "error": "GitLfsPointerError", "reason": "git_lfs_pointer",
        "message": "the input is a Git-LFS pointer, not the file it points to"}]
    assert all(schema_errors("dead_letter", failure) == [] for failure in failures)
    summaries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("parse:")]
    assert len(summaries) == 1 and "1 failed" in summaries[0]


def test_all_inputs_parse_exit_zero_and_no_failures_file(tmp_path):
    (tmp_path / "a.xml").write_bytes(SMALL_ARTICLE)
    (tmp_path / "no_pmcid.nxml").write_bytes(SMALL_ARTICLE.replace(b"PMC42", b""))
    out = tmp_path / "out"
    assert main(["parse", str(tmp_path / "a.xml"), str(tmp_path / "no_pmcid.nxml"), "--out", str(out)]) == 0
    assert sorted(p.name for p in (out / "pmc_json").iterdir()) == ["PMC42.xml.json", "no_pmcid.xml.json"]
    assert json.loads((out / "pmc_json" / "no_pmcid.xml.json").read_text())["paper_id"] == "no_pmcid"
    assert not (out / "failures.jsonl").exists()


def test_failures_name_their_reason_and_are_appended(tmp_path, corpus_dir):
    inputs = {
        "empty.xml": b"",
        "broken.xml": b"<article><front>",
        "page.html": b"<html><body>hi</body></html>",
        "notes.txt": b"plain words",
        "bomb.xml": b'<!DOCTYPE a [<!ENTITY x "y">]><article><front/></article>',
    }
    for name, data in inputs.items():
        (tmp_path / name).write_bytes(data)
    pdf = tmp_path / "paper.pdf"
    shutil.copyfile(corpus_dir / "pdf" / "pdfminer_encryption_rc4-40.pdf", pdf)
    args = ["parse", *[str(tmp_path / name) for name in inputs], str(pdf), "--out", str(tmp_path / "out")]
    assert main(args) == 1
    first = {record["input"].rsplit("/", 1)[1]: record["reason"] for record in read_failures(tmp_path / "out")}
    assert first == {"empty.xml": "empty_input", "broken.xml": "not_xml", "page.html": "not_jats",
                     "notes.txt": "unknown_input_kind", "bomb.xml": "unsafe_xml",
                     "paper.pdf": "pdf_encrypted"}
    assert main(args) == 1
    assert len(read_failures(tmp_path / "out")) == 2 * len(first)


def test_missing_input_is_a_failure_not_a_crash(tmp_path):
    assert main(["parse", str(tmp_path / "nope.xml"), "--out", str(tmp_path / "out")]) == 1
    [record] = read_failures(tmp_path / "out")
    assert (record["error"], record["reason"]) == ("FileNotFoundError", "unreadable_input")


def test_parse_never_imports_apache_beam_or_pyarrow(tmp_path, corpus_dir):
    (tmp_path / "a.xml").write_bytes(SMALL_ARTICLE)
    (tmp_path / "broken.xml").write_bytes(b"<article><front>")
    shutil.copyfile(corpus_dir / "pdf" / "grobid_two_pages.pdf", tmp_path / "paper.pdf")
    out = tmp_path / "out"
    inputs = [str(tmp_path / name) for name in ("a.xml", "broken.xml", "paper.pdf")]
    report = run_reporting_imports(["parse", *inputs, "--out", str(out)], ("apache_beam", "pyarrow"))
    assert report == {"code": 1, "loaded": []}
    assert (out / "pmc_json" / "PMC42.xml.json").is_file()
    assert len(list((out / "pdf_json").iterdir())) == 1
    assert [record["reason"] for record in read_failures(out)] == ["not_xml"]


def test_tei_output_names_keep_the_whole_stem(corpus_dir, tmp_path):
    tei = corpus_dir / "tei"
    shutil.copy(tei / "grobidclient_0046d83a-edd6-4631-b57c-755cdcce8b7f.tei.xml", tmp_path / "2020.acl-main.207.tei.xml")
    shutil.copy(tei / "sandcrawler_23b29ea36382680716be08fc71aa81bd226e8a85.tei.xml", tmp_path / "2020.acl-main.208.tei.xml")
    out = tmp_path / "out"
    assert main(["parse", str(tmp_path / "2020.acl-main.207.tei.xml"), str(tmp_path / "2020.acl-main.208.tei.xml"),
                 str(tei / "grobidclientgo_062RoisinAronAmericanNaturalist03.grobid.tei.xml"), "--out", str(out)]) == 0
    assert sorted(p.name for p in (out / "pdf_json").iterdir()) == [
        "2020.acl-main.207.json", "2020.acl-main.208.json", "grobidclientgo_062RoisinAronAmericanNaturalist03.grobid.json"]
    paper = json.loads((out / "pdf_json" / "2020.acl-main.207.json").read_text(encoding="utf-8"))
    assert paper["paper_id"] == "2020.acl-main.207"
    assert paper["metadata"]["title"].startswith("Multi-contact functional electrical stimulation")


def test_two_inputs_with_one_output_name_are_a_failure(corpus_dir, tmp_path):
    tei = corpus_dir / "tei"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(tei / "grobidclient_0046d83a-edd6-4631-b57c-755cdcce8b7f.tei.xml", tmp_path / "a" / "paper.tei.xml")
    shutil.copy(tei / "sandcrawler_23b29ea36382680716be08fc71aa81bd226e8a85.tei.xml", tmp_path / "b" / "paper.tei.xml")
    out = tmp_path / "out"
    assert main(["parse", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == 1
    kept = json.loads((out / "pdf_json" / "paper.json").read_text(encoding="utf-8"))
    assert kept["metadata"]["title"].startswith("Multi-contact functional electrical stimulation")
    failures = read_failures(out)
    assert [(f["input"], f["error"], f["reason"]) for f in failures] == [
        (str(tmp_path / "b" / "paper.tei.xml"), "OutputNameCollisionError", "output_name_collision")]
    assert str(tmp_path / "a" / "paper.tei.xml") in failures[0]["message"]
    assert schema_errors("dead_letter", failures[0]) == []
