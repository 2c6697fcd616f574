"""The tagging API: :class:`Tagger` wraps a trained model folder.

Prediction is thread-safe (the fitted pipeline is only read; the segmenter is built
once under a lock) and never prints.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence

import numpy as np

from ._errors import PolicytagError


def _check_threshold(threshold: Optional[float]) -> None:
    if threshold is not None and not (0.0 <= float(threshold) <= 1.0):
        raise PolicytagError("E014", value=threshold)


class Tagger:
    """Tags paragraphs with the six policy labels.

    >>> tagger = Tagger.load()                       # the shipped default model
    >>> tagger.tag("深入打好蓝天保卫战，PM2.5平均浓度下降8%。")
    ['air']
    """

    def __init__(self, pipeline: Any, card: dict[str, Any], path: Optional[Path] = None) -> None:
        self.pipeline = pipeline
        self.card = card
        self.path = path
        self.labels: list[str] = list(card["labels"])
        self.thresholds = np.asarray([card["thresholds"][lab] for lab in self.labels], dtype=float)

    @classmethod
    def load(cls, path: Optional[Path | str] = None) -> "Tagger":
        """Load a model folder (default: the model shipped in ``models/``)."""
        from ._modelfile import load_model
        from ._resources import default_model_dir

        d = Path(path) if path is not None else default_model_dir()
        payload = load_model(d)
        return cls(payload["pipeline"], payload["card"], d)

    @property
    def taxonomy(self) -> dict[str, Any]:
        """The label taxonomy the model was trained with (definitions and cue terms)."""
        return self.card["taxonomy"]

    def _thresholds(self, threshold: Optional[float]) -> np.ndarray:
        _check_threshold(threshold)
        return self.thresholds if threshold is None else np.full(len(self.labels), float(threshold))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of each label, shape ``(len(texts), len(self.labels))``, in ``self.labels`` order."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        if not texts:
            return np.zeros((0, len(self.labels)))
        P = np.asarray(self.pipeline.predict_proba(texts), dtype=float)
        empty = np.array([not t.strip() for t in texts])
        if empty.any():
            P[empty] = 0.0
        return P

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

    def tag_document(self, text: str, threshold: Optional[float] = None) -> list[dict[str, Any]]:
        """Split a document into paragraphs (furniture dropped) and tag each.

        Returns one dict per paragraph: ``line`` (1-based), ``text``, ``labels``, ``scores``.
        """
        from ._segment import split_paragraphs

        paragraphs = split_paragraphs(text)
        rows = self.score_rows([p.text for p in paragraphs], threshold=threshold)
        return [
            {"line": p.line, "text": p.text, "labels": labels, "scores": scores}
            for p, (labels, scores) in zip(paragraphs, rows)
        ]

    def tag_records(
        self, records: Iterable[Any], batch_size: int = 512, threshold: Optional[float] = None
    ) -> Iterator[dict[str, Any]]:
        """Stream output rows for :class:`~policytag._documents.Record` objects, batch by batch.

        Each row is ``{"id", "text", "labels", "scores", **carried_fields}``.
        """
        _check_threshold(threshold)
        for batch in _batches(records, batch_size):
            rows = self.score_rows([r.text for r in batch], threshold=threshold)
            for rec, (labels, scores) in zip(batch, rows):
                row: dict[str, Any] = {"id": rec.id, "text": rec.text, "labels": labels, "scores": scores}
                for key, value in rec.extra.items():
                    row.setdefault(key, value)
                yield row


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch



def predict(
    inputs: Sequence[str],
    *,
    model: Optional[Path | str] = None,
    tagger: Optional[Tagger] = None,
    input_format: Optional[str] = None,
    encoding: str = "auto",
    threshold: Optional[float] = None,
    batch_size: int = 512,
    on_problem: Any = None,
    on_record: Any = None,
    on_file: Any = None,
) -> Iterator[dict[str, Any]]:
    """Stream tagged rows for inputs (files, folders, glob patterns, ``-`` for stdin),
    one row per paragraph or record, each with its ``file``, ``index`` and ``heading``.

    ``on_problem`` receives each bad line or file (the rest is still tagged);
    ``on_record`` is called with each record read and ``on_file`` with each file once
    read (for progress display).
    """
    from ._documents import read_inputs

    _check_threshold(threshold)
    tagger = tagger or Tagger.load(model)

    def records() -> Iterator[Any]:
        for rec in read_inputs(inputs, input_format, encoding=encoding, on_problem=on_problem, on_file=on_file):
            if on_record is not None:
                on_record(rec)
            yield rec.with_location()

    yield from tagger.tag_records(records(), batch_size=batch_size, threshold=threshold)
