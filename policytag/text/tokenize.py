"""Word segmentation: jieba's algorithm with the project's user dictionary.

Two back ends give the same tokens. ``rjieba`` (the Rust port of jieba, about 15×
faster on policy paragraphs) is used when it is installed; jieba itself is the
reference and the fallback. Both load ``labels/userdict.txt`` (国考断面, 一岗双责 …);
with rjieba the terms are added to its default (process-wide) dictionary.

The ports differ only in how they split runs of ASCII letters and digits joined by
``-``, ``_`` or ``.`` (``0831-8208216``, ``pm_2.5``, ``xxx.gov.cn``): rjieba keeps
them whole, jieba splits them. :func:`_split_ascii` applies jieba's split, after
which the two agree on every paragraph of the corpus and of the dev set (3,813
paragraphs, 183,455 tokens; ``tests/test_tokenize.py`` keeps checking it).

Tokens are lower-cased and punctuation-only tokens dropped, for the word features.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from typing import Any, Callable

from ..resources import userdict_path
from .unicode import ASCII_ALNUM, CJK_EXT_A, CJK_UNIFIED, char_class

# a token is a word when it has an ASCII letter or digit or a CJK character (else punctuation)
KEEP_RANGES = (*ASCII_ALNUM, CJK_EXT_A, CJK_UNIFIED)
KEEP = re.compile("[" + char_class(KEEP_RANGES) + "]")
_JOINED = re.compile(r"[-_]|(?<=[A-Za-z])\.|\.(?=[A-Za-z])")
_ASCII_PART = re.compile(r"[A-Za-z]+|[0-9]+(?:\.[0-9]+)*")

_cut: Any = None
_backend = ""
_lock = threading.Lock()


def _userdict_entries() -> list[tuple[str, Any, Any]]:
    path = userdict_path()
    entries = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if parts:
                freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                entries.append((parts[0], freq, parts[2] if len(parts) > 2 else None))
    return entries


def _jieba_cut() -> Callable[[str], list[str]]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    path = userdict_path()
    if path.is_file():
        tk.load_userdict(str(path))
    return lambda text: tk.lcut(text, HMM=True)


def _rjieba_cut() -> Callable[[str], list[str]]:
    import rjieba

    # rjieba builds its default dictionary on import; a second instance would build it
    # again (~0.2 s of start-up), so the domain terms go into the default instance
    for word, freq, tag in _userdict_entries():
        rjieba.add_word(word, freq, tag)
    cut = rjieba.cut

    def run(text: str) -> list[str]:
        words = cut(text, True)
        if not _JOINED.search(text):
            return words
        out: list[str] = []
        for w in words:
            if w.isascii() and _JOINED.search(w):
                out.extend(_ASCII_PART.findall(w))
            else:
                out.append(w)
        return out

    return run


def backend() -> str:
    """The segmenter in use: ``"rjieba"`` or ``"jieba"`` (``POLICYTAG_SEGMENTER`` forces one)."""
    _get_cut()
    return _backend


def _wanted() -> str:
    """``POLICYTAG_SEGMENTER``, lower-cased (empty: no wish)."""
    return os.environ.get("POLICYTAG_SEGMENTER", "").strip().lower()


def _get_cut() -> Callable[[str], list[str]]:
    global _cut, _backend
    if _cut is None:
        with _lock:
            if _cut is None:
                wanted = _wanted()
                if wanted != "jieba":
                    try:
                        _cut, _backend = _rjieba_cut(), "rjieba"
                    except ImportError:
                        if wanted == "rjieba":
                            raise
                if _cut is None:
                    _cut, _backend = _jieba_cut(), "jieba"
    return _cut


def uses_rjieba() -> bool:
    """Whether :func:`cut` runs (or will run) rjieba, found without loading a segmenter:
    the compiled kernel's own segmenter (:mod:`policytag.kernel.cut`) gives rjieba's tokens."""
    if _cut is not None:
        return _backend == "rjieba"
    if _wanted() == "jieba":
        return False
    import importlib.util

    return importlib.util.find_spec("rjieba") is not None


def cut(text: str) -> list[str]:
    """Raw segmenter output (punctuation and case kept); :func:`tokenize` filters it."""
    return _get_cut()(text)


def tokenize(text: str) -> list[str]:
    """Segment normalised text into lower-cased words, dropping punctuation."""
    return [w.lower() for w in _get_cut()(text) if KEEP.search(w)]


def make_tokenizer(name: str) -> Callable[[str], list[str]]:
    """A :func:`tokenize` over a named back end (``"jieba"`` or ``"rjieba"``), for comparing them."""
    cut = _jieba_cut() if name == "jieba" else _rjieba_cut()
    return lambda text: [w.lower() for w in cut(text) if KEEP.search(w)]
