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
from ..model.scoring import labels_at
from .batching import _batches, _columns_type, _expanded, _items, _texts
from .jsonl import _jsonl, _jsonl_compiled
from .parallel import _in_order, _init_worker, _threaded, _worker_proba
from .rows import _rows, _with_evidence, four_places, label_lists


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
        return labels_at(self.predict_proba(texts), th).astype(np.int8)

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
            out.extend(label_lists(self.labels, P, th))
        return out

    def score_rows(
        self, texts: Sequence[str], threshold: Optional[float] = None
    ) -> list[tuple[list[str], dict[str, float]]]:
        """For each text: its labels and its score for every label (rounded to 4 places)."""
        th = self._thresholds(threshold)
        P = self.predict_proba(texts)
        return [(given, four_places(self.labels, row)) for row, given in zip(P, label_lists(self.labels, P, th))]

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
        """Stream output rows for :class:`~policytag.io.records.Record` objects, batch by batch.

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
        from ..model.kernel_backend import _KERNEL

        kernel = _KERNEL.get("module")  # only a kernel already loaded: never import numba for this
        if strict is None and kernel is not None:
            done = _jsonl_compiled(kernel, self.labels, items, P, default)
            if done is not None:
                return done
        if isinstance(items, _columns_type()):  # (the rows it stands for, located as records are)
            items = _items(list(_expanded([items])))
        return _jsonl(self.labels, items, P, default, strict)
