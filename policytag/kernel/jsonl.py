"""The kernel's JSON Lines writer: a batch's output rows as UTF-8 bytes, byte for byte
what ``json.dumps(row, ensure_ascii=False)`` gives (``policytag.tagger.jsonl`` prepares
the pieces and checks which batches it may write)."""
from __future__ import annotations

import numba as nb
import numpy as np


# the control characters json writes as a backslash and a letter (the rest as \u00XX)
_SHORT_ESCAPES = np.zeros(32, np.uint8)
for _c, _e in {"\n": "n", "\r": "r", "\t": "t", "\b": "b", "\f": "f"}.items():
    _SHORT_ESCAPES[ord(_c)] = ord(_e)


@nb.njit(cache=True, nogil=True, _nrt=False)
def _put_string(out, o, cps, a, b):  # type: ignore[no-untyped-def]
    """``cps[a:b]`` as a JSON string in UTF-8 at ``out[o:]``, escaped as Python's
    ``json`` escapes with ``ensure_ascii=False``; returns the end (at most 6 bytes a
    character and 2 for the quotes)."""
    out[o] = 0x22
    o += 1
    for p in range(a, b):
        c = cps[p]
        if c < 0x80:
            if c == 0x22 or c == 0x5C:
                out[o] = 0x5C
                out[o + 1] = c
                o += 2
            elif c >= 0x20:
                out[o] = c
                o += 1
            else:
                out[o] = 0x5C
                if _SHORT_ESCAPES[c]:  # \n \r \t \b \f
                    out[o + 1] = _SHORT_ESCAPES[c]
                    o += 2
                else:  # \u00XX, lower-case hex
                    out[o + 1] = 0x75
                    out[o + 2] = 0x30
                    out[o + 3] = 0x30
                    hi = c >> 4
                    lo = c & 0xF
                    out[o + 4] = 0x30 + hi
                    out[o + 5] = (0x30 + lo) if lo < 10 else (0x57 + lo)
                    o += 6
        elif c < 0x800:
            out[o] = 0xC0 | (c >> 6)
            out[o + 1] = 0x80 | (c & 0x3F)
            o += 2
        elif c < 0x10000:
            out[o] = 0xE0 | (c >> 12)
            out[o + 1] = 0x80 | ((c >> 6) & 0x3F)
            out[o + 2] = 0x80 | (c & 0x3F)
            o += 3
        else:
            out[o] = 0xF0 | (c >> 18)
            out[o + 1] = 0x80 | ((c >> 12) & 0x3F)
            out[o + 2] = 0x80 | ((c >> 6) & 0x3F)
            out[o + 3] = 0x80 | (c & 0x3F)
            o += 4
    out[o] = 0x22
    return o + 1


@nb.njit(cache=True, nogil=True, _nrt=False)
def _put_bytes(out, o, src, a, b):  # type: ignore[no-untyped-def]
    for p in range(a, b):
        out[o] = src[p]
        o += 1
    return o


@nb.njit(cache=True, nogil=True)
def json_rows(texts, tstart, ids, istart, heads, hstart, has_head, index, file_of, files, fstart,
              masks, labels, lstart, q, places, pstart, pieces, cstart):  # type: ignore[no-untyped-def]
    """The JSON lines of a batch's rows, UTF-8, byte for byte what ``_tagger._jsonl``
    writes for records that carry only their location:

    ``{"id": …, "text": …, "labels": …, "scores": {…}, "file": …, "index": …, "heading": …}``

    Texts, ids and headings come as code points (row i's at ``*start[i]:*start[i+1]``,
    a heading only where ``has_head``); ``files``/``labels``/``places`` hold the JSON
    of each file name, label list (by bit mask) and four-place score (by ``q``, the
    score times 10,000) at their ``*start`` offsets; ``pieces`` holds the row's fixed
    parts between the fields. Returns the bytes and each row's end in them."""
    n = len(index)
    n_labels = q.shape[1]
    size = 0
    for i in range(n):
        size += 6 * (tstart[i + 1] - tstart[i] + istart[i + 1] - istart[i] + hstart[i + 1] - hstart[i]) + 64
        size += fstart[file_of[i] + 1] - fstart[file_of[i]] + lstart[masks[i] + 1] - lstart[masks[i]]
        size += 8 * n_labels
    size += n * (cstart[len(cstart) - 1] + 20)
    out = np.empty(size, np.uint8)
    ends = np.empty(n, np.int64)
    o = 0
    for i in range(n):
        k = 0
        o = _put_bytes(out, o, pieces, cstart[k], cstart[k + 1])
        k += 1
        o = _put_string(out, o, ids, istart[i], istart[i + 1])
        o = _put_bytes(out, o, pieces, cstart[k], cstart[k + 1])
        k += 1
        o = _put_string(out, o, texts, tstart[i], tstart[i + 1])
        o = _put_bytes(out, o, pieces, cstart[k], cstart[k + 1])
        k += 1
        o = _put_bytes(out, o, labels, lstart[masks[i]], lstart[masks[i] + 1])
        for j in range(n_labels):
            o = _put_bytes(out, o, pieces, cstart[k], cstart[k + 1])
            k += 1
            o = _put_bytes(out, o, places, pstart[q[i, j]], pstart[q[i, j] + 1])
        o = _put_bytes(out, o, pieces, cstart[k], cstart[k + 1])
        k += 1
        o = _put_bytes(out, o, files, fstart[file_of[i]], fstart[file_of[i] + 1])
        o = _put_bytes(out, o, pieces, cstart[k], cstart[k + 1])
        k += 1
        v = index[i]  # a non-negative int in decimal
        digits = 1
        t = v
        while t >= 10:
            t //= 10
            digits += 1
        for d in range(digits - 1, -1, -1):
            out[o + d] = 0x30 + v % 10
            v //= 10
        o += digits
        o = _put_bytes(out, o, pieces, cstart[k], cstart[k + 1])
        k += 1
        if has_head[i]:
            o = _put_string(out, o, heads, hstart[i], hstart[i + 1])
        else:
            out[o] = 0x6E  # null
            out[o + 1] = 0x75
            out[o + 2] = 0x6C
            out[o + 3] = 0x6C
            o += 4
        o = _put_bytes(out, o, pieces, cstart[k], cstart[k + 1])
        ends[i] = o
    return out[:o], ends
