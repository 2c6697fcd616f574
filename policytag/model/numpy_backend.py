"""The NumPy backend: the reference scorer of a :class:`~policytag.model.compiled.CompiledModel`.

A batch of normalised paragraphs becomes (doc, feature, count) entries — words and word
pairs from the segmenter, character n-grams as packed integers, cue terms — for the
paragraphs and, with sentence pooling, their sentences; the scores are then the
contract's (:mod:`policytag.model.scoring`: weigh, logits). :class:`NumpyBackend` is a
mixin of ``CompiledModel``: its methods read the model's arrays.
"""
from __future__ import annotations

import threading
from typing import Any, Optional, Sequence

import numpy as np

from .scoring import CUES as _CUES
from .scoring import logits, weigh


_SEP = "\x00"  # never in normalised text (normalize drops control characters)


_PREPARE_LOCK = threading.Lock()


_HASH_BASE = np.uint64(0x100000001B3)  # FNV prime: window hashes of cue terms (exactness is re-checked)


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


class PreparedTables:
    """The lookup tables a CompiledModel derives from its arrays on first use (token ids,
    cue-term prefilters, character tables), shared by both backends."""

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


class NumpyBackend(PreparedTables):
    """Feature entries and NumPy scores of a CompiledModel (the reference the kernel is
    tested against)."""

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

    def _numpy_decision(self, normalized: Sequence[str], pool: bool) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`decision` in NumPy (the reference the kernel is tested against)."""
        doc, feat, val, n_docs, owners = self._entries(normalized, pool)
        return logits(doc, feat, val, n_docs, self.coef, self.intercept), owners

    def contributions(self, docs: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each normalised doc (scored on its own, no pooling): the feature ids present
        and their ``(n, n_labels)`` contributions; with the intercept they sum to the
        doc's linear score."""
        doc, feat, val, _, _ = self._entries(docs, False)
        contrib = val[:, None] * self.coef[feat]
        return [(feat[doc == i], contrib[doc == i]) for i in range(len(docs))]
