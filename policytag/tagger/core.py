"""The tagging API: :class:`Tagger` wraps a trained model folder.

Prediction runs on the compiled arrays (:mod:`policytag.model.compiled`): NumPy and the
segmenter only, no scikit-learn, and for big jobs the compiled kernel, which releases the
GIL, so ``jobs`` > 1 runs threads. It is thread-safe (the arrays are only read; lookup
tables and the segmenter are built once) and never prints.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence

import numpy as np

from ..errors import PolicytagError


def _check_threshold(threshold: Optional[float]) -> None:
    if threshold is not None and not (0.0 <= float(threshold) <= 1.0):
        raise PolicytagError("E014", value=threshold)


class Tagger:
    """Tags paragraphs with the six policy labels.

    >>> tagger = Tagger.load()                       # the shipped default model
    >>> tagger.tag("深入打好蓝天保卫战，PM2.5平均浓度下降8%。")
    ['air']
    """

    def __init__(self, model: Any, card: dict[str, Any], path: Optional[Path] = None) -> None:
        from ..model.compiled import CompiledModel

        if not isinstance(model, CompiledModel):  # a fitted scikit-learn pipeline
            model = CompiledModel.from_pipeline(model, card["labels"])
        self.model = model
        self.card = card
        self.path = path
        self.labels: list[str] = list(card["labels"])
        self.thresholds = np.asarray([card["thresholds"][lab] for lab in self.labels], dtype=float)

    @classmethod
    def load(cls, path: Optional[Path | str] = None) -> "Tagger":
        """Load a model folder (default: the model shipped in ``models/``)."""
        from ..model.format import load_model
        from ..resources import default_model_dir

        d = Path(path) if path is not None else default_model_dir()
        payload = load_model(d)
        return cls(payload["model"], payload["card"], d)

    @property
    def taxonomy(self) -> dict[str, Any]:
        """The label taxonomy the model was trained with (definitions and cue terms)."""
        return self.card["taxonomy"]

    def _thresholds(self, threshold: Optional[float]) -> np.ndarray:
        _check_threshold(threshold)
        return self.thresholds if threshold is None else np.full(len(self.labels), float(threshold))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of each label, shape ``(len(texts), len(self.labels))``, in ``self.labels``
        order; 0 for every label of a text that normalises to nothing."""
        return self.model.proba_of_texts(list(texts))

    def predict(self, texts: Sequence[str], threshold: Optional[float] = None) -> np.ndarray:
        """Indicator matrix of labels (per-label thresholds, or one ``threshold`` for all)."""
        th = self._thresholds(threshold)
        return (self.predict_proba(texts) >= th).astype(np.int8)

    def tag(self, text: str, threshold: Optional[float] = None) -> list[str]:
        """The labels of one paragraph."""
        return self.tag_many([text], threshold=threshold)[0]

    def tag_many(
        self, texts: Iterable[str], batch_size: int = 512, threshold: Optional[float] = None
    ) -> list[list[str]]:
        """The labels of many paragraphs, predicted in batches."""
        th = self._thresholds(threshold)
        out: list[list[str]] = []
        for batch in _batches(texts, batch_size):
            P = self.predict_proba(batch)
            out.extend([lab for lab, on in zip(self.labels, row >= th) if on] for row in P)
        return out

    def score_rows(
        self, texts: Sequence[str], threshold: Optional[float] = None
    ) -> list[tuple[list[str], dict[str, float]]]:
        """For each text: its labels and its score for every label (rounded to 4 places)."""
        th = self._thresholds(threshold)
        P = self.predict_proba(texts)
        return [
            (
                [lab for lab, on in zip(self.labels, row >= th) if on],
                {lab: round(float(p), 4) for lab, p in zip(self.labels, row)},
            )
            for row in P
        ]

    def precision_thresholds(self, min_precision: float) -> tuple[np.ndarray, dict[str, dict[str, float]]]:
        """Per-label thresholds that reach ``min_precision`` on the training data's
        out-of-fold scores (the card's curves), and what each costs in recall.

        For each label the lowest threshold whose out-of-fold precision is at least
        ``min_precision`` is chosen (most recall at that precision); a label that never
        reaches it gets a threshold above 1 and is never tagged. Returns the thresholds
        and ``{label: {"threshold", "precision", "recall", "default_recall"}}``.
        """
        if not (0.0 < float(min_precision) <= 1.0):
            raise PolicytagError("E023", value=min_precision)
        curves = self.card.get("precision_curves")
        if not curves:
            raise PolicytagError("E022", path=None if self.path is None else str(self.path))
        out = np.empty(len(self.labels))
        report: dict[str, dict[str, float]] = {}
        for j, lab in enumerate(self.labels):
            c = curves[lab]
            th, prec, rec = (np.asarray(c[k], dtype=float) for k in ("threshold", "precision", "recall"))
            ok = np.flatnonzero(prec >= min_precision)
            default = np.flatnonzero(th >= self.thresholds[j])
            default_recall = float(rec[default[-1]]) if len(default) else 0.0
            if len(ok):
                best = ok[np.argmax(rec[ok])]
                out[j] = max(float(th[best]), float(self.thresholds[j]))  # never looser than usual
                at = np.flatnonzero(th >= out[j])
                at = int(at[-1]) if len(at) else best
                report[lab] = {"threshold": round(out[j], 4), "precision": float(prec[at]),
                               "recall": float(rec[at]), "default_recall": default_recall}
            else:
                out[j] = 1.0 + 1e-9
                report[lab] = {"threshold": 1.0, "precision": float("nan"), "recall": 0.0,
                               "default_recall": default_recall}
        return out, report

    def _label_thresholds(
        self, threshold: Optional[float], min_precision: Optional[float]
    ) -> tuple[np.ndarray, Optional[np.ndarray]]:
        """The usual per-label thresholds (or ``threshold`` for all), and the stricter ones
        of ``min_precision`` (None without it): what output rows are built with."""
        default = self._thresholds(threshold)
        strict = self.precision_thresholds(min_precision)[0] if min_precision is not None else None
        return default, strict

    def _scored_batches(self, records: Iterable[Any], batch_size: int, jobs: int) -> Iterator[tuple[list[Any], np.ndarray]]:
        """(batch, probabilities) pairs in input order, scored here or by ``jobs`` workers."""
        if jobs <= 1:
            for batch in _batches(records, batch_size):
                yield batch, self.predict_proba(_texts(batch))
            return
        if self.model.prefer_kernel():
            yield from _threaded(records, batch_size, jobs, self.predict_proba, _texts)
            return
        yield from self._pooled(records, batch_size, jobs, _texts, _worker_proba)

    def _pooled(
        self, records: Iterable[Any], batch_size: int, jobs: int, payload: Any, work: Any, *args: Any
    ) -> Iterator[tuple[list[Any], Any]]:
        """(batch, ``work(payload(batch), *args)``) pairs in input order, ``work`` run in
        ``jobs`` worker processes (scoring in NumPy) on what ``payload`` takes of each
        batch; only a few batches are in flight, so memory stays flat on any input size."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("spawn")  # no fork: safe whatever threads the caller runs
        with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker, initargs=(self,)) as pool:
            yield from _in_order(pool, records, batch_size, jobs, payload, work, *args)

    def explain(self, text: str, top: int = 8, threshold: Optional[float] = None) -> dict[str, Any]:
        """Why each label got its score: intercept, per-term contributions and the sentences
        that hold them, from the model's own weights (see :mod:`policytag.model.explain`)."""
        from ..model.explain import explain

        return explain(self, text, top=top, threshold=threshold)

    def tag_document(self, text: str, threshold: Optional[float] = None) -> list[dict[str, Any]]:
        """Split a document into paragraphs (furniture dropped) and tag each.

        Returns one dict per paragraph: ``line`` (1-based), ``text``, ``labels``, ``scores``.
        """
        from ..text.segment import split_paragraphs

        paragraphs = split_paragraphs(text)
        rows = self.score_rows([p.text for p in paragraphs], threshold=threshold)
        return [
            {"line": p.line, "text": p.text, "labels": labels, "scores": scores}
            for p, (labels, scores) in zip(paragraphs, rows)
        ]

    def tag_records(
        self,
        records: Iterable[Any],
        batch_size: int = 512,
        threshold: Optional[float] = None,
        min_precision: Optional[float] = None,
        evidence: bool = False,
        jobs: int = 1,
    ) -> Iterator[dict[str, Any]]:
        """Stream output rows for :class:`~policytag.io.readers.Record` objects, batch by batch.

        Each row is ``{"id", "text", "labels", "scores", **carried_fields}``. With
        ``min_precision``, labels use :meth:`precision_thresholds` and each row gains
        ``uncertain``: true when no label reaches its precision threshold but some label
        passes the model's usual (best-F1) threshold, so the paragraph is not silently
        untagged. With ``evidence``, rows gain the top terms behind each label.
        ``jobs`` > 1 scores batches in that many threads on the compiled kernel (worker
        processes scoring in NumPy where the kernel cannot run); order is kept, and only a
        few batches are in flight, so memory stays flat on any input size.
        """
        default, strict = self._label_thresholds(threshold, min_precision)
        if evidence:
            from ..model.explain import evidence as compact
        for batch, P in self._scored_batches(_expanded(records), batch_size, jobs):
            for rec, row in zip(batch, _rows(self.labels, _items(batch), P, default, strict)):
                if evidence:
                    labels = row["labels"]
                    ev = compact(self.explain(rec.text, top=3, threshold=threshold)) if labels else {}
                    if strict is not None:  # evidence for the labels actually given
                        ev = {k: v for k, v in ev.items() if k in labels}
                    row = _with_evidence(row, ev, strict is not None)
                yield row

    def jsonl_chunks(
        self,
        records: Iterable[Any],
        batch_size: int = 512,
        threshold: Optional[float] = None,
        min_precision: Optional[float] = None,
        jobs: int = 1,
        raw: bool = False,
    ) -> Iterator[tuple[int, str | bytes]]:
        """:meth:`tag_records`' rows (without evidence) as JSON Lines text, one
        ``(rows, text)`` chunk per batch, byte for byte what ``json.dumps`` of each row
        gives. With ``jobs`` > 1 on the compiled kernel, ``jobs`` threads score the
        batches and build and serialise their rows too, so the calling thread only reads
        input and writes text; worker processes (the NumPy path) only score.

        ``raw``: each chunk as its writer made it, UTF-8 ``bytes`` where the kernel wrote
        the batch, else ``str`` (what ``policytag predict`` writes, undecoded)."""
        default, strict = self._label_thresholds(threshold, min_precision)
        for n, part in self._jsonl_parts(records, batch_size, jobs, default, strict):
            yield n, part if raw or isinstance(part, str) else part.decode("utf-8")

    def _jsonl_parts(self, records: Iterable[Any], batch_size: int, jobs: int, default: np.ndarray,
                     strict: Optional[np.ndarray]) -> Iterator[tuple[int, str | bytes]]:
        """:meth:`jsonl_chunks` once the thresholds are decided (:meth:`_label_thresholds`),
        each chunk as its writer made it: UTF-8 bytes where the kernel wrote the batch,
        else text (the CLI writes the bytes as they are)."""
        if jobs > 1 and self.model.prefer_kernel():
            for _, done in _threaded(records, batch_size, jobs, self._jsonl_of, _items, default, strict):
                yield done
            return
        for batch, P in self._scored_batches(_expanded(records), batch_size, jobs):
            yield len(batch), self._serialised(_items(batch), P, default, strict)

    def _jsonl_of(self, items: Any, default: np.ndarray, strict: Optional[np.ndarray]) -> tuple[int, str | bytes]:
        """A batch's ``(rows, JSON lines)``: scored, and its rows built and serialised
        (``items``: see :func:`_items`)."""
        texts = items.texts if isinstance(items, _columns_type()) else [text for _, text, _ in items]
        return len(items), self._serialised(items, self.predict_proba(texts), default, strict)

    def _serialised(self, items: Any, P: np.ndarray, default: np.ndarray, strict: Optional[np.ndarray]) -> str | bytes:
        """A batch's JSON lines: UTF-8 bytes written by the kernel when this process has
        it loaded and the batch is a common one (see :func:`_jsonl_compiled`), else text
        written in Python."""
        from ..model.compiled import _KERNEL

        kernel = _KERNEL.get("module")  # only a kernel already loaded: never import numba for this
        if strict is None and kernel is not None:
            done = _jsonl_compiled(kernel, self.labels, items, P, default)
            if done is not None:
                return done
        if isinstance(items, _columns_type()):  # (the rows it stands for, located as records are)
            items = _items(list(_expanded([items])))
        return _jsonl(self.labels, items, P, default, strict)


