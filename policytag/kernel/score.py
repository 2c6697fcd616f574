"""The compiled kernel: the compiled model's whole per-paragraph work in machine code.

:class:`~policytag.model.compiled.CompiledModel` scores a batch in NumPy by building every
(doc, feature) entry of the batch, sorting them to count repeats and multiplying by
the coefficients: about 110 µs of CPU per ~110-character paragraph, most of it sorting
and binary searches, plus rjieba and Python around it. This module does the same work
one paragraph at a time in numba-compiled loops, all with the GIL released (so threads
run it in parallel):

- :func:`prepare` normalises and lower-cases the common text, NFKC's compatibility
  expansions included (the rest is left to :func:`policytag.text.normalize.normalize`);
- :func:`sentence_spans` splits sentences as :func:`policytag.text.segment.split_sentences`;
- :func:`score` segments each paragraph (:mod:`policytag.kernel.cut`, rjieba's tokens),
  looks n-grams, tokens, word pairs and cue terms up in open-addressing hash tables,
  and scores each doc (the paragraph, then each of its sentences) from its list of
  feature occurrences in two passes, counting and then summing, so that independent
  cache misses overlap. A batch is segmented first and scored after, so that the
  dictionary's and the model's tables each stay in cache through their phase;
- :func:`json_rows` writes the batch's JSON lines (``_tagger._jsonl_compiled``).

The helpers that take arrays (here and in :mod:`policytag.kernel.cut`) are compiled
without numba's reference counting (``_nrt=False``; they allocate nothing): otherwise
each call increfs and decrefs every array it is given with atomic instructions, which
took a fifth of the kernel's time on one thread, and with two threads the shared
tables' counts bounced between the cores. ``score`` passes offsets, not slices, for
the same reason. Where the next use of a table entry is known ahead (a feature's row of
coefficients, a dictionary word's token, the trie slot of each two-character probe), it
is prefetched (``_hashtable.prefetch``), so the cache misses overlap: together about 20%
off the kernel's time on one thread.

numba (LLVM) is used rather than hand-written C so that policytag stays a pure-Python
wheel: there is nothing to compile at install time, and machine code is made on first
use and cached on disk (``cache=True``). Importing numba and loading the code costs
about a second, so the compiled model only switches to this kernel once a process has
scored enough paragraphs for it to pay (see ``_compiled._KERNEL_FROM``); the NumPy path
stays the reference, and ``tests/test_kernel.py`` checks that both give the same scores.
"""
from __future__ import annotations

import numpy as np
import numba as nb

from .cut import cut, in_ranges
from .jsonl import json_rows  # noqa: F401  (an entry point of the kernel module, beside score)
from .hashtable import MULT as _MULT, find as _find, hash_table, log_size, prefetch as _prefetch

_CUES = 2


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@nb.njit(cache=True, nogil=True, _nrt=False)
def _find_token(tt, tshift, tcps, toff, low, st, ln, h):  # type: ignore[no-untyped-def]
    """Token id of ``low[st:st+ln]`` (hash ``h``) in the token table, or -1.

    ``tt`` rows are (hash, token id), -1 hash when empty; every hash match is confirmed
    against the token's code points ``tcps[toff[id]:toff[id+1]]``."""
    mask = len(tt) - 1
    slot = np.int64((np.uint64(h) * _MULT) >> tshift)
    while True:
        e = tt[slot, 0]
        if e == -1:
            return -1
        if e == h:
            tok = tt[slot, 1]
            if toff[tok + 1] - toff[tok] == ln:
                same = True
                for j in range(ln):
                    if tcps[toff[tok] + j] != low[st + j]:
                        same = False
                        break
                if same:
                    return tok
        slot = (slot + 1) & mask


@nb.njit(cache=True)
def _token_hashes(tcps: np.ndarray, toff: np.ndarray) -> np.ndarray:
    out = np.empty(len(toff) - 1, np.int64)
    for t in range(len(toff) - 1):
        h = np.uint64(_FNV_OFFSET)
        for j in range(toff[t], toff[t + 1]):
            h = (h ^ np.uint64(tcps[j])) * _FNV_PRIME
        out[t] = np.int64(h >> np.uint64(2))
    return out


@nb.njit(cache=True)
def _build_tokens(hashes: np.ndarray, logsize: int) -> np.ndarray:
    size = 1 << logsize
    tt = np.full((size, 2), -1, np.int64)
    for t in range(len(hashes)):
        slot = np.int64((np.uint64(hashes[t]) * _MULT) >> np.uint64(64 - logsize))
        while tt[slot, 0] != -1:
            slot = (slot + 1) & (size - 1)
        tt[slot, 0] = hashes[t]
        tt[slot, 1] = t
    return tt


