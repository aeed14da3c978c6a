"""Safe tarball reading: hostile members are refused, good archives extract exactly."""
import io
import tarfile
from pathlib import Path

import pytest

from release.errors import CorruptArchiveError, UnsafeArchiveError
from release.safe_tar import extract_tarball_safely, iter_tarball_files


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _link(name: str, target: str, kind: bytes) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def _write_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


GOOD_MEMBERS = [
    _file("document_parses/pdf_json/a.json", b'{"paper_id": "a"}'),
    _file("./document_parses/pmc_json/PMC1.xml.json", b'{"paper_id": "PMC1"}'),
]


def test_extracts_a_good_archive(tmp_path: Path) -> None:
    tarball = _write_tar(tmp_path / "good.tar.gz", GOOD_MEMBERS)
    names = extract_tarball_safely(tarball, tmp_path / "out")
    assert names == ["document_parses/pdf_json/a.json", "document_parses/pmc_json/PMC1.xml.json"]
    assert (tmp_path / "out/document_parses/pmc_json/PMC1.xml.json").read_bytes() == b'{"paper_id": "PMC1"}'


def test_iterates_a_good_archive(tmp_path: Path) -> None:
    tarball = _write_tar(tmp_path / "good.tar.gz", GOOD_MEMBERS)
    assert dict(iter_tarball_files(tarball)) == {
        "document_parses/pdf_json/a.json": b'{"paper_id": "a"}',
        "document_parses/pmc_json/PMC1.xml.json": b'{"paper_id": "PMC1"}',
    }


HOSTILE = {
    "dotdot": _file("document_parses/../../escaped.json", b"x"),
    "leading_dotdot": _file("../escaped.json", b"x"),
    "absolute": _file("/tmp/escaped.json", b"x"),
    "symlink": _link("document_parses/pdf_json/link.json", "/etc/passwd", tarfile.SYMTYPE),
    "hardlink": _link("document_parses/pdf_json/hard.json", "/etc/passwd", tarfile.LNKTYPE),
    "backslash": _file("..\\escaped.json", b"x"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_member_refuses_the_whole_archive(tmp_path: Path, case: str) -> None:
    tarball = _write_tar(tmp_path / "bad.tar.gz", GOOD_MEMBERS + [HOSTILE[case]])
    out = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError):
        extract_tarball_safely(tarball, out)
    assert [p for p in out.rglob("*") if p.is_file()] == []
    assert not (tmp_path / "escaped.json").exists()
    with pytest.raises(UnsafeArchiveError):
        list(iter_tarball_files(tarball))


def test_device_member_is_refused(tmp_path: Path) -> None:
    info = tarfile.TarInfo("document_parses/fifo")
    info.type = tarfile.FIFOTYPE
    tarball = _write_tar(tmp_path / "fifo.tar", [(info, None)])
    with pytest.raises(UnsafeArchiveError, match="not a regular file"):
        extract_tarball_safely(tarball, tmp_path / "out")


def test_size_bounds(tmp_path: Path) -> None:
    tarball = _write_tar(tmp_path / "big.tar.gz", [_file("a", b"x" * 100), _file("b", b"y" * 100)])
    with pytest.raises(UnsafeArchiveError, match="over the 50 limit"):
        extract_tarball_safely(tarball, tmp_path / "o1", max_member_bytes=50)
    with pytest.raises(UnsafeArchiveError, match="more than 150 bytes"):
        extract_tarball_safely(tarball, tmp_path / "o2", max_total_bytes=150)
    with pytest.raises(UnsafeArchiveError, match="more than 1 members"):
        list(iter_tarball_files(tarball, max_members=1))
    assert extract_tarball_safely(tarball, tmp_path / "o3", max_total_bytes=200) == ["a", "b"]


def test_oversized_extended_header_is_refused(tmp_path: Path) -> None:
    info, data = _file("a", b"1")
    info.pax_headers = {"comment": "x" * (2 * 1024 * 1024)}
    path = tmp_path / "pax.tar"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(UnsafeArchiveError, match="extended tar header"):
        list(iter_tarball_files(path))
    with pytest.raises(UnsafeArchiveError, match="extended tar header"):
        extract_tarball_safely(path, tmp_path / "out")


def test_duplicate_file_is_refused(tmp_path: Path) -> None:
    tarball = _write_tar(tmp_path / "dup.tar.gz", [_file("a", b"1"), _file("a", b"2")])
    with pytest.raises(UnsafeArchiveError, match="duplicate"):
        extract_tarball_safely(tarball, tmp_path / "out")


def test_a_file_then_a_folder_of_the_same_name_is_refused(tmp_path: Path) -> None:
    tarball = _write_tar(tmp_path / "clash.tar.gz", [_file("a", b"1"), _file("a/b", b"2")])
    with pytest.raises(UnsafeArchiveError, match="folder where a file"):
        extract_tarball_safely(tarball, tmp_path / "out")
    assert not (tmp_path / "out/a").exists()


def test_symlinked_folder_inside_destination_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "document_parses").symlink_to(outside, target_is_directory=True)
    tarball = _write_tar(tmp_path / "t.tar.gz", [_file("document_parses/x.json", b"x")])
    with pytest.raises(UnsafeArchiveError, match="outside"):
        extract_tarball_safely(tarball, dest)
    assert list(outside.iterdir()) == []


def test_truncated_and_non_tar_inputs(tmp_path: Path) -> None:
    tarball = _write_tar(tmp_path / "good.tar.gz", [_file("a", b"z" * 200_000)])
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(tarball.read_bytes()[:-200])
    with pytest.raises(CorruptArchiveError):
        extract_tarball_safely(truncated, tmp_path / "out")
    assert not (tmp_path / "out/a").exists()
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"this is not an archive at all" * 40)
    with pytest.raises(CorruptArchiveError):
        list(iter_tarball_files(junk))
