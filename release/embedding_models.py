"""The models that turn a paper's title and abstract into one vector (`cord19 build --embedding-model`).

- `hashing-768` (the default): signed feature hashing of the lower-cased word unigrams
  and bigrams of the title and of the abstract, sublinear term frequency (1 + ln tf),
  L2-normalised, 768 dimensions (the width of CORD-19's SPECTER vectors). numpy only:
  no download, no extra install, the same floats on every machine. A lexical vector,
  good for near-duplicate and topical similarity, not a language model.
- any other NAME_OR_PATH: a Hugging Face model (a local folder, or a hub name such as
  `allenai/specter`, the model CORD-19 used) through the `[embeddings]` extra (torch,
  transformers, sentence-transformers). A folder with sentence-transformers' `modules.json`
  is a sentence-transformers model and embeds with its own configured pooling; any other
  model embeds with CLS pooling (the first token's last hidden state), as SPECTER does,
  over `title + [SEP] + abstract`.

A model is loaded once per worker (`load_model`, from a DoFn's setup) and embeds a
batch of texts at a time, on GPU when torch sees one. A paper with neither title nor
abstract gets the zero vector from every model (nothing to embed); a paper without an
abstract is embedded from its title alone.
"""
import hashlib
import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from release.errors import ReleaseError

HASHING_PREFIX = "hashing-"
DEFAULT_MODEL = "hashing-768"
HASHING_VERSION = "hashing-v1"  # bump when the lexical model's vectors change
HASHING = "hashing"
TRANSFORMERS = "transformers"  # CLS pooling
SENTENCE_TRANSFORMERS = "sentence-transformers"  # the model's own pooling
MAX_TOKENS = 512
WORD = re.compile(r"\w+")


class EmbeddingModelError(ReleaseError):
    """A model that cannot be found or loaded."""


@dataclass(frozen=True)
class ModelSpec:
    """Which model embeds a release: small, picklable, resolved once by the launcher."""

    name: str  # as given: "hashing-768", "allenai/specter" or a folder
    kind: str  # HASHING, TRANSFORMERS or SENTENCE_TRANSFORMERS
    revision: str  # the hub commit, the sha256 of a folder's files, or HASHING_VERSION
    dimensions: int | None  # known without loading the model (None: from its first vector)
    location: str = ""  # the folder to load from; "" for the lexical model

    def manifest_entry(self) -> dict:
        """What manifest.json says of the model (the build's previous release is compared on model and revision)."""
        pooling = {HASHING: "none", TRANSFORMERS: "cls", SENTENCE_TRANSFORMERS: "model's own"}[self.kind]
        return {"model": self.name, "revision": self.revision, "kind": self.kind, "pooling": pooling}


class EmbeddingModel(Protocol):
    def encode(self, papers: list[tuple[str, str]]) -> np.ndarray:
        """One float32 row per (title, abstract)."""


