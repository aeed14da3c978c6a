"""release/embeddings.py and release/embedding_models.py: the lexical default, a tiny real model, the file formats."""
import gzip
import io
import tarfile
import zlib

import numpy as np
import pytest

from release.embedding_models import (
    HASHING_VERSION,
    SENTENCE_TRANSFORMERS,
    TRANSFORMERS,
    EmbeddingModelError,
    HashingModel,
    load_model,
    resolve_model,
)
from release.embeddings import (
    EmbeddingPart,
    PreviousVectors,
    chunk_lines,
    csv_length_bound,
    csv_name,
    csv_row,
    csv_rows,
    ends_chunk,
    first_member_length,
    member_chunks,
    part_files,
    part_number,
    rows_sha256,
    write_parquet,
    write_tarball,
)
from release.folders import LocalFolder

TITLE = "Remdesivir in adults with severe COVID-19"
ABSTRACT = "A randomised, double-blind, placebo-controlled, multicentre trial of remdesivir."
REAL_CSV = "cord19/hf_datasets_dummy_2020-11-29/cord_19_embeddings_2020-11-29.csv"


def test_the_default_model_is_lexical_deterministic_and_unit_length():
    spec = resolve_model("hashing-768")
    assert (spec.kind, spec.revision, spec.dimensions) == ("hashing", HASHING_VERSION, 768)
    model = load_model(spec)
    first, again = model.encode([(TITLE, ABSTRACT)]), HashingModel().encode([(TITLE, ABSTRACT)])
    assert first.dtype == np.float32 and first.shape == (1, 768)
    assert first.tobytes() == again.tobytes()
    assert np.linalg.norm(first[0]) == pytest.approx(1.0, abs=1e-6)
    near, far = model.encode([(TITLE.upper(), ABSTRACT + " Results."), ("Bat ecology", "Caves and wings.")])
    assert float(first[0] @ near) > 0.8 > float(first[0] @ far)


def test_an_empty_abstract_embeds_the_title_and_no_text_gives_the_zero_vector():
    model = HashingModel()
    title_only, with_title_twice, nothing = model.encode([(TITLE, ""), ("", TITLE), ("", "")])
    assert np.linalg.norm(title_only) == pytest.approx(1.0, abs=1e-6)
    assert title_only.tobytes() == with_title_twice.tobytes()  # features of title and abstract are pooled
    assert not nothing.any()


def test_a_model_name_that_names_nothing_is_a_clear_error():
    with pytest.raises(EmbeddingModelError):
        resolve_model("hashing-x")


def test_part_numbers_never_decrease_with_the_cord_uid():
    uids = sorted(["00000000", "0zzzzzzz", "a1b2c3d4", "ug7v899j", "zzzzzzzz", "ZZ", "~~"])
    numbers = [part_number(uid) for uid in uids]
    assert numbers == sorted(numbers) and len(set(numbers)) > 3


def real_fields(corpus_dir):
    path = corpus_dir / REAL_CSV
    if not path.is_file():
        pytest.skip("the real CORD-19 embeddings CSV is not in the corpus")
    return path.read_bytes()


def floats_print_as_widened_float32(fields: list[str]) -> bool:
    return all(repr(float(np.float32(float(value)))) == value for value in fields)


def test_our_csv_rows_have_the_real_files_shape_and_float_formatting(corpus_dir):
    real = real_fields(corpus_dir)
    assert not real.endswith(b"\n")  # the real file ends without a newline; so does ours (write_tarball)
    real_row = real.decode().split("\n")[0].split(",")
    assert len(real_row) == 769 and floats_print_as_widened_float32(real_row[1:])
    vector = np.array([float(value) for value in real_row[1:]], dtype=np.float32)
    assert csv_row(real_row[0], vector) == ",".join(real_row)  # the real row, written back byte for byte
    assert csv_rows([real_row[0]], vector[None, :]) == ",".join(real_row)
    ours = csv_row("abcd1234", HashingModel().vector(TITLE, ABSTRACT)).split(",")
    assert len(ours) == 769 and floats_print_as_widened_float32(ours[1:])


