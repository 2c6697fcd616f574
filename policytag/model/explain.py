"""Evidence for tags: which terms moved each label's score, from the model's own weights.

A label's score is ``sigmoid(intercept + Σ value_f × weight_f)`` over the features of
one text — the paragraph, or, with sentence pooling, the sentence that scored
highest. :func:`explain` returns exactly those numbers: the intercept, each
feature's contribution ``value_f × weight_f`` (in log-odds), and their sum, which
reproduces the score. Nothing is approximated or re-fitted.

Features are words and word pairs (jieba tokens), character n-grams and cue terms
of the taxonomy; each term is shown with the sentences that contain it, so a tag can
be cited with the sentence that carries it.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np


def _sentences_with(term: str, kind: str, sentences: list[str], cue_terms: dict[str, list[str]]) -> list[str]:
    if kind == "cue":
        label, _, single = term[len("cue=") :].partition(":")
        needles = [single] if single else list(cue_terms.get(label, []))
    elif kind == "word" and " " in term:
        needles = ["".join(term.split(" "))]
    else:
        needles = [term]
    out = []
    for s in sentences:
        low = s.lower()
        if any(n and (n in s or n in low) for n in needles):
            out.append(s)
    if not out and kind == "word" and " " in term:  # a pair split by punctuation: cite each half
        halves = term.split(" ")
        out = [s for s in sentences if all(h in s.lower() for h in halves)]
    return out


def explain(tagger: Any, text: str, top: int = 8, threshold: Optional[float] = None) -> dict[str, Any]:
    """Per-label evidence for one paragraph (see the module docstring).

    Returns ``{"text", "labels", "explanations": {label: {...}}}`` where each label
    has ``score``, ``threshold``, ``tagged``, ``scope`` (``"paragraph"`` or
    ``"sentence"``), ``scored_text``, ``intercept``, ``logit`` (intercept plus all
    contributions), and ``up`` / ``down``: the ``top`` features that raised or
    lowered the score, each ``{"term", "kind", "contribution", "sentences"}``.
    """
    from ..text.normalize import normalize
    from ..text.segment import split_sentences
    from .scoring import labels_at, sigmoid

    model = tagger.model
    norm = normalize(text) if isinstance(text, str) else ""
    thresholds = tagger._thresholds(threshold)
    sentences = split_sentences(norm) if norm else []
    candidates = [norm] + (sentences if model.pool_sentences and len(sentences) > 1 else [])
    explanations: dict[str, Any] = {}
    labels: list[str] = []
    if not norm:
        for j, lab in enumerate(model.labels):
            explanations[lab] = {
                "score": 0.0, "threshold": float(thresholds[j]), "tagged": False, "scope": "paragraph",
                "scored_text": "", "intercept": float(model.intercept[j]), "logit": None, "up": [], "down": [],
            }
        return {"text": text, "normalized": norm, "labels": labels, "explanations": explanations}
    contributions = model.contributions(candidates)  # one pass; the scores are their sums
    scores = np.array([c.sum(axis=0) for _, c in contributions]).reshape(len(candidates), -1) + model.intercept
    for j, lab in enumerate(model.labels):
        best = int(np.argmax(scores[:, j]))
        feats, contrib = contributions[best]
        c = contrib[:, j]
        logit = float(model.intercept[j] + c.sum())
        score = float(sigmoid(logit))  # the scored row is the pooled maximum: the best logit
        tagged = bool(labels_at(np.float64(score), thresholds[j]))
        if tagged:
            labels.append(lab)
        scope_sentences = sentences if best == 0 else [candidates[best]]
        order = np.argsort(-c, kind="stable")

        def item(k: int) -> dict[str, Any]:
            f = int(feats[k])
            name, kind = model.feature_name(f), model.feature_kind(f)
            return {
                "term": name,
                "kind": kind,
                "contribution": round(float(c[k]), 4),
                "sentences": _sentences_with(name, kind, scope_sentences or [norm], model.cue_terms),
            }

        up = [item(k) for k in order[:top] if c[k] > 0]
        down = [item(k) for k in order[::-1][:top] if c[k] < 0]
        explanations[lab] = {
            "score": round(score, 4),
            "threshold": round(float(thresholds[j]), 4),
            "tagged": bool(tagged),
            "scope": "paragraph" if best == 0 else "sentence",
            "scored_text": candidates[best],
            "intercept": round(float(model.intercept[j]), 4),
            "logit": round(logit, 4),
            "up": up,
            "down": down,
        }
    return {"text": text, "normalized": norm, "labels": labels, "explanations": explanations}


def evidence(explanation: dict[str, Any], per_label: int = 3) -> dict[str, list[dict[str, Any]]]:
    """The compact form used in ``predict --evidence``: for each tagged label, its top
    raising terms with one sentence each."""
    out: dict[str, list[dict[str, Any]]] = {}
    for lab in explanation["labels"]:
        items = explanation["explanations"][lab]["up"][:per_label]
        out[lab] = [
            {"term": it["term"], "contribution": it["contribution"], "sentence": (it["sentences"] or [None])[0]}
            for it in items
        ]
    return out


def format_explanation(explanation: dict[str, Any], all_labels: bool = False) -> str:
    """A plain-text rendering for the terminal."""
    lines = [f"text: {explanation['text']}", f"labels: {', '.join(explanation['labels']) or '-'}", ""]
    for lab, ex in explanation["explanations"].items():
        if not all_labels and not ex["tagged"] and ex["score"] < ex["threshold"] / 2:
            continue
        mark = "TAGGED" if ex["tagged"] else "not tagged"
        lines.append(
            f"{lab}: score {ex['score']:.3f} vs threshold {ex['threshold']:.3f} ({mark}); "
            f"scored on the {ex['scope']}; log-odds {ex['logit']} = intercept {ex['intercept']} + terms"
        )
        if ex["scope"] == "sentence":
            lines.append(f"  sentence: {ex['scored_text']}")
        for title, items in (("raised by", ex["up"]), ("lowered by", ex["down"])):
            if items:
                lines.append(f"  {title}:")
                for it in items:
                    where = f"  «{it['sentences'][0]}»" if it["sentences"] else ""
                    lines.append(f"    {it['contribution']:+.3f}  {it['kind']:<4} {it['term']}{where}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
