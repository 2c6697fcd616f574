"""Paragraphs from laid-out lines: what a PDF gives, turned back into what a writer typed.

A PDF holds positioned lines, not paragraphs. Two steps rebuild them, both pure
functions over :class:`Line` (no PDF library needed, so they are property-tested):

1. :func:`drop_running_furniture` removes running headers and footers (lines at the
   top or foot of a page that repeat, digits aside, on other pages) and page numbers
   (``— 3 —``, ``第3页 共5页``: the page-number patterns of ``labels/furniture.txt``).
2. :func:`join_lines` re-joins lines into paragraphs. A line that ends without
   sentence-final punctuation continues into the next; one that ends with it ends the
   paragraph. Where lines carry positions the layout refines this: a line that stops
   short of the right margin (a title, a heading, a paragraph's last line) ends its
   paragraph; in a document that indents first lines, an indented line starts one and
   a full line that ends a sentence does not; a numbered heading (一、 / (一) / 1.)
   always starts a paragraph, and without positions a short one (under 25
   characters) is a paragraph of its own. Joining never drops a character.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Optional, Sequence

# Sentence-final marks, optionally followed by closing quotes or brackets.
_FINAL = re.compile(r"[。！？!?；;…]+[”’」』）)\]】》\"']*\s*$")
_LATIN = re.compile(r"[A-Za-z]")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_SHORT_HEADING = 25  # without positions, a numbered line shorter than this is a heading of its own


@dataclass(frozen=True)
class Line:
    """One line of a laid-out page. Positions are in points from the page's top-left;
    ``x0 == x1 == 0`` means the line carries no position (plain text)."""

    text: str
    page: int = 1
    x0: float = 0.0
    x1: float = 0.0
    top: float = 0.0
    bottom: float = 0.0
    page_height: float = 0.0

    @property
    def placed(self) -> bool:
        return self.x1 > self.x0


def display_width(text: str) -> int:
    """Width in half-width cells: CJK characters count 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends with 。！？；… (closing quotes and brackets may follow)."""
    return bool(_FINAL.search(text))


def _running_key(text: str) -> str:
    return _DIGITS.sub("#", _SPACE.sub("", text))


def drop_running_furniture(pages: Sequence[Sequence[Line]], *, edge_lines: int = 2) -> list[list[Line]]:
    """Remove running headers, footers and page numbers from each page's lines.

    Only the first and last ``edge_lines`` lines of a page (in reading order) are
    candidates. One is dropped when it is page furniture by ``labels/furniture.txt``
    (page numbers, dates, copyright …), when its text, digits masked, is also an edge
    line of at least 40% of the pages (and of two pages at least), or, on a page with
    positions, when it sits in the top or bottom 8% of the page in a smaller type than
    the body (a one-page document's header).
    """
    from ..text.segment import is_furniture

    def edges(lines: Sequence[Line]) -> list[int]:
        n = len(lines)
        return sorted(set(range(min(edge_lines, n))) | set(range(max(n - edge_lines, 0), n)))

    counts: dict[str, int] = {}
    for lines in pages:
        for key in {_running_key(lines[i].text) for i in edges(lines)}:
            if key:
                counts[key] = counts.get(key, 0) + 1
    needed = max(2, math.ceil(0.4 * len(pages)))
    heights = sorted(ln.bottom - ln.top for lines in pages for ln in lines if ln.placed and ln.bottom > ln.top)
    body_height = heights[len(heights) // 2] if heights else 0.0

    def in_margin(ln: Line) -> bool:
        if not (ln.placed and ln.page_height > 0 and body_height > 0):
            return False
        edge = ln.top < 0.08 * ln.page_height or ln.bottom > 0.92 * ln.page_height
        return edge and (ln.bottom - ln.top) < 0.85 * body_height

    out = []
    for lines in pages:
        drop = {i for i in edges(lines)
                if not lines[i].text.strip() or counts.get(_running_key(lines[i].text), 0) >= needed
                or in_margin(lines[i]) or is_furniture(lines[i].text)}
        out.append([line for i, line in enumerate(lines) if i not in drop])
    return out


@dataclass(frozen=True)
class _Geometry:
    left: float
    right: float
    char: float  # width of one CJK character
    indents: bool  # does the document indent first lines?


def _geometry(lines: Sequence[Line]) -> Optional[_Geometry]:
    placed = [ln for ln in lines if ln.placed and ln.text.strip()]
    if len(placed) < 2:
        return None
    widths = sorted(
        (ln.x1 - ln.x0) / max(display_width(ln.text.strip()), 1) * 2 for ln in placed if len(ln.text.strip()) >= 4
    )
    char = widths[len(widths) // 2] if widths else 12.0
    lefts = sorted(ln.x0 for ln in placed)
    left = lefts[len(lefts) // 10]  # the body's left margin: low, but not an outlier
    rights = sorted(ln.x1 for ln in placed)
    right = rights[min(len(rights) - 1, (len(rights) * 9) // 10)]
    indented = sum(1 for ln in placed if left + 0.8 * char <= ln.x0 <= left + 4.5 * char)
    return _Geometry(left, right, char, indents=indented >= max(1, len(placed) // 20))


def _starts_heading(text: str) -> bool:
    from ..text.headings import heading_level
    from ..text.normalize import normalize

    return heading_level(normalize(text[:24])) is not None


def _glue(a: str, b: str) -> str:
    """Join two pieces of one paragraph: a space only between two Latin words.

    Chinese lines break anywhere, numbers included (``1`` / ``34起``), so digits join
    without a space."""
    a, b = a.rstrip(), b.lstrip()
    if a and b and _LATIN.match(a[-1]) and _LATIN.match(b[0]):
        return a + " " + b
    return a + b


def join_lines(lines: Sequence[Line]) -> list[str]:
    """Re-join laid-out lines into paragraphs (see the module docstring for the rules).

    Empty lines end paragraphs. Every non-space character of the input appears in the
    output, in order.
    """
    geo = _geometry(lines)
    paragraphs: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        text = line.text.strip()
        if not text:
            if current:
                paragraphs.append(current)
                current = ""
            continue
        current = _glue(current, text) if current else text
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is None or _breaks_after(line, nxt, geo):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def _breaks_after(line: Line, nxt: Line, geo: Optional[_Geometry]) -> bool:
    text, following = line.text.strip(), nxt.text.strip()
    if not following:
        return True
    if _starts_heading(following):
        return True
    if geo is None or not (line.placed and nxt.placed):  # no positions: punctuation decides
        return ends_sentence(text) or (len(text) < _SHORT_HEADING and _starts_heading(text))
    if line.x1 < geo.right - 4 * geo.char:  # stops short of the margin (more than a long number)
        return True
    if geo.indents:
        return nxt.x0 >= geo.left + 0.8 * geo.char
    return ends_sentence(text)
