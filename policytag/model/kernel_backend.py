"""The compiled-kernel backend of a :class:`~policytag.model.compiled.CompiledModel`: when to
use :mod:`policytag.kernel` (``POLICYTAG_KERNEL``, the batch size), its tables built from
the model's arrays (cached on disk by :mod:`policytag.kernel.cache`), and the one place
that calls the kernel's scoring entry point. :class:`KernelBackend` is a mixin of
``CompiledModel``; the kernel itself never imports the model.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from .numpy_backend import _PREPARE_LOCK, _codepoints
from .scoring import pooled_proba


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


class KernelBackend:
    """Scoring a CompiledModel's batches on the numba kernel, with the same scores as NumPy."""

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

    def _kernel_tables(self, kernel: Any) -> Any:
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

            from ..kernel.tables import KernelTables

            key = _tablecache.table_key(self._table_sources(d))
            stored = _tablecache.load(key)
            tables = None
            if stored is not None:
                try:
                    tables = KernelTables.from_groups(stored)
                except ValueError:  # another layout: build them again
                    tables = None
            if tables is None:
                tables = self._build_kernel_tables(kernel, d)
                if tables is not None:
                    _tablecache.store(key, tables.groups())
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

    def _build_kernel_tables(self, kernel: Any, d: dict[str, Any]) -> Any:
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

        from ..kernel.tables import (
            CharTables, CueTables, KernelTables, ModelTables, PrepareTables, SegmentTables, SentenceTables, WordTables,
        )

        return KernelTables(
            prepare=PrepareTables(pass_through_table(), *expansions(), code_points(gloss_starts()),
                                  np.array(gap_ranges(), dtype=np.int64)),
            sentences=SentenceTables(code_points(ENDS), code_points(CLOSERS), code_points(spaces)),
            segment=SegmentTables(has_words, *segmenter),
            chars=CharTables(compact["cid"], bits, lo, hi, uni, *chars),
            words=WordTables(np.array(KEEP_RANGES, dtype=np.int64), *token_table,
                             _cutkernel.node_tokens(*token_table[2:]) if has_words else np.full(1, -2, np.int32),
                             renum(self.word_unigram_feat), d["n_tok"], wlo <= 1 <= whi and has_words,
                             wlo <= 2 <= whi and has_words, *pairs),
            cues=CueTables(len(items) > 0, first_bits(group_keys), *cues, gstart.astype(np.int64), gend, qcps,
                           np.array([len(it[1]) for it in items], dtype=np.int64),
                           renum([it[2] for it in items]), renum([it[3] for it in items])),
            model=ModelTables(np.ascontiguousarray(rows), np.log(np.maximum(np.arange(256.0), 1.0)),
                              self.block_weight, self.intercept),
        )

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
            sa, sb, scount = kernel.sentence_spans(orig, starts, plen, *tables.sentences)
        else:
            sa = sb = np.zeros(0, np.int64)
            scount = np.zeros(n, np.int64)
        sfirst = n + np.cumsum(scount) - scount
        scores = kernel.score_batch(low, orig, starts, plen, sfirst, scount, sa, sb, tables, n + len(sa))
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
        orig, low, starts, plen, ok = kernel.prepare(mapped.astype(np.int64), starts, lengths, *tables.prepare)
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
