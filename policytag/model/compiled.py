"""The predict-only model: a fitted pipeline compiled to plain arrays.

Training uses scikit-learn; prediction does not need it. :meth:`CompiledModel.from_pipeline`
(:mod:`policytag.model.compile`) turns a fitted
:class:`~policytag.model.estimators.SentencePoolingPipeline` (normalise → word/char
TF-IDF + cue hits → one logistic regression per label) into a :class:`CompiledModel` of
NumPy arrays: the vocabularies as sorted integer keys, idf weights, coefficients and
intercepts. Its scores are the scoring contract's (:mod:`policytag.model.scoring`:
sublinear TF, idf, per-block L2 norm and block weight, logistic score, max-pooling over
sentences), computed by one of two backends:

* :mod:`policytag.model.numpy_backend` (the reference): character n-grams become 63-bit
  integers looked up with ``np.searchsorted``, words come from
  :func:`~policytag.text.tokenize.tokenize` and a token table, cue terms are found by a
  vectorised pre-filter;
* :mod:`policytag.model.kernel_backend`, the numba kernel, for big batches.

This module holds the arrays, their serialisation and the choice of backend. The arrays
load with ``numpy.load(allow_pickle=False)``: a model file holds data, never code.
Scores agree with the scikit-learn pipeline to about 1e-6 (float32 TF-IDF there, float64
here); ``tests/test_compiled.py`` checks it, and ``tests/test_scoring.py`` the backends.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

# kernel_mode and kernel_cache_missing: what callers (the CLI) ask of the backend choice
from .kernel_backend import KernelBackend, kernel_cache_missing, kernel_mode  # noqa: F401
from .numpy_backend import NumpyBackend, _code_points_of, _codepoints
from .scoring import pooled_proba


@dataclass
class CompiledModel(NumpyBackend, KernelBackend):
    """Arrays that reproduce a fitted policytag pipeline's scores (see module docstring)."""

    labels: list[str]
    tokens: list[str]  # word-token table: token id -> token
    word_unigram_feat: np.ndarray  # int64 [n_tokens], -1 where the token is no unigram feature
    word_bigram_keys: np.ndarray  # int64 sorted, tid1 * n_tokens + tid2
    word_bigram_feat: np.ndarray
    char_keys: np.ndarray  # int64 sorted, packed code points
    char_feat: np.ndarray
    cue_names: list[str]  # "cue=label" / "cue=label:term", one per cue feature
    cue_offset: int
    cue_terms: dict[str, list[str]]  # every cue term per label (unseen ones still fire "cue=label")
    idf: np.ndarray  # float64 [n_features]; 1 for cue features
    block: np.ndarray  # int8 [n_features]: 0 words, 1 chars, 2 cues
    block_weight: np.ndarray  # float64 [3]
    coef: np.ndarray  # float64 [n_features, n_labels]
    intercept: np.ndarray  # float64 [n_labels]
    ngram: dict[str, list[int]]
    pool_sentences: bool
    _derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_pipeline(cls, pipeline: Any, labels: Sequence[str]) -> "CompiledModel":
        """Compile a fitted SentencePoolingPipeline whose classifier is logistic regression
        (imports scikit-learn: training, and format-1 folders, only)."""
        from .compile import compiled_fields

        return cls(**compiled_fields(pipeline, labels))

    # ------------------------------------------------------------ serialising
    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays for ``numpy.savez`` (strings as UTF-8 bytes joined by newlines)."""
        return {
            "tokens": np.frombuffer("\n".join(self.tokens).encode("utf-8"), dtype=np.uint8),
            "word_unigram_feat": self.word_unigram_feat.astype(np.int32),
            "word_bigram_keys": self.word_bigram_keys,
            "word_bigram_feat": self.word_bigram_feat.astype(np.int32),
            "char_keys": self.char_keys,
            "char_feat": self.char_feat.astype(np.int32),
            "cue_names": np.frombuffer("\n".join(self.cue_names).encode("utf-8"), dtype=np.uint8),
            "idf": self.idf.astype(np.float32),
            "block": self.block,
            "block_weight": self.block_weight,
            "coef": self.coef.astype(np.float32),
            "intercept": self.intercept,
        }

    def spec(self) -> dict[str, Any]:
        """The JSON-able settings that go beside the arrays."""
        return {
            "labels": self.labels,
            "cue_offset": self.cue_offset,
            "cue_terms": self.cue_terms,
            "ngram": self.ngram,
            "pool_sentences": self.pool_sentences,
        }

    @classmethod
    def from_arrays(cls, arrays: Any, spec: dict[str, Any]) -> "CompiledModel":
        """Rebuild from :meth:`to_arrays` output (an ``NpzFile`` or dict) and :meth:`spec`."""

        def text_list(name: str) -> list[str]:
            raw = bytes(np.asarray(arrays[name], dtype=np.uint8))
            return raw.decode("utf-8").split("\n") if raw else []

        return cls(
            labels=list(spec["labels"]),
            tokens=text_list("tokens"),
            word_unigram_feat=np.asarray(arrays["word_unigram_feat"], dtype=np.int64),
            word_bigram_keys=np.asarray(arrays["word_bigram_keys"], dtype=np.int64),
            word_bigram_feat=np.asarray(arrays["word_bigram_feat"], dtype=np.int64),
            char_keys=np.asarray(arrays["char_keys"], dtype=np.int64),
            char_feat=np.asarray(arrays["char_feat"], dtype=np.int64),
            cue_names=text_list("cue_names"),
            cue_offset=int(spec["cue_offset"]),
            cue_terms={k: list(v) for k, v in spec.get("cue_terms", {}).items()},
            idf=np.asarray(arrays["idf"], dtype=np.float64),
            block=np.asarray(arrays["block"], dtype=np.int8),
            block_weight=np.asarray(arrays["block_weight"], dtype=np.float64),
            coef=np.asarray(arrays["coef"], dtype=np.float64),
            intercept=np.asarray(arrays["intercept"], dtype=np.float64),
            ngram={k: list(v) for k, v in spec["ngram"].items()},
            pool_sentences=bool(spec["pool_sentences"]),
        )

    # ------------------------------------------------------------- predicting

    def decision(self, normalized: Sequence[str], pool: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Linear scores of normalised paragraphs (rows ``0..n-1``) and, with ``pool``, of
        their sentences (later rows); and the owner paragraph of each sentence row.

        Big workloads run on the compiled kernel (:mod:`policytag.kernel.score`), small ones
        in NumPy; both compute the same scores (see :meth:`_kernel_for`)."""
        kernel = self._kernel_for(len(normalized))
        if kernel is not None:
            return self._kernel_decision(normalized, pool, kernel)
        return self._numpy_decision(normalized, pool)

    def predict_proba(self, normalized: Sequence[str]) -> np.ndarray:
        """Label probabilities of normalised paragraphs, max-pooled over their sentences."""
        n = len(normalized)
        if n == 0:
            return np.zeros((0, len(self.labels)))
        return pooled_proba(*self.decision(normalized, self.pool_sentences), n)

    def proba_of_texts(self, texts: Sequence[Any]) -> np.ndarray:
        """:meth:`predict_proba` of raw texts, normalised here (a non-string counts as
        empty, and a text that normalises to nothing gets 0 for every label).

        On the kernel, a text whose characters :func:`~policytag.text.normalize.pass_through_table`
        passes or :func:`~policytag.text.normalize.expansions` expands is normalised and
        lower-cased in the kernel too (``_kernel.prepare``, the same result as
        ``normalize``; most policy text), so only the rest costs Python."""
        items = [t if isinstance(t, str) else "" for t in texts]
        n = len(items)
        kernel = self._kernel_for(n)
        if kernel is None:
            from ..text.normalize import normalize_many

            normalized = normalize_many(items)  # already counted by _kernel_for: not predict_proba
            P = self.predict_proba_numpy(normalized) if n else np.zeros((0, len(self.labels)))
            empty = np.array([not t for t in normalized], dtype=bool)
        else:
            P, empty = self._kernel_proba_of_texts(items, kernel)
        if empty.any():
            P[empty] = 0.0
        return P

    def predict_proba_numpy(self, normalized: Sequence[str]) -> np.ndarray:
        """:meth:`predict_proba` on the NumPy path whatever the kernel mode."""
        return pooled_proba(*self._numpy_decision(normalized, self.pool_sentences), len(normalized))

    def feature_name(self, j: int) -> str:
        """A readable name for feature ``j``: a word, a word pair, a character n-gram or a cue."""
        d = self._prepare()
        names = d.get("names")
        if names is None:
            names = {}
            for tid, f in enumerate(self.word_unigram_feat.tolist()):
                if f >= 0:
                    names[f] = self.tokens[tid]
            n_tok = d["n_tok"]
            for key, f in zip(self.word_bigram_keys.tolist(), self.word_bigram_feat.tolist()):
                names[f] = self.tokens[key // n_tok] + " " + self.tokens[key % n_tok]
            for key, f in zip(self.char_keys.tolist(), self.char_feat.tolist()):
                names[f] = "".join(map(chr, _code_points_of(key)))
            for i, name in enumerate(self.cue_names):
                names[self.cue_offset + i] = name
            d["names"] = names
        return names.get(j, f"#{j}")

    def feature_kind(self, j: int) -> str:
        """``"word"``, ``"char"`` or ``"cue"``."""
        return ("word", "char", "cue")[int(self.block[j])]


