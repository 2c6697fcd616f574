"""JSON Lines output rows, written from pieces: byte for byte ``json.dumps(row,
ensure_ascii=False)`` of each row :func:`~policytag.tagger.rows.rows` builds, in Python
(:func:`jsonl`) or by the compiled kernel (:func:`jsonl_compiled`) when it is loaded."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from ..model.scoring import labels_at
from .batching import _columns_type

# per label set: the kernel writer's UTF-8 pieces (label lists, four-place scores, row template)
_WRITER_PARTS: dict[tuple[str, ...], tuple[np.ndarray, ...]] = {}


_FOUR_PLACES: Optional[list[str]] = None


def _four_place_index(P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rint(p * 1e4)`` of each probability (clipped to 0 … 10,000), the index of its
    four-place string in :func:`_four_places`, and whether that index is surely what
    ``round(p, 4)`` gives: not where the product lies so near a half that its rounding
    error could decide, nor where p is outside [0, 1]."""
    scaled = P * 1e4
    q = np.rint(scaled)
    exact = (np.abs(scaled - np.floor(scaled) - 0.5) > 1e-6) & (q >= 0) & (q <= 10000)
    return q.astype(np.int64).clip(0, 10000), exact


def _four_places() -> list[str]:
    """``repr(q / 10000)`` for q = 0 … 10,000: the four-place scores as json writes them."""
    global _FOUR_PLACES
    if _FOUR_PLACES is None:  # built whole, then published: threads may race here
        _FOUR_PLACES = [repr(q / 10000) for q in range(10001)]
    return _FOUR_PLACES


def _rounded(P: np.ndarray) -> list[tuple[str, ...]]:
    """``repr(round(p, 4))`` of each probability, row by row, without a Python call per
    value: ``rint(p * 1e4)`` indexes the strings of 0.0, 0.0001 … 1.0. Where the product
    lies so near a half that its rounding error could decide (or p is outside [0, 1]),
    Python's ``round`` itself is used."""
    import json

    q, exact = _four_place_index(P)
    table = _four_places()
    rows = [tuple([table[i] for i in row]) for row in q.tolist()]
    for i in np.flatnonzero(~exact.all(axis=1)).tolist():
        rows[i] = tuple(json.dumps(round(p, 4)) for p in P[i].tolist())
    return rows


_LOCATION = ("file", "index", "heading")


def _jsonl(labels: Sequence[str], items: Sequence[tuple[str, str, dict[str, Any]]], P: np.ndarray,
           default: np.ndarray, strict: Optional[np.ndarray]) -> str:
    """The JSON lines of :func:`_rows`, byte for byte ``json.dumps(row, ensure_ascii=False)``
    of each, written from pieces: the label lists and a row template are made once per
    batch, and each row is one ``%`` of its id, text, labels, scores and location."""
    import json
    from json.encoder import encode_basestring as quote  # what the encoder below does with a str

    encode = json.JSONEncoder(ensure_ascii=False).encode
    th = strict if strict is not None else default
    on = labels_at(P, th) @ (1 << np.arange(len(labels)))  # each row's labels as a bit mask
    uncertain = (labels_at(P, default).any(axis=1) & (on == 0)).tolist() if strict is not None else None
    given = {int(m): encode([lab for j, lab in enumerate(labels) if m >> j & 1]) for m in np.unique(on)}
    pieces = [p.replace("%", "%%") for p in _row_pieces(labels)]
    n = len(labels)
    head = "%s".join(pieces[: 3 + n]) + "%s}"  # id, text, labels, the scores: a row's own fields
    located = "%s".join(pieces[: 3 + n]) + "%s" + pieces[3 + n] + "%s" + pieces[4 + n] + "%d" + pieces[5 + n] + "%s" + (
        pieces[6 + n])  # … and its file, index and heading
    own = ("id", "text", "labels", "scores") + (("uncertain",) if strict is not None else ())
    out = []
    file, file_json = None, ""
    for k, ((rid, text, extra), shown, mask) in enumerate(zip(items, _rounded(P), on.tolist())):
        fields = (quote(rid) if type(rid) is str else encode(rid), quote(text) if type(text) is str else encode(text),
                  given[mask]) + shown
        if uncertain is None and len(extra) == 3 and tuple(extra) == _LOCATION and type(extra["index"]) is int \
                and type(extra["file"]) is str:
            # the common case, a record's location only (located_records): the file
            # name is encoded once for its run of rows
            if extra["file"] is not file:
                file = extra["file"]
                file_json = quote(file)
            heading = extra["heading"]
            out.append(located % (fields + (file_json, extra["index"], "null" if heading is None else encode(heading))))
            continue
        line = head % fields
        if uncertain is not None:
            line += ', "uncertain": true' if uncertain[k] else ', "uncertain": false'
        if extra:
            rest = {key: value for key, value in extra.items() if key not in own}
            if rest:
                line += ", " + encode(rest)[1:-1]
        out.append(line + "}\n")
    return "".join(out)


