"""The model: one-vs-rest linear classifiers with per-label thresholds fitted out of fold.

:class:`ThresholdedOneVsRestClassifier` is a scikit-learn estimator (it passes
``parametrize_with_checks``). For each label it fits a clone of a probabilistic
binary classifier; before the final fit it collects out-of-fold probabilities with
multi-label stratified folds (iterative stratification, Sechidis et al. 2011) and
picks, per label, the threshold that maximises F1 on them. Deterministic for a
fixed ``random_state``.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from ..errors import PolicytagError


def best_f1_threshold(scores: np.ndarray, truth: np.ndarray, tolerance: float = 0.0) -> tuple[float, float]:
    """A threshold on ``scores`` with (near-)best F1 for binary ``truth``, and its F1.

    With ``tolerance=0`` it is the cut of the highest F1. With ``tolerance > 0`` every cut
    whose F1 is within ``tolerance`` of the best qualifies, and the middle one (by rank) is
    taken: out-of-fold F1 curves are often flat near their top, and the plain argmax then
    jumps between far-apart cuts when a few training labels change (on our corpus the
    accountability threshold moved from 0.27 to 0.56 when 66 of 4,375 paragraphs were
    relabelled); the middle of the plateau does not.

    The threshold is placed halfway between the lowest accepted score and the next one
    down, so it does not sit exactly on a training score. With no positives the label is
    never predicted (threshold just above the top score, capped at 1).
    """
    scores = np.asarray(scores, dtype=float)
    truth = np.asarray(truth).astype(bool)
    n_pos = int(truth.sum())
    if n_pos == 0 or len(scores) == 0:
        return 1.0, 0.0
    order = np.argsort(-scores, kind="mergesort")
    s, t = scores[order], truth[order]
    tp = np.cumsum(t)
    k = np.arange(1, len(s) + 1)
    f1 = 2 * tp / (k + n_pos)
    # only cut where the score changes, so ties stay together
    valid = np.r_[s[1:] < s[:-1], True]
    f1 = np.where(valid, f1, -1.0)
    best = int(np.argmax(f1))
    if tolerance > 0:
        plateau = np.flatnonzero(f1 >= f1[best] - tolerance)
        best = int(plateau[len(plateau) // 2])
    lower = s[best + 1] if best + 1 < len(s) else 0.0
    threshold = float((s[best] + lower) / 2)
    if best + 1 < len(s) and threshold <= lower:  # the two scores are adjacent floats
        threshold = float(s[best])
    return min(max(threshold, 0.0), 1.0), float(f1[best])


def precision_recall_curve(scores: np.ndarray, truth: np.ndarray, max_points: int = 200) -> dict[str, list[float]]:
    """Precision and recall of ``scores >= t`` for thresholds ``t`` at the distinct scores,
    thinned to at most ``max_points`` (kept in decreasing threshold order)."""
    scores = np.asarray(scores, dtype=float)
    truth = np.asarray(truth).astype(bool)
    n_pos = int(truth.sum())
    if n_pos == 0 or len(scores) == 0:
        return {"threshold": [], "precision": [], "recall": []}
    order = np.argsort(-scores, kind="mergesort")
    s, t = scores[order], truth[order]
    tp = np.cumsum(t)
    k = np.arange(1, len(s) + 1)
    cut = np.flatnonzero(np.r_[s[1:] < s[:-1], True])
    if len(cut) > max_points:
        cut = cut[np.unique(np.linspace(0, len(cut) - 1, max_points).round().astype(int))]
    return {
        "threshold": [round(float(x), 6) for x in s[cut]],
        "precision": [round(float(x), 4) for x in tp[cut] / k[cut]],
        "recall": [round(float(x), 4) for x in tp[cut] / n_pos],
    }


class ThresholdedOneVsRestClassifier(ClassifierMixin, BaseEstimator):
    """One binary classifier per label, each with its own out-of-fold tuned threshold.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``, default LogisticRegression
    cv : int, folds used to collect out-of-fold probabilities (``<2`` disables tuning)
    tune_thresholds : bool, fit per-label thresholds (else 0.5)
    random_state : int or None, seeds the folds
    threshold_tolerance : float, take the middle of the cuts whose out-of-fold F1 is within
        this of the best (see :func:`best_f1_threshold`); 0 takes the best cut itself

    Targets may be binary (1-D) or a multi-label indicator matrix (2-D).
    Fitted attributes: ``classes_``, ``estimators_``, ``thresholds_``,
    ``oof_scores_`` (out-of-fold probabilities), ``n_features_in_``.
    """

    def __init__(
        self,
        estimator: Any = None,
        cv: int = 5,
        tune_thresholds: bool = True,
        random_state: Optional[int] = None,
        threshold_tolerance: float = 0.0,
    ) -> None:
        self.estimator = estimator
        self.cv = cv
        self.tune_thresholds = tune_thresholds
        self.random_state = random_state
        self.threshold_tolerance = threshold_tolerance

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.input_tags.sparse = True
        return tags

    def _base(self) -> Any:
        if self.estimator is None:
            return LogisticRegression(solver="liblinear", random_state=self.random_state)
        return self.estimator

    def _folds(self, Y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        n = Y.shape[0]
        if not self.tune_thresholds or self.cv is None or self.cv < 2:
            return []
        if Y.shape[1] == 1:
            from sklearn.model_selection import StratifiedKFold

            counts = np.bincount(Y[:, 0].astype(int), minlength=2)
            k = min(int(self.cv), int(counts.min()))
            if k < 2:
                return []
            splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=self.random_state)
            return list(splitter.split(np.zeros(n), Y[:, 0]))
        if n < 2 * self.cv:
            return []
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

        splitter = MultilabelStratifiedKFold(n_splits=int(self.cv), shuffle=True, random_state=self.random_state)
        return list(splitter.split(np.zeros((n, 1)), Y))

    @staticmethod
    def _fit_one(base: Any, X: Any, y: np.ndarray) -> Any:
        if y.min() == y.max():
            return float(y[0])  # constant label: its probability is fixed
        return clone(base).fit(X, y)

    @staticmethod
    def _proba_one(est: Any, X: Any) -> np.ndarray:
        if isinstance(est, float):
            return np.full(X.shape[0], est)
        return est.predict_proba(X)[:, 1]

    def fit(self, X: Any, y: Any) -> "ThresholdedOneVsRestClassifier":
        """Fit one classifier per label and tune its threshold on out-of-fold scores."""
        X, y = validate_data(self, X, y, accept_sparse="csr", multi_output=True, dtype=[np.float64, np.float32])
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()  # a column vector is a single binary target
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type == "binary":
            self.classes_ = np.unique(y)
            Y = (y == self.classes_[-1]).astype(int).reshape(-1, 1)
            if len(self.classes_) == 1:
                Y = np.ones_like(Y)
            self._multilabel = False
        elif y_type == "multilabel-indicator":
            Y = np.asarray(y).astype(int)
            self.classes_ = np.arange(Y.shape[1])
            self._multilabel = True
        else:
            raise ValueError(
                "Only binary classification is supported. The type of the target "
                f"is {y_type}; multilabel-indicator targets are supported too."
            )
        base = self._base()
        oof = np.full(Y.shape, np.nan)
        for train, test in self._folds(Y):
            for j in range(Y.shape[1]):
                est = self._fit_one(base, X[train], Y[train, j])
                oof[test, j] = self._proba_one(est, X[test])
        thresholds = np.full(Y.shape[1], 0.5)
        if not np.isnan(oof).any():
            for j in range(Y.shape[1]):
                if Y[:, j].min() != Y[:, j].max():
                    thresholds[j] = best_f1_threshold(oof[:, j], Y[:, j], self.threshold_tolerance)[0]
        self.oof_scores_ = oof
        self.thresholds_ = thresholds
        self.estimators_ = [self._fit_one(base, X, Y[:, j]) for j in range(Y.shape[1])]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities: ``(n, n_labels)`` for multi-label, ``(n, n_classes)`` for binary."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False, dtype=[np.float64, np.float32])
        P = np.column_stack([self._proba_one(e, X) for e in self.estimators_])
        if self._multilabel:
            return P
        if len(self.classes_) == 1:
            return np.ones((X.shape[0], 1))
        return np.column_stack([1 - P[:, 0], P[:, 0]])

    def predict(self, X: Any) -> np.ndarray:
        """Labels: an indicator matrix for multi-label targets, class labels for binary ones."""
        P = self.predict_proba(X)
        if self._multilabel:
            return (P >= self.thresholds_).astype(int)
        if len(self.classes_) == 1:
            return np.full(P.shape[0], self.classes_[0])
        return self.classes_[(P[:, 1] >= self.thresholds_[0]).astype(int)]


class SentencePoolingPipeline(Pipeline):
    """A text Pipeline whose label scores also look at each sentence on its own.

    The guide tags a paragraph when it says something specific about a topic, and in
    long paragraphs that may be one sentence among many, diluted in the paragraph's
    TF-IDF vector. With ``pool_sentences=True`` a paragraph's score for a label is the
    maximum of its own score and the scores of its sentences (split after 。！？；, in the
    normalised text);
    ``predict`` applies the final step's thresholds to those pooled scores.
    """

    def __init__(self, steps: list, *, pool_sentences: bool = True, transform_input: Any = None,
                 memory: Any = None, verbose: bool = False) -> None:
        super().__init__(steps, transform_input=transform_input, memory=memory, verbose=verbose)
        self.pool_sentences = pool_sentences

    def predict_proba(self, X: Any, **params: Any) -> np.ndarray:
        """Per-label scores, pooled over sentences when ``pool_sentences``."""
        texts = list(X)
        P = np.asarray(super().predict_proba(texts, **params), dtype=float)
        if not self.pool_sentences or not texts:
            return P
        from ..text.normalize import normalize
        from ..text.segment import split_sentences

        owners: list[int] = []
        sentences: list[str] = []
        for i, text in enumerate(texts):
            # split the normalised text, as the compiled model does (NFKC can turn
            # full-width marks into the closing quotes and brackets that keep a sentence)
            parts = split_sentences(normalize(text)) if isinstance(text, str) else []
            if len(parts) > 1:
                owners.extend([i] * len(parts))
                sentences.extend(parts)
        if sentences:
            S = np.asarray(super().predict_proba(sentences, **params), dtype=float)
            np.maximum.at(P, np.asarray(owners), S)
        return P

    def predict(self, X: Any, **params: Any) -> np.ndarray:
        """Indicator matrix: pooled scores at or above the classifier's per-label thresholds."""
        return (self.predict_proba(X, **params) >= self.steps[-1][1].thresholds_).astype(int)


