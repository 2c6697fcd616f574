"""The scoring contract: what the score of a paragraph is, defined once, in NumPy.

A paragraph (and, with sentence pooling, each of its sentences) is a set of features
with counts: words and word pairs, character n-grams, cue terms. Then:

1. :func:`weigh`: each TF-IDF feature's value is ``(1 + log count) × idf`` (sublinear
   TF), L2-normalised within its block (words, characters) of its doc, times the
   block's weight; a cue feature is ``1 × cue weight``;
2. :func:`logits`: one sparse product with the per-label coefficients, plus the
   intercepts;
3. :func:`pooled_proba`: the sigmoid of each row, and a paragraph's probability is the
   maximum over its own row and its sentences' rows;
4. :func:`labels_at`: a label is given when its probability reaches its threshold.

The NumPy backend (:class:`~policytag.model.compiled.CompiledModel`) and
:func:`~policytag.model.explain.explain` call these functions; the numba kernel
(:mod:`policytag.kernel.score`) cannot call Python, so it computes the same in its own
loop and ``tests/test_scoring.py`` holds it to these functions. The training side
(scikit-learn's TfidfVectorizer and LogisticRegression) is what the arrays are compiled
from, and is checked against them in ``tests/test_compiled.py``.
"""
from __future__ import annotations

import numpy as np

#: feature blocks
WORDS, CHARS, CUES = 0, 1, 2
N_BLOCKS = 3

# feature entries in a batch from which scipy.sparse does the product (~6x faster on
# big batches; scipy is only imported then, so a one-paragraph call does not pay for it)
SPARSE_FROM = 20_000


def weigh(doc: np.ndarray, feat: np.ndarray, counts: np.ndarray, n_docs: int, idf: np.ndarray,
          block: np.ndarray, block_weight: np.ndarray) -> np.ndarray:
    """The value of each (doc, feature, count) entry: sublinear TF-IDF, L2-normalised
    within each TF-IDF block of each doc, times the block weight; cue entries are 1
    times the cue weight."""
    blk = block[feat].astype(np.int64)
    tfidf = blk != CUES
    val = np.where(tfidf, (1.0 + np.log(counts)) * idf[feat], 1.0)
    norm2 = np.bincount(doc * N_BLOCKS + blk, weights=val * val * tfidf, minlength=N_BLOCKS * n_docs)
    scale = np.where(norm2 > 0, 1.0 / np.sqrt(np.where(norm2 > 0, norm2, 1.0)), 1.0)
    return val * scale[doc * N_BLOCKS + blk] * block_weight[blk]


def logits(doc: np.ndarray, feat: np.ndarray, val: np.ndarray, n_docs: int, coef: np.ndarray,
           intercept: np.ndarray) -> np.ndarray:
    """Linear scores ``(n_docs, n_labels)`` of weighed entries sorted by doc."""
    out = np.zeros((n_docs, coef.shape[1]))
    if len(doc) >= SPARSE_FROM:
        from scipy.sparse import csr_matrix

        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(doc, minlength=n_docs), out=indptr[1:])
        out = np.asarray(csr_matrix((val, feat, indptr), shape=(n_docs, coef.shape[0])) @ coef)
    elif len(doc):
        firsts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
        out[doc[firsts]] = np.add.reduceat(val[:, None] * coef[feat], firsts, axis=0)
    return out + intercept


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """The logistic function (0 and 1 at the far ends, without overflow warnings)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def pooled_proba(scores: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    """Probabilities of ``n`` paragraphs from linear scores: the sigmoid of their own rows
    (``scores[:n]``), raised to the highest of their sentence rows (``scores[n:]``,
    ``owners`` giving each one's paragraph)."""
    P = sigmoid(scores)
    head = P[:n].copy()
    if len(owners):
        np.maximum.at(head, owners, P[n:])
    return head


def labels_at(P: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Which labels each row is given: its probability at or above the label's threshold."""
    return P >= thresholds
