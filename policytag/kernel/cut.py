"""jieba's segmentation, compiled: the tokens rjieba gives, without the GIL.

The scoring kernel (:mod:`policytag.kernel.score`) segments each paragraph itself with
the functions here, so that a whole batch is scored in machine code with the GIL
released and threads can share one process (one copy of the model, the dictionary
and numba's runtime). The algorithm is jieba's, as its Rust port (jieba-rs, which
rjieba wraps) runs it:

1. The text is split into runs of the dictionary class (CJK ideographs, ASCII letters
   and digits, ``+#&._%-``); characters outside it are never words for the model
   (:data:`policytag.text.tokenize.KEEP`), so they are skipped.
2. In each run the dictionary (jieba's ``dict.txt`` plus ``labels/userdict.txt``,
   added the way rjieba's ``add_word`` adds them) gives a DAG of words; the route with
   the highest sum of log frequencies is taken, right to left, ties to the longer word.
3. Consecutive single characters that do not form a dictionary word go to the HMM:
   runs of U+4E00–U+9FD5 through Viterbi over jieba's B/M/E/S model, and the rest split
   as rjieba does (``[a-zA-Z0-9]+(?:[._-][a-zA-Z0-9]+)*%?`` and the pieces between).
4. ASCII tokens joined by ``-``, ``_`` or ``.`` are split into their parts, as
   :func:`policytag.text.tokenize._rjieba_cut` does (the split jieba itself makes).

``tests/test_cutkernel.py`` checks that the kept tokens and their positions equal
:func:`policytag.text.tokenize.cut`'s on the corpus, the dev set and generated text.
"""
from __future__ import annotations

import math
import threading
from typing import Any, Optional

import numba as nb
import numpy as np

from .hashtable import MULT, find, log_size, prefetch, rehash

MIN_FLOAT = -3.14e100
_B, _E, _M, _S = 0, 1, 2, 3  # jieba's states, in the order its tie-breaks compare them
_HMM_LO, _HMM_HI = 0x4E00, 0x9FD5  # the characters jieba's HMM segments (its ``re_han``)
_NODE = (1 << 19) - 1  # a trie value: the node id, and _WORD set when the node is a word
_WORD = 1 << 19
_UPPER, _KEPT = 1, 2  # node flags (see _build_trie)
_PREV = np.array([[_E, _S], [_B, _M], [_M, _B], [_S, _E]], np.int64)  # states that may precede each
_tables: Optional[tuple[Any, ...]] = None
_node_flags: list[np.ndarray] = []
_lock = threading.Lock()


@nb.njit(cache=True, nogil=True, _nrt=False)
def in_ranges(c, ranges):  # type: ignore[no-untyped-def]
    """Whether ``c`` lies in one of the (low, high) rows of ``ranges``."""
    for r in range(len(ranges)):
        if ranges[r, 0] <= c <= ranges[r, 1]:
            return True
    return False


@nb.njit(cache=True, nogil=True, inline="always")
def _letter(c: int) -> bool:
    return (0x41 <= c <= 0x5A) or (0x61 <= c <= 0x7A)


@nb.njit(cache=True, nogil=True, inline="always")
def _digit(c: int) -> bool:
    return 0x30 <= c <= 0x39


@nb.njit(cache=True, nogil=True, inline="always")
def _in_dict_class(c: int) -> bool:
    """jieba-rs's ``RE_HAN_DEFAULT``: the characters that may form dictionary words."""
    if c < 0x80:
        return _letter(c) or _digit(c) or c == 0x2B or c == 0x23 or c == 0x26 or c == 0x2E or c == 0x5F or c == 0x25 or c == 0x2D
    return (
        (0x3400 <= c <= 0x4DBF) or (0x4E00 <= c <= 0x9FFF) or (0xF900 <= c <= 0xFAFF)
        or (0x20000 <= c <= 0x2A6DF) or (0x2A700 <= c <= 0x2EBEF) or (0x2F800 <= c <= 0x2FA1F)
    )


