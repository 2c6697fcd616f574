"""Reading format-1 model folders: a pickle written when the modules were flat.

A format-1 ``model.joblib`` names the classes and functions of its pipeline by the
module paths of policytag 0.1 (``policytag._model.SentencePoolingPipeline``,
``policytag._features.tokenize`` …). Those modules now live in subpackages, and there
are no alias modules at the old paths: :func:`load_pickle` maps each old path to its
new module as the pickle is read (``find_class``). Nothing else of the package is
imported here.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

# policytag 0.1's flat modules -> where their code lives now
V1_MODULES: dict[str, str] = {
    "policytag._errors": "policytag.errors",
    "policytag._resources": "policytag.resources",
    "policytag._extras": "policytag.extras",
    "policytag._atomic": "policytag.atomic",
    "policytag._normalize": "policytag.text.normalize",
    "policytag._segment": "policytag.text.segment",
    "policytag._tokenize": "policytag.text.tokenize",
    "policytag._headings": "policytag.text.headings",
    "policytag._documents": "policytag.io.readers",
    "policytag._encoding": "policytag.io.encoding",
    "policytag._surrogates": "policytag.io.surrogates",
    "policytag._html": "policytag.io.html",
    "policytag._word": "policytag.io.word",
    "policytag._pdf": "policytag.io.pdf",
    "policytag._layout": "policytag.io.layout",
    "policytag._corpus": "policytag.io.corpus",
    "policytag._interop": "policytag.io.interop",
    "policytag._output": "policytag.io.writers",
    "policytag._kernel": "policytag.kernel.score",
    "policytag._cutkernel": "policytag.kernel.cut",
    "policytag._hashtable": "policytag.kernel.hashtable",
    "policytag._tablecache": "policytag.kernel.cache",
    "policytag._compiled": "policytag.model.compiled",
    "policytag._model": "policytag.model.estimators",
    "policytag._features": "policytag.model.features",
    "policytag._explain": "policytag.model.explain",
    "policytag._config": "policytag.model.config",
    "policytag._modelfile": "policytag.model.format",
    "policytag._tagger": "policytag.tagger.core",
    "policytag._train": "policytag.workflow.train",
    "policytag._evaluate": "policytag.workflow.evaluate",
    "policytag._quality": "policytag.workflow.quality",
    "policytag._suggest": "policytag.workflow.suggest",
    "policytag._summarize": "policytag.workflow.summarize",
    "policytag._dask": "policytag.workflow.dask",
    "policytag._report": "policytag.report.html",
    "policytag._plots": "policytag.report.plots",
}

_LOCK = threading.Lock()


def load_pickle(path: Path | str) -> Any:
    """``joblib.load(path)``, with policytag 0.1's module paths mapped to today's.

    joblib reads through its ``NumpyUnpickler`` (arrays are stored beside the pickle
    stream); a subclass of it with a mapping ``find_class`` stands in for it while
    this file is read (under a lock, since joblib looks the class up as a module
    global)."""
    import joblib
    from joblib import numpy_pickle

    base = numpy_pickle.NumpyUnpickler

    class _V1Unpickler(base):  # type: ignore[misc, valid-type]
        def find_class(self, module: str, name: str) -> Any:
            return super().find_class(V1_MODULES.get(module, module), name)

    with _LOCK:
        numpy_pickle.NumpyUnpickler = _V1Unpickler
        try:
            return joblib.load(path)
        finally:
            numpy_pickle.NumpyUnpickler = base
