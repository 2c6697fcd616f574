"""The output row of a tagged paragraph: ``{"id", "text", "labels", "scores",
["uncertain"], ["evidence"], **carried fields}``, and its two parts every caller builds
the same way: :func:`label_lists` (the labels at the thresholds) and :func:`four_places`
(the scores rounded to four places). The Tagger, Dask and ``suggest`` use them; the JSON
Lines writers (``tagger/jsonl.py``) write the same bytes from pieces, for speed."""
from __future__ import annotations

from typing import Any, Iterator, Optional, Sequence

import numpy as np

from ..model.scoring import labels_at


def label_lists(labels: Sequence[str], P: np.ndarray, thresholds: np.ndarray) -> list[list[str]]:
    """Each row's labels: those whose probability reaches its threshold, in label order."""
    return [[lab for lab, yes in zip(labels, on) if yes] for on in labels_at(P, thresholds).tolist()]


def four_places(labels: Sequence[str], row: Sequence[float]) -> dict[str, float]:
    """One row's scores by label, rounded to four places (as output rows carry them)."""
    return {lab: round(float(p), 4) for lab, p in zip(labels, row)}


def _rows(
    labels: Sequence[str],
    items: Sequence[tuple[str, str, dict[str, Any]]],
    P: np.ndarray,
    default: np.ndarray,
    strict: Optional[np.ndarray],
) -> Iterator[dict[str, Any]]:
    """Output rows ``{"id", "text", "labels", "scores", ["uncertain"], **carried}``."""
    th = strict if strict is not None else default
    given_all = label_lists(labels, P, th)
    usual = labels_at(P, default).any(axis=1).tolist() if strict is not None else None
    for k, ((rid, text, extra), row_p) in enumerate(zip(items, P.tolist())):
        given = given_all[k]
        row: dict[str, Any] = {
            "id": rid,
            "text": text,
            "labels": given,
            "scores": four_places(labels, row_p),
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
