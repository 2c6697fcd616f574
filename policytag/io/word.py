"""Word (.docx) files: paragraphs in document order, table cells included.

python-docx (the ``docs`` extra) reads the file; the body is walked in order so a
table sits between the paragraphs around it, and each table cell's paragraphs are
paragraphs too (a merged cell once). A manual line break inside a Word paragraph is
kept as a space: the paragraph mark, not the line break, ends a paragraph.
python-docx is the maintained reader of the format (docx2txt, its lighter rival, loses
table order and has had no release since 2019).
"""
from __future__ import annotations

from typing import IO, Iterator

from ..extras import require


def _paragraph_text(p: object) -> str:
    return " ".join(part.strip() for part in p.text.split("\n")).strip()


def _cells(table: object) -> Iterator[object]:
    seen: list[object] = []  # the cells' XML elements, kept alive so identity is stable
    for row in table.rows:
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):  # a merged cell appears once per grid position
                continue
            seen.append(cell._tc)
            yield cell


def _blocks(container: object) -> Iterator[str]:
    """Paragraph texts of a document or cell, in order, descending into tables."""
    from docx.table import Table

    for item in container.iter_inner_content():
        if isinstance(item, Table):
            for cell in _cells(item):
                yield from _blocks(cell)
        else:
            yield _paragraph_text(item)


def docx_paragraphs(fh: IO[bytes]) -> list[str]:
    """The non-empty paragraphs of a .docx, body order, table cells in row order."""
    require("docx", "Word")
    import docx

    return [text for text in _blocks(docx.Document(fh)) if text]