@nb.njit(cache=True, nogil=True, _nrt=False)
def _emit(cps, st, ln, nd, root, out_st, out_ln, out_nd, n):  # type: ignore[no-untyped-def]
    """Append token ``cps[st:st+ln]`` at ``n`` with its dictionary node ``nd`` (-1: none
    known; a single character's is looked up); an ASCII token joined by ``-``, ``_`` or
    a ``.`` next to a letter goes in as its parts (``[A-Za-z]+|[0-9]+(?:\\.[0-9]+)*``)."""
    joined = False
    for j in range(st, st + ln):
        c = cps[j]
        if c >= 0x80:
            joined = False
            break
        if c == 0x2D or c == 0x5F:
            joined = True
        elif c == 0x2E and ((j > st and _letter(cps[j - 1])) or (j + 1 < st + ln and _letter(cps[j + 1]))):
            joined = True
    if not joined:
        if nd < 0 and ln == 1 and cps[st] < len(root):
            ent = root[cps[st]]
            nd = (ent & _NODE) if ent >= 0 and (ent & _WORD) else -1
        out_st[n] = st
        out_ln[n] = ln
        out_nd[n] = nd
        return n + 1
    j = st
    end = st + ln
    while j < end:
        c = cps[j]
        k = j + 1
        if _letter(c):
            while k < end and _letter(cps[k]):
                k += 1
        elif _digit(c):
            while k < end and _digit(cps[k]):
                k += 1
            while k + 1 < end and cps[k] == 0x2E and _digit(cps[k + 1]):
                k += 2
                while k < end and _digit(cps[k]):
                    k += 1
        else:
            j = k
            continue
        out_st[n] = j
        out_ln[n] = k - j
        out_nd[n] = -1
        n += 1
        j = k
    return n


@nb.njit(cache=True, nogil=True, _nrt=False)
def _skip_split(cps, p, q, root, out_st, out_ln, out_nd, n):  # type: ignore[no-untyped-def]
    """rjieba's split of a non-HMM run of unknown characters: each match of
    ``[a-zA-Z0-9]+(?:[._-][a-zA-Z0-9]+)*%?`` and each non-empty piece between."""
    r = p
    while r < q:
        m = r
        while m < q and not (_letter(cps[m]) or _digit(cps[m])):
            m += 1
        if m > r:
            n = _emit(cps, r, m - r, -1, root, out_st, out_ln, out_nd, n)
        if m == q:
            break
        t = m + 1
        while t < q and (_letter(cps[t]) or _digit(cps[t])):
            t += 1
        while t + 1 < q and (cps[t] == 0x2E or cps[t] == 0x5F or cps[t] == 0x2D) and (_letter(cps[t + 1]) or _digit(cps[t + 1])):
            t += 2
            while t < q and (_letter(cps[t]) or _digit(cps[t])):
                t += 1
        if t < q and cps[t] == 0x25:
            t += 1
        n = _emit(cps, m, t - m, -1, root, out_st, out_ln, out_nd, n)
        r = t
    return n


