"""The pdfminer.six fallback in a sandbox: a child process under a time and memory limit.

`parse_pdf(data)` runs `parsers.pdf.fallback.pdf_layout_to_pdf_json` in a child process
(one long-lived `python -m parsers.pdf.sandbox` per thread, see _PdfWorker) under a
wall-clock limit and an address-space limit (RLIMIT_AS), so a runaway PDF cannot stall
or kill the worker.
"""
import json
import logging
import os
import resource
import select
import struct
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import IO, cast

from parsers.pdf.errors import (
    NotPdfError,
    PdfCorruptError,
    PdfEncryptedError,
    PdfError,
    PdfMemoryError,
    PdfNoBodyTextError,
    PdfNoTextError,
    PdfTimeoutError,
    PdfWorkerCrashError,
    check_pdf_bytes,
)
from parsers.pdf.fallback import pdf_layout_to_pdf_json
from schemas.records import Paper

_ERRORS_BY_NAME = {
    cls.__name__: cls
    for cls in (NotPdfError, PdfEncryptedError, PdfNoTextError, PdfNoBodyTextError, PdfCorruptError, PdfMemoryError)
}


def parse_pdf(data: bytes, time_limit_s: float = 60.0, memory_limit_mb: int = 1024) -> Paper:
    """pdf_json of a PDF (paper_id = SHA-1 of the bytes), parsed in a limited worker process."""
    check_pdf_bytes(data)
    workers = getattr(_THREAD_WORKERS, "by_limit", None)
    if workers is None:
        workers = _THREAD_WORKERS.by_limit = {}
    worker = workers.get(memory_limit_mb)
    if worker is None or not worker.usable():
        worker = workers[memory_limit_mb] = _PdfWorker(memory_limit_mb)
    kind, payload = worker.parse(data, time_limit_s)
    if kind == "ok":
        return cast(Paper, payload)  # the child's pdf_layout_to_pdf_json, as JSON
    error_name, message = cast(tuple[str, str], payload)  # the child's [error class name, message]
    raise _ERRORS_BY_NAME.get(error_name, PdfCorruptError)(message)


# One worker process per thread and memory limit, reused across PDFs.
_THREAD_WORKERS = threading.local()
_PDFS_PER_WORKER = 200  # then a fresh process, so memory fragmentation cannot build up
_LENGTH = struct.Struct(">Q")
_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])


class _PdfWorker:
    """A `python -m parsers.pdf.sandbox` child under RLIMIT_AS, fed PDFs over a pipe.

    A fresh interpreter (not a fork) keeps the address space small, so the limit
    means what it says, and never re-runs the parent's __main__. Requests and answers
    are length-prefixed; answers are JSON, so a hostile PDF that took over the child
    still cannot make the parent run code. On a timeout the process is killed and the
    next PDF gets a new one.
    """

    def __init__(self, memory_limit_mb: int) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PROJECT_ROOT, env.get("PYTHONPATH", "")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "parsers.pdf.sandbox", str(memory_limit_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        # stdin and stdout are pipes (never None with PIPE)
        self.requests = cast(IO[bytes], self.process.stdin)
        self.answers = cast(IO[bytes], self.process.stdout)
        self.parsed = 0
        # Ends the process when this worker is dropped (its thread ended) or at exit.
        self.stop = weakref.finalize(self, _stop_process, self.process)

    def usable(self) -> bool:
        return self.process.poll() is None and self.parsed < _PDFS_PER_WORKER

    def parse(self, data: bytes, time_limit_s: float) -> tuple[str, object]:
        self.parsed += 1
        deadline = time.monotonic() + time_limit_s
        try:
            self.requests.write(_LENGTH.pack(len(data)) + data)
            self.requests.flush()
            (length,) = _LENGTH.unpack(self._read(_LENGTH.size, deadline))
            answer = json.loads(self._read(length, deadline))
        except TimeoutError:
            self.stop()
            raise PdfTimeoutError(f"pdfminer did not finish within {time_limit_s:g}s") from None
        except (EOFError, BrokenPipeError):
            self.stop()
            raise PdfWorkerCrashError(f"the pdfminer process died (exit code {self.process.returncode})") from None
        if answer[0] == "error" and answer[1][0] == "PdfMemoryError":
            self.stop()  # the process exits after a MemoryError anyway
        return answer[0], answer[1]

    def _read(self, size: int, deadline: float) -> bytes:
        chunks, missing = [], size
        fd = self.answers.fileno()
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(missing, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            pipe.close()


def _worker_main(memory_limit_mb: int) -> None:
    """The child: limit the address space, then parse PDFs from stdin until it closes."""
    limit = memory_limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = requests.read(_LENGTH.size)
        if len(header) < _LENGTH.size:
            return
        data = requests.read(_LENGTH.unpack(header)[0])
        out_of_memory = False
        try:
            answer = ["ok", pdf_layout_to_pdf_json(data)]
        except PdfError as exc:
            answer = ["error", [type(exc).__name__, str(exc)]]
        except MemoryError:
            out_of_memory = True
            answer = ["error", ["PdfMemoryError", f"pdfminer went over the {memory_limit_mb} MB memory limit"]]
        except Exception as exc:  # pdfminer raises many kinds of errors on damaged files
            answer = ["error", ["PdfCorruptError", f"pdfminer failed: {type(exc).__name__}: {exc}"]]
        payload = json.dumps(answer).encode()
        answers.write(_LENGTH.pack(len(payload)) + payload)
        answers.flush()
        if out_of_memory:
            return


if __name__ == "__main__":
    _worker_main(int(sys.argv[1]))
