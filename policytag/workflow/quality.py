"""Corpus quality checks: counts, bad lines, duplicates, near-duplicates, likely mislabels.

``policytag check DATA.jsonl`` runs :func:`check`. Unlike training, it reads leniently:
every bad line is collected and reported, so one run shows every problem in a file.
"""
from __future__ import annotations

import collections
from pathlib import Path
from typing import Any, Optional, Sequence

from ..errors import Problem


def char_ngrams(text: str, k: int = 5) -> set[str]:
    """The set of character ``k``-grams of ``text`` (the whole text when shorter)."""
    return {text[i : i + k] for i in range(max(1, len(text) - k + 1))}


def near_duplicates(texts: Sequence[str], threshold: float = 0.6, k: int = 5) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, jaccard)`` with ``i < j`` whose character k-gram Jaccard exceeds ``threshold``.

    Texts are compared normalised and without spaces, so script, width and spacing variants of one
    paragraph count as duplicates. An inverted index keeps this near-linear on real corpora.
    """
    from ..text.normalize import normalize

    grams = [char_ngrams("".join(normalize(t).split()), k) for t in texts]
    index: dict[str, list[int]] = collections.defaultdict(list)
    for i, g in enumerate(grams):
        for x in g:
            index[x].append(i)
    pairs = []
    for i, g in enumerate(grams):
        shared = collections.Counter(j for x in g for j in index[x] if j > i)
        for j, inter in shared.items():
            jaccard = inter / len(g | grams[j])
            if jaccard > threshold:
                pairs.append((i, j, round(jaccard, 3)))
    return pairs


def _read_lenient(path: str, known: Sequence[str]) -> tuple[list[dict[str, Any]], list[Problem]]:
    from ..io.corpus import iter_labelled

    problems: list[Problem] = []
    rows = [
        {"id": ex.id, "text": ex.text, "labels": ex.labels, "where": f"{ex.source}:{ex.line}"}
        for ex in iter_labelled(path, known, on_problem=problems.append)
    ]
    return rows, problems


def check(
    paths: Sequence[Path | str],
    taxonomy: Optional[dict[str, Any]] = None,
    folds: int = 5,
    top: int = 20,
    seed: int = 0,
) -> dict[str, Any]:
    """Quality report for labelled JSONL files.

    Returns counts per label, the number with no label, every bad line (as problems),
    exact and near-duplicate pairs, and — when ``folds >= 2`` and the data allow — the
    ``top`` paragraphs whose gold labels disagree most with out-of-fold predictions of a
    model trained on the rest (likely mislabelled: look at these first).
    """
    from ..resources import load_taxonomy

    tax = taxonomy or load_taxonomy()
    known = [lab["id"] for lab in tax["labels"]]
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for p in paths:
        r, pr = _read_lenient(str(p), known)
        rows.extend(r)
        problems.extend(pr)
    counts = collections.Counter(lab for r in rows for lab in r["labels"])
    ids = collections.Counter(r["id"] for r in rows)
    pairs = near_duplicates([r["text"] for r in rows])
    report: dict[str, Any] = {
        "n": len(rows),
        "label_counts": {lab: counts.get(lab, 0) for lab in known},
        "no_label": sum(1 for r in rows if not r["labels"]),
        "problems": [str(p) for p in problems],
        "duplicate_ids": sorted(i for i, c in ids.items() if c > 1),
        "near_duplicates": [
            {"a": rows[i]["where"], "b": rows[j]["where"], "jaccard": jac,
             "same_labels": sorted(rows[i]["labels"]) == sorted(rows[j]["labels"])}
            for i, j, jac in pairs
        ],
        "suspects": [],
    }
    if folds >= 2:
        report["suspects"] = _suspects(rows, known, tax, folds, top, seed)
    return report


def _suspects(rows: list[dict[str, Any]], known: list[str], tax: dict[str, Any], folds: int, top: int, seed: int) -> list[dict[str, Any]]:
    import numpy as np

    from ..model.config import load_config
    from ..model.estimators import build_pipeline

    Y = np.array([[lab in r["labels"] for lab in known] for r in rows], dtype=int)
    if len(rows) < 2 * folds or (Y.sum(axis=0) < folds).any():
        return []
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    config = load_config(overrides={"threshold_folds": 3, "seed": seed})
    texts = np.asarray([r["text"] for r in rows], dtype=object)
    P = np.zeros(Y.shape)
    for tr, te in MultilabelStratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros((len(rows), 1)), Y):
        P[te] = build_pipeline(config, tax).fit(list(texts[tr]), Y[tr]).predict_proba(list(texts[te]))
    disagreement = np.abs(Y - P).sum(axis=1)
    order = np.argsort(-disagreement, kind="mergesort")[:top]
    return [
        {
            "where": rows[i]["where"],
            "id": rows[i]["id"],
            "text": rows[i]["text"],
            "gold": rows[i]["labels"],
            "predicted": [lab for lab, p in zip(known, P[i]) if p >= 0.5],
            "disagreement": round(float(disagreement[i]), 3),
        }
        for i in order
    ]