@nb.njit(cache=True, nogil=True, _nrt=False)
def _viterbi(cps, p, q, emit, start, trans, V, bp, path, root, out_st, out_ln, out_nd, n):  # type: ignore[no-untyped-def]
    """jieba's HMM over ``cps[p:q]`` (all in U+4E00–U+9FD5): the best B/M/E/S path, ties
    to the later state, and its words (``B…E`` spans, ``S`` singles, a tail)."""
    T = q - p
    c = cps[p] - _HMM_LO
    for y in range(4):
        V[0, y] = start[y] + emit[c, y]
    for t in range(1, T):
        c = cps[p + t] - _HMM_LO
        for y in range(4):
            em = emit[c, y]
            a = _PREV[y, 0]
            b = _PREV[y, 1]
            va = V[t - 1, a] + trans[a, y] + em
            vb = V[t - 1, b] + trans[b, y] + em
            if va > vb or (va == vb and a > b):
                V[t, y] = va
                bp[t, y] = a
            else:
                V[t, y] = vb
                bp[t, y] = b
    state = _S if V[T - 1, _S] >= V[T - 1, _E] else _E
    for t in range(T - 1, -1, -1):
        path[t] = state
        state = bp[t, state]
    begin = 0
    nexti = 0
    for i in range(T):
        s = path[i]
        if s == _B:
            begin = i
        elif s == _E:
            n = _emit(cps, p + begin, i + 1 - begin, -1, root, out_st, out_ln, out_nd, n)
            nexti = i + 1
        elif s == _S:
            n = _emit(cps, p + i, 1, -1, root, out_st, out_ln, out_nd, n)
            nexti = i + 1
    if nexti < T:
        n = _emit(cps, p + nexti, T - nexti, -1, root, out_st, out_ln, out_nd, n)
    return n


@nb.njit(cache=True, nogil=True, _nrt=False)
def _flush(cps, bs, be, root, trie, tshift, emit, start, trans, V, bp, path, out_st, out_ln, out_nd, n):  # type: ignore[no-untyped-def]
    """Words of a run of single-character steps: one character as is, a dictionary word
    character by character, anything else through the HMM."""
    if be - bs == 1:
        return _emit(cps, bs, 1, -1, root, out_st, out_ln, out_nd, n)
    e = 0
    for j in range(bs, be):
        e = find(trie, ((e & _NODE) << 21) | cps[j], tshift)
        if e < 0:
            break
    if e >= 0 and (e & _WORD):
        for j in range(bs, be):
            n = _emit(cps, j, 1, -1, root, out_st, out_ln, out_nd, n)
        return n
    p = bs
    while p < be:
        han = _HMM_LO <= cps[p] <= _HMM_HI
        q = p + 1
        while q < be and (_HMM_LO <= cps[q] <= _HMM_HI) == han:
            q += 1
        if not han:
            n = _skip_split(cps, p, q, root, out_st, out_ln, out_nd, n)
        elif q - p > 1:
            n = _viterbi(cps, p, q, emit, start, trans, V, bp, path, root, out_st, out_ln, out_nd, n)
        else:
            n = _emit(cps, p, 1, -1, root, out_st, out_ln, out_nd, n)
        p = q
    return n


@nb.njit(cache=True, nogil=True, _nrt=False)
def cut(cps, a, L, root, trie, tshift, logf, logtotal, emit, start, trans, route, rto, V, bp, path, out_st, out_ln, out_nd, n):  # type: ignore[no-untyped-def]
    """Segment ``cps[a:a+L]`` into ``out_st``/``out_ln``/``out_nd`` (absolute starts,
    lengths, dictionary nodes or -1) from slot ``n`` on (at least ``2 * L + 2`` slots
    free) and return the slot after the last token; characters outside the
    dictionary class give no token. ``root[c]`` is the trie entry of character ``c``
    alone (-1 none). ``route``/``rto`` (``L + 1``) and ``V``/``bp``/``path``
    (``L`` rows) are scratch."""
    s = a
    end = a + L
    while s < end:
        if not _in_dict_class(cps[s]):
            s += 1
            continue
        e = s + 1
        while e < end and _in_dict_class(cps[e]):
            e += 1
        N = e - s
        route[N] = 0.0
        for k in range(N - 1):  # start loading every two-character probe's slot of the trie
            c = cps[s + k]
            ent = root[c] if c < len(root) else -1
            if ent >= 0:
                prefetch(trie, np.int64((np.uint64(((ent & _NODE) << 21) | cps[s + k + 1]) * MULT) >> tshift))
        for k in range(N - 1, -1, -1):
            node = 0
            best = -np.inf
            bj = -1
            bnode = -1
            i = k
            while i < N:
                c = cps[s + i]
                if i == k:  # the first character: a direct lookup, not a hash probe
                    ent = root[c] if c < len(root) else -1
                else:
                    ent = find(trie, (node << 21) | c, tshift)
                if ent < 0:
                    break
                node = ent & _NODE
                if ent & _WORD:  # a word, not only a prefix of words
                    v = logf[node] - logtotal + route[i + 1]
                    if v >= best:
                        best = v
                        bj = i
                        bnode = node
                i += 1
            if bj < 0:
                best = 0.0 - logtotal + route[k + 1]
                bj = k
            route[k] = best
            rto[k] = bj | ((bnode + 1) << 32)  # the route's next word: its end, and its node
        x = 0
        buf = -1
        while x < N:
            y = (rto[x] & 0xFFFFFFFF) + 1
            if y - x == 1:
                if buf < 0:
                    buf = x
            else:
                if buf >= 0:
                    n = _flush(cps, s + buf, s + x, root, trie, tshift, emit, start, trans, V, bp, path, out_st, out_ln, out_nd, n)
                    buf = -1
                n = _emit(cps, s + x, y - x, (rto[x] >> 32) - 1, root, out_st, out_ln, out_nd, n)
            x = y
        if buf >= 0:
            n = _flush(cps, s + buf, s + N, root, trie, tshift, emit, start, trans, V, bp, path, out_st, out_ln, out_nd, n)
        s = e
    return n