def folder_sha256(folder: Path) -> str:
    """sha256 over every file of a model folder (relative path and bytes, in sorted order)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def _hidden_size(folder: Path) -> int | None:
    config = folder / "config.json"
    if not config.is_file():
        return None
    value = json.loads(config.read_text(encoding="utf-8")).get("hidden_size")
    return value if isinstance(value, int) else None


def _folder_spec(name: str, folder: Path, revision: str) -> ModelSpec:
    kind = SENTENCE_TRANSFORMERS if (folder / "modules.json").is_file() else TRANSFORMERS
    return ModelSpec(name, kind, revision, _hidden_size(folder), str(folder))


def resolve_model(name: str) -> ModelSpec:
    """The model a NAME_OR_PATH stands for, with its revision; EmbeddingModelError when it cannot be found.

    `hashing-<N>` is the lexical model with N dimensions; an existing folder is a saved
    model (revision: the sha256 of its files); anything else is a hub name, fetched into
    the Hugging Face cache (or found there with HF_HUB_OFFLINE=1), revision: its commit.
    """
    if name.startswith(HASHING_PREFIX):
        width = name[len(HASHING_PREFIX):]
        if not width.isdigit() or int(width) < 1:
            raise EmbeddingModelError(f"{name!r}: the lexical model is hashing-<dimensions>, e.g. {DEFAULT_MODEL}")
        return ModelSpec(name, HASHING, HASHING_VERSION, int(width))
    folder = Path(name)
    if folder.is_dir():
        return _folder_spec(name, folder.resolve(), "sha256:" + folder_sha256(folder))
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise EmbeddingModelError(f"{name!r} needs the embeddings extra: pip install 'cord19-pipeline[embeddings]'") \
            from exc
    try:
        local = Path(snapshot_download(repo_id=name))
    except Exception as exc:  # the hub client raises many kinds for "not there" and "offline"
        raise EmbeddingModelError(f"{name!r}: no such folder, and the model cannot be fetched ({exc})") from exc
    return _folder_spec(name, local, local.name)


def load_model(spec: ModelSpec) -> EmbeddingModel:
    """The model of `spec`, ready to encode (torch models on GPU when one is available)."""
    if spec.kind == HASHING:
        return HashingModel(spec.dimensions or 768)
    if spec.kind == SENTENCE_TRANSFORMERS:
        return SentenceTransformerModel(spec.location)
    return ClsPoolingModel(spec.location)


def _features(text: str) -> list[str]:
    words = WORD.findall(text.lower())
    return [f"u {word}" for word in words] + [f"b {first} {second}" for first, second in zip(words, words[1:])]


def _bucket(feature: str, dimensions: int) -> tuple[int, float]:
    value = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
    return (value >> 1) % dimensions, -1.0 if value & 1 else 1.0


class HashingModel:
    """The lexical default: signed feature hashing of word unigrams and bigrams, 1 + ln tf, L2-normalised."""

    def __init__(self, dimensions: int = 768):
        self.dimensions = dimensions
        self._buckets: dict[str, tuple[int, float]] = {}

    def vector(self, title: str, abstract: str) -> np.ndarray:
        counts = Counter(_features(title) + _features(abstract))
        vector = np.zeros(self.dimensions, dtype=np.float64)
        for feature, tf in counts.items():
            bucket = self._buckets.get(feature)
            if bucket is None:
                bucket = _bucket(feature, self.dimensions)
                if len(self._buckets) < 1 << 20:  # a bounded cache of the commonest features
                    self._buckets[feature] = bucket
            index, sign = bucket
            vector[index] += sign * (1.0 + math.log(tf))
        norm = float(np.sqrt(np.dot(vector, vector)))
        return (vector / norm if norm > 0 else vector).astype(np.float32)

    def encode(self, papers: list[tuple[str, str]]) -> np.ndarray:
        if not papers:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([self.vector(title, abstract) for title, abstract in papers])


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _with_zero_rows(papers: list[tuple[str, str]], encode, dimensions: int) -> np.ndarray:
    """Encode the papers that have text; papers with neither title nor abstract get zeros."""
    keep = [i for i, (title, abstract) in enumerate(papers) if title.strip() or abstract.strip()]
    out = np.zeros((len(papers), dimensions), dtype=np.float32)
    if keep:
        out[keep] = np.asarray(encode([papers[i] for i in keep]), dtype=np.float32)
    return out


class ClsPoolingModel:
    """A Hugging Face encoder (SPECTER-style): `title [SEP] abstract`, the first token's last hidden state."""

    def __init__(self, location: str):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from transformers import AutoModel, AutoTokenizer

        self.device = _device()
        self.tokenizer = AutoTokenizer.from_pretrained(location)
        self.model = AutoModel.from_pretrained(location).to(self.device).eval()
        self.dimensions = int(self.model.config.hidden_size)

    def text(self, title: str, abstract: str) -> str:
        title, abstract = title.strip(), abstract.strip()
        return f"{title}{self.tokenizer.sep_token}{abstract}" if abstract else title

    def _encode(self, papers: list[tuple[str, str]]) -> np.ndarray:
        import torch

        texts = [self.text(title, abstract) for title, abstract in papers]
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        with torch.inference_mode():
            output = self.model(**{key: value.to(self.device) for key, value in tokens.items()})
        return output.last_hidden_state[:, 0, :].float().cpu().numpy()

    def encode(self, papers: list[tuple[str, str]]) -> np.ndarray:
        return _with_zero_rows(papers, self._encode, self.dimensions)


class SentenceTransformerModel:
    """A sentence-transformers model: `title [SEP] abstract` through its own modules and pooling."""

    def __init__(self, location: str):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(location, device=_device())
        self.sep = getattr(self.model.tokenizer, "sep_token", None) or " "
        width = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dimensions = int(width() or 0)

    def _encode(self, papers: list[tuple[str, str]]) -> np.ndarray:
        texts = [f"{title.strip()}{self.sep}{abstract.strip()}" if abstract.strip() else title.strip()
                 for title, abstract in papers]
        return self.model.encode(texts, batch_size=max(len(texts), 1), convert_to_numpy=True,
                                 show_progress_bar=False)

    def encode(self, papers: list[tuple[str, str]]) -> np.ndarray:
        return _with_zero_rows(papers, self._encode, self.dimensions)
