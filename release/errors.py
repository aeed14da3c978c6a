"""Typed errors of the release package."""


class ReleaseError(Exception):
    """A release that cannot be written, read or published as asked."""
