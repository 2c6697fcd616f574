"""Reading documents: text, JSON Lines, CSV, HTML, Word and PDF, record by record.

Every reader yields :class:`Record` objects lazily (the JSON Lines reader, when asked,
yields runs of plain ``{"id", "text"}`` lines as :class:`JsonlColumns` instead, for
``predict``'s fast path). Text inputs are streamed line by
line in their detected encoding (:mod:`policytag.io.encoding`), so memory does not grow
with the input; HTML, .docx and PDF files are parsed whole by the optional ``docs``
extra (:mod:`policytag.io.html`, :mod:`policytag.io.word`, :mod:`policytag.io.pdf`), which
is imported only when such a file is read. Whatever the format, a document's
paragraphs go through the same steps as a clean text file's lines: furniture dropped
(``labels/furniture.txt``), each paragraph given its index in the file and its
nearest heading (:mod:`policytag.text.headings`).

A bad line (undecodable bytes, broken JSON, no ``text``) is handed to the
``on_problem`` callback as a :class:`~policytag.errors.Problem` naming the file and
line, and reading goes on; without a callback the problem is raised.
:func:`expand_inputs` turns folders and glob patterns into files.
"""
from __future__ import annotations

import csv
import re
import glob
import io
import json
import os
import sys
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Optional, Sequence

from ..errors import PolicytagError, Problem, problem, raise_problem, warn, warning
from .records import JsonlColumns, Record

ProblemHandler = Callable[[Problem], None]
FORMATS = ("txt", "jsonl", "csv", "html", "docx", "pdf")
STDIN = "-"
#: File name suffixes read when a folder is walked, and the format of each.
SUFFIXES = {
    ".txt": "txt", ".text": "txt", ".md": "txt",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv",
    ".html": "html", ".htm": "html", ".shtml": "html", ".xhtml": "html",
    ".docx": "docx", ".pdf": "pdf",
}
_KIND = {"html": "HTML", "docx": "Word", "pdf": "PDF"}

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
#: A longer "paragraph" is a file without line breaks, not a paragraph: it is skipped (E054).
MAX_PARAGRAPH_CHARS = 100_000


def _sniff(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048)
    except OSError:
        return None
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04") and b"word/" in head:
        return "docx"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "html"
    return None


def guess_format(path: str) -> str:
    """Input format from the file name (``.jsonl``, ``.csv``, ``.html``, ``.docx``, ``.pdf`` …);
    a file with another suffix is sniffed (PDF, Word and HTML signatures), else txt."""
    suffix = Path(path).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    return _sniff(path) or "txt"


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


# codecs in which every byte 0x0A is a line feed (never part of another character) and
# each line decodes on its own, so a run of lines decodes as one string
_LINEWISE_CODECS = frozenset({"utf-8", "ascii", "iso8859-1", "gb18030", "gbk", "gb2312", "big5", "big5hkscs", "cp950"})
_BLOCK_BYTES = 1 << 16