def test_a_parts_rows_formatted_at_once_are_the_repr_of_every_float():
    """csv_rows (Arrow) against csv_row (Python's repr, float by float): random float32 bit patterns, many scales and
    the notation switches (whole numbers, below 1e-4, from 1e6 on, inf, nan, -0.0)."""
    rng = np.random.default_rng(11)
    bits = rng.integers(0, 2**32, size=(200, 768), dtype=np.uint64).astype(np.uint32).view(np.float32)
    scaled = [(rng.standard_normal((40, 768)) * scale).astype(np.float32) for scale in (1e-6, 1e-3, 1, 1e3, 1e6, 1e12)]
    edges = np.zeros((1, 768), dtype=np.float32)
    edges[0, :14] = [1.0, -0.0, np.inf, -np.inf, np.nan, 1e-4, -9.99e-5, 99999.0, 1e6, 999999.0, 2.0**40, -3.0,
                     0.1, 1.5e-4]
    for matrix in [bits, edges, *scaled]:
        uids = [f"{n:08d}" for n in range(len(matrix))]
        with np.errstate(invalid="ignore"):
            expected = "\n".join(csv_row(uid, vector) for uid, vector in zip(uids, matrix))
            assert csv_rows(uids, matrix) == expected
    assert csv_rows([], np.zeros((0, 768), dtype=np.float32)) == ""


def write_parts(folder, rows_by_part):
    parts = []
    for number, rows in rows_by_part.items():
        files = part_files(rows)
        (folder / f"{number}.csv.gz").write_bytes(files.csv_member)
        (folder / f"{number}.arrow").write_bytes(files.vectors)
        parts.append(EmbeddingPart(number, f"{number}.csv.gz", files.csv_length, f"{number}.arrow", len(rows),
                                   len(rows), 0, 768, rows_sha256(rows)))
    return parts


def uids_of_chunks(sizes: list[int]) -> list[str]:
    """Sorted cord_uids that `ends_chunk` cuts into chunks of `sizes` rows."""
    uids, candidates = [], (f"0a{n:06d}" for n in range(10 ** 6))
    for size in sizes:
        inner = [uid for uid, _ in zip((uid for uid in candidates if not ends_chunk(uid)), range(size - 1))]
        uids += inner + [next(uid for uid in candidates if ends_chunk(uid))]
    return uids


def test_a_part_is_chunks_of_gzip_members_and_only_a_changed_chunk_is_compressed_again(monkeypatch):
    model = HashingModel()
    uids = uids_of_chunks([3, 1, 4])
    rows = [(uid, "d", model.vector(uid, ABSTRACT).tobytes()) for uid in uids]
    files = part_files(rows)
    expected = "\n".join(csv_row(uid, np.frombuffer(vector, dtype=np.float32)) for uid, _, vector in rows)
    assert gzip.decompress(files.csv_member).decode() == expected and files.csv_length == len(expected)
    chunks = member_chunks(files.csv_member, files.csv_length)
    assert [len(text.strip("\n").split("\n")) for text, _ in chunks] == [3, 1, 4]
    assert [text.startswith("\n") for text, _ in chunks] == [False, True, True]
    lines = chunk_lines(chunks)
    assert list(lines) == uids and lines[uids[1]] == csv_row(uids[1], np.frombuffer(rows[1][2], dtype=np.float32))
    changed = list(rows)
    changed[4] = (uids[4], "e", model.vector("changed", ABSTRACT).tobytes())  # in the third chunk
    compressed = []
    real_compress = gzip.compress
    monkeypatch.setattr(gzip, "compress", lambda data, **kw: compressed.append(data) or real_compress(data, **kw))
    known = {uid: line for uid, line in lines.items() if uid != uids[4]}
    again = part_files(changed, known, dict(chunks))
    assert again.reused_chunks == 2 and len(compressed) == 1 and compressed[0].count(b"\n") == 4
    monkeypatch.undo()
    fresh = part_files(changed)
    assert (again.csv_member, again.csv_length, again.vectors) == (fresh.csv_member, fresh.csv_length, fresh.vectors)


