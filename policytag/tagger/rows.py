"""The output row of a tagged paragraph: ``{"id", "text", "labels", "scores",
["uncertain"], ["evidence"], **carried fields}``."""
from __future__ import annotations

from typing import Any, Iterator, Optional, Sequence

import numpy as np

from ..model.scoring import labels_at


def _rows(
    labels: Sequence[str],
    items: Sequence[tuple[str, str, dict[str, Any]]],
    P: np.ndarray,
    default: np.ndarray,
    strict: Optional[np.ndarray],
) -> Iterator[dict[str, Any]]:
    """Output rows ``{"id", "text", "labels", "scores", ["uncertain"], **carried}``."""
    th = strict if strict is not None else default
    on = labels_at(P, th).tolist()
    usual = labels_at(P, default).any(axis=1).tolist() if strict is not None else None
    for k, ((rid, text, extra), row_p) in enumerate(zip(items, P.tolist())):
        given = [lab for lab, yes in zip(labels, on[k]) if yes]
        row: dict[str, Any] = {
            "id": rid,
            "text": text,
            "labels": given,
            "scores": {lab: round(p, 4) for lab, p in zip(labels, row_p)},
        }
        if usual is not None:
            row["uncertain"] = not given and usual[k]
        for key, value in extra.items():
            row.setdefault(key, value)
        yield row


def _with_evidence(row: dict[str, Any], ev: dict[str, Any], uncertain: bool) -> dict[str, Any]:
    """``row`` with ``evidence`` after the tagging fields and before the carried ones."""
    head = ("id", "text", "labels", "scores", "uncertain") if uncertain else ("id", "text", "labels", "scores")
    out = {k: row[k] for k in head if k in row}
    out["evidence"] = ev
    out.update((k, v) for k, v in row.items() if k not in out)
    return out
