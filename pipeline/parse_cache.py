"""The parse cache's format: parses of earlier builds, reused byte for byte.

An entry is keyed by everything a parse's bytes depend on (`parse_cache_key`): the
document kind, the parser version (for GROBID it names GROBID's own version too), the
version of the schema the parse follows, the document's SHA-1, and for a JATS file the
paper id it takes from its file name when it has no PMCID. So a cache never changes a
release: a build with a cold cache, a warm one or none writes the same bytes.

Each entry is three files under `<cache>/parses/`: `<key>.json`, the parse exactly as
the release holds it; `<key>.member.gz`, its compressed member of document_parses.tar.gz
(release/tarball.py); and `<key>.ref.json`, what the build needs to know of it (paper
id, identifiers found in the document, size, sha256), written last: an entry without
its ref file is not there. Entries are trusted, not validated again (their key names the
versions they were made and checked under). The build reads and writes entries through
Beam's FileSystems (pipeline/stages/parse_documents.py); the nightly job seeds a local
cache with `seed_entry`.
"""
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from release.tarball import file_member
from schemas.files import atomic_write_bytes

PARSES = "parses"


def parse_cache_key(kind: str, parser_version: str, schema_version: str, sha1: str, fallback_id: str) -> str:
    """The key of a parse: sha256 of everything its bytes depend on."""
    parts = {"kind": kind, "parser": parser_version, "schema": schema_version, "sha1": sha1}
    if kind == "jats":
        parts["fallback_paper_id"] = fallback_id  # a PDF's paper id is its SHA-1 whatever its file name
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedParse:
    """What the cache keeps beside the bytes of a parse."""

    paper_id: str
    ids: dict
    size: int
    sha256: str

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> "CachedParse":
        """Raises ValueError (or KeyError/TypeError) on anything that is not a ref file."""
        ref = json.loads(data)
        return cls(
            paper_id=str(ref["paper_id"]), ids=dict(ref["ids"]), size=int(ref["size"]), sha256=str(ref["sha256"])
        )


def entry_names(key: str) -> tuple[str, str, str]:
    """(bytes, tarball member, ref) names of one entry, relative to the cache folder."""
    return f"{PARSES}/{key}.json", f"{PARSES}/{key}.member.gz", f"{PARSES}/{key}.ref.json"


def seed_entry(cache_dir: Path, key: str, data: bytes, paper_id: str, release_path: str) -> None:
    """Put one parse (as a release holds it at `release_path`) into a local cache folder."""
    data_name, member_name, ref_name = entry_names(key)
    atomic_write_bytes(cache_dir / data_name, data)
    atomic_write_bytes(cache_dir / member_name, file_member(release_path, data))
    ref = CachedParse(paper_id=paper_id, ids={}, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    atomic_write_bytes(cache_dir / ref_name, ref.to_json())
