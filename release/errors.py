"""Typed errors of the release package."""


class ReleaseError(Exception):
    """A release that cannot be written, read or published as asked."""

    reason = "release_error"


class UnsafeArchiveError(ReleaseError):
    """A tarball with an absolute path, a `..` component, a link or device, or more bytes than its budget."""

    reason = "unsafe_archive"


class UnsafePathError(ReleaseError):
    """A path in or named by a release that is a link, a device or FIFO, or that leads outside the release."""

    reason = "unsafe_path"


class CorruptArchiveError(ReleaseError):
    """A tarball that is truncated, fails its gzip CRC or length check, or is not a tar/gzip stream at all."""

    reason = "corrupt_archive"


class StorageError(ReleaseError):
    """A store that cannot be read or written (missing object, bad URL, transfer failure)."""

    reason = "storage_error"


class ChecksumMismatchError(StorageError):
    """An object whose stored bytes differ from the bytes that were sent."""

    reason = "checksum_mismatch"


class ReleaseConflictError(ReleaseError):
    """A different release is already published under the same date (use --force)."""

    reason = "release_conflict"


class NotAReleaseError(ReleaseError):
    """A folder, tarball or store prefix that does not hold a release."""

    reason = "not_a_release"


class ReleaseNotFoundError(NotAReleaseError):
    """A source that names nothing: a missing path, or a store location holding no release."""

    reason = "release_not_found"


class ManifestError(NotAReleaseError):
    """A release whose manifest.json is missing, not JSON or breaks the manifest schema."""

    reason = "invalid_manifest"


class LockHeldError(ReleaseError):
    """Another nightly run holds the lock."""

    reason = "lock_held"
