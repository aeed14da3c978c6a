"""document_parses.tar.gz in gzip members: the same tar stream as one serial tarfile run."""
import gzip
import io
import tarfile

import pytest

from release.tarball import (TarEntry, plan_fragments, tree_entries, write_end_of_archive, write_fragment)

FOLDERS = ("pdf_json", "pmc_json")


def serial_tar(files: dict[str, bytes]) -> bytes:
    """What tarfile writes for the tree, walked in sorted order with fixed metadata."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in tree_entries("document_parses", FOLDERS, [(p, len(d)) for p, d in files.items()]):
            info = tarfile.TarInfo(entry.arcname)
            info.type = tarfile.DIRTYPE if entry.is_dir else tarfile.REGTYPE
            info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = (
                0o755 if entry.is_dir else 0o644), 0, 0, 0, "", ""
            info.size = entry.size or 0
            tar.addfile(info, None if entry.is_dir else io.BytesIO(files[entry.arcname]))
    return raw.getvalue()


def fragmented_tarball(files: dict[str, bytes], fragment_bytes: int) -> bytes:
    entries = tree_entries("document_parses", FOLDERS, [(p, len(d)) for p, d in files.items()])
    out, raw_length = io.BytesIO(), 0
    for fragment in plan_fragments(entries, fragment_bytes):
        raw_length += write_fragment(out, fragment, lambda name: io.BytesIO(files[name]))
    write_end_of_archive(out, raw_length)
    return out.getvalue()


FILES = {
    "document_parses/pmc_json/PMC2.xml.json": b'{"paper_id": "PMC2"}' * 100,
    "document_parses/pdf_json/" + "b" * 40 + ".json": b"x" * 513,
    "document_parses/pdf_json/" + "a" * 40 + ".json": b"",
    "document_parses/pmc_json/" + "long-name-" * 12 + ".xml.json": "caf\u00e9".encode() * 3000,
}


@pytest.mark.parametrize("fragment_bytes", [1, 2048, 10**9])
def test_fragments_decompress_to_the_serial_tar_stream(fragment_bytes):
    tarball = fragmented_tarball(FILES, fragment_bytes)
    assert gzip.decompress(tarball) == serial_tar(FILES)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        assert {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()} == FILES


def test_the_tarball_does_not_depend_on_who_compresses_which_fragment():
    assert fragmented_tarball(FILES, 2048) == fragmented_tarball(dict(reversed(list(FILES.items()))), 2048)


def test_empty_folders_are_still_in_the_tarball():
    tarball = fragmented_tarball({}, 2048)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        assert tar.getnames() == ["document_parses", "document_parses/pdf_json", "document_parses/pmc_json"]


def test_a_file_outside_the_known_folders_is_refused():
    with pytest.raises(ValueError, match="not inside"):
        tree_entries("document_parses", FOLDERS, [("document_parses/other/x.json", 1)])


def test_a_file_shorter_than_listed_fails():
    entries = [TarEntry("document_parses/pdf_json/x.json", 10)]
    with pytest.raises(OSError, match="shorter"):
        write_fragment(io.BytesIO(), entries, lambda name: io.BytesIO(b"abc"))
