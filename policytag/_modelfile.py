"""The model file format: a folder with ``model.joblib``, ``model_card.json`` and ``MODEL_CARD.md``.

Format version 1
    ``model_card.json``: the card (see ``policytag._train``), including
    ``format_version`` and the library versions the model was trained with.
    ``model.joblib``: a dict ``{"format": "policytag-model", "format_version": 1,
    "labels": [...], "pipeline": <fitted sklearn Pipeline>, "card": {...}}``.

Loading reads the small JSON card first and checks the format and scikit-learn
versions *before* unpickling, so a mismatch gives a clear message (E009/E010), not a
traceback from inside pickle. A damaged file gives E008.

Upgrade path: a reader accepts every format version up to :data:`FORMAT_VERSION`;
older payloads are brought forward by the functions in :data:`_UPGRADES` (none yet:
version 1 is the first). A newer version than this reader knows is refused (E009).
Model files are pickles: load only models you trust.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable

from ._errors import WARNINGS, PolicytagError

FORMAT = "policytag-model"
FORMAT_VERSION = 1
MODEL_FILE = "model.joblib"
CARD_FILE = "model_card.json"
CARD_MD = "MODEL_CARD.md"
_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class PolicytagWarning(UserWarning):
    """A warning with a stable code (``W001`` …) in its message."""


def _minor(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def read_card(model_dir: Path | str) -> dict[str, Any]:
    """Read and check a model folder's card, without loading the model itself."""
    d = Path(model_dir)
    missing = [f for f in (MODEL_FILE, CARD_FILE) if not (d / f).is_file()]
    if not d.is_dir() or missing:
        raise PolicytagError("E007", path=str(d), missing=", ".join(missing) or "the folder")
    try:
        card = json.loads((d / CARD_FILE).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise PolicytagError("E008", path=str(d / CARD_FILE), detail=f"card is not JSON: {exc}") from None
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise PolicytagError("E008", path=str(d / CARD_FILE), detail="card has no policytag format tag")
    version = card.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise PolicytagError("E009", path=str(d), found=version, supported=f"1..{FORMAT_VERSION}")
    return card


def check_versions(card: dict[str, Any], path: str) -> None:
    """E010 when scikit-learn's minor version differs from training; W001 for a patch difference."""
    import sklearn

    found = card.get("versions", {}).get("scikit-learn")
    installed = sklearn.__version__
    if not found:
        raise PolicytagError("E008", path=path, detail="card lacks the scikit-learn version")
    if _minor(found) != _minor(installed):
        raise PolicytagError("E010", path=path, found=found, installed=installed)
    if found != installed:
        warnings.warn(
            "W001: " + WARNINGS["W001"].format(found=found, installed=installed), PolicytagWarning, stacklevel=3
        )


def load_model(model_dir: Path | str) -> dict[str, Any]:
    """Load a model folder: returns the payload dict (labels, pipeline, card)."""
    d = Path(model_dir)
    card = read_card(d)
    check_versions(card, str(d))
    import joblib

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # versions were checked above, with our own codes
            payload = joblib.load(d / MODEL_FILE)
    except Exception as exc:  # a damaged pickle can raise almost anything
        raise PolicytagError("E008", path=str(d / MODEL_FILE), detail=f"{type(exc).__name__}: {exc}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or "pipeline" not in payload:
        raise PolicytagError("E008", path=str(d / MODEL_FILE), detail="not a policytag model payload")
    version = payload.get("format_version")
    while version in _UPGRADES:
        payload = _UPGRADES[version](payload)
        version = payload["format_version"]
    if version != FORMAT_VERSION:
        raise PolicytagError("E009", path=str(d), found=version, supported=f"1..{FORMAT_VERSION}")
    if payload.get("card", {}).get("model_id") != card.get("model_id"):
        raise PolicytagError("E008", path=str(d), detail="model_card.json does not belong to model.joblib")
    _check_userdict(card)
    return payload


def _check_userdict(card: dict[str, Any]) -> None:
    """W002 when labels/userdict.txt changed since the model was trained (tokens may differ)."""
    from ._features import userdict_hash

    trained, now = card.get("userdict_sha256_16"), userdict_hash()
    if trained and trained != now:
        warnings.warn("W002: " + WARNINGS["W002"].format(trained=trained, now=now), PolicytagWarning, stacklevel=3)


def save_model(model_dir: Path | str, pipeline: Any, card: dict[str, Any], card_markdown: str) -> Path:
    """Write a model folder atomically.

    Everything is written into a temporary folder beside the target first; only
    when all files are complete are they moved into place (``os.replace`` each), so
    an interrupted run leaves the previous model intact.
    """
    import joblib

    d = Path(model_dir)
    d.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "labels": card["labels"],
        "pipeline": pipeline,
        "card": card,
    }
    tmp = Path(tempfile.mkdtemp(prefix=".policytag-tmp-", dir=d))
    try:
        joblib.dump(payload, tmp / MODEL_FILE, compress=3)
        (tmp / CARD_FILE).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (tmp / CARD_MD).write_text(card_markdown, encoding="utf-8")
        for name in (MODEL_FILE, CARD_FILE, CARD_MD):
            with open(tmp / name, "rb") as fh:
                os.fsync(fh.fileno())
        for name in (MODEL_FILE, CARD_FILE, CARD_MD):
            os.replace(tmp / name, d / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return d
