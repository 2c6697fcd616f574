"""Where the shipped data lives: ``labels/`` (taxonomy, corpus, dictionaries) and ``models/``.

In an installed wheel both folders sit inside the package as ``policytag/_data``; in a
source checkout they are the repository's top-level folders. Everything here is cheap
and cached: nothing heavy is imported.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

_PKG = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PKG / "_data" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    return _PKG.parent / name


def labels_dir() -> Path:
    """The folder holding the taxonomy, corpus, user dictionary and furniture patterns."""
    return _find("labels")


def default_model_dir() -> Path:
    """The folder of the shipped default model."""
    return _find("models")


def repo_root() -> Path | None:
    """The source checkout this package runs from, or None when installed elsewhere."""
    root = _PKG.parent
    return root if (root / "pyproject.toml").is_file() and (root / "labels").is_dir() else None


@lru_cache(maxsize=None)
def load_taxonomy() -> dict[str, Any]:
    """The label taxonomy (``labels/taxonomy.json``) as a dict."""
    with open(labels_dir() / "taxonomy.json", encoding="utf-8") as fh:
        return json.load(fh)


def read_taxonomy(path: Path | str) -> dict[str, Any]:
    """Read and validate a taxonomy file: ``{"labels": [{"id", "zh"?, "en"?, "definition"?, "cues"?}]}``.

    Any label set works; ids must be unique non-empty strings. Used by ``train --taxonomy``.
    """
    from .errors import PolicytagError

    p = Path(path)
    if not p.is_file():
        raise PolicytagError("E001", path=str(p))
    try:
        tax = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise PolicytagError("E020", path=str(p), detail=f"not JSON ({exc})") from None
    labels = tax.get("labels") if isinstance(tax, dict) else None
    if not isinstance(labels, list) or not labels:
        raise PolicytagError("E020", path=str(p), detail="needs a non-empty 'labels' list")
    ids = []
    for lab in labels:
        if not isinstance(lab, dict) or not isinstance(lab.get("id"), str) or not lab["id"].strip():
            raise PolicytagError("E020", path=str(p), detail=f"label without a string 'id': {lab!r}")
        cues = lab.setdefault("cues", [])
        if not isinstance(cues, list) or not all(isinstance(c, str) and c for c in cues):
            raise PolicytagError("E020", path=str(p), detail=f"'cues' of {lab['id']!r} must be a list of strings")
        for key in ("zh", "en", "definition"):
            lab.setdefault(key, "")
        ids.append(lab["id"])
    if len(set(ids)) != len(ids):
        raise PolicytagError("E020", path=str(p), detail="label ids repeat")
    return tax


def label_ids() -> list[str]:
    """The label ids in taxonomy order."""
    return [lab["id"] for lab in load_taxonomy()["labels"]]


def userdict_path() -> Path:
    """jieba user dictionary of domain terms."""
    return labels_dir() / "userdict.txt"


@lru_cache(maxsize=None)
def furniture_patterns() -> tuple[re.Pattern[str], ...]:
    """Compiled page-furniture patterns from ``labels/furniture.txt``."""
    out = []
    with open(labels_dir() / "furniture.txt", encoding="utf-8") as fh:
        for raw in fh:
            line = raw.rstrip("\n")
            if line.strip() and not line.lstrip().startswith("#"):
                out.append(re.compile(line))
    return tuple(out)


def corpus_files() -> list[Path]:
    """The labelled corpus: every ``*.jsonl`` under ``labels/corpus``, sorted by name."""
    return sorted((labels_dir() / "corpus").glob("*.jsonl"))