def _row_pieces(labels: Sequence[str]) -> list[str]:
    """The fixed text of a row that carries its location, around its fields: before the
    id, the text, the labels, each score, the file, the index and the heading, and after
    the heading (what both JSON writers write)."""
    import json

    quoted = [json.dumps(lab, ensure_ascii=False) for lab in labels]
    return (['{"id": ', ', "text": ', ', "labels": ', ', "scores": {' + quoted[0] + ": "]
            + [", " + lab + ": " for lab in quoted[1:]] + ['}, "file": ', ', "index": ', ', "heading": ', "}\n"])


def _writer_parts(labels: Sequence[str]) -> tuple[np.ndarray, ...]:
    """The fixed bytes of :func:`_jsonl_compiled`'s rows for a label set (built once):
    every label list by bit mask, every four-place score, and the pieces between the
    fields, each as joined UTF-8 with its offsets."""
    import json

    key = tuple(labels)
    if key not in _WRITER_PARTS:
        lists = [json.dumps([lab for j, lab in enumerate(labels) if m >> j & 1], ensure_ascii=False)
                 for m in range(1 << len(labels))]
        _WRITER_PARTS[key] = (*_joined_utf8(lists), *_joined_utf8(_four_places()), *_joined_utf8(_row_pieces(labels)))
    return _WRITER_PARTS[key]


def _jsonl_compiled(kernel: Any, labels: Sequence[str], items: Any, P: np.ndarray, default: np.ndarray) -> Optional[bytes]:
    """:func:`_jsonl` of a batch, as UTF-8, written by the kernel (``_kernel.json_rows``,
    with the GIL released), for the common batch: string ids and texts, records that carry only
    their location, no lone surrogate, and scores whose four-place rounding the table
    decides. None for any other batch, which :func:`_jsonl` writes. ``items`` is a list
    of (id, text, carried fields) or a :class:`~policytag.io.records.JsonlColumns`."""
    import json

    if not len(items) or not 0 < len(labels) <= 12:
        return None
    if isinstance(items, _columns_type()):  # plain JSON lines: str ids and texts, located by construction
        ids, texts = items.ids, items.texts
        n = len(texts)
        index = np.arange(items.first_index, items.first_index + n, dtype=np.int64)
        names = [items.source]
        file_of = np.zeros(n, dtype=np.int64)
        heads: list[Optional[str]] = [None] * n
    else:
        ids = [it[0] for it in items]
        texts = [it[1] for it in items]
        extras = [it[2] for it in items]
        if not (all(type(x) is str for x in ids) and all(type(t) is str for t in texts)
                and all(len(e) == 3 and tuple(e) == _LOCATION for e in extras)):
            return None
        index_list = [e["index"] for e in extras]
        file_names = [e["file"] for e in extras]
        heads = [e["heading"] for e in extras]
        if not (all(type(v) is int and v >= 0 for v in index_list) and all(type(f) is str for f in file_names)
                and all(h is None or type(h) is str for h in heads)):
            return None
        fid = {f: k for k, f in enumerate(dict.fromkeys(file_names))}
        names = list(fid)
        index = np.array(index_list, dtype=np.int64)
        file_of = np.array([fid[f] for f in file_names], dtype=np.int64)
    q, exact = _four_place_index(P)
    if not exact.all():
        return None  # a score too near a rounding half, or outside [0, 1]: Python's round decides
    try:
        tcps, tstart = _utf32(texts)
        icps, istart = _utf32(ids)
        hcps, hstart = _utf32([h or "" for h in heads])
        fcps, fstart = _joined_utf8([json.dumps(f, ensure_ascii=False) for f in names])
    except UnicodeEncodeError:  # a lone surrogate: the Python writer keeps it as it is
        return None
    lbytes, lstart, places, pstart, cbytes, cstart = _writer_parts(labels)
    on = (P >= default) @ (1 << np.arange(len(labels)))
    out, _ = kernel.json_rows(
        tcps, tstart, icps, istart, hcps, hstart, np.array([h is not None for h in heads]),
        index, file_of, fcps, fstart, on.astype(np.int64), lbytes, lstart, q, places, pstart, cbytes, cstart,
    )
    return out.tobytes()


def _utf32(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The strings' code points joined (int64; strict, so a lone surrogate raises) and the
    offsets of each string's start, with the total at the end."""
    cps = np.frombuffer("".join(strings).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    start = np.zeros(len(strings) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)), out=start[1:])
    return cps, start


def _joined_utf8(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The strings' UTF-8 bytes joined and the offset of each one's start, total at the end."""
    encoded = [x.encode("utf-8") for x in strings]
    start = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=start[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), start
