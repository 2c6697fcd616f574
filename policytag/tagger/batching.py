"""Batches of records for scoring, and the records a
:class:`~policytag.io.records.JsonlColumns` block stands for."""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Sequence


def _texts(batch: Sequence[Any]) -> list[str]:
    return [r.text for r in batch]


def _items(batch: Any) -> Any:
    """A batch of records as the (id, text, carried fields) tuples rows are built from
    (a :class:`~policytag.io.records.JsonlColumns` batch as it is)."""
    return batch if isinstance(batch, _columns_type()) else [(r.id, r.text, r.extra) for r in batch]


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _column_batches(items: Iterable[Any], size: int) -> Iterator[Any]:
    """:func:`_batches` of records and :class:`~policytag.io.records.JsonlColumns`: a
    batch is a list of records or one ``JsonlColumns`` of at most ``size`` rows, made of
    runs that follow on in the same file (never both kinds in one batch)."""
    columns = _columns_type()
    records: list[Any] = []
    run: list[Any] = []  # JsonlColumns that follow on from one another, fewer than ``size`` rows

    def cut(parts: list[Any], final: bool) -> tuple[list[Any], list[Any]]:
        """Batches of ``size`` rows from the run (and the rest too when ``final``), and
        what is left of it."""
        first = parts[0]
        ids = [x for part in parts for x in part.ids] if len(parts) > 1 else first.ids
        texts = [x for part in parts for x in part.texts] if len(parts) > 1 else first.texts
        out = []
        a = 0
        while len(texts) - a >= size or (final and a < len(texts)):
            out.append(columns(first.source, first.first_index + a, first.first_line + a, ids[a:a + size],
                               texts[a:a + size]))
            a += size
        rest = [columns(first.source, first.first_index + a, first.first_line + a, ids[a:], texts[a:])] \
            if a < len(texts) else []
        return out, rest

    for item in items:
        if isinstance(item, columns):
            if records:
                yield records
                records = []
            last = run[-1] if run else None
            if last is not None and not (item.source == last.source and item.first_index == last.first_index + len(last)
                                         and item.first_line == last.first_line + len(last)):
                done, run = cut(run, True)
                yield from done
            run.append(item)
            if sum(map(len, run)) >= size:
                done, run = cut(run, False)
                yield from done
            continue
        if run:
            done, run = cut(run, True)
            yield from done
        records.append(item)
        if len(records) >= size:
            yield records
            records = []
    if run:
        done, run = cut(run, True)
        yield from done
    if records:
        yield records


def _columns_type() -> type:
    from ..io.records import JsonlColumns

    return JsonlColumns


def _expanded(items: Iterable[Any]) -> Iterator[Any]:
    """Located records, with each :class:`~policytag.io.records.JsonlColumns` among
    ``items`` turned into the located records it stands for."""
    columns = _columns_type()
    for item in items:
        if isinstance(item, columns):
            yield from (rec.with_location() for rec in item.records())
        else:
            yield item
