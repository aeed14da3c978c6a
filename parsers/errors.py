"""Typed errors shared by every parser.

Each expected failure is a subclass of ParseError with a short machine-readable
`reason` (used as the dead-letter reason); the message says what was wrong.
"""


class ParseError(Exception):
    """An input that cannot be converted. Subclasses set `reason`."""

    reason = "parse_error"


class EmptyInputError(ParseError):
    reason = "empty_input"


class GitLfsPointerError(ParseError):
    reason = "git_lfs_pointer"


class NotXmlError(ParseError):
    reason = "not_xml"


class UnsafeXmlError(ParseError):
    reason = "unsafe_xml"


def check_not_lfs_or_empty(data: bytes) -> None:
    """Raise EmptyInputError or GitLfsPointerError for the two classic non-files."""
    if not data or not data.strip():
        raise EmptyInputError("the input is empty")
    if data.lstrip().startswith(b"version https://git-lfs.github.com/spec/"):
        raise GitLfsPointerError("the input is a Git-LFS pointer, not the file it points to")
