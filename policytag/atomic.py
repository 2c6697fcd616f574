"""Writing output files atomically, and never over an input.

Every file policytag writes (predictions, reports, charts, summaries, exports) goes
to a temporary file in the destination's folder and replaces the destination with
:func:`os.replace` only once it is complete and flushed to disk. A reader therefore
sees the old file or the new one, never half of one; an interrupted or failed run
(Ctrl-C, an error, a full disk) removes its temporary file and leaves the old file as
it was. (A process killed outright, SIGKILL, can leave a ``.NAME.*.tmp`` beside the
old file, which is still intact.)
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterable, Iterator, Optional

from .errors import PolicytagError


@contextmanager
def atomic_open(
    path: Path | str,
    mode: str = "w",
    *,
    encoding: Optional[str] = "utf-8",
    newline: Optional[str] = None,
    errors: Optional[str] = "backslashreplace",
) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path``.

    ``mode`` is ``"w"`` (text) or ``"wb"``. Text is written with ``errors`` (default:
    characters the encoding cannot hold, such as lone surrogates, become ``\\uXXXX``
    escapes rather than an exception half-way through a file). An existing file keeps
    its permission bits; a new one gets the mode a plain ``open`` would give. Any
    exception (KeyboardInterrupt too) removes the temporary file and is re-raised;
    OS errors propagate as :class:`OSError`.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes only, mode 'w' or 'wb', not {mode!r}")
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        file_mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        os.chmod(tmp, file_mode)
        if mode == "wb":
            fh: IO = os.fdopen(fd, "wb")
        else:
            fh = os.fdopen(fd, "w", encoding=encoding, newline=newline, errors=errors)
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_text(path: Path | str, text: str, *, newline: Optional[str] = "\n") -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_open(path, "w", newline=newline) as fh:
        fh.write(text)


def write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def same_file(a: Path | str, b: Path | str) -> bool:
    """True when ``a`` and ``b`` name the same file (through links, ``..`` or hard links)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they would be
        return Path(os.path.abspath(a)).resolve() == Path(os.path.abspath(b)).resolve()


def check_not_input(output: Path | str, inputs: Iterable[Path | str]) -> None:
    """Refuse (E050) to write ``output`` when it is one of the ``inputs`` (``-`` is stdin)."""
    for inp in inputs:
        if str(inp) != "-" and same_file(output, inp):
            raise PolicytagError("E050", input=str(inp))


def cannot_write(path: Path | str, exc: OSError) -> PolicytagError:
    """The E053 error for an OS error while writing ``path``."""
    detail = exc.strerror or str(exc)
    return PolicytagError("E053", target=str(path), detail=detail)


def _umask() -> int:
    """The process umask (read without changing it where /proc allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022
