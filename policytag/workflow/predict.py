"""What ``policytag predict`` runs, as a library function: inputs in, tagged rows out.

:func:`predict` reads any inputs (files, folders, glob patterns, ``-``) with
:func:`located_records` and tags them with a :class:`~policytag.tagger.core.Tagger`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

from ..tagger.core import Tagger, _check_threshold


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
    min_precision: Optional[float] = None,
    evidence: bool = False,
    jobs: int = 1,
    on_file: Any = None,
) -> Iterator[dict[str, Any]]:
    """Stream tagged rows for inputs (files, folders, glob patterns, ``-`` for stdin),
    one row per paragraph or record, each with its ``file``, ``index`` and ``heading``.

    ``on_problem`` receives each bad line or file (the rest is still tagged);
    ``on_record`` is called with each record read and ``on_file`` with each file once
    read (for progress display).
    """
    _check_threshold(threshold)
    tagger = tagger or Tagger.load(model)
    yield from tagger.tag_records(
        located_records(inputs, input_format, encoding, on_problem, on_record, on_file),
        batch_size=batch_size, threshold=threshold, min_precision=min_precision, evidence=evidence, jobs=jobs,
    )


def located_records(
    inputs: Sequence[str],
    input_format: Optional[str] = None,
    encoding: str = "auto",
    on_problem: Any = None,
    on_record: Any = None,
    on_file: Any = None,
    columns: bool = False,
) -> Iterator[Any]:
    """The records of the inputs, each carrying its ``file``, ``index`` and ``heading``
    (what :func:`predict` tags; :meth:`Tagger.jsonl_chunks` takes them too).

    With ``columns``, runs of plain ``{"id", "text"}`` JSON lines come as
    :class:`~policytag.io.records.JsonlColumns` (located by their file and first index;
    their heading is none), which :meth:`Tagger.jsonl_chunks` takes as the records
    they stand for; ``on_record`` is then called with each of them as it is."""
    from ..io.readers import read_inputs
    from ..io.records import JsonlColumns

    for rec in read_inputs(inputs, input_format, encoding=encoding, on_problem=on_problem, on_file=on_file,
                           columns=columns):
        if on_record is not None:
            on_record(rec)
        yield rec if columns and isinstance(rec, JsonlColumns) else rec.with_location()