def test_a_previous_member_that_is_not_what_it_says_is_refused():
    model = HashingModel()
    rows = [(uid, "d", model.vector(uid, ABSTRACT).tobytes()) for uid in uids_of_chunks([2, 2])]
    files = part_files(rows)
    member, length = files.csv_member, files.csv_length
    assert length <= csv_length_bound((uid, vector) for uid, _, vector in rows)
    widest = np.full((1, 768), -1.1754944e-38, dtype=np.float32)  # prints as -1.1754943508222875e-38
    assert len(csv_rows(["0aaaaaaa"], widest)) <= csv_length_bound([("0aaaaaaa", widest.tobytes())])
    with pytest.raises(ValueError):
        member_chunks(member, length - 1)  # more than it says
    with pytest.raises(ValueError):
        member_chunks(member, length + 1)  # less
    with pytest.raises((ValueError, zlib.error)):
        member_chunks(member[:-9], length)  # cut inside a trailer
    damaged = bytearray(member)
    damaged[-6] ^= 0xFF  # the last member's CRC-32 of its text
    with pytest.raises(zlib.error):
        member_chunks(bytes(damaged), length)


def test_the_tarball_is_what_tarfile_writes_for_the_csv(tmp_path):
    model = HashingModel()
    rows = {n: [(uid, "d", model.vector(uid, ABSTRACT).tobytes()) for uid in uids]
            for n, uids in ((3, ["0aaaaaaa", "0bbbbbbb"]), (40, ["b1111111"]))}
    parts = write_parts(tmp_path, rows)
    out = io.BytesIO()
    write_tarball(out, LocalFolder(tmp_path), "2026-01-01", list(reversed(parts)))
    expected_csv = "\n".join(csv_row(uid, np.frombuffer(v, dtype=np.float32)) for n in (3, 40)
                             for uid, _, v in rows[n]).encode()
    serial = io.BytesIO()
    with tarfile.open(fileobj=serial, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo(csv_name("2026-01-01"))
        info.size, info.mtime, info.mode, info.uname, info.gname = len(expected_csv), 0, 0o644, "", ""
        archive.addfile(info, io.BytesIO(expected_csv))
    assert gzip.decompress(out.getvalue()) == serial.getvalue()


def test_the_parquet_file_holds_a_row_group_a_part_and_is_read_back_a_part_at_a_time(tmp_path):
    model = HashingModel()
    rows: dict[int, list] = {}
    for uid in ("0aaaaaaa", "0abbbbbb", "b1111111", "b2222222", "b2333333"):
        rows.setdefault(part_number(uid), []).append((uid, f"digest-{uid}", model.vector(uid, ABSTRACT).tobytes()))
    parts = write_parts(tmp_path, rows)
    with open(tmp_path / "vectors.parquet", "wb") as out:
        write_parquet(out, LocalFolder(tmp_path), list(reversed(parts)), 768, {})
    with open(tmp_path / "vectors.parquet", "rb") as handle:
        previous = PreviousVectors(handle)
        assert previous.parquet.num_row_groups == 3
        for number, expected in rows.items():
            assert previous.part(number) == {(uid, digest): vector for uid, digest, vector in expected}
        assert previous.part(part_number("00000000")) == {}


def test_an_older_file_with_several_parts_in_a_row_group_is_read_a_part_at_a_time(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from release.embeddings import parquet_schema

    model = HashingModel()
    rows = [(uid, "d", model.vector(uid, ABSTRACT).tobytes()) for uid in ("0aaaaaaa", "0abbbbbb", "b1111111", "b1222222")]
    table = pa.Table.from_pylist([{"cord_uid": uid, "text_sha256": digest, "embedding": np.frombuffer(vector, "<f4")}
                                  for uid, digest, vector in rows], schema=parquet_schema(768))
    pq.write_table(table, tmp_path / "old.parquet", row_group_size=3)  # groups: 3 rows, 1 row
    with open(tmp_path / "old.parquet", "rb") as handle:
        previous = PreviousVectors(handle)
        assert previous.part(part_number("b1111111")) == {(uid, "d"): vector for uid, _, vector in rows[2:]}
        assert previous.part(part_number("0aaaaaaa")) == {(uid, "d"): vector for uid, _, vector in rows[:2]}


def test_csv_member_places_count_from_the_end_of_the_header_member_so_they_do_not_name_the_date(tmp_path):
    model = HashingModel()
    rows = {part_number(uid): [(uid, "d", model.vector(uid, ABSTRACT).tobytes())] for uid in ("0aaaaaaa", "b1111111")}
    parts = write_parts(tmp_path, rows)
    places = {}
    for date in ("2026-01-01", "2026-12-31"):
        out = io.BytesIO()
        places[date] = write_tarball(out, LocalFolder(tmp_path), date, parts)
        data = out.getvalue()
        header = first_member_length(io.BytesIO(data))
        for part in parts:
            place = places[date][part.number]
            member = data[header + place.offset:header + place.offset + place.length]
            assert member == (tmp_path / part.csv_member).read_bytes()
    assert places["2026-01-01"] == places["2026-12-31"]


def test_the_first_member_of_a_gzip_file_is_measured_and_a_huge_or_cut_one_refused():
    first, second = gzip.compress(b"header" * 100, mtime=0), gzip.compress(b"rows", mtime=0)
    assert first_member_length(io.BytesIO(first + second)) == len(first)
    with pytest.raises(ValueError, match="ends inside"):
        first_member_length(io.BytesIO(first[:-3]))
    with pytest.raises(ValueError, match="more than"):
        first_member_length(io.BytesIO(gzip.compress(b"\0" * (3 << 20), mtime=0) + second))


def tiny_bert(folder):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tests.support.tiny_models import tiny_bert as make

    return make(folder)


def test_a_tiny_bert_saved_locally_loads_offline_and_embeds_with_cls_pooling(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tiny_bert(tmp_path / "tiny-bert")
    spec = resolve_model(str(folder))
    assert spec.kind == TRANSFORMERS and spec.revision.startswith("sha256:") and spec.dimensions == 32
    assert resolve_model(str(folder)).revision == spec.revision
    model = load_model(spec)
    papers = [(TITLE, ABSTRACT), (TITLE, ""), ("", "")]
    vectors = model.encode(papers)
    assert vectors.dtype == np.float32 and vectors.shape == (3, 32)
    assert vectors[0].any() and vectors[1].any() and not vectors[2].any()
    assert not np.allclose(vectors[0], vectors[1])
    assert load_model(spec).encode(papers).tobytes() == vectors.tobytes()  # deterministic on CPU


def test_a_sentence_transformers_folder_uses_its_own_pooling(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    st = pytest.importorskip("sentence_transformers")
    try:
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers before 6
        from sentence_transformers.models import Pooling, Transformer
    bert = tiny_bert(tmp_path / "tiny-bert")
    word = Transformer(str(bert))
    pooling = Pooling(32, pooling_mode="mean")
    st.SentenceTransformer(modules=[word, pooling], device="cpu").save(str(tmp_path / "tiny-st"))
    spec = resolve_model(str(tmp_path / "tiny-st"))
    assert spec.kind == SENTENCE_TRANSFORMERS
    vectors = load_model(spec).encode([(TITLE, ABSTRACT), ("", "")])
    cls = load_model(resolve_model(str(bert))).encode([(TITLE, ABSTRACT)])
    assert vectors.shape == (2, 32) and vectors[0].any() and not vectors[1].any()
    assert not np.allclose(vectors[0], cls[0])  # mean pooling, not the CLS token
