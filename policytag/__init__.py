"""policytag: tag paragraphs of Chinese environmental-policy documents.

Public API (imports are lazy, so ``import policytag`` is cheap)::

    from policytag import Tagger
    tagger = Tagger.load()
    tagger.tag("全面推行河湖长制，国考断面水质优良比例达到92%。")

    from policytag import predict
    for row in predict(["report.pdf", "notices/"]):   # what `policytag predict` runs
        print(row["file"], row["index"], row["labels"])

Errors carry stable codes: :class:`PolicytagError` (raised), :class:`Problem` (a bad
line or file handed to an ``on_problem`` callback) and :class:`PolicytagWarning`
(``W…`` codes, through :mod:`warnings`). On a Dask cluster (``pip install
"policytag[dask]"``): ``policytag.tag_dask(df)`` adds ``labels`` and ``score_<label>``
columns to a Dask dataframe; ``policytag.tag_bag(bag)`` tags a bag of strings.

The package's layers, from the bottom up: errors → text → io | kernel → model → tagger
→ report → workflow → cli (see ARCHITECTURE.md).
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = [
    "Tagger", "predict", "located_records", "PolicytagError", "PolicytagWarning", "Problem", "normalize",
    "train", "evaluate", "tag_dask", "tag_bag", "__version__",
]

_LAZY = {
    "Tagger": (".tagger.core", "Tagger"),
    "predict": (".workflow.predict", "predict"),
    "located_records": (".workflow.predict", "located_records"),
    "PolicytagError": (".errors", "PolicytagError"),
    "PolicytagWarning": (".errors", "PolicytagWarning"),
    "Problem": (".errors", "Problem"),
    "normalize": (".text.normalize", "normalize"),
    "train": (".workflow.train", "train"),
    "evaluate": (".workflow.evaluate", "evaluate"),
    "tag_dask": (".workflow.dask", "tag_dask"),
    "tag_bag": (".workflow.dask", "tag_bag"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        module, attr = _LAZY[name]
        value = getattr(import_module(module, __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'policytag' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
