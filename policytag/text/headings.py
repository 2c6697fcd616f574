"""Section headings: which paragraphs are headings, and each paragraph's nearest one.

Chinese policy documents number their sections 一、… / (一)… / 1.… / (1)…, and a
paragraph means more with its section title beside it (``(三)蓝天保卫战`` above a
paragraph about boiler retrofits). The patterns and their levels are data, in
``labels/headings.txt``. A heading stays a paragraph of its own and is tagged like
any other; an inline heading (``(三)蓝天保卫战成果进一步巩固。清洁取暖面积…``)
stays one paragraph, and its first sentence is the section's title.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from ..resources import labels_dir

# A title ends at the first sentence-final mark or colon; the mark is not part of it.
_TITLE_END = re.compile(r"[。！？；：!?;:]")
_MAX_TITLE = 60


@lru_cache(maxsize=None)
def heading_patterns() -> tuple[tuple[int, re.Pattern[str]], ...]:
    """(level, compiled pattern) pairs from ``labels/headings.txt``, in file order."""
    out = []
    with open(labels_dir() / "headings.txt", encoding="utf-8") as fh:
        for raw in fh:
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            level, pattern = line.split("\t", 1)
            out.append((int(level), re.compile(pattern)))
    return tuple(out)


def heading_level(normalized: str) -> Optional[int]:
    """The section level of a paragraph that starts with a heading number, else None.

    ``normalized`` is the paragraph after :func:`policytag.normalize`.
    """
    for level, pattern in heading_patterns():
        if pattern.match(normalized):
            return level
    return None


def heading_title(text: str) -> str:
    """The title of a heading paragraph: its text up to the first 。！？；： (all of it if none).

    ``(三)蓝天保卫战成果进一步巩固。清洁取暖面积…`` → ``(三)蓝天保卫战成果进一步巩固``.
    Long titles are cut at 60 characters with an ellipsis.
    """
    text = text.strip()
    m = _TITLE_END.search(text)
    title = (text[: m.start()] if m else text).strip()
    return title if len(title) <= _MAX_TITLE else title[: _MAX_TITLE - 1] + "…"


class HeadingTracker:
    """Follows the open sections of one document, paragraph by paragraph.

    >>> t = HeadingTracker()
    >>> t.feed("一、总体进展", "一、总体进展") is None
    True
    >>> t.feed("督察反馈的问题已完成整改。", "督察反馈的问题已完成整改。")
    '一、总体进展'
    """

    def __init__(self) -> None:
        self._open: list[tuple[int, str]] = []  # (level, title), outermost first

    def feed(self, text: str, normalized: str) -> Optional[str]:
        """The nearest heading above this paragraph; then, if it is a heading, open its section.

        A heading's own ``heading`` is its parent section's title (None at the top).
        """
        level = heading_level(normalized)
        if level is not None:
            while self._open and self._open[-1][0] >= level:
                self._open.pop()
        nearest = self._open[-1][1] if self._open else None
        if level is not None:
            self._open.append((level, heading_title(text)))
        return nearest
