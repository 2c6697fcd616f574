"""Tagging on a Dask cluster: a dataframe (or bag) of paragraphs in, labels and scores out.

Needs the optional extra ``pip install "policytag[dask]"`` (dask[dataframe], distributed,
pandas); nothing here imports dask until a function is called.

How the model reaches the workers. ``model=None`` (the shipped model) or ``model=PATH``
puts only the path in the task graph; each worker process loads the model once, on its
first partition, and keeps it in a per-process cache keyed by path, so later partitions
and later computations reuse it. This needs no Client, works with every scheduler, and
sends nothing large over the network. The price is that the path must be readable on
every worker (the shipped model is, wherever policytag is installed; your own model
goes on shared storage). The worker checks that it loaded the model the client loaded
(same model id), so a worker with another policytag version fails loudly (E073).

A :class:`~policytag.Tagger` instance (``model=tagger``) is for models that exist only
in the client's memory: it becomes one task of the graph, which Dask computes once and
copies to each worker that needs it, once per computation.

Measured on 2 cores, LocalCluster(n_workers=2, processes=True), 2,000 paragraphs in 8
partitions: see ``bench/dask_ship.py`` and docs/speed.md, "Beyond one machine".
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from ..errors import PolicytagError

if TYPE_CHECKING:  # pragma: no cover
    from ..tagger.core import Tagger

EXTRA = "dask"
BATCH = 2048  # paragraphs per predict_proba call inside a partition (bounds feature-matrix memory)

_CACHE: dict[str, "Tagger"] = {}
_LOCK = threading.Lock()


def _require(what: str) -> None:
    """Import dask's dataframe parts or raise E070 naming the extra to install."""
    try:
        import dask  # noqa: F401
        import dask.dataframe  # noqa: F401
        import pandas  # noqa: F401
    except ImportError as exc:
        raise PolicytagError("E070", what=what, extra=EXTRA, detail=str(exc)) from None


@dataclass(frozen=True)
class ModelRef:
    """What the task graph carries for a model given by path: the path and the expected id."""

    key: str
    model_id: Optional[str]


def _model_key(model: Any) -> str:
    """Cache key of a model given by path: its absolute path; '' is the shipped model."""
    return "" if model is None else os.path.abspath(os.fspath(model))


def _model_id(tagger: "Tagger") -> Optional[str]:
    card = getattr(tagger, "card", None)
    return card.get("model_id") if isinstance(card, dict) else None


def cached_tagger(key: str, expected_id: Optional[str] = None) -> "Tagger":
    """The Tagger for ``key`` in this process, loaded on first use and kept.

    ``key`` is an absolute model path, or ``''`` for the shipped model. With
    ``expected_id``, a model with another id raises E073 instead of tagging.
    """
    with _LOCK:
        tagger = _CACHE.get(key)
        if tagger is None:
            from ..tagger.core import Tagger

            tagger = Tagger.load(key or None)
            _CACHE[key] = tagger
    found = _model_id(tagger)
    if expected_id is not None and found is not None and found != expected_id:
        raise PolicytagError("E073", found=found, expected=expected_id, path=key or "(shipped model)")
    return tagger


def _resolve(model: Any) -> tuple[Any, "Tagger"]:
    """(what goes into the graph, the Tagger on the client) for ``model``."""
    from ..tagger.core import Tagger

    if isinstance(model, Tagger):
        import dask

        return dask.delayed(model, traverse=False), model
    key = _model_key(model)
    tagger = cached_tagger(key)  # fails early, on the client, for a missing or damaged model
    return ModelRef(key, _model_id(tagger)), tagger


def _worker(ship: Any) -> "Tagger":
    if isinstance(ship, ModelRef):
        return cached_tagger(ship.key, ship.model_id)
    return ship


