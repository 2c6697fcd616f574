"""What every command shares: the enums of its options, one-line errors on stderr, the problem
counter, atomic output files, the progress bar, and the guard that turns library errors
into a coded line and an exit status."""
from __future__ import annotations

import os
import re
import sys
import warnings
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Iterator, List, Optional

import typer


class OutputFormat(str, Enum):
    table = "table"
    jsonl = "jsonl"
    csv = "csv"


class InputFormat(str, Enum):
    txt = "txt"
    jsonl = "jsonl"
    csv = "csv"
    html = "html"
    docx = "docx"
    pdf = "pdf"


class Interchange(str, Enum):
    labelstudio = "labelstudio"
    doccano = "doccano"
    prodigy = "prodigy"
    argilla = "argilla"
    policytag = "policytag"


# control and line-break characters, quoted when they come from the data
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def echo_err(line: str) -> None:
    """One line on stderr (a CSV header holding a vertical tab must not split a message in two)."""
    typer.echo(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                            else f"\\u{ord(m.group()):04x}", line), err=True)


class ProblemCounter:
    """An ``on_problem`` handler: prints each problem line to stderr and counts them.

    ``count`` counts errors (lines skipped), ``warnings`` the rest, ``whole_inputs``
    the errors that cost a whole input (no line number: missing, unreadable or empty file).
    """

    def __init__(self) -> None:
        self.count = 0
        self.warnings = 0
        self.whole_inputs = 0

    def __call__(self, problem: object) -> None:
        if getattr(problem, "code", "E").startswith("W"):
            self.warnings += 1
        else:
            self.count += 1
            self.whole_inputs += getattr(problem, "line", None) is None
        echo_err(str(problem))

    def failed(self, done: int) -> bool:
        """True where nothing could be done: no paragraph at all, or a whole input lost."""
        return bool(self.whole_inputs or (done == 0 and self.count))

    def finish(self, done: int, what: str = "paragraph(s) were tagged") -> None:
        """Say how many problems there were; exit 1 if the run :meth:`failed`.

        Skipped lines are reported on stderr (with a count) but do not fail the run.
        Called inside an ``output_to`` block, the exit also discards the file being written.
        """
        if self.count and done:
            echo_err(f"{self.count} problem(s) reported; the other {done} {what}")
        if self.failed(done):
            raise typer.Exit(1)


@contextmanager
def output_to(path: Optional[Path], inputs: List[str], mode: str = "w") -> Iterator[object]:
    """stdout, or a file written atomically that must not be one of the ``inputs`` (E050)."""
    if path is None or str(path) == "-":
        yield sys.stdout
        return
    from ..atomic import atomic_open, cannot_write, check_not_input

    check_not_input(path, inputs)
    try:
        with atomic_open(path, mode, newline="" if mode == "w" else None) as fh:
            yield fh
    except OSError as exc:
        raise cannot_write(path, exc) from None


def write_file(path: Path, data: bytes | str, inputs: List[str]) -> None:
    with output_to(path, inputs, "wb" if isinstance(data, bytes) else "w") as fh:
        fh.write(data)


@contextmanager
def guard() -> Iterator[None]:
    """Turn library errors into one stderr line and exit 1; show coded warnings."""
    from ..errors import ERRORS, PolicytagError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except PolicytagError as err:
            _flush_warnings(caught)
            echo_err(str(err))
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort):
            _flush_warnings(caught)
            raise
        except KeyboardInterrupt:
            echo_err("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            _quiet_broken_pipe()
            raise typer.Exit(0) from None
        except Exception as exc:  # the last line of defence: never a bare traceback
            if os.environ.get("POLICYTAG_DEBUG"):
                raise
            echo_err("E099: " + ERRORS["E099"].format(detail=f"{type(exc).__name__}: {exc}"))
            raise typer.Exit(70) from None
    _flush_warnings(caught)


def _flush_warnings(caught: list) -> None:
    from ..errors import PolicytagWarning

    for w in caught:
        if issubclass(w.category, PolicytagWarning):
            echo_err(str(w.message))


def _quiet_broken_pipe() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


@contextmanager
def progress_bar(files: List[str], show: bool) -> Iterator[object]:
    """One rich progress bar on stderr for all the inputs, advanced by bytes of files read."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    sizes = {}
    for path in files:
        try:
            sizes[path] = Path(path).stat().st_size if path != "-" else 0
        except OSError:
            sizes[path] = 0
    with Progress(
        TextColumn("tagging"), BarColumn(), TextColumn("{task.fields[done]}/{task.fields[files]} files"),
        DownloadColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task("tagging", total=sum(sizes.values()) or None, done=0, files=len(files))
        done = [0]

        def advance(path: str) -> None:
            done[0] += 1
            bar.update(task, advance=sizes.get(path, 0), done=done[0])

        yield advance
