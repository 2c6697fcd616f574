"""Uncertainty sampling: which unlabelled paragraphs to label next.

``policytag suggest UNLABELLED -n 50`` streams the input once, keeps the ``n`` paragraphs
whose scores sit closest to their labels' thresholds (the model is least sure of
them), skips exact and near-duplicates of paragraphs already picked, and returns them
with the model's suggested labels, ready to be corrected and added to the corpus.
"""
from __future__ import annotations

import heapq
from typing import Any, Iterable, Optional

import numpy as np


def uncertainty(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per row: 1 minus the smallest distance of any label's score to its threshold,
    scaled so that 1 is "exactly on a threshold" and 0 is "every label certain"."""
    scale = np.where(scores >= thresholds, 1 - thresholds, thresholds)
    scale = np.where(scale <= 0, 1.0, scale)
    return 1 - (np.abs(scores - thresholds) / scale).min(axis=1)


def suggest(records: Iterable[Any], tagger: Any, n: int = 50, batch_size: int = 512) -> list[dict[str, Any]]:
    """The ``n`` most uncertain, mutually non-duplicate records, most uncertain first."""
    from ..text.normalize import normalize
    from .quality import char_ngrams
    from ..tagger.batching import _batches
    from ..tagger.rows import four_places, label_lists

    seen: set[int] = set()
    heap: list[tuple[float, int, dict[str, Any]]] = []
    counter = 0
    pool = max(n * 3, n + 20)  # spare candidates, since near-duplicates are dropped at the end
    for batch in _batches(records, batch_size):
        fresh = []
        for rec in batch:
            key = hash(normalize(rec.text))
            if key not in seen:
                seen.add(key)
                fresh.append(rec)
        if not fresh:
            continue
        P = tagger.predict_proba([r.text for r in fresh])
        U = uncertainty(P, tagger.thresholds)
        suggested = label_lists(tagger.labels, P, tagger.thresholds)
        for rec, row, given, u in zip(fresh, P, suggested, U):
            item = {
                "id": rec.id,
                "text": rec.text,
                "suggested_labels": given,
                "scores": four_places(tagger.labels, row),
                "uncertainty": round(float(u), 4),
                **{k: v for k, v in rec.extra.items() if k not in ("labels", "scores")},
            }
            counter += 1
            entry = (float(u), -counter, item)
            if len(heap) < pool:
                heapq.heappush(heap, entry)
            elif entry > heap[0]:
                heapq.heapreplace(heap, entry)
    picked: list[dict[str, Any]] = []
    grams: list[set[str]] = []
    for _, _, item in sorted(heap, key=lambda e: (-e[0], -e[1])):
        g = char_ngrams(normalize(item["text"]))
        if any(len(g & h) / len(g | h) > 0.6 for h in grams):
            continue
        picked.append(item)
        grams.append(g)
        if len(picked) == n:
            break
    return picked


def suggest_files(paths: Iterable[str], tagger: Any, n: int = 50, on_problem: Optional[Any] = None,
                  input_format: Optional[str] = None) -> list[dict[str, Any]]:
    """:func:`suggest` over inputs: files of any readable format, folders, globs, ``-``."""
    from ..io.readers import read_inputs

    return suggest(read_inputs(list(paths), input_format, on_problem=on_problem), tagger, n=n)