def token_table(tokens: list[str]) -> tuple[np.ndarray, np.uint64, np.ndarray, np.ndarray]:
    """The word-token table for :func:`score`: (hash → token id table, the shift its hash
    uses, code points of all tokens, offsets of each token's code points)."""
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    toff = np.zeros(len(tokens) + 1, np.int64)
    np.cumsum(lengths, out=toff[1:])
    tcps = np.frombuffer("".join(tokens).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    logsize = log_size(len(tokens))
    return _build_tokens(_token_hashes(tcps, toff), logsize), np.uint64(64 - logsize), tcps, toff


@nb.njit(cache=True, nogil=True, _nrt=False)
def _one_of(c, chars):  # type: ignore[no-untyped-def]
    for x in chars:
        if c == x:
            return True
    return False


@nb.njit(cache=True, nogil=True)
def prepare(mapped, starts, lengths, table, expand, flat, gloss, gaps):  # type: ignore[no-untyped-def]
    """:func:`policytag.text.normalize.normalize` and ``str.lower`` of each text of a batch
    (code points after the full-width mapping, ``_normalize.wide_mapped``) whose every
    character passes ``table`` (``_normalize.pass_through_table``) or has an NFKC
    expansion (``expand``/``flat``, ``_normalize.expansions``): white space runs become
    one space, none at the ends and none between two characters of ``gaps``.

    Returns the normalised and lower-cased code points, each text's start and length in
    them, and whether each text was done; a text with a character neither table takes,
    or a ``(`` before a character of ``gloss`` (a pinyin gloss), is left to
    ``normalize`` (``ok`` False, length 0)."""
    n = len(starts)
    size = len(table)
    room = len(mapped)  # expansions lengthen the text: room for them
    for p in range(len(mapped)):
        c = mapped[p]
        if c < size and table[c] < 0 and expand[c] >= 0:
            room += flat[expand[c]] - 1
    orig = np.empty(room, np.int64)
    low = np.empty(room, np.int64)
    ostart = np.empty(n, np.int64)
    plen = np.zeros(n, np.int64)
    ok = np.ones(n, np.bool_)
    o = 0
    for i in range(n):
        a = starts[i]
        end = a + lengths[i]
        first = o
        ostart[i] = first
        last = -1  # the last character written
        pending = False
        for p in range(a, end):
            c = mapped[p]
            if c == 0x20 or c == 0x09 or c == 0x0A or c == 0x0D:
                pending = last >= 0
                continue
            if c >= size:
                ok[i] = False
                break
            if table[c] >= 0:
                e = -1
                k = 1
            else:
                e = expand[c]
                if e < 0:
                    ok[i] = False
                    break
                k = flat[e]
            for j in range(k):
                x = c if e < 0 else flat[e + 1 + j]
                if pending:
                    if not (in_ranges(last, gaps) and in_ranges(x, gaps)):
                        orig[o] = 0x20
                        low[o] = 0x20
                        o += 1
                        last = 0x20
                    pending = False
                if last == 0x28 and _one_of(x, gloss):
                    ok[i] = False
                    break
                orig[o] = x
                low[o] = table[x]
                o += 1
                last = x
            if not ok[i]:
                break
        if ok[i]:
            plen[i] = o - first
        else:
            o = first
    return orig, low, ostart, plen, ok


@nb.njit(cache=True, nogil=True)
def sentence_spans(orig, pstart, plen, ends, closes, spaces):  # type: ignore[no-untyped-def]
    """:func:`policytag.text.segment.split_sentences` for each paragraph of a batch: the
    (start, end) of each sentence, relative to its paragraph, and each paragraph's count
    of them (0 for a paragraph of one sentence, which is not split).

    A sentence ends after a character of ``ends`` not followed by one of ``closes``, or
    after one of ``closes`` that follows one of ``ends``; each is stripped of the
    characters in ``spaces`` (``str.isspace``) and dropped when empty."""
    n = len(pstart)
    scount = np.zeros(n, np.int64)
    sa = np.empty(max(n, 16), np.int64)
    sb = np.empty(max(n, 16), np.int64)
    m = 0
    for i in range(n):
        a = pstart[i]
        L = plen[i]
        first = m
        lo = 0
        for p in range(1, L + 1):
            if p < L:
                here = orig[a + p - 1]
                if not (_one_of(here, ends) and not _one_of(orig[a + p], closes)) and not (
                    p >= 2 and _one_of(here, closes) and _one_of(orig[a + p - 2], ends)
                ):
                    continue
            x = lo
            y = p
            while x < y and orig[a + x] <= 0x3000 and _one_of(orig[a + x], spaces):
                x += 1
            while y > x and orig[a + y - 1] <= 0x3000 and _one_of(orig[a + y - 1], spaces):
                y -= 1
            lo = p
            if y == x:
                continue
            if m == len(sa):
                sa = np.concatenate((sa, np.empty(m, np.int64)))
                sb = np.concatenate((sb, np.empty(m, np.int64)))
            sa[m] = x
            sb[m] = y
            m += 1
        if m - first > 1:
            scount[i] = m - first
        else:
            m = first
    return sa[:m].copy(), sb[:m].copy(), scount


@nb.njit(cache=True, nogil=True, _nrt=False)
def _score_doc(occ, m, cnt, rows, logs, bw, intercept, out, doc, S, N):  # type: ignore[no-untyped-def]
    """Score one doc from its feature occurrences ``occ[:m]`` (-1: none): sublinear TF ×
    idf, L2 norm per block, block weight, dot product with the coefficients.

    ``rows[f]`` holds feature f's idf, its coefficients and its block (one cache line).
    Two passes: the first counts the occurrences and packs each distinct feature, in
    the order it first occurs, to the front of ``occ`` (which it overwrites), without a
    branch; the second scores that list, so the CPU overlaps the cache misses of
    independent features instead of stalling on mispredicted skips. ``cnt[-1]`` (one
    slot past the features) absorbs the -1 entries."""
    n_labels = len(intercept)
    dummy = len(cnt) - 1
    nd = 0
    for q in range(m):
        f = occ[q]
        g = f if f >= 0 else dummy
        c = cnt[g]
        cnt[g] = c + 1
        occ[nd] = g
        if c == 0 and f >= 0:
            _prefetch(rows, g)  # its row is read in the second pass
            nd += 1
    cnt[dummy] = 0
    S[:] = 0.0  # per-block sums (scratch of the caller's, so no allocation per doc)
    N[:] = 0.0
    for r in range(nd):
        f = occ[r]
        c = cnt[f]
        cnt[f] = 0
        b = int(rows[f, n_labels + 1])
        if b == _CUES:
            v = 1.0
        else:
            v = ((1.0 + logs[c]) if c < len(logs) else (1.0 + np.log(c))) * np.float64(rows[f, 0])
            N[b] += v * v
        for j in range(n_labels):
            S[b, j] += v * np.float64(rows[f, j + 1])
    for j in range(n_labels):
        total = intercept[j]
        for b in range(3):
            scale = 1.0 / np.sqrt(N[b]) if N[b] > 0 else 1.0
            total += bw[b] * S[b, j] * scale
        out[doc, j] = total


@nb.njit(cache=True, nogil=True, _nrt=False)
def _cue_hits(orig, a, L, qbits, qt, qshift, gstart, gend, qcps, qlen, qtf, qlf, hits):  # type: ignore[no-untyped-def]
    """Every occurrence of a cue term in ``orig[a:a+L]``: (position, length, term
    feature, label feature) rows in ``hits``, as many as it holds; returns how many
    there are (more than ``hits`` holds: call again with a bigger one)."""
    nh = 0
    for p in range(L):
        c = orig[a + p]
        if c < 0x10000 and not (qbits[c >> 3] >> (c & 7)) & 1:  # not the first character of any term
            continue
        g = _find(qt, c, qshift)
        if g < 0:
            continue
        for term in range(gstart[g], gend[g]):
            ln = qlen[term]
            if p + ln > L:
                continue
            same = True
            for j in range(1, ln):
                if orig[a + p + j] != qcps[term, j]:
                    same = False
                    break
            if not same:
                continue
            if nh < hits.shape[0]:
                hits[nh, 0] = p
                hits[nh, 1] = ln
                hits[nh, 2] = qtf[term]
                hits[nh, 3] = qlf[term]
            nh += 1
    return nh


@nb.njit(cache=True, nogil=True)
def score(
    low, orig, pstart, plen,  # chars: lower-cased and original code points of the batch; paragraph offsets
    sfirst, scount, sa, sb,  # sentence docs of each paragraph and their spans (relative to it)
    segment, droot, trie, tshift_d, dlogf, logtotal, emit, start, trans,  # the segmenter (_cutkernel.tables)
    cid, bits, kmin, kmax, uni, ct, cshift,  # character n-grams
    keep_ranges, tt, tshift, tcps, toff, node_tok, wuni, n_tok, use_uni, use_bi, bt, bshift,  # tokens, words, word pairs
    use_cues, qbits, qt, qshift, gstart, gend, qcps, qlen, qtf, qlf,  # cue terms grouped by first character (and a bit per BMP first character)
    rows, logs, bw, intercept, n_docs,
):  # type: ignore[no-untyped-def]
    """Linear scores ``(n_docs, n_labels)`` of a batch's paragraphs (docs ``0..n-1``) and
    sentences (later docs): the same features and arithmetic as ``CompiledModel._entries``
    followed by ``decision``."""
    n = len(pstart)
    out = np.zeros((n_docs, len(intercept)))
    cnt = np.zeros(len(rows) + 1, np.int32)
    maxlen = 1
    for i in range(n):
        maxlen = max(maxlen, plen[i])
    # segment the whole batch first, then score it: each phase keeps its own tables
    # (the dictionary's, the model's) in cache instead of the two evicting each other
    tst = np.empty(2 * len(orig) + 2 * n + 2, np.int64)  # tokens: start in the batch, length
    tln = np.empty(len(tst), np.int64)  # (the segmenter's bound: 2 L + 2 a paragraph)
    tnd = np.empty(len(tst), np.int64)  # and dictionary node (-1: none)
    tfirst = np.zeros(n + 1, np.int64)
    if segment:
        route = np.empty(maxlen + 1)  # the segmenter's scratch
        rto = np.empty(maxlen + 1, np.int64)
        V = np.empty((maxlen, 4))
        bp = np.empty((maxlen, 4), np.int64)
        path = np.empty(maxlen, np.int64)
        for i in range(n):
            tfirst[i + 1] = cut(
                orig, pstart[i], plen[i], droot, trie, tshift_d, dlogf, logtotal, emit, start, trans,
                route, rto, V, bp, path, tst, tln, tnd, tfirst[i],
            )
    maxtok = 1
    for i in range(n):
        maxtok = max(maxtok, tfirst[i + 1] - tfirst[i])
    fb = np.full(3 * maxlen, -1, np.int64)  # feature of the n-gram of length k at p: fb[3p+k-1]
    cc = np.zeros(maxlen + 2, np.int64)  # compact character ids of the paragraph (0: none)
    wf = np.full(2 * maxtok, -1, np.int64)  # word feature and word-pair feature of each kept token
    tid = np.empty(maxtok, np.int64)  # kept tokens of the paragraph: token id (-1 unknown)
    tsent = np.empty(maxtok, np.int64)  # and sentence doc (-1 none)
    occ = np.empty(3 * maxlen + 2 * maxtok + 128, np.int64)
    hits = np.empty((64, 4), np.int64)  # cue hits: position, length, term feature, label feature
    S = np.zeros((3, len(intercept)))  # _score_doc's scratch
    N = np.zeros(3)
    shift_bits = 3 * bits
    n_cid = len(cid)
    for i in range(n):
        a = pstart[i]
        L = plen[i]
        # character n-grams: compact ids, then every key's first probe with no branch on
        # the previous one, then the rare longer probes
        for p in range(L):
            cp = low[a + p]
            cc[p] = cid[cp] if cp < n_cid else 0
        cc[L] = 0
        cc[L + 1] = 0
        for p in range(L):
            c0 = cc[p]
            c1 = cc[p + 1]
            c2 = cc[p + 2]
            fb[3 * p] = uni[c0] if kmin <= 1 else -1
            for k in range(2, 4):
                key = ((c0 << bits) | c1) if k == 2 else ((((c0 << bits) | c1) << bits) | c2)
                valid = c0 != 0 and c1 != 0 and (k == 2 or c2 != 0) and kmin <= k <= kmax and p + k <= L
                key |= k << shift_bits
                e = ct[np.int64((np.uint64(key) * _MULT) >> cshift)]
                f = (e & 0xFFFFF) if (e >> 20) == key else (-1 if e == -1 else -2)
                fb[3 * p + k - 1] = f if valid else -1
        for q in range(3 * L):
            if fb[q] == -2:
                p = q // 3
                k = q % 3 + 1
                key = 0
                for j in range(k):
                    key = (key << bits) | cc[p + j]
                fb[q] = _find(ct, key | (k << shift_bits), cshift)
        m = 3 * L
        for q in range(m):
            occ[q] = fb[q]
        # words: each token of the segmenter with a character in ``keep_ranges``
        # (_tokenize.KEEP), looked up lower-cased in the token table; then pairs of
        # consecutive kept tokens
        for t in range(tfirst[i], tfirst[i + 1]):  # the dictionary words' token ids, read below
            if tnd[t] >= 0:
                _prefetch(node_tok, tnd[t])
        nk = 0
        for t in range(tfirst[i], tfirst[i + 1]):
            st = tst[t]
            ln = tln[t]
            u = node_tok[tnd[t]] if tnd[t] >= 0 else -2  # a dictionary word: known directly
            if u == -3:
                continue
            if u == -2:
                keep = False
                h = np.uint64(_FNV_OFFSET)
                for j in range(st, st + ln):
                    keep = keep or in_ranges(orig[j], keep_ranges)
                    h = (h ^ np.uint64(low[j])) * _FNV_PRIME
                if not keep:
                    continue
                u = _find_token(tt, tshift, tcps, toff, low, st, ln, np.int64(h >> np.uint64(2)))
            tid[nk] = u
            sd = -1
            for s in range(sfirst[i], sfirst[i] + scount[i]):
                if sa[s - n] <= st - a < sb[s - n]:
                    sd = s
                    break
            tsent[nk] = sd
            nk += 1
        for t in range(nk):
            u = tid[t]
            f = -1
            if use_uni and u >= 0:
                f = wuni[u]
            g = -1
            if use_bi and t + 1 < nk:
                u2 = tid[t + 1]
                if u >= 0 and u2 >= 0:
                    g = _find(bt, u * n_tok + u2, bshift)
            wf[2 * t] = f
            wf[2 * t + 1] = g
            occ[m] = f
            occ[m + 1] = g
            m += 2
        # cue terms (binary): every occurrence in the original (not lower-cased) text
        nh = 0
        if use_cues:
            nh = _cue_hits(orig, a, L, qbits, qt, qshift, gstart, gend, qcps, qlen, qtf, qlf, hits)
            if nh > hits.shape[0]:  # more than ever before: room for them, and again
                hits = np.empty((2 * nh, 4), np.int64)
                nh = _cue_hits(orig, a, L, qbits, qt, qshift, gstart, gend, qcps, qlen, qtf, qlf, hits)
        if m + 2 * nh > len(occ):
            grown = np.empty(2 * (m + 2 * nh), np.int64)
            grown[:m] = occ[:m]
            occ = grown
        for h in range(nh):
            occ[m] = hits[h, 2]
            occ[m + 1] = hits[h, 3]
            m += 2
        _score_doc(occ, m, cnt, rows, logs, bw, intercept, out, i, S, N)  # (overwrites occ)
        # each sentence: the features that lie wholly inside it
        for s in range(sfirst[i], sfirst[i] + scount[i]):
            lo = sa[s - n]
            hi = sb[s - n]
            m = 0
            for p in range(lo, hi):
                for k in range(kmin, kmax + 1):
                    if p + k <= hi:
                        occ[m] = fb[3 * p + k - 1]
                        m += 1
            for t in range(nk):
                if tsent[t] != s:
                    continue
                occ[m] = wf[2 * t]
                occ[m + 1] = wf[2 * t + 1] if t + 1 < nk and tsent[t + 1] == s else -1
                m += 2
            for h in range(nh):
                if hits[h, 0] >= lo and hits[h, 0] + hits[h, 1] <= hi:
                    occ[m] = hits[h, 2]
                    occ[m + 1] = hits[h, 3]
                    m += 2
            _score_doc(occ, m, cnt, rows, logs, bw, intercept, out, s, S, N)
    return out


def score_batch(low, orig, pstart, plen, sfirst, scount, sa, sb, tables, n_docs):  # type: ignore[no-untyped-def]
    """The one call into the scorer: a batch (code points, paragraph offsets, sentence
    spans) and a model's :class:`~policytag.kernel.tables.KernelTables`; the linear scores
    of its ``n_docs`` paragraph and sentence rows. The named groups are unpacked here,
    in their fields' order, into :func:`score`'s parameters."""
    return score(low, orig, pstart, plen, sfirst, scount, sa, sb, *tables.segment, *tables.chars, *tables.words,
                 *tables.cues, *tables.model, n_docs)
