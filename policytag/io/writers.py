"""Writing tagged rows as a table, JSON Lines or CSV, row by row (streaming).

Rows from ``predict`` carry ``file``, ``index`` (the paragraph's 1-based position in
its file) and ``heading`` (its nearest section heading, or null): JSON Lines keys, CSV
columns after the scores, and a clipped ``heading`` column in the table.
"""
from __future__ import annotations

import csv
import json
import unicodedata
from typing import IO, Any, Iterable, Sequence

OUTPUT_FORMATS = ("table", "jsonl", "csv")


def _char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _width(text: str) -> int:
    return sum(_char_width(ch) for ch in text)


def _clip(text: str, width: int) -> str:
    out, w = [], 0
    for ch in text:
        cw = _char_width(ch)
        if w + cw > width - 1:
            return "".join(out) + "…"
        out.append(ch)
        w += cw
    return "".join(out)


def write_rows(rows: Iterable[dict[str, Any]], fmt: str, stream: IO[str], labels: Sequence[str]) -> int:
    """Write rows to ``stream`` in ``fmt``; returns the number of rows written."""
    if fmt == "jsonl":
        n = 0
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
        return n
    if fmt == "csv":
        return _write_csv(rows, stream, labels)
    if fmt == "table":
        return _write_table(rows, stream)
    raise ValueError(f"unknown output format {fmt!r}")


def _write_csv(rows: Iterable[dict[str, Any]], stream: IO[str], labels: Sequence[str]) -> int:
    writer = None
    extra_cols: list[str] = []
    n = 0
    for row in rows:
        if writer is None:
            extra_cols = [k for k in row if k not in ("id", "text", "labels", "scores")]
            header = ["id", "text", "labels", *[f"score_{lab}" for lab in labels], *extra_cols, "extra"]
            writer = csv.writer(stream)
            writer.writerow(header)
        leftovers = {k: v for k, v in row.items() if k not in ("id", "text", "labels", "scores") and k not in extra_cols}
        writer.writerow(
            [
                row["id"],
                row["text"],
                ";".join(row["labels"]),
                *[row["scores"].get(lab, "") for lab in labels],
                *[_cell(row.get(k, "")) for k in extra_cols],
                json.dumps(leftovers, ensure_ascii=False) if leftovers else "",
            ]
        )
        n += 1
    return n


def _cell(value: Any) -> Any:
    return value if isinstance(value, (str, int, float)) or value is None else json.dumps(value, ensure_ascii=False)


def _pad(text: str, width: int) -> str:
    return text + " " * max(1, width - _width(text))


def _write_table(rows: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    """Columns: id (``file:line``), labels, the nearest heading (clipped), text (clipped)."""
    n = 0
    for row in rows:
        if n == 0:
            stream.write(f"{'id':<24} {'labels':<30} {'heading':<16} text\n")
        rid = str(row["id"])
        if _width(rid) > 24:  # keep the end of long ids: file:line is what one cites
            rid = "…" + _clip(rid[::-1], 23)[:-1][::-1]
        labels = ",".join(row["labels"]) or "-"
        heading = row.get("heading") or "-"
        if _width(heading) > 16:
            heading = _clip(heading, 16)
        stream.write(f"{_pad(rid, 25)}{_pad(labels, 31)}{_pad(heading, 17)}{_clip(row['text'], 50)}\n")
        n += 1
    return n
