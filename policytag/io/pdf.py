"""PDF files: text in reading order, re-joined into paragraphs, page furniture removed.

pdfminer.six (the ``docs`` extra) lays each page out into text boxes and lines with
positions, in reading order; :mod:`policytag.io.layout` then drops running headers,
footers and page numbers and re-joins lines that break mid-sentence. pdfminer.six
was chosen over pypdf because it gives every line's position, which the re-joining
and the header/footer detection need (see bench/pdf_extractors.py for the figures).
"""
from __future__ import annotations

import re
from typing import IO

from ..extras import require
from ..text.unicode import CJK_PUNCT, CJK_SPAN, FULL_HALF_WIDTH, char_class
from .layout import Line, drop_running_furniture, join_lines

_CJK_WIDE = char_class((CJK_PUNCT, CJK_SPAN, FULL_HALF_WIDTH))
_CJK_GAP = re.compile(f"(?<=[{_CJK_WIDE}]) +(?=[{_CJK_WIDE}])")


def pdf_pages(fh: IO[bytes]) -> list[list[Line]]:
    """The lines of each page, in pdfminer's reading order, with their positions."""
    require("pdfminer", "PDF")
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer, LTTextLine

    pages: list[list[Line]] = []
    for number, layout in enumerate(extract_pages(fh, laparams=LAParams()), start=1):
        height = float(layout.height)
        lines: list[Line] = []
        for element in layout:
            if not isinstance(element, LTTextContainer):
                continue
            for item in element if not isinstance(element, LTTextLine) else [element]:
                if not isinstance(item, LTTextLine):
                    continue
                text = _CJK_GAP.sub("", item.get_text().replace("\n", " ")).strip()
                if text:
                    lines.append(Line(text, number, float(item.x0), float(item.x1),
                                      height - float(item.y1), height - float(item.y0), height))
        pages.append(lines)
    return pages


def pdf_paragraphs(fh: IO[bytes]) -> list[str]:
    """The paragraphs of a PDF: headers, footers and page numbers out, lines re-joined."""
    pages = drop_running_furniture(pdf_pages(fh))
    return join_lines([line for page in pages for line in page])
