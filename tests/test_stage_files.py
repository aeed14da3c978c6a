"""pipeline/stages/files.py on a local disk: a copy is its own file, sizes come from the disk."""
import pytest

from pipeline.stages import files


def test_a_copy_holds_the_bytes_and_replaces_what_was_there(tmp_path):
    source, destination = tmp_path / "cache" / "a.json", tmp_path / "staging" / "sub" / "a.json"
    source.parent.mkdir()
    source.write_bytes(b"parse")
    files.copy(str(source), str(destination))
    assert destination.read_bytes() == b"parse"
    other = tmp_path / "cache" / "b.json"
    other.write_bytes(b"another parse")
    files.copy(str(other), str(destination))
    assert destination.read_bytes() == b"another parse" and source.read_bytes() == b"parse"


def test_a_source_changed_in_place_never_changes_its_copy(tmp_path):
    source, destination = tmp_path / "a.json", tmp_path / "copy" / "a.json"
    source.write_bytes(b"first")
    files.copy(str(source), str(destination))
    with open(source, "r+b") as handle:  # same inode, as `cp` over a cache file would do
        handle.write(b"SECOND")
    assert destination.read_bytes() == b"first" and source.read_bytes() == b"SECOND"


def test_a_missing_source_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        files.copy(str(tmp_path / "missing.json"), str(tmp_path / "out" / "a.json"))


def test_size_of_a_local_file_and_of_a_missing_one(tmp_path):
    (tmp_path / "a.xml").write_bytes(b"x" * 1234)
    assert files.size(str(tmp_path / "a.xml")) == 1234
    with pytest.raises(FileNotFoundError):
        files.size(str(tmp_path / "missing.xml"))
