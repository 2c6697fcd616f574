"""Reading documents: plain text, JSON Lines and CSV, streamed record by record.

Every reader yields :class:`Record` objects lazily, so memory does not grow with the
input. A bad line (undecodable bytes, broken JSON, no ``text``) is handed to the
``on_problem`` callback as a :class:`~policytag._errors.Problem` naming the file and
line, and reading goes on; without a callback the problem is raised.
"""
from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Optional

from ._errors import PolicytagError, Problem, problem, raise_problem, warning

ProblemHandler = Callable[[Problem], None]
FORMATS = ("txt", "jsonl", "csv")
STDIN = "-"
#: A longer "paragraph" is a file without line breaks, not a paragraph: it is skipped (E054).
MAX_PARAGRAPH_CHARS = 100_000


@dataclass
class Record:
    """One paragraph to tag: its id, text, the fields carried through, and where it came from."""

    id: str
    text: str
    extra: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    line: int = 0


def guess_format(path: str) -> str:
    """Input format from the file name: ``.jsonl``/``.ndjson`` → jsonl, ``.csv`` → csv, else txt."""
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    return "txt"


def _open_binary(path: str) -> IO[bytes]:
    if path == STDIN:
        return sys.stdin.buffer
    p = Path(path)
    if not p.exists():
        raise PolicytagError("E001", path=path)
    if p.is_dir():
        raise PolicytagError("E017", path=path, detail="is a directory")
    try:
        return open(p, "rb")
    except OSError as exc:
        raise PolicytagError("E017", path=path, detail=exc.strerror or str(exc)) from None


def iter_lines(
    path: str, *, encoding: str = "utf-8", on_problem: Optional[ProblemHandler] = None
) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line of a file (``-`` is stdin), decoded strictly.

    A line that does not decode is reported (E003, with its byte offset) and skipped;
    a UTF-8 byte-order mark is dropped. Line ends are removed.
    """
    handler = on_problem or raise_problem
    name = "<stdin>" if path == STDIN else path
    fh = _open_binary(path)
    offset = 0
    try:
        for number, raw in enumerate(fh, start=1):
            chunk = raw
            if number == 1 and chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
                offset += 3
            try:
                text = chunk.decode(encoding)
            except UnicodeDecodeError as exc:
                handler(
                    problem("E003", path=name, line=number, offset=offset + exc.start, encoding=encoding)
                )
                offset += len(raw)
                continue
            offset += len(raw)
            yield number, text.rstrip("\r\n")
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def read_txt(
    path: str, *, encoding: str = "utf-8", on_problem: Optional[ProblemHandler] = None, drop_furniture: bool = True
) -> Iterator[Record]:
    """One record per paragraph (non-empty, non-furniture line); id is ``<file>:<line>``."""
    from ._segment import paragraph_text

    name = "<stdin>" if path == STDIN else path
    handler = on_problem or raise_problem
    for number, line in iter_lines(path, encoding=encoding, on_problem=handler):
        if len(line) > MAX_PARAGRAPH_CHARS:
            handler(problem("E054", path=name, line=number, length=len(line), limit=MAX_PARAGRAPH_CHARS))
            continue
        if paragraph_text(line, drop_furniture=drop_furniture) is not None:
            yield Record(f"{name}:{number}", line.strip(), {}, name, number)


def _record_from_obj(obj: Any, name: str, number: int, text_field: str, id_field: str) -> Record:
    if not isinstance(obj, dict):
        raise PolicytagError("E004", path=name, line=number, detail=f"got {type(obj).__name__}")
    text = obj.get(text_field)
    if not isinstance(text, str) or not text.strip():
        raise PolicytagError("E005", path=name, line=number, field=text_field)
    if len(text) > MAX_PARAGRAPH_CHARS:
        raise PolicytagError("E054", path=name, line=number, length=len(text), limit=MAX_PARAGRAPH_CHARS)
    rid = obj.get(id_field)
    rid = f"{name}:{number}" if rid is None or rid == "" else str(rid)
    extra = {k: v for k, v in obj.items() if k not in (text_field, id_field)}
    return Record(rid, text, extra, name, number)


def read_jsonl(
    path: str,
    *,
    encoding: str = "utf-8",
    on_problem: Optional[ProblemHandler] = None,
    text_field: str = "text",
    id_field: str = "id",
) -> Iterator[Record]:
    """One record per JSON object line; other fields are carried through in ``extra``."""
    from ._surrogates import scrub

    handler = on_problem or raise_problem
    name = "<stdin>" if path == STDIN else path
    for number, line in iter_lines(path, encoding=encoding, on_problem=handler):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
            handler(problem("E004", path=name, line=number, detail=str(exc)))
            continue
        obj, replaced = scrub(obj)
        if replaced:
            handler(warning("W020", path=name, line=number, count=replaced))
        try:
            yield _record_from_obj(obj, name, number, text_field, id_field)
        except PolicytagError as err:
            handler(Problem.from_error(err))


def read_csv(
    path: str,
    *,
    encoding: str = "utf-8",
    on_problem: Optional[ProblemHandler] = None,
    text_field: str = "text",
    id_field: str = "id",
) -> Iterator[Record]:
    """One record per CSV row (header required, with a ``text`` column)."""
    handler = on_problem or raise_problem
    name = "<stdin>" if path == STDIN else path
    lines = (line + "\n" for _, line in iter_lines(path, encoding=encoding, on_problem=handler))
    reader = csv.DictReader(lines)
    try:
        columns = reader.fieldnames
    except csv.Error as exc:
        raise PolicytagError("E017", path=name, detail=f"bad CSV: {exc}") from None
    if columns is None:
        return
    if text_field not in columns:
        raise PolicytagError("E013", path=name, field=text_field, columns=", ".join(columns))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # the csv module counts a line only once it parsed: the bad one is the next
            handler(problem("E017", path=name, line=reader.line_num + 1, detail=f"bad CSV: {exc}"))
            continue
        row = {k: v for k, v in row.items() if k is not None}
        try:
            yield _record_from_obj(row, name, reader.line_num, text_field, id_field)
        except PolicytagError as err:
            handler(Problem.from_error(err))


def read_records(
    path: str,
    fmt: Optional[str] = None,
    *,
    encoding: str = "utf-8",
    on_problem: Optional[ProblemHandler] = None,
) -> Iterator[Record]:
    """Stream the records of one input (``-`` for stdin) in the given or guessed format.

    Raises E001 (missing file) on the first read; reports E002 when the input has no paragraph.
    """
    fmt = fmt or ("txt" if path == STDIN else guess_format(path))
    if fmt not in FORMATS:
        raise PolicytagError("E011", fmt=fmt)
    reader = {"txt": read_txt, "jsonl": read_jsonl, "csv": read_csv}[fmt]
    handler = on_problem or raise_problem
    count = 0
    for record in reader(path, encoding=encoding, on_problem=handler):
        count += 1
        yield record
    if count == 0:
        handler(problem("E002", path="<stdin>" if path == STDIN else path))

