"""Safe tarball reading: hostile members, bombs, cut or corrupt gzip streams are refused; good archives read exactly."""
import gzip
import io
import tarfile
import time
import zlib
from pathlib import Path

import pytest

from release.errors import CorruptArchiveError, UnsafeArchiveError
from release.safe_tar import ArchiveLimits, extract_tarball_safely, iter_tarball_files
from tests.support.hostile_archives import (
    cut_gzip_trailer,
    flip_gzip_crc,
    tar_bytes,
    tar_member,
    write_gzip_bomb,
    write_gzip_members,
    write_tarball,
)

GOOD_MEMBERS = [
    tar_member("document_parses/pdf_json/a.json", b'{"paper_id": "a"}'),
    tar_member("./document_parses/pmc_json/PMC1.xml.json", b'{"paper_id": "PMC1"}'),
]
GOOD_FILES = {
    "document_parses/pdf_json/a.json": b'{"paper_id": "a"}',
    "document_parses/pmc_json/PMC1.xml.json": b'{"paper_id": "PMC1"}',
}


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_extracts_a_good_archive(tmp_path: Path) -> None:
    tarball = write_tarball(tmp_path / "good.tar.gz", GOOD_MEMBERS)
    names = extract_tarball_safely(tarball, tmp_path / "out")
    assert names == sorted(GOOD_FILES)
    assert (tmp_path / "out/document_parses/pmc_json/PMC1.xml.json").read_bytes() == b'{"paper_id": "PMC1"}'


def test_iterates_a_good_archive_from_a_path_or_a_file_object(tmp_path: Path) -> None:
    tarball = write_tarball(tmp_path / "good.tar.gz", GOOD_MEMBERS)
    assert dict(iter_tarball_files(tarball)) == GOOD_FILES
    assert dict(iter_tarball_files(io.BytesIO(tarball.read_bytes()))) == GOOD_FILES
    plain = write_tarball(tmp_path / "good.tar", GOOD_MEMBERS, mode="w")
    assert dict(iter_tarball_files(plain)) == GOOD_FILES


def gzip_member_ends(data: bytes) -> list[int]:
    """The offset just past each gzip member of `data`."""
    ends, offset = [], 0
    while offset < len(data):
        inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        inflate.decompress(data[offset:])
        offset = len(data) - len(inflate.unused_data)
        ends.append(offset)
    return ends


def test_concatenated_gzip_members_as_release_tarball_writes_them(tmp_path: Path) -> None:
    tarball = write_gzip_members(tmp_path / "members.tar.gz", tar_bytes(GOOD_MEMBERS))
    assert len(gzip_member_ends(tarball.read_bytes())) > 3
    assert dict(iter_tarball_files(tarball)) == GOOD_FILES
    assert extract_tarball_safely(tarball, tmp_path / "out") == sorted(GOOD_FILES)
    with tarfile.open(tarball, "r:gz") as reference:  # the same tarball as Python's own reader sees it
        assert sorted(m.name.removeprefix("./") for m in reference if m.isfile()) == sorted(GOOD_FILES)


def test_every_gzip_member_trailer_is_verified(tmp_path: Path) -> None:
    tarball = write_gzip_members(tmp_path / "members.tar.gz", tar_bytes(GOOD_MEMBERS))
    data = bytearray(tarball.read_bytes())
    data[gzip_member_ends(bytes(data))[0] - 8] ^= 0x01  # the CRC-32 of the first member only
    tarball.write_bytes(bytes(data))
    with pytest.raises(CorruptArchiveError, match="incorrect data check"):
        list(iter_tarball_files(tarball))
    with pytest.raises(CorruptArchiveError, match="incorrect data check"):
        extract_tarball_safely(tarball, tmp_path / "out")
    assert files_under(tmp_path / "out") == []


@pytest.mark.parametrize("damage", [cut_gzip_trailer, flip_gzip_crc])
def test_a_cut_or_corrupt_gzip_trailer_refuses_the_archive(tmp_path: Path, damage) -> None:
    tarball = damage(write_tarball(tmp_path / "damaged.tar.gz", GOOD_MEMBERS))
    with tarfile.open(tarball, "r|gz") as lenient:  # tarfile's own stream reader does not notice
        assert sorted(m.name.removeprefix("./") for m in lenient if m.isfile()) == sorted(GOOD_FILES)
    with pytest.raises(CorruptArchiveError):
        list(iter_tarball_files(tarball))
    with pytest.raises(CorruptArchiveError):
        extract_tarball_safely(tarball, tmp_path / "out")
    assert files_under(tmp_path / "out") == []


def test_bytes_after_the_last_member(tmp_path: Path) -> None:
    tarball = write_tarball(tmp_path / "t.tar.gz", GOOD_MEMBERS)
    padded = tmp_path / "padded.tar.gz"
    padded.write_bytes(tarball.read_bytes() + b"\0" * 1000)  # NUL padding, as tape tools write: accepted
    assert dict(iter_tarball_files(padded)) == GOOD_FILES
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(tarball.read_bytes() + b"not gzip")
    with pytest.raises(CorruptArchiveError, match="not another gzip member"):
        list(iter_tarball_files(garbage))


def test_a_small_tarball_holding_a_huge_member_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    bomb = write_gzip_bomb(tmp_path / "bomb.tar.gz", "document_parses/pdf_json/huge.json")
    assert bomb.stat().st_size < 1_700_000
    with tarfile.open(bomb, "r:gz") as reference:  # a real 1.5 GiB member to any tar reader
        assert reference.next().size == 1536 * 1024 * 1024
    started = time.monotonic()
    with pytest.raises(UnsafeArchiveError, match="decompression bomb"):
        extract_tarball_safely(bomb, tmp_path / "out")
    with pytest.raises(UnsafeArchiveError, match="decompression bomb"):
        list(iter_tarball_files(bomb))
    assert time.monotonic() - started < 5
    assert files_under(tmp_path / "out") == []


