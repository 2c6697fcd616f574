"""The predict-only model: a fitted pipeline compiled to plain arrays.

Training uses scikit-learn; prediction does not need it. :func:`compile_pipeline`
turns a fitted :class:`~policytag.model.estimators.SentencePoolingPipeline` (normalise →
word/char TF-IDF + cue hits → one logistic regression per label) into a
:class:`CompiledModel` of NumPy arrays: the vocabularies as sorted integer keys,
idf weights, coefficients and intercepts. :meth:`CompiledModel.predict_proba`
recomputes exactly what the pipeline computes — sublinear TF, idf, per-block L2
norm and block weight, logistic score, max-pooling over sentences — vectorised over
a whole batch:

* character n-grams (1–3) become 63-bit integers (code points packed 21 bits
  each) looked up with ``np.searchsorted``, so no Python loop runs per n-gram;
* words come from :func:`~policytag.text.tokenize.tokenize` (rjieba when installed)
  and are looked up in a token table; word bigrams are pairs of token ids;
* cue terms are found by a vectorised pre-filter on their first two characters
  and confirmed with ``str.startswith``.

The arrays load with ``numpy.load(allow_pickle=False)``: a model file holds data,
never code. Scores agree with the scikit-learn pipeline to about 1e-6 (float32
TF-IDF there, float64 here); ``tests/test_compiled.py`` checks it.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from .scoring import CHARS as _CHARS
from .scoring import CUES as _CUES
from .scoring import WORDS as _WORDS
from .scoring import logits, pooled_proba, weigh

_SEP = "\x00"  # never in normalised text (normalize drops control characters)
_PREPARE_LOCK = threading.Lock()
_HASH_BASE = np.uint64(0x100000001B3)  # FNV prime: window hashes of cue terms (exactness is re-checked)
# paragraphs a model scores in one process before it moves to the compiled kernel: about
# what the NumPy path does in the time numba takes to import and load its cached code
_KERNEL_FROM = 4096
_KERNEL_MODES = ("auto", "numba", "numpy")
_KERNEL: dict[str, Any] = {}


def kernel_mode() -> str:
    """``POLICYTAG_KERNEL``: ``auto`` (default), ``numba`` or ``numpy``."""
    import os

    mode = os.environ.get("POLICYTAG_KERNEL", "auto").strip().lower() or "auto"
    return mode if mode in _KERNEL_MODES else "auto"


def _load_kernel(required: bool = False) -> Any:
    """:mod:`policytag.kernel.score`, or None when numba is missing or cannot compile here
    (the reason is kept in ``_KERNEL["error"]``); ``required`` raises instead."""
    if "module" not in _KERNEL:
        with _PREPARE_LOCK:
            if "module" not in _KERNEL:
                try:
                    from ..kernel import score as _kernel

                    _KERNEL["module"] = _kernel
                except Exception as exc:  # ImportError, or numba failing on this platform
                    _KERNEL["module"] = None
                    _KERNEL["error"] = f"{type(exc).__name__}: {exc}"
    if _KERNEL["module"] is None and required:
        raise ImportError(f"POLICYTAG_KERNEL=numba but the kernel cannot load ({_KERNEL.get('error')}); "
                          "pip install numba")
    return _KERNEL["module"]


def kernel_cache_missing() -> Optional[str]:
    """The folder numba caches the kernel in when the kernel is to be used but has not
    been built there yet (its first use compiles it, about half a minute); else None.

    Imports numba, so ask only when the kernel is going to be used anyway."""
    if kernel_mode() == "numpy":
        return None
    kernel = _load_kernel()
    if kernel is None:
        return None
    try:
        index = Path(kernel.score._cache._cache_file._index_path)  # numba's cache layout
    except AttributeError:
        return None
    return None if index.is_file() else str(index.parent)


def _pack(cps: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Keys of all character n-grams in a code-point array, and their start positions."""
    m = len(cps) - n + 1
    if m <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = cps[:m].copy()
    ok = key != 0
    for k in range(1, n):
        nxt = cps[k : k + m]
        key = (key << 21) | nxt
        ok &= nxt != 0
    pos = np.flatnonzero(ok)
    return key[pos], pos


def _key_of(gram: str) -> int:
    """A character n-gram packed into one integer, 21 bits per code point."""
    key = 0
    for ch in gram:
        key = (key << 21) | ord(ch)
    return key


def _code_points_of(key: int) -> list[int]:
    """The code points packed by :func:`_key_of`, in order."""
    out = []
    while key:
        out.append(key & 0x1FFFFF)
        key >>= 21
    return out[::-1]


