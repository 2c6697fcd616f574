"""Scoring batches on several threads (the compiled kernel releases the GIL) or worker
processes (NumPy), results in input order with only a few batches in flight."""
from __future__ import annotations

from typing import Any, Iterable, Iterator

import numpy as np

from .batching import _column_batches

# the Tagger of a worker process (set by _init_worker)
_WORKER_TAGGER: Any = None


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


def _init_worker(tagger: Any) -> None:
    """Worker processes score in NumPy: the kernel runs on threads instead (see
    :func:`_threaded`), as numba's runtime costs ~130 MB in each process."""
    global _WORKER_TAGGER
    import os

    os.environ["POLICYTAG_KERNEL"] = "numpy"
    _WORKER_TAGGER = tagger


def _worker_proba(texts: list[str]) -> np.ndarray:
    return _WORKER_TAGGER.predict_proba(texts)
