"""A snapshot of documents only (no feeds): what the ParseDocuments stage reads."""
import hashlib
import json
from pathlib import Path

ID_NAMES = ("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id", "s2_id")


def write_pdf_snapshot(folder: Path, documents: dict[str, bytes]) -> list[tuple[int, str]]:
    """documents/pdf/<sha1>.pdf files for {name: bytes}, and their numbered documents.jsonl lines.

    Each document gets the DOI 10.1234/<name>; lines are numbered in the order of the names.
    """
    (folder / "documents" / "pdf").mkdir(parents=True)
    lines = []
    for number, (name, data) in enumerate(sorted(documents.items()), start=1):
        sha1 = hashlib.sha1(data).hexdigest()
        (folder / "documents" / "pdf" / f"{sha1}.pdf").write_bytes(data)
        ids = {key: None for key in ID_NAMES}
        ids["doi"] = f"10.1234/{name}"
        line = {"path": f"documents/pdf/{sha1}.pdf", "sha1": sha1, "type": "pdf", "source": "MedRxiv",
                "ids": ids, "license": "medrxiv", "url": f"https://example.org/{name}.pdf"}
        lines.append((number, json.dumps(line)))
    write_document_list(folder, [line for _, line in lines])
    return lines


def write_document_list(folder: Path, lines: list[str]) -> None:
    """documents.jsonl holding `lines`, and a snapshot.json (no feeds) that lists it with its sha256."""
    text = "".join(line + "\n" for line in lines).encode("utf-8")
    (folder / "documents.jsonl").write_bytes(text)
    snapshot = {"created": "2026-01-01T00:00:00Z", "query": None, "sources": [],
                "files": {"documents.jsonl": hashlib.sha256(text).hexdigest()}}
    (folder / "snapshot.json").write_text(json.dumps(snapshot), encoding="utf-8")