@nb.njit(cache=True)
def _parse_dictionary(raw):  # type: ignore[no-untyped-def]
    """The words of a UTF-8 dictionary file (``word frequency [tag]`` lines) as code
    points, each word's (start, end) among them, and its frequency; lines without a
    frequency are skipped."""
    n_lines = 1
    for b in raw:
        if b == 0x0A:
            n_lines += 1
    cps = np.empty(len(raw), np.int32)
    ws = np.empty(n_lines, np.int64)
    we = np.empty(n_lines, np.int64)
    fq = np.empty(n_lines, np.int64)
    n = 0
    m = 0
    i = 0
    N = len(raw)
    while i < N:
        start = m
        while i < N and raw[i] != 0x20 and raw[i] != 0x0A and raw[i] != 0x0D:
            b = np.int64(raw[i])
            if b < 0x80:
                c = b
                i += 1
            elif b < 0xE0:
                c = ((b & 0x1F) << 6) | (raw[i + 1] & 0x3F)
                i += 2
            elif b < 0xF0:
                c = ((b & 0x0F) << 12) | ((raw[i + 1] & 0x3F) << 6) | (raw[i + 2] & 0x3F)
                i += 3
            else:
                c = ((b & 0x07) << 18) | ((raw[i + 1] & 0x3F) << 12) | ((raw[i + 2] & 0x3F) << 6) | (raw[i + 3] & 0x3F)
                i += 4
            cps[m] = c
            m += 1
        f = 0
        digits = 0
        if i < N and raw[i] == 0x20:
            i += 1
            while i < N and 0x30 <= raw[i] <= 0x39:
                f = 10 * f + (np.int64(raw[i]) - 0x30)
                digits += 1
                i += 1
        if m > start and digits > 0:
            ws[n] = start
            we[n] = m
            fq[n] = f
            n += 1
        else:
            m = start
        while i < N and raw[i] != 0x0A:
            i += 1
        i += 1
    return cps[:m].copy(), ws[:n].copy(), we[:n].copy(), fq[:n].copy()