def _in_order(pool: Any, records: Iterable[Any], batch_size: int, jobs: int, payload: Any, work: Any,
              *args: Any) -> Iterator[tuple[list[Any], Any]]:
    """(batch, ``work(payload(batch), *args)``) pairs in input order from an executor,
    with at most ``3 * jobs`` batches in flight."""
    from collections import deque

    pending: deque = deque()
    for batch in _column_batches(records, batch_size):
        pending.append((batch, pool.submit(work, payload(batch), *args)))
        if len(pending) >= 3 * jobs:
            done, fut = pending.popleft()
            yield done, fut.result()
    while pending:
        done, fut = pending.popleft()
        yield done, fut.result()


def _threaded(records: Iterable[Any], batch_size: int, jobs: int, work: Any, payload: Any,
              *args: Any) -> Iterator[tuple[list[Any], Any]]:
    """:func:`_in_order` on ``jobs`` threads of this process: for work on the compiled
    kernel, which releases the GIL while it segments and scores, so threads run it in
    parallel and share one copy of the model, the dictionary and numba's runtime."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(jobs, thread_name_prefix="policytag") as pool:
        yield from _in_order(pool, records, batch_size, jobs, payload, work, *args)


def _texts(batch: Sequence[Any]) -> list[str]:
    return [r.text for r in batch]


def _items(batch: Any) -> Any:
    """A batch of records as the (id, text, carried fields) tuples rows are built from
    (a :class:`~policytag.io.readers.JsonlColumns` batch as it is)."""
    return batch if isinstance(batch, _columns_type()) else [(r.id, r.text, r.extra) for r in batch]


def _init_worker(tagger: "Tagger") -> None:
    """Worker processes score in NumPy: the kernel runs on threads instead (see
    :func:`_threaded`), as numba's runtime costs ~130 MB in each process."""
    global _WORKER_TAGGER
    import os

    os.environ["POLICYTAG_KERNEL"] = "numpy"
    _WORKER_TAGGER = tagger


