"""`cord19 ingest`: fetch the configured source feeds over HTTP into a snapshot folder.

Plain Python (no Beam). For each `[[sources]]` entry of the sources file the pages of
its API are fetched in the API's own way, each checked by the feed parser and written,
exactly as received, to `feeds/<name>/`. Then the PDFs and JATS files the records point
to, when their licence allows it, are downloaded into `documents/` and listed in
`documents.jsonl`; `snapshot.json` is written last. The snapshot's layout and files
belong to `pipeline.snapshot`.

- `config`: the sources file (`load_sources`, `default_sources_file`);
- `http`: the HTTP client (per-host rate limits; retries by `parsers.http_retry`);
- `paging` and one module per API family: `eutils`, `biorxiv`, `arxiv`, `cursors`
  (Crossref, Europe PMC), `whole_files` (the WHO export and other whole files);
- `documents`: document downloads (licences, content sniffing, size limits, mirrors);
- `run`: the run itself (`ingest`, `Ingest`), resumption, progress and summary.
"""
from pipeline.ingest.config import HttpSettings, IngestConfig, SourceConfig, default_sources_file, load_sources
from pipeline.ingest.documents import check_pdf, jats_bytes, mirrored_url
from pipeline.ingest.errors import FetchError, IngestError, SourcesFileError
from pipeline.ingest.eutils import EutilsPaging
from pipeline.ingest.http import HostRateLimiter, HttpClient
from pipeline.ingest.run import Ingest, IngestSummary, Progress, ingest

__all__ = [
    "EutilsPaging",
    "FetchError",
    "HostRateLimiter",
    "HttpClient",
    "HttpSettings",
    "Ingest",
    "IngestConfig",
    "IngestError",
    "IngestSummary",
    "Progress",
    "SourceConfig",
    "SourcesFileError",
    "check_pdf",
    "default_sources_file",
    "ingest",
    "jats_bytes",
    "load_sources",
    "mirrored_url",
]
