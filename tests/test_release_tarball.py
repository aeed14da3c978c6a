"""document_parses.tar.gz in one gzip member per file: the same tar stream as one serial tarfile run."""
import gzip
import io
import tarfile

import pytest

from release.tarball import (TarEntry, file_member, plan_fragments, tree_entries, write_end_of_archive,
                             write_fragment)

FOLDERS = ("pdf_json", "pmc_json")


def serial_tar(files: dict[str, bytes]) -> bytes:
    """What tarfile writes for the tree, walked in sorted order with fixed metadata."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in tree_entries("document_parses", FOLDERS, [(p, len(d), p) for p, d in files.items()]):
            info = tarfile.TarInfo(entry.arcname)
            info.type = tarfile.DIRTYPE if entry.is_dir else tarfile.REGTYPE
            info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = (
                0o755 if entry.is_dir else 0o644), 0, 0, 0, "", ""
            info.size = entry.size or 0
            tar.addfile(info, None if entry.is_dir else io.BytesIO(files[entry.arcname]))
    return raw.getvalue()


def member_tarball(files: dict[str, bytes], per_fragment: int) -> bytes:
    members = {path: file_member(path, data) for path, data in files.items()}
    entries = tree_entries("document_parses", FOLDERS, [(p, len(d), p) for p, d in files.items()])
    out, raw_length = io.BytesIO(), 0
    for fragment in plan_fragments(entries, per_fragment):
        raw_length += write_fragment(out, fragment, lambda name: io.BytesIO(members[name]))
    write_end_of_archive(out, raw_length)
    return out.getvalue()


FILES = {
    "document_parses/pmc_json/PMC2.xml.json": b'{"paper_id": "PMC2"}' * 100,
    "document_parses/pdf_json/" + "b" * 40 + ".json": b"x" * 513,
    "document_parses/pdf_json/" + "a" * 40 + ".json": b"",
    "document_parses/pmc_json/" + "long-name-" * 12 + ".xml.json": "caf\u00e9".encode() * 3000,
}


@pytest.mark.parametrize("per_fragment", [1, 2, 1000])
def test_members_decompress_to_the_serial_tar_stream(per_fragment):
    tarball = member_tarball(FILES, per_fragment)
    assert gzip.decompress(tarball) == serial_tar(FILES)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        assert {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()} == FILES


def test_the_tarball_does_not_depend_on_the_order_files_come_in_or_how_it_is_cut():
    assert member_tarball(FILES, 2) == member_tarball(dict(reversed(list(FILES.items()))), 3)


def test_empty_folders_are_still_in_the_tarball():
    tarball = member_tarball({}, 2)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        assert tar.getnames() == ["document_parses", "document_parses/pdf_json", "document_parses/pmc_json"]


def test_a_file_outside_the_known_folders_is_refused():
    with pytest.raises(ValueError, match="not inside"):
        tree_entries("document_parses", FOLDERS, [("document_parses/other/x.json", 1, "m")])
    with pytest.raises(ValueError, match="not inside"):
        tree_entries("document_parses", FOLDERS, [("elsewhere/pdf_json/x.json", 1, "m")])


def test_a_file_without_its_member_is_refused():
    with pytest.raises(ValueError, match="no compressed member"):
        write_fragment(io.BytesIO(), [TarEntry("document_parses/pdf_json/x.json", 3)], lambda name: io.BytesIO())
