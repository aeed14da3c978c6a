"""A snapshot of PDF documents only: what the ParseDocuments stage reads, without feeds."""
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
    return lines
