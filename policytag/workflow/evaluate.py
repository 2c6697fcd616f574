"""Evaluation: per-label P/R/F1, micro/macro F1 and exact match, sliced on demand,
for the model and, side by side, for the plain cue-term lexicon of ``labels/``.

The lexicon turns a label on when any of its cue terms occurs in the normalised
text. On real documents it is a strong baseline; the model is only worth shipping
where it beats it.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from ..errors import PolicytagError


def multilabel_metrics(Y_true: np.ndarray, Y_pred: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """Per-label precision/recall/F1/support, micro and macro F1, exact-match ratio."""
    Y_true = np.asarray(Y_true).astype(bool)
    Y_pred = np.asarray(Y_pred).astype(bool)
    per: dict[str, dict[str, float]] = {}
    tps = fps = fns = 0
    f1s = []
    for j, lab in enumerate(labels):
        t, p = Y_true[:, j], Y_pred[:, j]
        tp, fp, fn = int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum())
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[lab] = {"precision": prec, "recall": rec, "f1": f1, "support": int(t.sum()), "predicted": int(p.sum())}
        tps, fps, fns = tps + tp, fps + fp, fns + fn
        f1s.append(f1)
    micro_p = tps / (tps + fps) if tps + fps else 0.0
    micro_r = tps / (tps + fns) if tps + fns else 0.0
    micro_f1 = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0
    n = int(Y_true.shape[0])
    return {
        "n": n,
        "per_label": per,
        "micro": {"precision": micro_p, "recall": micro_r, "f1": micro_f1},
        "macro": {"f1": float(np.mean(f1s)) if f1s else 0.0},
        "exact_match": float((Y_true == Y_pred).all(axis=1).mean()) if n else 0.0,
    }


def lexicon_predict(texts: Sequence[str], taxonomy: dict[str, Any]) -> np.ndarray:
    """Indicator matrix of the cue-term lexicon (label on when any cue term occurs)."""
    from ..model.features import cue_matcher_from_taxonomy
    from ..text.normalize import normalize

    matcher = cue_matcher_from_taxonomy(taxonomy)
    labels = [lab["id"] for lab in taxonomy["labels"]]
    Y = np.zeros((len(texts), len(labels)), dtype=np.int8)
    for i, text in enumerate(texts):
        hit = matcher.labels_hit(normalize(text))
        for j, lab in enumerate(labels):
            Y[i, j] = lab in hit
    return Y


def field_value(example: Any, field: str) -> str:
    """The value of ``meta.NAME`` or a top-level field of an example, as a slice key."""
    if field.startswith("meta."):
        value = example.meta.get(field[5:])
    elif field in ("id", "text", "source"):
        value = getattr(example, field)
    else:
        raise PolicytagError("E018", field=field)
    return "(none)" if value is None else str(value)


def evaluate_predictions(
    examples: Sequence[Any],
    Y_pred: np.ndarray,
    labels: Sequence[str],
    taxonomy: dict[str, Any],
    by: Optional[str] = None,
) -> dict[str, Any]:
    """Score model predictions and the lexicon on the same gold examples.

    Returns ``{"model": metrics, "lexicon": metrics, "slices": {value: {...}}}``.
    """
    from ..io.corpus import label_matrix

    Y_true = label_matrix(examples, labels)
    Y_lex = lexicon_predict([ex.text for ex in examples], taxonomy)
    report: dict[str, Any] = {
        "model": multilabel_metrics(Y_true, Y_pred, labels),
        "lexicon": multilabel_metrics(Y_true, Y_lex, labels),
    }
    if by:
        keys = [field_value(ex, by) for ex in examples]
        slices: dict[str, Any] = {}
        for key in sorted(set(keys)):
            idx = np.array([k == key for k in keys])
            slices[key] = {
                "model": multilabel_metrics(Y_true[idx], Y_pred[idx], labels),
                "lexicon": multilabel_metrics(Y_true[idx], Y_lex[idx], labels),
            }
        report["by"] = by
        report["slices"] = slices
    return report


def evaluate(gold: str, tagger: Any = None, by: Optional[str] = None, threshold: Optional[float] = None) -> dict[str, Any]:
    """Evaluate a tagger (default: the shipped model) on a gold JSONL file."""
    from ..io.corpus import read_labelled
    from ..tagger.core import Tagger

    tagger = tagger or Tagger.load()
    examples = read_labelled(gold, tagger.labels)
    if by:
        field_value(examples[0], by)  # validate the field name early
    Y_pred = tagger.predict([ex.text for ex in examples], threshold=threshold)
    report = evaluate_predictions(examples, Y_pred, tagger.labels, tagger.taxonomy, by=by)
    report["gold"] = str(gold)
    report["model_id"] = tagger.card.get("model_id")
    return report


def format_report(report: dict[str, Any], title: str = "") -> str:
    """Plain-text table of model vs lexicon per label, then micro/macro F1 and exact match."""
    model, lex = report["model"], report["lexicon"]
    lines = []
    if title:
        lines.append(title)
    lines.append(f"{'label':<15}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}   {'lexicon F1':>10}")
    for lab, m in model["per_label"].items():
        lines.append(
            f"{lab:<15}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f1']:>7.3f}{m['support']:>9d}"
            f"   {lex['per_label'][lab]['f1']:>10.3f}"
        )
    lines.append(
        f"{'micro':<15}{model['micro']['precision']:>7.3f}{model['micro']['recall']:>7.3f}"
        f"{model['micro']['f1']:>7.3f}{model['n']:>9d}   {lex['micro']['f1']:>10.3f}"
    )
    lines.append(f"{'macro':<15}{'':>7}{'':>7}{model['macro']['f1']:>7.3f}{'':>9}   {lex['macro']['f1']:>10.3f}")
    lines.append(f"{'exact match':<15}{'':>14}{model['exact_match']:>7.3f}{'':>9}   {lex['exact_match']:>10.3f}")
    for key, sl in report.get("slices", {}).items():
        lines.append(
            f"  {report['by']}={key}: n={sl['model']['n']} micro-F1 {sl['model']['micro']['f1']:.3f} "
            f"macro-F1 {sl['model']['macro']['f1']:.3f} (lexicon {sl['lexicon']['micro']['f1']:.3f} / "
            f"{sl['lexicon']['macro']['f1']:.3f})"
        )
    return "\n".join(lines)
