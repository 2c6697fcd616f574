"""What the readers yield: a :class:`Record` per paragraph, or for ``predict``'s fast path
a :class:`JsonlColumns` block of plain ``{"id", "text"}`` JSON lines."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Optional


@dataclass(slots=True)
class Record:
    """One paragraph to tag: its id, text, the fields carried through, and where it came from.

    ``source`` is the file (``<stdin>`` for standard input), ``line`` the line number
    in a text file (the paragraph number in HTML, Word and PDF files), ``index`` the
    paragraph's 1-based position among the file's paragraphs, and ``heading`` the title
    of the nearest section heading above it (一、… / (一)… / 1.…), or None.
    """

    id: str
    text: str
    extra: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    line: int = 0
    index: int = 0
    heading: Optional[str] = None

    def location(self) -> dict[str, Any]:
        """``{"file", "index", "heading"}``: the fields every output row carries."""
        return {"file": self.source, "index": self.index, "heading": self.heading}

    def with_location(self) -> "Record":
        """This record with :meth:`location` among its carried fields (the input's own
        fields of the same name win, so JSONL and CSV columns come back unchanged)."""
        carried = self.location()
        if self.extra:
            carried.update(self.extra)
        return Record(self.id, self.text, carried, self.source, self.line, self.index, self.heading)


@dataclass(slots=True)
class JsonlColumns:
    """Consecutive JSON Lines records that hold only a string id and a text, as two
    lists: what :func:`read_jsonl` yields with ``columns=True`` for the common line, so
    that tagging a large file does not build a :class:`Record` for each line.
    ``first_index`` and ``first_line`` are the first record's; the rest follow on
    without gaps. :meth:`records` gives the records :func:`read_jsonl` would give."""

    source: str
    first_index: int
    first_line: int
    ids: list[str]
    texts: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def records(self) -> Iterator[Record]:
        for k, (rid, text) in enumerate(zip(self.ids, self.texts)):
            yield Record(rid, text, {}, self.source, self.first_line + k, self.first_index + k)
