"""schemas/files.py: the one file checksum (of a path and of a stream) and the one atomic write."""
import hashlib
import io

import pytest

from schemas.files import BLOCK_SIZE, atomic_write_bytes, sha256_file, sha256_stream

DATA = b"x" * (BLOCK_SIZE + 17)  # more than one block


def test_sha256_of_a_stream_and_of_a_file_agree_with_hashlib(tmp_path):
    path = tmp_path / "data.bin"
    atomic_write_bytes(path, DATA)
    expected = hashlib.sha256(DATA).hexdigest()
    assert sha256_file(path) == expected
    assert sha256_stream(io.BytesIO(DATA)) == (len(DATA), expected)
    assert sha256_stream(io.BytesIO(b"")) == (0, hashlib.sha256(b"").hexdigest())


def test_an_atomic_write_that_fails_leaves_nothing_behind(tmp_path):
    with pytest.raises(TypeError):
        atomic_write_bytes(tmp_path / "out.bin", "not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