def _codepoints(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """All texts joined by a NUL separator as int64 code points, and each text's start offset."""
    joined = _SEP.join(texts)
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts), dtype=np.int64)
    if len(texts) > 1:
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
    return cps, starts


def _lookup(keys: np.ndarray, table_keys: np.ndarray, table_feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Feature ids of ``keys`` found in a sorted key table, and a mask of which were found."""
    if len(table_keys) == 0 or len(keys) == 0:
        return np.zeros(0, np.int64), np.zeros(len(keys), bool)
    idx = np.searchsorted(table_keys, keys)
    idx[idx == len(table_keys)] = 0
    found = table_keys[idx] == keys
    return table_feats[idx[found]], found


def _sentence_spans(paras: Sequence[str], pool: bool) -> tuple[list[list[str]], list[tuple[int, int, int, int]]]:
    """Each paragraph's sentences (itself alone when it has one, or without ``pool``),
    and a row (paragraph, start, end, sentence doc) per sentence of a split paragraph;
    sentence docs are numbered from ``len(paras)`` in paragraph order."""
    from ..text.segment import split_sentences

    n = len(paras)
    sentences: list[list[str]] = []
    spans: list[tuple[int, int, int, int]] = []
    for i, text in enumerate(paras):
        parts = split_sentences(text) if pool else []
        if len(parts) > 1:
            cursor = 0
            for part in parts:
                at = text.find(part, cursor)
                cursor = at + len(part)
                spans.append((i, at, cursor, n + len(spans)))
            sentences.append(parts)
        else:
            sentences.append([text])
    return sentences, spans


def _ramp(lengths: np.ndarray) -> np.ndarray:
    """0, 1, … lengths[0]-1, 0, 1, … lengths[1]-1, …"""
    total = int(lengths.sum())
    return np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)


def _sentence_map(n_chars: int, starts: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """For each position of a joined text: the sentence doc it lies in, or -1.

    ``spans`` rows are (unit index, start, end, sentence doc) within each unit.
    """
    out = np.full(n_chars, -1, dtype=np.int64)
    if len(spans):
        lengths = spans[:, 2] - spans[:, 1]
        out[np.repeat(starts[spans[:, 0]] + spans[:, 1], lengths) + _ramp(lengths)] = np.repeat(spans[:, 3], lengths)
    return out


@dataclass
class CompiledModel:
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
        """Compile a fitted SentencePoolingPipeline whose classifier is logistic regression."""
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
        model = cls(
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
        return model

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
    def _prepare(self) -> dict[str, Any]:
        """Lookup tables derived from the arrays, built once (thread-safe: built aside,
        then published whole, so a reader never sees a half-built set)."""
        if self._derived.get("ready"):
            return self._derived
        with _PREPARE_LOCK:
            if self._derived.get("ready"):
                return self._derived
            d: dict[str, Any] = {}
            d["tok_id"] = {t: i for i, t in enumerate(self.tokens)}
            d["n_tok"] = max(len(self.tokens), 1)
            cue_id = {name: self.cue_offset + i for i, name in enumerate(self.cue_names)}
            d["cue_id"] = cue_id
            # cue terms by the key of their first two characters; one-character terms apart
            # every distinct (label, term) with its term and label features (-1: none)
            d["cue_items"] = [
                (label, term, (cue_id.get(f"cue={label}:{term}", -1), cue_id.get(f"cue={label}", -1)))
                for label, terms in self.cue_terms.items()
                for term in dict.fromkeys(terms)
                if term
            ]
            by_first: dict[int, list[tuple[str, str, tuple[int, int]]]] = {}
            singles: list[tuple[str, str, tuple[int, int]]] = []
            for item in d["cue_items"]:
                if len(item[1]) == 1:
                    singles.append(item)
                else:
                    by_first.setdefault(_key_of(item[1][:2]), []).append(item)
            d["cue_singles"] = singles
            d["cue_prefix_keys"] = np.array(sorted(by_first), dtype=np.int64)
            by_len: dict[int, list[tuple[int, tuple[int, int], str]]] = {}
            for items in by_first.values():
                for _label, term, feats in items:
                    h = 0
                    for ch in term:
                        h = (h * int(_HASH_BASE) + ord(ch)) & 0xFFFFFFFFFFFFFFFF
                    by_len.setdefault(len(term), []).append((h, feats, term))
            d["cue_by_len"] = {}
            for L, rows in by_len.items():
                rows.sort(key=lambda r: r[0])
                d["cue_by_len"][L] = (
                    np.array([r[0] for r in rows], dtype=np.uint64),
                    np.array([r[1][0] for r in rows], dtype=np.int64),
                    np.array([r[1][1] for r in rows], dtype=np.int64),
                    np.array([[ord(ch) for ch in r[2]] for r in rows], dtype=np.int64),
                )
            d["raw_tid"] = {}
            single = self.char_keys < (1 << 21)
            table = np.full(int(self.char_keys[single].max()) + 1 if single.any() else 1, -1, np.int64)
            table[self.char_keys[single]] = self.char_feat[single]
            d["char_table"] = table
            d["compact"] = self._compact_char_keys()
            d["ready"] = True
            d = {**self._derived, **d}  # keep what was recorded before (the paragraphs scored)
            self._derived = d
            return d

    def _compact_char_keys(self) -> Optional[dict[str, Any]]:
        """Vocabulary n-grams re-keyed on compact character ids (see :meth:`_char_counts`)."""
        if not len(self.char_keys):
            return None
        # the packed keys (_key_of: 21 bits a character, first character highest) hold up
        # to three characters in an int64; code point 0 never occurs, so zeros are unused
        packed = np.asarray(self.char_keys, dtype=np.int64)
        chars = np.stack([(packed >> shift) & 0x1FFFFF for shift in (42, 21, 0)], axis=1)
        used = chars != 0
        lengths = used.sum(axis=1)
        alphabet = np.unique(chars[used])
        bits = len(alphabet).bit_length()
        key_bits = 3 * bits + 2  # up to three characters and the n-gram length
        if key_bits > 50:
            return None
        cid = np.zeros(int(alphabet[-1]) + 1, dtype=np.int64)
        cid[alphabet] = np.arange(1, len(alphabet) + 1)
        keys = np.zeros(len(packed), dtype=np.int64)
        for j in range(3):  # append each used character's id, first to last
            keys = np.where(used[:, j], (keys << bits) | cid[chars[:, j]], keys)
        keys |= lengths << (3 * bits)
        order = np.argsort(keys, kind="stable")
        return {"cid": cid, "bits": bits, "key_bits": key_bits, "keys": keys[order], "feats": self.char_feat[order]}

    def _token_ids(self, words: list[str]) -> list[int]:
        """Token ids of raw segmenter output: -1 unknown word, -2 punctuation (dropped)."""
        cache = self._derived["raw_tid"]
        ids = [cache.get(w, -3) for w in words]
        if -3 in ids:
            from ..text.tokenize import KEEP

            tok_id = self._derived["tok_id"]
            for k, w in enumerate(words):
                if ids[k] == -3:
                    t = tok_id.get(w.lower(), -1) if KEEP.search(w) else -2
                    if len(cache) < 2_000_000:
                        cache[w] = t
                    ids[k] = t
        return ids

    def _entries(
        self, paras: Sequence[str], pool: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]:
        """Sparse feature rows of normalised paragraphs and (with ``pool``) of their sentences.

        Returns (doc, feature id, value, number of docs, owner paragraph of each
        sentence doc). Docs ``0..n-1`` are the paragraphs, later ones their sentences.
        Each paragraph is segmented and scanned once; an n-gram or word pair that lies
        inside one sentence also counts for that sentence's doc.
        """
        from ..text.tokenize import cut

        d = self._prepare()
        n = len(paras)
        n_feat = len(self.idf)
        sentences, spans = _sentence_spans(paras, pool)
        owners = [row[0] for row in spans]
        n_docs = n + len(owners)
        doc_parts: list[np.ndarray] = []
        feat_parts: list[np.ndarray] = []
        count_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

        def add(docs: np.ndarray, feats: np.ndarray) -> None:
            doc_parts.append(docs)
            feat_parts.append(feats)

        # words: a paragraph's tokens are its sentences' tokens in order (jieba splits at
        # sentence-final punctuation anyway), so each sentence is segmented once
        if len(self.tokens):
            ids: list[int] = []
            pdoc: list[int] = []
            sdoc: list[int] = []
            next_sentence = n
            for i, parts in enumerate(sentences):
                split = len(parts) > 1
                for part in parts:
                    t = self._token_ids(cut(part))
                    ids.extend(t)
                    pdoc.extend([i] * len(t))
                    sdoc.extend([next_sentence if split else -1] * len(t))
                    if split:
                        next_sentence += 1
            tid = np.asarray(ids, dtype=np.int64)
            keep = tid != -2
            tid = tid[keep]
            pd = np.asarray(pdoc, dtype=np.int64)[keep]
            sd = np.asarray(sdoc, dtype=np.int64)[keep]
            lo, hi = self.ngram["words"]
            if lo <= 1 <= hi and len(tid):
                f = np.where(tid >= 0, self.word_unigram_feat[np.maximum(tid, 0)], -1)
                ok = f >= 0
                add(pd[ok], f[ok])
                ok &= sd >= 0
                add(sd[ok], f[ok])
            if lo <= 2 <= hi and len(tid) > 1:
                a, b = tid[:-1], tid[1:]
                pair = (pd[:-1] == pd[1:]) & (a >= 0) & (b >= 0)
                where = np.flatnonzero(pair)
                f, found = _lookup(a[where] * d["n_tok"] + b[where], self.word_bigram_keys, self.word_bigram_feat)
                where = where[found]
                add(pd[where], f)
                s0, s1 = sd[where], sd[where + 1]
                same = (s0 == s1) & (s0 >= 0)
                add(s0[same], f[same])

        # characters: n-grams of the lower-cased paragraph; those inside one sentence
        # count for it too. A paragraph whose lower-casing changes its length (rare
        # letters such as 'İ') has its sentences scanned on their own instead.
        # The paragraphs as code points, and the sentence doc of each position: shared by
        # the cue-term scan and, unless lower-casing changed a length, the n-gram scan.
        span_arr = np.asarray(spans, dtype=np.int64).reshape(-1, 4)
        use_cues = bool(self.cue_terms and self.cue_names)
        if len(self.char_keys) or use_cues:
            cps_orig, starts = _codepoints(paras)
            sent_orig = _sentence_map(len(cps_orig), starts, span_arr) if len(span_arr) else None
        if len(self.char_keys):
            units = [text.lower() for text in paras]
            unit_doc = list(range(n))
            sent_of = sent_orig
            odd = {i for i, (u, t) in enumerate(zip(units, paras)) if len(u) != len(t)}
            if odd:
                rows = []
                for row in spans:
                    if row[0] in odd:
                        units.append(paras[row[0]][row[1] : row[2]].lower())
                        unit_doc.append(row[3])
                    else:
                        rows.append(row)
                fill = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
                cps, unit_starts = _codepoints(units)
                sent_of = _sentence_map(len(cps), unit_starts, fill) if len(fill) else None
            else:  # same lengths: the positions (and the sentence map) are the paragraphs'
                cps = _codepoints(units)[0]
            lengths = np.fromiter((len(u) + 1 for u in units), dtype=np.int64, count=len(units))
            doc_of = np.repeat(np.asarray(unit_doc, dtype=np.int64), lengths)[: len(cps)]
            compact = d["compact"]
            if compact is not None and int(n_docs).bit_length() + compact["key_bits"] <= 63:
                char_doc, char_feat, char_counts = self._char_counts(cps, doc_of, sent_of, n_docs)
                count_parts.append((char_doc, char_feat, char_counts))
            else:
                self._char_entries_by_lookup(cps, doc_of, sent_of, add)

        # cue terms (binary, not TF-IDF): "cue=label" per label hit, "cue=label:term" per term
        if use_cues:
            add(*self._cue_entries(paras, cps_orig, starts, sent_orig))

        if doc_parts:
            doc = np.concatenate(doc_parts).astype(np.int64)
            feat = np.concatenate(feat_parts).astype(np.int64)
        else:
            doc = feat = np.zeros(0, np.int64)
        key, counts = np.unique(doc * n_feat + feat, return_counts=True)
        doc, feat = key // n_feat, key % n_feat
        if count_parts:  # already counted: character n-grams, one entry per (doc, feature)
            doc = np.concatenate([doc, *[c[0] for c in count_parts]])
            feat = np.concatenate([feat, *[c[1] for c in count_parts]])
            counts = np.concatenate([counts, *[c[2] for c in count_parts]])
            # entries go in doc order (the sparse product needs it); small doc ids sort by radix
            small = np.uint16 if n_docs < (1 << 16) else np.int64
            order = np.argsort(doc.astype(small), kind="stable")
            doc, feat, counts = doc[order], feat[order], counts[order]
        val = weigh(doc, feat, counts, n_docs, self.idf, self.block, self.block_weight)
        return doc, feat, val, n_docs, np.asarray(owners, dtype=np.int64)

    def _char_entries_by_lookup(self, cps: np.ndarray, doc_of: np.ndarray, sent_of: Any, add: Any) -> None:
        """Character n-gram entries, one per occurrence, each looked up on its own (fallback)."""
        d = self._derived
        lo, hi = self.ngram["chars"]
        for k in range(lo, hi + 1):
            if k == 1:  # single characters: a direct table indexed by code point
                table = d["char_table"]
                pos = np.flatnonzero((cps > 0) & (cps < len(table)))
                f = table[cps[pos]]
                found = f >= 0
                f, pos = f[found], pos[found]
            else:
                keys, pos = _pack(cps, k)
                f, found = _lookup(keys, self.char_keys, self.char_feat)
                pos = pos[found]
            add(doc_of[pos], f)
            if sent_of is not None:
                s0, s1 = sent_of[pos], sent_of[pos + k - 1]
                same = (s0 == s1) & (s0 >= 0)
                add(s0[same], f[same])

    def _char_counts(
        self, cps: np.ndarray, doc_of: np.ndarray, sent_of: Any, n_docs: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Character n-gram counts per (doc, feature), by one sort instead of per-gram lookups.

        Characters of the vocabulary get compact ids (0: not in any vocabulary n-gram,
        or a separator), so an n-gram and its doc fit one 63-bit integer. Sorting those
        counts every (n-gram, doc) pair at once; only the distinct n-grams, already in
        order, are then looked up in the vocabulary.
        """
        c = self._derived["compact"]
        table, bits, keys, feats = c["cid"], c["bits"], c["keys"], c["feats"]
        doc_bits = max(int(n_docs).bit_length(), 1)
        cid = np.where(cps < len(table), table[np.minimum(cps, len(table) - 1)], 0)
        lo, hi = self.ngram["chars"]
        parts = []
        for k in range(lo, hi + 1):
            m = len(cid) - k + 1
            if m <= 0:
                continue
            key = cid[:m].copy()
            ok = key != 0
            for j in range(1, k):
                nxt = cid[j : j + m]
                key = (key << bits) | nxt
                ok &= nxt != 0
            pos = np.flatnonzero(ok)
            gram = (key[pos] | (k << (3 * bits))) << doc_bits
            parts.append(gram | doc_of[pos])
            if sent_of is not None:
                s0, s1 = sent_of[pos], sent_of[pos + k - 1]
                inside = (s0 == s1) & (s0 >= 0)
                parts.append(gram[inside] | s0[inside])
        pairs = np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        if not len(pairs):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        first = np.flatnonzero(np.r_[True, pairs[1:] != pairs[:-1]])
        counts = np.diff(np.r_[first, len(pairs)])
        unique = pairs[first]
        grams = unique >> doc_bits
        idx = np.searchsorted(keys, grams)
        idx[idx == len(keys)] = 0
        found = keys[idx] == grams
        return unique[found] & ((1 << doc_bits) - 1), feats[idx[found]], counts[found]

    def _cue_entries(
        self, paras: Sequence[str], cps: np.ndarray, starts: np.ndarray, sent_of: Optional[np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(doc, feature) pairs of cue hits (``term in text``) in paragraphs and their sentences.

        ``cps``/``starts`` are the paragraphs as code points (:func:`_codepoints`);
        ``sent_of`` the sentence doc of each position (:func:`_sentence_map`), or None.

        Vectorised: positions whose first two characters start some cue term are found
        with one lookup; at those, the windows of each term length are hashed and
        looked up, and every hash hit is confirmed character by character.
        """
        d = self._prepare()
        n = len(cps)
        hit_pos: list[np.ndarray] = []
        hit_len: list[np.ndarray] = []
        hit_tf: list[np.ndarray] = []
        hit_lf: list[np.ndarray] = []
        prefix = d["cue_prefix_keys"]
        if len(prefix) and n >= 2:
            keys, pos = _pack(cps, 2)
            idx = np.searchsorted(prefix, keys)
            idx[idx == len(prefix)] = 0
            cand = pos[prefix[idx] == keys]
            for L, (hashes, tf, lf, mat) in d["cue_by_len"].items():
                p = cand[cand + L <= n]
                if not len(p):
                    continue
                win = cps[p[:, None] + np.arange(L)]
                h = np.zeros(len(p), dtype=np.uint64)
                for k in range(L):
                    h = h * _HASH_BASE + win[:, k].astype(np.uint64)
                lo = np.searchsorted(hashes, h, side="left")
                cnt = (np.searchsorted(hashes, h, side="right") - lo) * (win != 0).all(axis=1)
                total = int(cnt.sum())
                if not total:
                    continue
                item = np.repeat(lo, cnt) + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
                at = np.repeat(p, cnt)
                exact = (np.repeat(win, cnt, axis=0) == mat[item]).all(axis=1)
                hit_pos.append(at[exact])
                hit_len.append(np.full(int(exact.sum()), L, dtype=np.int64))
                hit_tf.append(tf[item[exact]])
                hit_lf.append(lf[item[exact]])
        for label, term, feats in d["cue_singles"]:
            for i, text in enumerate(paras):
                at = text.find(term)
                while at >= 0:
                    hit_pos.append(np.array([int(starts[i]) + at]))
                    hit_len.append(np.array([1]))
                    hit_tf.append(np.array([feats[0]]))
                    hit_lf.append(np.array([feats[1]]))
                    at = text.find(term, at + 1)
        if not hit_pos:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        gpos = np.concatenate(hit_pos).astype(np.int64)
        glen = np.concatenate(hit_len).astype(np.int64)
        tfeat = np.concatenate(hit_tf).astype(np.int64)  # term feature, -1 if unseen in training
        lfeat = np.concatenate(hit_lf).astype(np.int64)  # label feature
        para = np.searchsorted(starts, gpos, side="right") - 1
        docs = [para, para]
        cols = [tfeat, lfeat]
        if sent_of is not None:
            s0, s1 = sent_of[gpos], sent_of[gpos + glen - 1]
            inside = (s0 == s1) & (s0 >= 0)
            docs += [s0[inside], s0[inside]]
            cols += [tfeat[inside], lfeat[inside]]
        doc = np.concatenate(docs)
        feat = np.concatenate(cols)
        ok = feat >= 0
        return doc[ok], feat[ok]

    def decision(self, normalized: Sequence[str], pool: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Linear scores of normalised paragraphs (rows ``0..n-1``) and, with ``pool``, of
        their sentences (later rows); and the owner paragraph of each sentence row.

        Big workloads run on the compiled kernel (:mod:`policytag.kernel.score`), small ones
        in NumPy; both compute the same scores (see :meth:`_kernel_for`)."""
        kernel = self._kernel_for(len(normalized))
        if kernel is not None:
            return self._kernel_decision(normalized, pool, kernel)
        return self._numpy_decision(normalized, pool)

    def _numpy_decision(self, normalized: Sequence[str], pool: bool) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`decision` in NumPy (the reference the kernel is tested against)."""
        doc, feat, val, n_docs, owners = self._entries(normalized, pool)
        return logits(doc, feat, val, n_docs, self.coef, self.intercept), owners

    # ------------------------------------------------------ the compiled kernel
    def _kernel_for(self, n: int) -> Any:
        """The kernel module when this call should use it, else None. Under
        ``POLICYTAG_KERNEL=auto`` (the default) it is used once this model has scored
        ``_KERNEL_FROM`` paragraphs in this process (or is handed that many at once), so
        a short job never pays numba's import; ``numba`` forces it, ``numpy`` refuses it."""
        d = self._derived
        seen = d.get("scored", 0) + n
        d["scored"] = seen
        mode = kernel_mode()
        if mode == "numpy" or (mode == "auto" and seen < _KERNEL_FROM):
            return None
        kernel = _load_kernel(required=mode == "numba")
        if kernel is None or self._kernel_tables(kernel) is None:
            return None
        return kernel

    def prefer_kernel(self) -> bool:
        """Load the kernel now and score on it from the next call on, for a job known to
        be big (``--jobs``); False when it cannot be used (``POLICYTAG_KERNEL=numpy``,
        numba missing under ``auto``, or a model the kernel does not take)."""
        return self._kernel_for(_KERNEL_FROM) is not None  # counts as enough paragraphs scored

    def _kernel_tables(self, kernel: Any) -> Optional[dict[str, Any]]:
        """The model as the kernel's hash tables, with the segmenter's dictionary and the
        normaliser's tables (built once; None when the kernel cannot run this model:
        n-grams longer than 3 characters, a too-large alphabet, word features while the
        segmenter in use is jieba rather than rjieba, whose tokens the compiled segmenter
        gives, or a user dictionary it cannot replicate)."""
        d = self._prepare()
        if "kernel" in d:
            return d["kernel"]
        with _PREPARE_LOCK:
            if "kernel" in d:
                return d["kernel"]
            compact = d["compact"]
            lo, hi = self.ngram["chars"]
            from ..text.tokenize import uses_rjieba

            if compact is None or hi > 3 or lo < 1 or (len(self.tokens) and not uses_rjieba()):
                d["kernel"] = None
                return None
            from ..kernel import cache as _tablecache

            key = _tablecache.table_key(self._table_sources(d))
            tables = _tablecache.load(key)
            if tables is None:
                tables = self._build_kernel_tables(kernel, d)
                if tables is not None:
                    _tablecache.store(key, tables)
            d["kernel"] = tables
            return tables

    def _table_sources(self, d: dict[str, Any]) -> list[Any]:
        """What the kernel's tables are made from (for their cache key)."""
        compact = d["compact"]
        return [
            compact["cid"], compact["bits"], compact["keys"], compact["feats"], self.ngram, self.tokens, self.idf,
            self.coef, self.block, self.block_weight, self.intercept, self.word_bigram_keys, self.word_bigram_feat,
            self.word_unigram_feat, d["n_tok"], d["cue_items"], self.cue_names,
        ]

    def _build_kernel_tables(self, kernel: Any, d: dict[str, Any]) -> Optional[dict[str, Any]]:
        """The kernel's tables (see :meth:`_kernel_tables`), built; None when a part of
        them cannot be made for this model."""
        compact = d["compact"]
        lo, hi = self.ngram["chars"]
        bits, keys, feats = compact["bits"], compact["keys"], compact["feats"]
        one = (keys >> (3 * bits)) == 1
        uni = np.full(len(compact["cid"]) + 1, -1, np.int64)
        from ..text.tokenize import KEEP_RANGES

        # features renumbered from the most common (lowest idf) down, so the ones
        # nearly every paragraph touches share cache lines in every per-feature array
        order = np.argsort(self.idf, kind="stable")
        new_id = np.empty(len(order), np.int64)
        new_id[order] = np.arange(len(order))

        def renum(f: np.ndarray) -> np.ndarray:
            f = np.asarray(f, dtype=np.int64)
            return np.where(f >= 0, new_id[np.maximum(f, 0)], -1)

        uni[keys[one] & ((1 << bits) - 1)] = renum(feats[one])
        chars = kernel.hash_table(keys[~one], renum(feats[~one]))
        pairs = kernel.hash_table(self.word_bigram_keys, renum(self.word_bigram_feat))
        # (first code point, term, term feature, label feature), grouped by first character
        items = sorted(
            ((ord(term[0]), term, tf, lf) for _, term, (tf, lf) in d["cue_items"] if self.cue_names),
            key=lambda it: it[0],
        )
        width = max((len(it[1]) for it in items), default=1)
        qcps = np.zeros((len(items), width), np.int64)
        for r, it in enumerate(items):
            qcps[r, : len(it[1])] = [ord(ch) for ch in it[1]]
        firsts = np.array([it[0] for it in items], dtype=np.int64)
        group_keys, gstart = np.unique(firsts, return_index=True)
        gend = np.r_[gstart[1:], len(items)].astype(np.int64)
        cues = kernel.hash_table(group_keys, np.arange(len(group_keys)))

        def first_bits(chars: np.ndarray) -> np.ndarray:
            """A bit for each BMP code point that begins a cue term: most characters skip
            the hash probe."""
            bits = np.zeros(0x10000 // 8, np.uint8)
            bmp = chars[chars < 0x10000]
            np.bitwise_or.at(bits, bmp >> 3, (1 << (bmp & 7)).astype(np.uint8))
            return bits
        if chars is None or pairs is None or cues is None:
            return None
        # idf and coefficients side by side, one row per feature; float32 when that
        # is exact (a loaded model: the file stores them so), else float64
        rows = np.hstack([self.idf[:, None], self.coef, self.block[:, None]])[order]
        if np.array_equal(rows.astype(np.float32).astype(np.float64), rows):
            rows = rows.astype(np.float32)
        wlo, whi = self.ngram["words"]
        has_words = len(self.tokens) > 0
        from ..kernel import cut as _cutkernel
        from ..text.segment import CLOSERS, ENDS

        def code_points(chars: str) -> np.ndarray:
            return np.array([ord(ch) for ch in chars], dtype=np.int64)

        try:
            segmenter = _cutkernel.tables() if has_words else _cutkernel.empty_tables()
        except ValueError:  # a user dictionary the compiled segmenter cannot replicate
            return None
        token_table = kernel.token_table(self.tokens)
        spaces = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
        from ..text.normalize import expansions, gap_ranges, gloss_starts, pass_through_table

        tables = {
            "prepare": (pass_through_table(), *expansions(), code_points(gloss_starts()),
                        np.array(gap_ranges(), dtype=np.int64)),
            "sentences": (code_points(ENDS), code_points(CLOSERS), code_points(spaces)),
            "segment": (has_words, *segmenter),
            "chars": (compact["cid"], bits, lo, hi, uni, *chars),
            "words": (np.array(KEEP_RANGES, dtype=np.int64), *token_table,
                      _cutkernel.node_tokens(*token_table[2:]) if has_words else np.full(1, -2, np.int32),
                      renum(self.word_unigram_feat), d["n_tok"], wlo <= 1 <= whi and has_words,
                      wlo <= 2 <= whi and has_words, *pairs),
            "cues": (len(items) > 0, first_bits(group_keys), *cues, gstart.astype(np.int64), gend, qcps,
                     np.array([len(it[1]) for it in items], dtype=np.int64),
                     renum([it[2] for it in items]), renum([it[3] for it in items])),
            "model": (np.ascontiguousarray(rows), np.log(np.maximum(np.arange(256.0), 1.0)), self.block_weight, self.intercept),
        }
        return tables

    def _kernel_decision(self, paras: Sequence[str], pool: bool, kernel: Any) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`decision` on the kernel, which splits sentences, segments and scores
        with the GIL released. A paragraph whose lower-casing changes its length (``İ``)
        is scored in NumPy instead, as the kernel reads both forms position by position."""
        lows = [t.lower() for t in paras]
        odd = [i for i, (u, t) in enumerate(zip(lows, paras)) if len(u) != len(t)]
        if odd:
            return self._split_decision(paras, pool, kernel, odd)
        low, starts = _codepoints(lows)
        orig = _codepoints(paras)[0]
        plen = np.fromiter(map(len, paras), dtype=np.int64, count=len(paras))
        return self._kernel_scores(kernel, orig, low, starts, plen, pool)

    def _kernel_scores(self, kernel: Any, orig: np.ndarray, low: np.ndarray, starts: np.ndarray, plen: np.ndarray,
                       pool: bool) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`decision` of a batch given as code points (original and lower-cased,
        each paragraph at ``starts`` for ``plen``), on the kernel."""
        tables = self._kernel_tables(kernel)
        n = len(starts)
        if pool:
            sa, sb, scount = kernel.sentence_spans(orig, starts, plen, *tables["sentences"])
        else:
            sa = sb = np.zeros(0, np.int64)
            scount = np.zeros(n, np.int64)
        sfirst = n + np.cumsum(scount) - scount
        scores = kernel.score(
            low, orig, starts, plen, sfirst, scount, sa, sb, *tables["segment"],
            *tables["chars"], *tables["words"], *tables["cues"], *tables["model"], n + len(sa),
        )
        return scores, np.repeat(np.arange(n), scount)

    def _split_decision(self, paras: Sequence[str], pool: bool, kernel: Any, odd: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`decision` with the paragraphs ``odd`` scored in NumPy and the rest on the
        kernel; paragraph rows in input order, then each part's sentence rows."""
        n = len(paras)
        rest = np.setdiff1d(np.arange(n), odd)
        parts = [(rest, self._kernel_decision([paras[i] for i in rest], pool, kernel)) if len(rest) else None,
                 (np.asarray(odd), self._numpy_decision([paras[i] for i in odd], pool))]
        head = np.empty((n, len(self.labels)))
        tails, owners = [], []
        for which, (scores, own) in filter(None, parts):
            head[which] = scores[: len(which)]
            tails.append(scores[len(which):])
            owners.append(which[own])
        return np.vstack([head, *tails]), np.concatenate(owners).astype(np.int64)

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

    def _kernel_proba_of_texts(self, items: list[str], kernel: Any) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities and emptiness of raw texts on the kernel. The texts the kernel
        does not normalise (traditional script, glosses, rare characters …) are
        normalised here and scored by :meth:`_kernel_decision` in a second, small call
        of their own (which scores one whose lower-casing changes its length, ``İ``, in
        NumPy)."""
        from ..text.normalize import normalize, wide_mapped

        tables = self._kernel_tables(kernel)
        n = len(items)
        mapped, starts, lengths = wide_mapped(items)
        orig, low, starts, plen, ok = kernel.prepare(mapped.astype(np.int64), starts, lengths, *tables["prepare"])
        P = pooled_proba(*self._kernel_scores(kernel, orig, low, starts, plen, self.pool_sentences), n)
        empty = plen == 0  # so far also the texts left to normalize
        if not ok.all():
            redo, texts = [], []
            for i in np.flatnonzero(~ok).tolist():
                t = normalize(items[i])
                if t:
                    redo.append(i)
                    texts.append(t)
            if redo:  # (a text whose lower-casing changes its length goes to NumPy there)
                P[redo] = pooled_proba(*self._kernel_decision(texts, self.pool_sentences, kernel), len(redo))
                empty[redo] = False
        return P, empty

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

    def contributions(self, docs: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each normalised doc (scored on its own, no pooling): the feature ids present
        and their ``(n, n_labels)`` contributions; with the intercept they sum to the
        doc's linear score."""
        doc, feat, val, _, _ = self._entries(docs, False)
        contrib = val[:, None] * self.coef[feat]
        return [(feat[doc == i], contrib[doc == i]) for i in range(len(docs))]


def _check_tfidf(tr: Any, name: str) -> None:
    if not (tr.sublinear_tf and tr.use_idf and tr.norm == "l2"):
        raise ValueError(f"compiled models need sublinear, idf-weighted, L2-normed TF-IDF ({name})")
