"""Which files the code under test opens: an audit hook, for tests that nothing outside a release is opened."""
import contextlib
import os
import sys
from collections.abc import Iterator

_recorders: list[list[str]] = []


def _hook(event: str, args: tuple) -> None:
    if event == "open" and _recorders and isinstance(args[0], (str, bytes, os.PathLike)):
        _recorders[-1].append(os.fsdecode(args[0]))


sys.addaudithook(_hook)  # audit hooks cannot be removed; it records only inside `recorded_opens`


@contextlib.contextmanager
def recorded_opens() -> Iterator[list[str]]:
    """The path of every file opened in this process (open(), os.open()) while the block runs."""
    paths: list[str] = []
    _recorders.append(paths)
    try:
        yield paths
    finally:
        _recorders.remove(paths)
