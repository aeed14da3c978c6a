"""The local store: objects appear whole, through `.partial-` temporary files (S3 is tested with publish)."""
from pathlib import Path

import pytest

from release.storage import PARTIAL_PREFIX, LocalStorage


class Interrupted(Exception):
    pass


def test_a_local_object_appears_only_when_written_whole(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    with pytest.raises(Interrupted):
        with storage.open_upload("d/object.bin", None, {}) as out:
            out.write(b"half")
            assert [p.name.startswith(f"{PARTIAL_PREFIX}object.bin.") for p in (tmp_path / "d").iterdir()] == [True]
            assert storage.list_keys("d/") == []
            raise Interrupted
    assert list((tmp_path / "d").iterdir()) == []
    storage.write_bytes("d/object.bin", b"whole", {"sha256": "x"})
    assert storage.read_bytes("d/object.bin") == b"whole"
    assert storage.stat("d/object.bin").metadata == {"sha256": "x"}
    assert storage.list_keys("d/") == ["d/object.bin"]