def iter_line_blocks(
    path: str, *, encoding: str = "utf-8", on_problem: Optional[ProblemHandler] = None
) -> Iterator[tuple[int, list[str], Optional[str]]]:
    """:func:`iter_lines` a block at a time: ``(number of the first line, the lines, the
    block's text)``, the lines consecutive. The text (the lines as decoded, ``\n``
    after each but perhaps the last, ``\r`` kept) is there when the block was decoded
    whole, for a reader that scans it in one go; a line decoded on its own (a pipe, a
    codec that is not line-wise, a block with an undecodable line) comes as a block of
    one with no text."""
    from .encoding import _seekable, raw_lines

    handler = on_problem or raise_problem
    name = "<stdin>" if path == STDIN else path
    fh = _open_binary(path)
    try:
        enc, lines = raw_lines(fh, encoding)
        if enc.codec in _LINEWISE_CODECS and hasattr(lines, "readlines") and _seekable(fh):
            yield from _blocks(lines, enc, name, handler)
            return
        for number, text in _decoded_lines(lines, enc, name, handler, 1, 0):
            yield number, [text], None
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def iter_lines(
    path: str, *, encoding: str = "utf-8", on_problem: Optional[ProblemHandler] = None
) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line of a file (``-`` is stdin), decoded strictly.

    ``encoding`` is a codec name or ``auto`` (detected from the first 64 KB; see
    :mod:`policytag.io.encoding`). A line that does not decode is reported (E003, with
    the byte offset of the first bad byte from the start of the file) and skipped; a
    byte-order mark is dropped. Line ends are removed.

    A regular file in a line-wise codec (UTF-8, GB18030, Big5 …) is decoded some 64 KB
    of whole lines at a time, a third of the cost of line by line; a run that does not
    decode is redone line by line to place the error. A pipe is read line by line, so
    lines are handed on as they arrive.
    """
    for number, lines, _ in iter_line_blocks(path, encoding=encoding, on_problem=on_problem):
        for line in lines:
            yield number, line
            number += 1


def _decoded_lines(raws: Iterable[bytes], enc: Any, name: str, handler: ProblemHandler, number: int,
                   offset: int) -> Iterator[tuple[int, str]]:
    """Line-by-line decoding of raw lines, the first numbered ``number`` and starting at
    byte ``offset`` of the file (the BOM is skipped on line 1)."""
    for raw in raws:
        skip = enc.bom if number == 1 else 0
        try:
            text = raw[skip:].decode(enc.codec)
        except UnicodeDecodeError as exc:
            handler(problem("E003", path=name, line=number, offset=offset + skip + exc.start, encoding=enc.label))
        else:
            yield number, text.rstrip("\r\n")
        offset += len(raw)
        number += 1


def _blocks(stream: Any, enc: Any, name: str, handler: ProblemHandler) -> Iterator[tuple[int, list[str], Optional[str]]]:
    """:func:`iter_line_blocks` of a seekable stream in a line-wise codec: some 64 KB of
    whole lines decoded at a time (a third of the cost of line by line); a block that
    does not decode is redone line by line to place the error."""
    number, offset = 1, 0
    while True:
        raws = stream.readlines(_BLOCK_BYTES)
        if not raws:
            return
        size = sum(map(len, raws))
        try:
            data = b"".join(raws)
            text = (data[enc.bom:] if number == 1 else data).decode(enc.codec)
        except UnicodeDecodeError:
            for good, line in _decoded_lines(raws, enc, name, handler, number, offset):
                yield good, [line], None
        else:
            pieces = text.split("\n")
            if raws[-1].endswith(b"\n"):
                pieces.pop()  # the empty piece after the last line feed
            yield number, [piece.rstrip("\r") for piece in pieces], text
        number += len(raws)
        offset += size


def _paragraph_records(
    name: str, numbered: Iterable[tuple[int, str]], *, drop_furniture: bool = True, id_by_index: bool = False
) -> Iterator[Record]:
    """Records for a document's paragraphs: furniture dropped, index and nearest heading set.

    ``numbered`` yields ``(number, text)``: line numbers for text files, block numbers
    for parsed documents. The id is ``<file>:<number>``, or ``<file>:<index>`` with
    ``id_by_index``.
    """
    from ..text.headings import HeadingTracker
    from ..text.segment import paragraph_text

    tracker = HeadingTracker()
    index = 0
    for number, text in numbered:
        norm = paragraph_text(text, drop_furniture=drop_furniture)
        if norm is None:
            continue
        index += 1
        heading = tracker.feed(text, norm)
        yield Record(f"{name}:{index if id_by_index else number}", text.strip(), {}, name, number, index, heading)


def read_txt(
    path: str, *, encoding: str = "utf-8", on_problem: Optional[ProblemHandler] = None, drop_furniture: bool = True
) -> Iterator[Record]:
    """One record per paragraph (non-empty, non-furniture line); id is ``<file>:<line>``."""
    name = "<stdin>" if path == STDIN else path
    handler = on_problem or raise_problem

    def lines() -> Iterator[tuple[int, str]]:
        for number, line in iter_lines(path, encoding=encoding, on_problem=handler):
            if len(line) > MAX_PARAGRAPH_CHARS:
                handler(problem("E054", path=name, line=number, length=len(line), limit=MAX_PARAGRAPH_CHARS))
                continue
            yield number, line

    yield from _paragraph_records(name, lines(), drop_furniture=drop_furniture)


def _read_bytes(path: str) -> bytes:
    fh = _open_binary(path)
    try:
        return fh.read()
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def _parse(kind: str, name: str, parse: Callable[[], list[str]]) -> list[str]:
    """Run a document parser; a damaged file becomes E031 (never a traceback)."""
    try:
        return parse()
    except PolicytagError:
        raise
    except Exception as exc:  # the parsers raise many types for damaged or encrypted files
        detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        raise PolicytagError("E031", path=name, kind=kind, detail=detail[:200]) from None


def read_html(
    path: str, *, encoding: str = "auto", on_problem: Optional[ProblemHandler] = None, drop_furniture: bool = True
) -> Iterator[Record]:
    """The article paragraphs of an HTML page; id is ``<file>:<paragraph index>``.

    The page's encoding is its byte-order mark, else its ``<meta charset>``, else
    detected; ``encoding`` other than ``auto`` overrides all three. Undecodable bytes
    are reported once per file (E035, first byte offset and count) and replaced.
    """
    from .encoding import AUTO, decode_all, family_codec
    from ..extras import require
    from .html import declared_charset, html_paragraphs

    handler = on_problem or raise_problem
    name = "<stdin>" if path == STDIN else path
    require("readability", "HTML", name)
    data = _read_bytes(path)
    if encoding.lower() == AUTO and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        declared = family_codec(declared_charset(data))
        if declared:
            encoding = declared
    text, enc, bad = decode_all(data, encoding)
    if bad:
        handler(problem("E035", path=name, n=len(bad), offset=bad[0], encoding=enc.label))
    paragraphs = _parse("HTML", name, lambda: html_paragraphs(text))
    yield from _paragraph_records(name, enumerate(paragraphs, start=1), drop_furniture=drop_furniture,
                                  id_by_index=True)


def read_docx(
    path: str, *, encoding: str = "auto", on_problem: Optional[ProblemHandler] = None, drop_furniture: bool = True
) -> Iterator[Record]:
    """The paragraphs of a Word file, table cells included; id is ``<file>:<paragraph index>``."""
    from ..extras import require
    from .word import docx_paragraphs

    name = "<stdin>" if path == STDIN else path
    require("docx", "Word", name)
    data = _read_bytes(path)
    paragraphs = _parse("Word", name, lambda: docx_paragraphs(io.BytesIO(data)))
    yield from _paragraph_records(name, enumerate(paragraphs, start=1), drop_furniture=drop_furniture,
                                  id_by_index=True)


def read_pdf(
    path: str, *, encoding: str = "auto", on_problem: Optional[ProblemHandler] = None, drop_furniture: bool = True
) -> Iterator[Record]:
    """The paragraphs of a PDF (headers, footers, page numbers out; lines re-joined).

    A PDF without a text layer (a scan) is E034. Id is ``<file>:<paragraph index>``.
    """
    from ..extras import require
    from .pdf import pdf_paragraphs

    name = "<stdin>" if path == STDIN else path
    require("pdfminer", "PDF", name)
    data = _read_bytes(path)
    paragraphs = _parse("PDF", name, lambda: pdf_paragraphs(io.BytesIO(data)))
    if not paragraphs:
        raise PolicytagError("E034", path=name, kind="PDF", hint=" (a scanned PDF needs OCR first)")
    yield from _paragraph_records(name, enumerate(paragraphs, start=1), drop_furniture=drop_furniture,
                                  id_by_index=True)


# a line {"id": "…", "text": "…"} as json.dumps writes it, strings without control
# characters and with valid escapes only (the unrolled loop keeps the regex linear)
_JSON_STRING = r'([^"\\\x00-\x1f]*+(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*+)*+)'
_ID_TEXT_LINE = re.compile(r'^\{"id": "' + _JSON_STRING + r'", "text": "' + _JSON_STRING + r'"\}\r?$', re.M)


def _id_text_columns(text: str, n_lines: int) -> Optional[tuple[list[str], list[str]]]:
    """The ids and texts of a block of ``n_lines`` JSON lines when every line is an
    ``{"id", "text"}`` object that :func:`read_jsonl` takes as it is (a non-empty id, a
    text that is neither empty, blank nor too long, no lone surrogate); else None."""
    from json.decoder import scanstring

    pairs = _ID_TEXT_LINE.findall(text)
    if len(pairs) != n_lines:
        return None
    ids = []
    texts = []
    for rid, body in pairs:
        if "\\" in rid or "\\" in body:
            if _SURROGATE_ESCAPE.search(rid) or _SURROGATE_ESCAPE.search(body):
                return None  # (a lone surrogate: the line-by-line reader warns, W020)
            rid = scanstring(rid + '"', 0)[0] if "\\" in rid else rid
            body = scanstring(body + '"', 0)[0] if "\\" in body else body
        ids.append(rid)
        texts.append(body)
    if not all(ids) or not all(texts) or any(map(str.isspace, texts)) or max(map(len, texts)) > MAX_PARAGRAPH_CHARS:
        return None
    return ids, texts


def _record_from_obj(obj: Any, name: str, number: int, text_field: str, id_field: str, index: int = 0) -> Record:
    if not isinstance(obj, dict):
        raise PolicytagError("E004", path=name, line=number, detail=f"got {type(obj).__name__}")
    text = obj.get(text_field)
    if not isinstance(text, str) or not text or text.isspace():
        raise PolicytagError("E005", path=name, line=number, field=text_field)
    if len(text) > MAX_PARAGRAPH_CHARS:
        raise PolicytagError("E054", path=name, line=number, length=len(text), limit=MAX_PARAGRAPH_CHARS)
    rid = obj.get(id_field)
    rid = f"{name}:{number}" if rid is None or rid == "" else rid if type(rid) is str else str(rid)
    if len(obj) == 2 and id_field in obj:  # the common record, id and text only: nothing to carry
        extra = {}
    else:
        extra = {k: v for k, v in obj.items() if k != text_field and k != id_field}
    return Record(rid, text, extra, name, number, index)


def read_jsonl(
    path: str,
    *,
    encoding: str = "utf-8",
    on_problem: Optional[ProblemHandler] = None,
    text_field: str = "text",
    id_field: str = "id",
    columns: bool = False,
) -> Iterator[Any]:
    """One record per JSON object line; other fields are carried through in ``extra``.

    With ``columns`` (and the default field names), a block of lines that are all
    ``{"id": "…", "text": "…"}`` objects, as ``json.dumps`` writes them, comes as one
    :class:`JsonlColumns` instead of a record per line (the same ids, texts, numbers
    and indexes; read, located and batched for tagging, about half the cost of records)."""
    from .surrogates import scrub

    handler = on_problem or raise_problem
    name = "<stdin>" if path == STDIN else path
    index = 0
    decode = json.JSONDecoder().decode
    fast = columns and text_field == "text" and id_field == "id"
    for first, lines, text in iter_line_blocks(path, encoding=encoding, on_problem=handler):
        if fast and text is not None:
            found = _id_text_columns(text, len(lines))
            if found is not None:
                yield JsonlColumns(name, index + 1, first, *found)
                index += len(lines)
                continue
        for number, line in enumerate(lines, first):
            if not line or line.isspace():
                continue
            try:
                obj = decode(line)
            except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
                handler(problem("E004", path=name, line=number, detail=str(exc)))
                continue
            replaced = 0
            if "\\u" in line and _SURROGATE_ESCAPE.search(line):  # only a \udXXX escape can put a lone surrogate in
                obj, replaced = scrub(obj)
            if replaced:
                handler(warning("W020", path=name, line=number, count=replaced))
            try:
                record = _record_from_obj(obj, name, number, text_field, id_field, index + 1)
            except PolicytagError as err:
                handler(Problem.from_error(err))
                continue
            index += 1
            yield record


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
    index = 0
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
            record = _record_from_obj(row, name, reader.line_num, text_field, id_field, index + 1)
        except PolicytagError as err:
            handler(Problem.from_error(err))
            continue
        index += 1
        yield record


def read_records(
    path: str,
    fmt: Optional[str] = None,
    *,
    encoding: str = "auto",
    on_problem: Optional[ProblemHandler] = None,
    columns: bool = False,
) -> Iterator[Any]:
    """Stream the records of one input (``-`` for stdin) in the given or guessed format.

    ``encoding`` (text, JSONL, CSV and HTML) is a codec name or ``auto``. Raises E001
    (missing file) on the first read, E030 when the format's optional parser is not
    installed, E031 for a damaged document; reports E002 when the input has no paragraph.
    With ``columns``, JSON Lines may come as :class:`JsonlColumns` (see :func:`read_jsonl`).
    """
    from .encoding import check_encoding

    fmt = fmt or ("txt" if path == STDIN else guess_format(path))
    if fmt not in FORMATS:
        raise PolicytagError("E011", fmt=fmt)
    encoding = check_encoding(encoding)
    reader = {"txt": read_txt, "jsonl": read_jsonl, "csv": read_csv,
              "html": read_html, "docx": read_docx, "pdf": read_pdf}[fmt]
    handler = on_problem or raise_problem
    count = 0
    records = (read_jsonl(path, encoding=encoding, on_problem=handler, columns=True) if columns and fmt == "jsonl"
               else reader(path, encoding=encoding, on_problem=handler))
    for record in records:
        count += len(record) if isinstance(record, JsonlColumns) else 1
        yield record
    if count == 0:
        handler(problem("E002", path="<stdin>" if path == STDIN else path))


def _walk(folder: Path) -> tuple[list[str], dict[str, int]]:
    """Files under ``folder`` with a readable suffix, sorted; and the other suffixes seen."""
    found: list[str] = []
    skipped: dict[str, int] = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if f.startswith((".", "~$")):  # hidden files, Word's lock files
                continue
            suffix = Path(f).suffix.lower()
            if suffix in SUFFIXES:
                found.append(str(Path(root) / f))
            else:
                skipped[suffix or "(none)"] = skipped.get(suffix or "(none)", 0) + 1
    return found, skipped


def expand_inputs(inputs: Sequence[str], on_problem: Optional[ProblemHandler] = None) -> list[str]:
    """Files to read for the inputs a user named: files as they are, folders walked
    (recursively: a folder's files in name order, then its subfolders; readable
    suffixes only, W010 counts the rest; hidden files skipped), glob patterns
    (``reports/**/*.pdf``) expanded; a pattern that matches nothing is E033.
    A name that is none of these is kept, so reading it reports E001."""
    handler = on_problem or raise_problem
    out: list[str] = []
    for item in inputs:
        p = Path(item)
        if item == STDIN or p.is_file():
            out.append(item)
            continue
        if p.is_dir():
            targets = [p]
        elif any(ch in item for ch in "*?["):
            targets = [Path(m) for m in sorted(glob.glob(item, recursive=True))]
            if not targets:
                handler(problem("E033", pattern=item))
                continue
        else:
            out.append(item)
            continue
        skipped: dict[str, int] = {}
        for target in targets:
            if target.is_dir():
                files, other = _walk(target)
                if not files and p.is_dir():
                    handler(problem("E055", path=item, suffixes=" ".join(sorted(SUFFIXES))))
                out.extend(files)
                for k, v in other.items():
                    skipped[k] = skipped.get(k, 0) + v
            elif target.is_file():
                out.append(str(target))
        if skipped:
            warn("W010", location=item, n=sum(skipped.values()), suffixes=", ".join(sorted(skipped)),
                 supported=" ".join(sorted(SUFFIXES)))
    return out


def read_inputs(
    inputs: Sequence[str],
    fmt: Optional[str] = None,
    *,
    encoding: str = "auto",
    on_problem: Optional[ProblemHandler] = None,
    on_file: Optional[Callable[[str], None]] = None,
    columns: bool = False,
) -> Iterator[Any]:
    """The records of every input: files, folders, globs (see :func:`expand_inputs`), ``-``.

    A file that cannot be read (missing, damaged, a parser not installed) is reported
    to ``on_problem`` and the others are still read; without a handler it is raised.
    ``on_file`` is called with each file's name once it has been read. ``columns``: see
    :func:`read_records`.
    """
    from .encoding import check_encoding

    encoding = check_encoding(encoding)
    for path in expand_inputs(inputs, on_problem):
        try:
            yield from read_records(path, fmt, encoding=encoding, on_problem=on_problem, columns=columns)
        except PolicytagError as err:
            if on_problem is None:
                raise
            on_problem(Problem.from_error(err))
        finally:
            if on_file is not None:
                on_file(path)