def _worker_proba(texts: list[str]) -> np.ndarray:
    return _WORKER_TAGGER.predict_proba(texts)


def _rows(
    labels: Sequence[str],
    items: Sequence[tuple[str, str, dict[str, Any]]],
    P: np.ndarray,
    default: np.ndarray,
    strict: Optional[np.ndarray],
) -> Iterator[dict[str, Any]]:
    """Output rows ``{"id", "text", "labels", "scores", ["uncertain"], **carried}``."""
    th = strict if strict is not None else default
    on = (P >= th).tolist()
    usual = (P >= default).any(axis=1).tolist() if strict is not None else None
    for k, ((rid, text, extra), row_p) in enumerate(zip(items, P.tolist())):
        given = [lab for lab, yes in zip(labels, on[k]) if yes]
        row: dict[str, Any] = {
            "id": rid,
            "text": text,
            "labels": given,
            "scores": {lab: round(p, 4) for lab, p in zip(labels, row_p)},
        }
        if usual is not None:
            row["uncertain"] = not given and usual[k]
        for key, value in extra.items():
            row.setdefault(key, value)
        yield row


def _with_evidence(row: dict[str, Any], ev: dict[str, Any], uncertain: bool) -> dict[str, Any]:
    """``row`` with ``evidence`` after the tagging fields and before the carried ones."""
    head = ("id", "text", "labels", "scores", "uncertain") if uncertain else ("id", "text", "labels", "scores")
    out = {k: row[k] for k in head if k in row}
    out["evidence"] = ev
    out.update((k, v) for k, v in row.items() if k not in out)
    return out


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
    on = (P >= th) @ (1 << np.arange(len(labels)))  # each row's labels as a bit mask
    uncertain = ((P >= default).any(axis=1) & (on == 0)).tolist() if strict is not None else None
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