@nb.njit(cache=True)
def _build_trie(cps, ws, we, freqs, logsize, keep_ranges):  # type: ignore[no-untyped-def]
    """The dictionary as a trie in one packed table, ``(parent << 21 | char) → node``
    (node 0 the root; ``_WORD`` set on a node that is a word, not only a prefix of
    words), each node's frequency, its flags (``_UPPER``: the word has an ASCII capital, so
    lower-casing changes it; ``_KEPT``: it has a character in ``keep_ranges``, so the model
    keeps it as a word) and the total (-1 when the nodes outgrow ``_NODE``).

    Words are added the way rjieba adds them: a word already there takes the later
    frequency and the total moves by the difference (the user dictionary's words come
    after jieba's)."""
    size = 1 << logsize
    table = np.full(size, -1, np.int64)
    shift = np.uint64(64 - logsize)
    mask = size - 1
    freq = np.zeros(len(cps) + 1, np.int64)  # at most one node per character
    flags = np.zeros(len(cps) + 1, np.int8)
    n_nodes = 1
    total = 0
    for w in range(len(ws)):
        node = 0
        for j in range(ws[w], we[w]):
            key = (node << 21) | cps[j]
            slot = np.int64((np.uint64(key) * MULT) >> shift)
            while True:
                ent = table[slot]
                if ent == -1:
                    table[slot] = (key << 20) | n_nodes
                    c = cps[j]
                    f = flags[node]
                    if 0x41 <= c <= 0x5A:
                        f |= _UPPER
                    if in_ranges(c, keep_ranges):
                        f |= _KEPT
                    flags[n_nodes] = f
                    node = n_nodes
                    n_nodes += 1
                    break
                if (ent >> 20) == key:
                    node = ent & 0xFFFFF
                    break
                slot = (slot + 1) & mask
        total += freqs[w] - freq[node]
        freq[node] = freqs[w]
    if n_nodes > _NODE:
        return table, freq[:n_nodes].copy(), flags[:n_nodes].copy(), -1
    for slot in range(size):  # flag the words among the nodes
        ent = table[slot]
        if ent != -1 and freq[ent & 0xFFFFF] > 0:
            table[slot] = ent | _WORD
    return table, freq[:n_nodes].copy(), flags[:n_nodes].copy(), total


@nb.njit(cache=True)
def _roots(trie, tshift, limit):  # type: ignore[no-untyped-def]
    """The trie entry (node and word flag) of each character below ``limit`` on its own
    (-1: none)."""
    root = np.empty(limit, np.int32)
    for c in range(limit):
        root[c] = find(trie, c, tshift)
    return root


def _dictionary() -> np.ndarray:
    """The UTF-8 bytes of jieba's dictionary followed by the project's user dictionary,
    the latter as the (word, frequency) entries rjieba is given (``_tokenize``)."""
    from importlib import resources

    from ..text.tokenize import _userdict_entries

    raw = resources.files("jieba").joinpath("dict.txt").read_bytes()
    lines = []
    for word, freq, _tag in _userdict_entries():
        if freq is None:  # rjieba would suggest a frequency from the dictionary: not replicated here
            raise ValueError(f"user dictionary entry {word!r} has no frequency")
        lines.append(f"{word} {freq}")
    raw += ("\n" + "\n".join(lines)).encode("utf-8")
    return np.frombuffer(raw, dtype=np.uint8)


def _hmm() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """jieba's HMM: emission log-probabilities of U+4E00–U+9FD5, one row of the four
    states per character (so Viterbi reads one cache line a character; MIN_FLOAT for a
    character a state never emits), start and transition log-probabilities."""
    from jieba.finalseg import emit_P, start_P, trans_P

    names = "BEMS"
    emit = np.full((_HMM_HI - _HMM_LO + 1, 4), MIN_FLOAT)  # a character's four states side by side
    for y, name in enumerate(names):
        for ch, p in emit_P[name].items():
            c = ord(ch)
            if _HMM_LO <= c <= _HMM_HI:
                emit[c - _HMM_LO, y] = p
    start = np.array([start_P[name] for name in names])
    trans = np.full((4, 4), MIN_FLOAT)
    for y0, name0 in enumerate(names):
        for y, name in enumerate(names):
            if name in trans_P[name0]:
                trans[y0, y] = trans_P[name0][name]
    return emit, start, trans


