"""Compiling a fitted scikit-learn pipeline to the arrays of a
:class:`~policytag.model.compiled.CompiledModel` (the training side: it is the one module
of the model's prediction path that needs scikit-learn, and it is only imported by
:meth:`CompiledModel.from_pipeline`)."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .numpy_backend import _key_of
from .scoring import CHARS as _CHARS
from .scoring import CUES as _CUES
from .scoring import WORDS as _WORDS


def compiled_fields(pipeline: Any, labels: Sequence[str]) -> dict[str, Any]:
    """The fields of a :class:`~policytag.model.compiled.CompiledModel` compiled from a fitted
    SentencePoolingPipeline whose classifier is logistic regression (training side:
    imports scikit-learn)."""
    from sklearn.linear_model import LogisticRegression

    features = pipeline.named_steps["features"]
    clf = pipeline.named_steps["classifier"]
    parts = dict(features.transformer_list)
    weights = features.transformer_weights or {}
    offsets: dict[str, int] = {}
    n_features = 0
    for name, tr in features.transformer_list:
        offsets[name] = n_features
        n_features += len(tr.vocabulary_)
    idf = np.ones(n_features)
    block = np.zeros(n_features, np.int8)
    block_weight = np.zeros(3)
    ngram: dict[str, list[int]] = {"words": [1, 1], "chars": [1, 1]}

    tokens: list[str] = []
    tok_id: dict[str, int] = {}
    uni_pairs: list[tuple[int, int]] = []
    bi_items: list[tuple[int, int, int]] = []
    if "words" in parts:
        tr = parts["words"]
        _check_tfidf(tr, "words")
        off = offsets["words"]
        ngram["words"] = list(tr.ngram_range)
        if tr.ngram_range[1] > 2:
            raise ValueError("compiled models support word n-grams up to 2")
        for gram, j in tr.vocabulary_.items():
            pieces = gram.split(" ")
            ids = []
            for p in pieces:
                if p not in tok_id:
                    tok_id[p] = len(tokens)
                    tokens.append(p)
                ids.append(tok_id[p])
            if len(ids) == 1:
                uni_pairs.append((ids[0], off + j))
            else:
                bi_items.append((ids[0], ids[1], off + j))
        idf[off : off + len(tr.vocabulary_)] = tr.idf_
        block[off : off + len(tr.vocabulary_)] = _WORDS
        block_weight[_WORDS] = float(weights.get("words", 1.0))
    n_tok = max(len(tokens), 1)
    unigram_feat = np.full(len(tokens), -1, np.int64)
    for tid, j in uni_pairs:
        unigram_feat[tid] = j
    bi_keys = np.array([a * n_tok + b for a, b, _ in bi_items], dtype=np.int64)
    bi_feat = np.array([j for _, _, j in bi_items], dtype=np.int64)
    order = np.argsort(bi_keys, kind="stable")

    char_keys = np.zeros(0, np.int64)
    char_feat = np.zeros(0, np.int64)
    if "chars" in parts:
        tr = parts["chars"]
        _check_tfidf(tr, "chars")
        if tr.analyzer != "char" or tr.ngram_range[1] > 3 or not tr.lowercase:
            raise ValueError("compiled models support lower-cased character n-grams up to 3")
        off = offsets["chars"]
        ngram["chars"] = list(tr.ngram_range)
        grams = list(tr.vocabulary_.items())
        char_keys = np.array([_key_of(g) for g, _ in grams], dtype=np.int64)
        char_feat = np.array([off + j for _, j in grams], dtype=np.int64)
        o = np.argsort(char_keys, kind="stable")
        char_keys, char_feat = char_keys[o], char_feat[o]
        idf[off : off + len(tr.vocabulary_)] = tr.idf_
        block[off : off + len(tr.vocabulary_)] = _CHARS
        block_weight[_CHARS] = float(weights.get("chars", 1.0))

    cue_names: list[str] = []
    cue_terms: dict[str, list[str]] = {}
    cue_offset = n_features
    if "cues" in parts:
        tr = parts["cues"]
        cue_offset = offsets["cues"]
        cue_terms = {label: list(terms) for label, terms in tr.analyzer.cues.items()}
        inv = sorted(tr.vocabulary_.items(), key=lambda kv: kv[1])
        cue_names = [name for name, _ in inv]
        block[cue_offset : cue_offset + len(cue_names)] = _CUES
        block_weight[_CUES] = float(weights.get("cues", 1.0))

    n_labels = len(labels)
    coef = np.zeros((n_features, n_labels))
    intercept = np.zeros(n_labels)
    for j, est in enumerate(clf.estimators_):
        if isinstance(est, float):  # constant label in training: fixed probability
            intercept[j] = math.inf if est >= 0.5 else -math.inf
            continue
        if not isinstance(est, LogisticRegression):
            raise ValueError("compiled models need a logistic-regression classifier")
        coef[:, j] = est.coef_[0]
        intercept[j] = est.intercept_[0]
    return dict(
        labels=list(labels),
        tokens=tokens,
        word_unigram_feat=unigram_feat,
        word_bigram_keys=bi_keys[order],
        word_bigram_feat=bi_feat[order],
        char_keys=char_keys,
        char_feat=char_feat,
        cue_names=cue_names,
        cue_offset=cue_offset,
        cue_terms=cue_terms,
        idf=idf,
        block=block,
        block_weight=block_weight,
        coef=coef,
        intercept=intercept,
        ngram=ngram,
        pool_sentences=bool(getattr(pipeline, "pool_sentences", False)),
    )


def _check_tfidf(tr: Any, name: str) -> None:
    if not (tr.sublinear_tf and tr.use_idf and tr.norm == "l2"):
        raise ValueError(f"compiled models need sublinear, idf-weighted, L2-normed TF-IDF ({name})")