_WRITER_PARTS: dict[tuple[str, ...], tuple[np.ndarray, ...]] = {}


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
    of (id, text, carried fields) or a :class:`~policytag.io.readers.JsonlColumns`."""
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


_WORKER_TAGGER: Optional["Tagger"] = None


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _column_batches(items: Iterable[Any], size: int) -> Iterator[Any]:
    """:func:`_batches` of records and :class:`~policytag.io.readers.JsonlColumns`: a
    batch is a list of records or one ``JsonlColumns`` of at most ``size`` rows, made of
    runs that follow on in the same file (never both kinds in one batch)."""
    columns = _columns_type()
    records: list[Any] = []
    run: list[Any] = []  # JsonlColumns that follow on from one another, fewer than ``size`` rows

    def cut(parts: list[Any], final: bool) -> tuple[list[Any], list[Any]]:
        """Batches of ``size`` rows from the run (and the rest too when ``final``), and
        what is left of it."""
        first = parts[0]
        ids = [x for part in parts for x in part.ids] if len(parts) > 1 else first.ids
        texts = [x for part in parts for x in part.texts] if len(parts) > 1 else first.texts
        out = []
        a = 0
        while len(texts) - a >= size or (final and a < len(texts)):
            out.append(columns(first.source, first.first_index + a, first.first_line + a, ids[a:a + size],
                               texts[a:a + size]))
            a += size
        rest = [columns(first.source, first.first_index + a, first.first_line + a, ids[a:], texts[a:])] \
            if a < len(texts) else []
        return out, rest

    for item in items:
        if isinstance(item, columns):
            if records:
                yield records
                records = []
            last = run[-1] if run else None
            if last is not None and not (item.source == last.source and item.first_index == last.first_index + len(last)
                                         and item.first_line == last.first_line + len(last)):
                done, run = cut(run, True)
                yield from done
            run.append(item)
            if sum(map(len, run)) >= size:
                done, run = cut(run, False)
                yield from done
            continue
        if run:
            done, run = cut(run, True)
            yield from done
        records.append(item)
        if len(records) >= size:
            yield records
            records = []
    if run:
        done, run = cut(run, True)
        yield from done
    if records:
        yield records


def _columns_type() -> type:
    from ..io.readers import JsonlColumns

    return JsonlColumns


def _expanded(items: Iterable[Any]) -> Iterator[Any]:
    """Located records, with each :class:`~policytag.io.readers.JsonlColumns` among
    ``items`` turned into the located records it stands for."""
    columns = _columns_type()
    for item in items:
        if isinstance(item, columns):
            yield from (rec.with_location() for rec in item.records())
        else:
            yield item