def build_estimator(config: dict[str, Any]) -> Any:
    """The per-label binary classifier named by ``config['classifier']``."""
    kind = config["classifier"]
    cw = config.get("class_weight")
    if kind == "logreg":
        return LogisticRegression(
            C=config["C"], solver="liblinear", class_weight=cw, max_iter=1000, random_state=config["seed"]
        )
    raise PolicytagError("E012", detail=f"unknown classifier {kind!r}; the one supported is 'logreg'")


def build_pipeline(config: dict[str, Any], taxonomy: dict[str, Any]) -> Any:
    """normalise → features → thresholded one-vs-rest, as one scikit-learn Pipeline."""
    from sklearn.preprocessing import FunctionTransformer

    from .features import build_features
    from ..text.normalize import normalize_many

    return SentencePoolingPipeline(
        [
            ("normalize", FunctionTransformer(normalize_many)),
            ("features", build_features(config, taxonomy)),
            (
                "classifier",
                ThresholdedOneVsRestClassifier(
                    build_estimator(config),
                    cv=config["threshold_folds"],
                    random_state=config["seed"],
                    threshold_tolerance=float(config.get("threshold_tolerance", 0.0)),
                ),
            ),
        ],
        pool_sentences=bool(config.get("sentence_pooling", False)),
    )
