"""The code-point ranges the package reasons about, named once.

Each module used to write its own ranges out; they now build their character classes
and tables from these (``tests/test_normalize.py`` checks the classes they make). The
numba segmenter (``kernel/cut.py``) keeps jieba-rs's own definition of the characters
that may form dictionary words, supplementary planes included, written in its code.
"""
from __future__ import annotations

from typing import Iterable

Range = tuple[int, int]

CJK_EXT_A: Range = (0x3400, 0x4DBF)  # CJK Unified Ideographs Extension A
CJK_UNIFIED: Range = (0x4E00, 0x9FFF)  # CJK Unified Ideographs
CJK_COMPAT: Range = (0xF900, 0xFAFF)  # CJK Compatibility Ideographs
CJK_PUNCT: Range = (0x3000, 0x303F)  # CJK Symbols and Punctuation (。、「」 …)
FULL_HALF_WIDTH: Range = (0xFF00, 0xFFEF)  # Halfwidth and Fullwidth Forms (，：（） …)
#: from Extension A to the end of the Unified block in one span (Yijing hexagrams between)
CJK_SPAN: Range = (CJK_EXT_A[0], CJK_UNIFIED[1])
#: the ideographs of the Basic Multilingual Plane
CJK_BMP: tuple[Range, ...] = (CJK_EXT_A, CJK_UNIFIED, CJK_COMPAT)
#: ASCII digits and letters
ASCII_ALNUM: tuple[Range, ...] = ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A))


def char_class(ranges: Iterable[Range]) -> str:
    """The body of a regex character class matching ``ranges`` (``lo-hi`` pairs)."""
    return "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in ranges)