def test_the_bytes_actually_decompressed_are_bounded_too(tmp_path: Path) -> None:
    # Small declared members, then 40 MiB of zeros after the end of the tar stream.
    tarball = write_tarball(tmp_path / "t.tar", GOOD_MEMBERS, mode="w")
    stuffed = tmp_path / "stuffed.tar.gz"
    stuffed.write_bytes(gzip.compress(tarball.read_bytes() + b"\0" * (40 * 1024 * 1024), 9))
    with pytest.raises(UnsafeArchiveError, match="decompression bomb"):
        list(iter_tarball_files(stuffed))
    generous = ArchiveLimits(max_expansion=1000.0)
    assert dict(iter_tarball_files(stuffed, generous)) == GOOD_FILES


def test_budget_bounds_are_configurable(tmp_path: Path) -> None:
    tarball = write_tarball(tmp_path / "t.tar.gz", [tar_member("a", b"x" * 100), tar_member("b", b"y" * 100)])
    tight = ArchiveLimits(max_expansion=1.0, slack_bytes=150)
    with pytest.raises(UnsafeArchiveError, match="decompression bomb"):
        extract_tarball_safely(tarball, tmp_path / "o1", tight)
    assert files_under(tmp_path / "o1") == []
    with pytest.raises(UnsafeArchiveError, match="more than 1 members"):
        list(iter_tarball_files(tarball, ArchiveLimits(max_members=1)))
    with pytest.raises(UnsafeArchiveError, match="over the 50 read into memory"):
        list(iter_tarball_files(tarball, ArchiveLimits(max_file_bytes=50)))
    assert extract_tarball_safely(tarball, tmp_path / "o3", ArchiveLimits(max_file_bytes=50)) == ["a", "b"]


HOSTILE = {
    "dotdot": tar_member("document_parses/../../escaped.json", b"x"),
    "leading_dotdot": tar_member("../escaped.json", b"x"),
    "absolute": tar_member("/tmp/escaped.json", b"x"),
    "symlink": tar_member("document_parses/pdf_json/link.json", kind=tarfile.SYMTYPE, link="/etc/passwd"),
    "hardlink": tar_member("document_parses/pdf_json/hard.json", kind=tarfile.LNKTYPE, link="/etc/passwd"),
    "backslash": tar_member("..\\escaped.json", b"x"),
    "char_device": tar_member("document_parses/pdf_json/null.json", kind=tarfile.CHRTYPE),
    "block_device": tar_member("document_parses/pdf_json/disk.json", kind=tarfile.BLKTYPE),
    "fifo": tar_member("document_parses/pdf_json/fifo.json", kind=tarfile.FIFOTYPE),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_member_refuses_the_whole_archive(tmp_path: Path, case: str) -> None:
    tarball = write_tarball(tmp_path / "bad.tar.gz", GOOD_MEMBERS + [HOSTILE[case]])
    out = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError):
        extract_tarball_safely(tarball, out)
    assert files_under(out) == []
    assert not (tmp_path / "escaped.json").exists()
    with pytest.raises(UnsafeArchiveError):
        list(iter_tarball_files(tarball))


def test_oversized_extended_header_is_refused(tmp_path: Path) -> None:
    info, data = tar_member("a", b"1")
    info.pax_headers = {"comment": "x" * (2 * 1024 * 1024)}
    path = tmp_path / "pax.tar"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(UnsafeArchiveError, match="extended tar header"):
        list(iter_tarball_files(path))
    with pytest.raises(UnsafeArchiveError, match="extended tar header"):
        extract_tarball_safely(path, tmp_path / "out")


def test_duplicate_file_is_refused(tmp_path: Path) -> None:
    tarball = write_tarball(tmp_path / "dup.tar.gz", [tar_member("a", b"1"), tar_member("a", b"2")])
    with pytest.raises(UnsafeArchiveError, match="duplicate"):
        extract_tarball_safely(tarball, tmp_path / "out")


def test_a_file_then_a_folder_of_the_same_name_is_refused(tmp_path: Path) -> None:
    tarball = write_tarball(tmp_path / "clash.tar.gz", [tar_member("a", b"1"), tar_member("a/b", b"2")])
    with pytest.raises(UnsafeArchiveError, match="folder where a file"):
        extract_tarball_safely(tarball, tmp_path / "out")
    assert not (tmp_path / "out/a").exists()


def test_symlinked_folder_inside_destination_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "document_parses").symlink_to(outside, target_is_directory=True)
    tarball = write_tarball(tmp_path / "t.tar.gz", [tar_member("document_parses/x.json", b"x")])
    with pytest.raises(UnsafeArchiveError, match="outside"):
        extract_tarball_safely(tarball, dest)
    assert list(outside.iterdir()) == []


def test_truncated_and_non_tar_inputs(tmp_path: Path) -> None:
    tarball = write_tarball(tmp_path / "good.tar.gz", [tar_member("a", b"z" * 200_000)])
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(tarball.read_bytes()[:-200])
    with pytest.raises(CorruptArchiveError):
        extract_tarball_safely(truncated, tmp_path / "out")
    assert not (tmp_path / "out/a").exists()
    for junk_bytes in (b"this is not an archive at all" * 40, b"", b"\x1f\x8bnot really gzip"):
        junk = tmp_path / "junk.tar.gz"
        junk.write_bytes(junk_bytes)
        with pytest.raises(CorruptArchiveError):
            list(iter_tarball_files(junk))
