"""Whole-file downloads (the WHO export, the PMC OA file list, PubMed baseline files), one file per page."""
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.ingest.paging import Page, Paging

# The extension of a file saved from a query URL (no file name in its path), by feed kind.
FILE_EXTENSIONS = {"who": ".csv", "pmc": ".csv", "pubmed": ".xml.gz"}


class FilePaging(Paging):
    """Whole files (the WHO export, PMC OA file list, PubMed baseline), one per page."""

    def request(self, state: dict) -> tuple[str, dict]:
        name = self.source.files[state.get("index", 0)]
        url = name if name.startswith(("http://", "https://")) else self.url(name)
        return url, dict(self.source.params)

    def read(self, path: Path, state: dict) -> Page:
        items = self.records_in(path)
        index = state.get("index", 0) + 1
        return Page(items, dict(state, index=index) if index < len(self.source.files) else None)

    def file_name(self, state: dict, number: int) -> str:
        """The file's own name, or file-<n> plus the kind's usual extension for a query URL
        (or a name with a leading dot, which the snapshot keeps for temporary files)."""
        index = state.get("index", 0)
        name = Path(urlsplit(self.source.files[index]).path).name
        if not name or name.startswith("."):
            return f"file-{index + 1:05d}{FILE_EXTENSIONS.get(self.source.kind, '.dat')}"
        return name
