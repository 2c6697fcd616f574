"""A disk cache of the compiled kernel's tables, so a process does not rebuild them.

Building the kernel's tables for a model (the segmenter's dictionary trie from jieba's
``dict.txt``, the model's hash tables, the normaliser's tables) costs about 0.4 s a
process, most of it importing jieba and loading the builders' machine code; a job that
starts many processes (``--jobs`` in scripts, Dask workers, a shell loop over files)
pays it each time. The first build is written to ``kernel-tables-<key>.npz`` in the
cache folder and later processes read it back (about 0.05 s).

The key hashes everything the tables are made from: the model's arrays, the source
of the modules that build them, jieba's dictionary and HMM files, the user
dictionary, OpenCC's files and the Python, Unicode and NumPy versions; a change to
any of them gives a new file, so a stale table is never read. Nothing but arrays is
stored (no pickle). The folder is ``POLICYTAG_CACHE_DIR``, else
``$XDG_CACHE_HOME/policytag``, else ``~/.cache/policytag``; ``POLICYTAG_CACHE_DIR=off``
turns the cache off. A folder that cannot be written, or a damaged file, only means
the tables are built as before. The four most recently used files are kept.
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Optional

import numpy as np

_PREFIX = "kernel-tables-"
_KEEP = 4
# the modules whose code decides what the tables hold, by name below the package: their
# files are found through the import system (find_spec), so moving a module cannot
# leave a stale file name here
_SOURCES = ("model.compiled", "model.numpy_backend", "model.kernel_backend", "kernel.score", "kernel.cut",
            "kernel.hashtable", "kernel.tables", "text.normalize", "text.tokenize", "text.segment", "text.unicode",
            "kernel.cache")
_PACKAGE = __name__.rsplit(".", 2)[0]  # "policytag"


def cache_dir() -> Optional[Path]:
    """The cache folder, or None when the cache is off."""
    where = os.environ.get("POLICYTAG_CACHE_DIR")
    if where is not None:
        return None if where.strip().lower() in ("", "off", "0", "none") else Path(where)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policytag"


def _stat_parts(path: Optional[str]) -> str:
    """Size and modification time of a file, or of each file of a folder (not recursive)."""
    if not path:
        return "-"
    p = Path(path)
    try:
        files = sorted(q for q in p.iterdir() if q.is_file()) if p.is_dir() else [p]
        return ";".join(f"{q.name}:{q.stat().st_size}:{q.stat().st_mtime_ns}" for q in files)
    except OSError:
        return "?"


def _package_dir(name: str) -> Optional[str]:
    """A package's folder, found without importing it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def source_files() -> list[Path]:
    """The files of the modules in ``_SOURCES``, located without importing them."""
    import importlib.util

    files = []
    for name in _SOURCES:
        spec = importlib.util.find_spec(f"{_PACKAGE}.{name}")
        if spec is None or not spec.origin:
            raise ImportError(f"the kernel table cache cannot find module {_PACKAGE}.{name}")
        files.append(Path(spec.origin))
    return files


def table_key(model_parts: Iterable[Any]) -> str:
    """The cache key of the tables for a model given as its arrays and values."""
    import unicodedata

    from ..text.tokenize import userdict_path

    h = hashlib.blake2b(digest_size=16)
    for path in source_files():
        h.update(path.read_bytes())
    for part in model_parts:
        if isinstance(part, np.ndarray):
            h.update(f"{part.dtype.str}{part.shape}".encode())
            h.update(np.ascontiguousarray(part).tobytes())
        else:
            h.update(repr(part).encode("utf-8", "surrogatepass"))
    jieba = _package_dir("jieba")
    opencc = _package_dir("opencc")
    user = userdict_path()
    h.update("\n".join([
        sys.version, unicodedata.unidata_version, np.__version__,
        _stat_parts(jieba and os.path.join(jieba, "dict.txt")),
        _stat_parts(jieba and os.path.join(jieba, "finalseg")),
        _stat_parts(opencc), _stat_parts(opencc and os.path.join(opencc, "clib")),
    ]).encode())
    h.update(user.read_bytes() if user.is_file() else b"-")
    return h.hexdigest()


def _flatten(tables: dict[str, tuple[Any, ...]]) -> dict[str, np.ndarray]:
    out = {}
    for group, values in tables.items():
        for i, v in enumerate(values):
            out[f"{group}.{i}"] = np.asarray(v)
    return out


def load(key: str) -> Optional[dict[str, tuple[Any, ...]]]:
    """The tables stored under ``key``, or None (no cache, no file, a damaged file)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"{_PREFIX}{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            grouped: dict[str, list[tuple[int, Any]]] = {}
            for name in data.files:
                group, _, i = name.rpartition(".")
                arr = data[name]
                grouped.setdefault(group, []).append((int(i), arr[()] if arr.ndim == 0 else arr))
        os.utime(path)  # most recently used
    except Exception:  # missing, unreadable or damaged: build instead
        return None
    return {g: tuple(v for _, v in sorted(items, key=lambda it: it[0])) for g, items in grouped.items()}


def store(key: str, tables: dict[str, tuple[Any, ...]]) -> None:
    """Write the tables under ``key`` (atomically), and drop all but the most recent files.
    Fails silently: the cache only saves time."""
    folder = cache_dir()
    if folder is None:
        return
    from ..atomic import atomic_open

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_open(folder / f"{_PREFIX}{key}.npz", "wb") as fh:
            np.savez(fh, **_flatten(tables))
        old = sorted(folder.glob(f"{_PREFIX}*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)[_KEEP:]
        for p in old:
            p.unlink(missing_ok=True)
    except OSError:  # atomic_open has removed its temporary file
        pass
