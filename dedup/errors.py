"""Typed errors of the dedup package.

Each subclass sets a short machine `reason` (used as the dead-letter reason).
"""


class DedupError(Exception):
    """An input dedup cannot work with. Subclasses set `reason`."""

    reason = "dedup_error"


class InvalidRecordError(DedupError):
    """A source record without the fields clustering needs."""

    reason = "invalid_source_record"


class RegistryError(DedupError):
    """A cord_uid registry file that cannot be read."""

    reason = "invalid_registry"
