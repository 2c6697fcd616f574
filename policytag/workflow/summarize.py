"""Per-document label shares: ``policytag summarize FILE|DIR``.

For each document, the share of its paragraphs that carry each label, so that
provinces, years or genres can be compared side by side. A document is one input
file (a folder stands for the documents in it, recursively), or, with ``by``, one
value of a field carried by JSONL/CSV records (``province``, ``meta.year`` …).
"""
from __future__ import annotations

import csv
import io
import json
import os
from collections import deque
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

from ..errors import PolicytagError, Problem

def unique_files(
    inputs: Sequence[str], on_problem: Optional[Callable[[Problem], None]] = None
) -> list[str]:
    """The files ``predict`` would read for these inputs (folders, globs:
    :func:`policytag.io.readers.expand_inputs`), each once: a file named both itself
    and through its folder counts once."""
    from ..io.readers import expand_inputs

    unique: dict[str, str] = {}
    for f in expand_inputs(inputs, on_problem):
        unique.setdefault(f if f == "-" else os.path.realpath(f), f)
    return list(unique.values())


def _field(extra: dict[str, Any], by: str) -> str:
    if by.startswith("meta."):
        meta = extra.get("meta")
        value = meta.get(by[5:]) if isinstance(meta, dict) else None
    else:
        value = extra.get(by)
    return "(none)" if value is None or value == "" else str(value)


def summarize(
    inputs: Sequence[str],
    tagger: Any,
    *,
    by: Optional[str] = None,
    threshold: Optional[float] = None,
    input_format: Optional[str] = None,
    encoding: str = "utf-8",
    batch_size: int = 512,
    on_problem: Optional[Callable[[Problem], None]] = None,
    on_record: Optional[Callable[[Any], None]] = None,
) -> dict[str, Any]:
    """Tag every paragraph of the inputs and count, per document, the paragraphs per label.

    Returns ``{"labels": [...], "documents": [{"document", "paragraphs", "counts",
    "shares", "none", "none_share"}, ...]}`` in order of first appearance; shares are
    fractions of the document's paragraphs (a paragraph may carry several labels).
    Bad lines go to ``on_problem`` as in ``predict``; a document with no paragraph is
    left out.
    """
    from ..io.readers import read_records

    labels = list(tagger.labels)
    files = unique_files(inputs, on_problem)
    keys: deque[str] = deque()

    def records() -> Iterator[Any]:
        for path in files:
            try:
                for rec in read_records(path, input_format, encoding=encoding, on_problem=on_problem):
                    keys.append(_field(rec.extra, by) if by else ("<stdin>" if path == "-" else path))
                    if on_record is not None:
                        on_record(rec)
                    yield rec
            except PolicytagError as err:
                if on_problem is None:
                    raise
                on_problem(Problem.from_error(err))

    table: dict[str, dict[str, Any]] = {}
    for row in tagger.tag_records(records(), batch_size=batch_size, threshold=threshold):
        key = keys.popleft()
        doc = table.setdefault(key, {"document": key, "paragraphs": 0, "counts": dict.fromkeys(labels, 0), "none": 0})
        doc["paragraphs"] += 1
        for lab in row["labels"]:
            doc["counts"][lab] += 1
        doc["none"] += not row["labels"]
    documents = []
    for doc in table.values():
        n = doc["paragraphs"]
        documents.append({
            "document": doc["document"], "paragraphs": n,
            "shares": {lab: round(c / n, 4) for lab, c in doc["counts"].items()},
            "none_share": round(doc["none"] / n, 4),
            "counts": doc["counts"], "none": doc["none"],
        })
    return {"labels": labels, "documents": documents}


# --------------------------------------------------------------------------- output


def format_table(summary: dict[str, Any]) -> str:
    """Plain-text table: one row per document, the share of its paragraphs per label in %."""
    from ..io.writers import _clip, _width

    labels = summary["labels"]
    docs = summary["documents"]
    width = min(max([len("document"), *(_width(d["document"]) for d in docs)]), 48)
    cols = [(lab, max(_width(lab), 6)) for lab in labels] + [("(none)", 6)]
    lines = [f"{'document':<{width}} {'paragraphs':>10} " + " ".join(" " * (w - _width(n)) + n for n, w in cols)]
    for d in docs:
        name = d["document"]
        if _width(name) > width:  # keep the end: the file name tells documents apart
            name = "…" + _clip(name[::-1], width)[:-1][::-1]
        shares = [d["shares"][lab] for lab in labels] + [d["none_share"]]
        lines.append(name + " " * (width - _width(name) + 1) + f"{d['paragraphs']:>10} "
                     + " ".join(f"{100 * s:>{w - 1}.1f}%" for s, (_, w) in zip(shares, cols)))
    return "\n".join(lines) + "\n"


def format_csv(summary: dict[str, Any]) -> str:
    """CSV: document, paragraphs, ``share_<label>``…, ``none_share``, ``count_<label>``…, ``none``."""
    labels = summary["labels"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["document", "paragraphs", *[f"share_{lab}" for lab in labels], "none_share",
                     *[f"count_{lab}" for lab in labels], "none"])
    for d in summary["documents"]:
        writer.writerow([d["document"], d["paragraphs"], *[d["shares"][lab] for lab in labels], d["none_share"],
                         *[d["counts"][lab] for lab in labels], d["none"]])
    return buf.getvalue()


def format_jsonl(summary: dict[str, Any]) -> str:
    """One JSON object per document."""
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in summary["documents"])


FORMATTERS = {"table": format_table, "csv": format_csv, "jsonl": format_jsonl}


def _short_names(names: Iterable[str]) -> list[str]:
    names = list(names)
    paths = [n for n in names if os.sep in n]
    if len(paths) == len(names) and len(names) > 1:
        try:
            common = os.path.commonpath(names)
        except ValueError:
            return names
        if common:
            return [os.path.relpath(n, common) for n in names]
    return names


def chart(summary: dict[str, Any]) -> bytes:
    """Bar chart PNG: one panel per label (and "(none)"), one bar per document, share in %."""
    from ..report import plots as _plots

    labels = summary["labels"]
    docs = summary["documents"]
    names = _short_names(d["document"] for d in docs)
    panels = [*labels, "(none)"]
    values = [[100 * (d["shares"][lab] if lab in d["shares"] else d["none_share"]) for d in docs] for lab in panels]
    top = max([max(v, default=0) for v in values] + [1.0])
    height = 1.8 + 0.3 * max(len(docs), 3)
    with _plots.figure(1.9 * len(panels) + 1.6, height, "summarize --chart", [*names, *labels]) as fig:
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
        pos = list(range(len(docs)))
        for k, (ax, lab, vals) in enumerate(zip(axes, panels, values)):
            colour = "#999999" if lab == "(none)" else f"C{k % 10}"
            ax.barh(pos, vals, color=colour)
            for p, v in zip(pos, vals):
                ax.text(v + top * 0.02, p, f"{v:.0f}", va="center", fontsize=7)
            ax.set_title(lab)
            ax.set_xlim(0, top * 1.25)
            ax.grid(axis="x", alpha=0.3)
            ax.set_xlabel("% of paragraphs")
        axes[0].set_yticks(pos, names)
        axes[0].invert_yaxis()
        fig.suptitle("share of paragraphs per label, by document")
        return _plots.png_bytes(fig)
