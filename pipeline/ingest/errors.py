"""The ingest's typed errors."""


class IngestError(Exception):
    """An ingest that cannot run as configured (bad sources file, reused snapshot folder)."""


class SourcesFileError(IngestError):
    """The sources file is missing, not TOML, or holds a bad setting."""


class FetchError(Exception):
    """A request that failed for good; `reason` is a short machine code."""

    def __init__(self, reason: str, message: str, attempts: int = 1):
        super().__init__(message)
        self.reason = reason
        self.attempts = attempts
