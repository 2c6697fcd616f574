"""Segmenting: a document into paragraphs, a paragraph into sentences.

A paragraph is one non-empty line. Page furniture (bylines, bare dates, "评论",
login prompts, disclaimers …) is recognised by the patterns in
``labels/furniture.txt`` and dropped, so it is never tagged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

from .normalize import normalize
from ..resources import furniture_patterns

# a sentence ends after one of ENDS, or after one of CLOSERS that follows one of ENDS
# (the compiled kernel splits by the same two sets: _kernel.sentence_spans)
ENDS = "。！？!?；;"
CLOSERS = "”’」』)]"
_SENTENCE_END = re.compile(rf"(?<=[{re.escape(ENDS)}])(?![{re.escape(CLOSERS)}])|(?<=[{re.escape(ENDS)}][{re.escape(CLOSERS)}])")
_NEWLINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x0b|\x0c|\x1c|\x1d|\x1e|\x85")


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a document: its 1-based line number, original and normalised text."""

    line: int
    text: str
    normalized: str


def paragraph_text(line: str, *, drop_furniture: bool = True) -> Optional[str]:
    """The normalised text of one line if it is a paragraph to tag, else None.

    None for a line that is empty after normalisation, or (with ``drop_furniture``)
    page furniture (byline, date, comment box, disclaimer …).
    """
    norm = normalize(line.strip())
    if not norm or (drop_furniture and any(p.search(norm) for p in furniture_patterns())):
        return None
    return norm


def is_furniture(text: str) -> bool:
    """True when ``text`` is page furniture (byline, date, comment box, disclaimer …)."""
    return paragraph_text(text) is None


def split_lines(document: str) -> list[str]:
    """Split on every kind of line break, the way a paragraph-per-line file is read."""
    return _NEWLINES.split(document)


def iter_paragraphs(document: str, *, drop_furniture: bool = True) -> Iterator[Paragraph]:
    """Yield the paragraphs of ``document``: non-empty lines, furniture dropped."""
    for number, raw in enumerate(split_lines(document), start=1):
        norm = paragraph_text(raw, drop_furniture=drop_furniture)
        if norm is not None:
            yield Paragraph(number, raw.strip(), norm)


def split_paragraphs(document: str, *, drop_furniture: bool = True) -> list[Paragraph]:
    """The paragraphs of ``document`` as a list (see :func:`iter_paragraphs`)."""
    return list(iter_paragraphs(document, drop_furniture=drop_furniture))


def split_sentences(paragraph: str) -> list[str]:
    """Split a paragraph after sentence-final punctuation (。！？；), keeping closing quotes."""
    parts = [s.strip() for s in _SENTENCE_END.split(paragraph)]
    return [s for s in parts if s]