def _label_rows(tagger: "Tagger", texts: list, scores: bool) -> tuple[list[list[str]], Any]:
    """Labels (as :meth:`Tagger.tag_many` gives them) and, if asked, the probability matrix."""
    import numpy as np

    labels = list(tagger.labels)
    if not scores:
        return tagger.tag_many(texts, batch_size=BATCH), None
    parts = [tagger.predict_proba(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
    P = np.vstack(parts) if parts else np.zeros((0, len(labels)))
    # one prediction for both columns: labels are the scores at the model's per-label
    # thresholds, as in tag_many (tests/test_dask.py checks the two agree exactly)
    from ..tagger.rows import label_lists

    return label_lists(labels, P, np.asarray(tagger.thresholds)), P


def _tag_partition(part: Any, text_column: str, ship: Any, scores: bool, labels: list[str]) -> Any:
    """One partition: the input columns plus ``labels`` and ``score_<label>`` columns."""
    import pandas as pd

    tagger = _worker(ship)
    texts = [t if isinstance(t, str) else "" for t in part[text_column].tolist()]
    rows, P = _label_rows(tagger, texts, scores)
    out = part.copy()
    out["labels"] = pd.Series(rows, index=part.index, dtype=object)
    if scores:
        for j, lab in enumerate(labels):
            out[f"score_{lab}"] = pd.Series(P[:, j], index=part.index, dtype="float64")
    return out


def _new_columns(labels: list[str], scores: bool) -> list[str]:
    return ["labels", *([f"score_{lab}" for lab in labels] if scores else [])]


def tag_dask(df: Any, text_column: str = "text", model: Any = None, scores: bool = True) -> Any:
    """Tag the paragraphs in ``df[text_column]`` of a Dask dataframe, lazily, partition by partition.

    Returns ``df`` with new columns: ``labels`` (a list of label ids per row, exactly what
    :meth:`Tagger.tag_many` gives) and, when ``scores``, one float column ``score_<label>``
    per label (:meth:`Tagger.predict_proba`). Missing or non-string texts get no labels and
    zero scores. ``model``: None (the shipped model), a model folder path readable on every
    worker, or a :class:`Tagger`. Nothing runs until you ``.compute()``, ``.to_parquet()`` …

    >>> import dask.dataframe as dd, policytag
    >>> tagged = policytag.tag_dask(dd.read_parquet("paragraphs/"), text_column="text")
    >>> tagged.to_parquet("tagged/")                                     # doctest: +SKIP
    """
    _require("tag_dask")
    import pandas as pd

    if text_column not in df.columns:
        raise PolicytagError("E071", column=text_column, columns=", ".join(map(str, df.columns)))
    ship, tagger = _resolve(model)
    labels = list(tagger.labels)
    new = _new_columns(labels, scores)
    clash = [c for c in new if c in df.columns]
    if clash:
        raise PolicytagError("E072", columns=", ".join(clash))
    meta = df._meta.copy()
    meta["labels"] = pd.Series([], dtype=object, index=meta.index)
    if scores:
        for lab in labels:
            meta[f"score_{lab}"] = pd.Series([], dtype="float64", index=meta.index)
    return df.map_partitions(_tag_partition, text_column, ship, scores, labels, meta=meta)


def _tag_bag_partition(texts: Any, ship: Any, scores: bool) -> list:
    tagger = _worker(ship)
    texts = [t if isinstance(t, str) else "" for t in texts]
    rows, P = _label_rows(tagger, texts, scores)
    if not scores:
        return rows
    labels = list(tagger.labels)
    return [
        {"labels": row, "scores": {lab: float(p) for lab, p in zip(labels, prow)}}
        for row, prow in zip(rows, P)
    ]


def tag_bag(bag: Any, model: Any = None, scores: bool = False) -> Any:
    """Tag a Dask bag of paragraph strings, lazily.

    Each item becomes its list of labels (as :meth:`Tagger.tag_many`), or with ``scores``
    a dict ``{"labels": [...], "scores": {label: probability}}``. ``model`` as in
    :func:`tag_dask`.
    """
    try:
        import dask.bag  # noqa: F401
    except ImportError as exc:
        raise PolicytagError("E070", what="tag_bag", extra=EXTRA, detail=str(exc)) from None
    ship, _ = _resolve(model)
    return bag.map_partitions(_tag_bag_partition, ship, scores)