def tables() -> tuple[Any, ...]:
    """The segmenter's data for :func:`cut`, built once per process (about 0.2 s):
    (each character's trie entry, the trie, its hash shift, each node's log frequency,
    log of the total, emission, start and transition log-probabilities)."""
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                from ..text.tokenize import KEEP_RANGES

                cps, ws, we, fq = _parse_dictionary(_dictionary())
                trie, freq, flags, total = _build_trie(cps, ws, we, fq, log_size(len(cps)), np.array(KEEP_RANGES, np.int64))
                logsize = log_size(len(cps))
                del cps, ws, we, fq
                if total < 0:
                    raise ValueError("the segmenter's dictionary has more prefixes than its table holds")
                if log_size(len(freq) - 1) < logsize:  # sized for its edges, not the dictionary's characters
                    logsize = log_size(len(freq) - 1)  # (half the memory, so more of it stays in cache)
                    trie = rehash(trie, logsize)
                # math.log (the C library's log, as the Rust port uses) of each frequency
                values, which = np.unique(freq, return_inverse=True)
                logf = np.array([math.log(f) if f > 0 else 0.0 for f in values.tolist()])[which]
                root = _roots(trie, np.uint64(64 - logsize), 0x2FA20)
                _tables = (root, trie, np.uint64(64 - logsize), logf, math.log(total), *_hmm())
                _node_flags[:] = [flags]
    return _tables


@nb.njit(cache=True)
def _node_tokens(root, trie, tshift, flags, tcps, toff):  # type: ignore[no-untyped-def]
    """For each dictionary node: the id of the model token that is its word, or -1 when
    no token is (the word is its own lower case), -2 when a hash lookup must decide (it
    has an ASCII capital), -3 when the model never keeps it as a word."""
    out = np.full(len(flags), -1, np.int32)
    for nd in range(len(flags)):
        if not (flags[nd] & _KEPT):
            out[nd] = -3
        elif flags[nd] & _UPPER:
            out[nd] = -2
    for t in range(len(toff) - 1):
        ent = -1
        for j in range(toff[t], toff[t + 1]):
            c = tcps[j]
            if j == toff[t]:
                ent = root[c] if c < len(root) else -1
            else:
                ent = find(trie, ((ent & _NODE) << 21) | c, tshift)
            if ent < 0:
                break
        if ent >= 0 and (ent & _WORD) and toff[t + 1] > toff[t]:
            out[ent & _NODE] = t
    return out


def node_tokens(tcps: np.ndarray, toff: np.ndarray) -> np.ndarray:
    """:func:`_node_tokens` for a model's tokens (code points ``tcps``, offsets ``toff``),
    so the scoring kernel finds a dictionary word's token without hashing it."""
    root, trie, tshift = tables()[:3]
    return _node_tokens(root, trie, tshift, _node_flags[0], tcps, toff)


def segment(text: str) -> list[tuple[int, int]]:
    """(start, length) of each token the kernel's segmenter makes of ``text`` (tokens
    outside the dictionary class left out); for tests and comparisons."""
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    L = len(cps)
    out_st = np.empty(2 * L + 2, np.int64)
    out_ln = np.empty(2 * L + 2, np.int64)
    n = cut(
        cps, 0, L, *tables(), np.empty(L + 1), np.empty(L + 1, np.int64),
        np.empty((max(L, 1), 4)), np.empty((max(L, 1), 4), np.int64), np.empty(max(L, 1), np.int64),
        out_st, out_ln, np.empty(2 * L + 2, np.int64), 0,
    )
    return list(zip(out_st[:n].tolist(), out_ln[:n].tolist()))


def empty_tables() -> tuple[Any, ...]:
    """Tables of the right types for a model without word features (never segmented)."""
    return (
        np.full(1, -1, np.int32), np.full(16, -1, np.int64), np.uint64(60), np.zeros(1), 0.0,
        np.full((_HMM_HI - _HMM_LO + 1, 4), MIN_FLOAT), np.zeros(4), np.zeros((4, 4)),
    )
