"""The model file format: a folder of arrays and JSON that loads without running code.

Format version 2 (current)
    ``model.npz``: the predict-only model as plain NumPy arrays (see
    :class:`policytag.model.compiled.CompiledModel`), read with ``allow_pickle=False``.
    ``model_card.json``: the card (see ``policytag.model.card``): labels, thresholds,
    taxonomy, training data and figures, ``format_version``, and under ``compiled``
    the few settings that go with the arrays.
    ``MODEL_CARD.md``: the card for people.
    ``manifest.json``: the SHA-256 of each of the three files above. Loading checks
    every digest first and refuses a damaged or altered folder (E021).

Format version 1 (read for upgrade)
    ``model.joblib`` (a pickled scikit-learn pipeline) and ``model_card.json``. A
    pickle runs code when loaded, so a version-1 folder is only loaded when no
    version-2 files are present; it is compiled to arrays in memory and W003 says
    how to convert it for good (``policytag upgrade DIR``), after which the pickle
    is no longer needed. Load pickles only from people you trust.

A newer version than this reader knows is refused (E009). Saving writes every file
into a temporary folder beside the target and moves them into place only when all
are complete, so an interrupted run leaves the previous model intact.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from ..errors import PolicytagError, PolicytagWarning, warn

FORMAT = "policytag-model"
FORMAT_VERSION = 2
ARRAYS_FILE = "model.npz"
PICKLE_FILE = "model.joblib"  # format 1
CARD_FILE = "model_card.json"
CARD_MD = "MODEL_CARD.md"
MANIFEST_FILE = "manifest.json"


def _minor(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_manifest(model_dir: Path | str) -> None:
    """E021 unless every file named in ``manifest.json`` is present with its SHA-256."""
    d = Path(model_dir)
    try:
        manifest = json.loads((d / MANIFEST_FILE).read_text(encoding="utf-8"))
        files = manifest["files"]
        if not isinstance(files, dict) or not files:
            raise ValueError("no files listed")
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise PolicytagError("E021", path=str(d / MANIFEST_FILE), detail=f"unreadable manifest ({exc})") from None
    for name in (ARRAYS_FILE, CARD_FILE):
        if name not in files:
            raise PolicytagError("E021", path=str(d / MANIFEST_FILE), detail=f"{name} is not listed")
    for name, digest in files.items():
        f = d / str(name)
        if "/" in str(name) or "\\" in str(name) or not f.is_file():
            raise PolicytagError("E021", path=str(f), detail="listed in the manifest but missing")
        if _sha256(f) != digest:
            raise PolicytagError("E021", path=str(f), detail="its SHA-256 differs from the manifest")


def model_format(model_dir: Path | str) -> int:
    """1 for a pickle folder, 2 for an arrays folder; E007 when it is neither."""
    d = Path(model_dir)
    if (d / ARRAYS_FILE).is_file() or (d / MANIFEST_FILE).is_file():
        return 2
    if (d / PICKLE_FILE).is_file():
        return 1
    raise PolicytagError("E007", path=str(d), missing=f"{ARRAYS_FILE}, {MANIFEST_FILE}" if d.is_dir() else "the folder")


def read_card(model_dir: Path | str) -> dict[str, Any]:
    """Read and check a model folder's card, without loading the model itself."""
    d = Path(model_dir)
    model_format(d)
    if not (d / CARD_FILE).is_file():
        raise PolicytagError("E007", path=str(d), missing=CARD_FILE)
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
        warn("W001", found=found, installed=installed, stacklevel=3)


def load_model(model_dir: Path | str) -> dict[str, Any]:
    """Load a model folder: ``{"labels", "model": CompiledModel, "card"}``.

    Version 2 folders are checked against their manifest and read as arrays only.
    Version 1 folders (a pickle) are unpickled, compiled in memory, and W003 is
    issued. Either way no scikit-learn is needed unless the folder is version 1.
    """
    from .compiled import CompiledModel

    d = Path(model_dir)
    if model_format(d) == 1:
        return _load_v1(d)
    verify_manifest(d)
    card = read_card(d)
    if card["format_version"] != FORMAT_VERSION:
        raise PolicytagError("E009", path=str(d), found=card["format_version"], supported=f"{FORMAT_VERSION}")
    import numpy as np

    try:
        with np.load(d / ARRAYS_FILE, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        model = CompiledModel.from_arrays(arrays, card["compiled"])
    except Exception as exc:  # a damaged archive can raise zipfile, KeyError, ValueError …
        raise PolicytagError("E008", path=str(d / ARRAYS_FILE), detail=f"{type(exc).__name__}: {exc}") from None
    if model.labels != list(card["labels"]):
        raise PolicytagError("E008", path=str(d), detail="the arrays' labels differ from the card's")
    _check_userdict(card)
    return {"labels": model.labels, "model": model, "card": card}


def _load_v1(d: Path) -> dict[str, Any]:
    """Unpickle a format-1 folder and compile it (W003 names the upgrade command)."""
    from .compiled import CompiledModel

    card = read_card(d)
    check_versions(card, str(d))
    from .legacy import load_pickle

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # versions were checked above, with our own codes
            payload = load_pickle(d / PICKLE_FILE)
    except Exception as exc:  # a damaged pickle can raise almost anything
        raise PolicytagError("E008", path=str(d / PICKLE_FILE), detail=f"{type(exc).__name__}: {exc}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or "pipeline" not in payload:
        raise PolicytagError("E008", path=str(d / PICKLE_FILE), detail="not a policytag model payload")
    if payload.get("card", {}).get("model_id") != card.get("model_id"):
        raise PolicytagError("E008", path=str(d), detail="model_card.json does not belong to model.joblib")
    try:
        model = CompiledModel.from_pipeline(payload["pipeline"], card["labels"])
    except (ValueError, KeyError, AttributeError) as exc:
        raise PolicytagError("E008", path=str(d / PICKLE_FILE), detail=f"cannot compile: {exc}") from None
    warn("W003", path=str(d), stacklevel=3)
    _check_userdict(card)
    return {"labels": model.labels, "model": model, "card": card, "pipeline": payload["pipeline"]}


def upgrade_model(model_dir: Path | str, out: Path | str | None = None) -> Path:
    """Convert a format-1 (pickle) folder to format 2 (arrays) in ``out`` (default: in place)."""
    from .card import card_markdown

    src = Path(model_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PolicytagWarning)
        payload = load_model(src)
    card = dict(payload["card"])
    card["format_version"] = FORMAT_VERSION
    card["upgraded_from"] = 1
    dst = Path(out) if out else src
    save_model(dst, payload["model"], card, card_markdown(card))
    if dst == src and (src / PICKLE_FILE).is_file():
        os.remove(src / PICKLE_FILE)
    return dst


def _check_userdict(card: dict[str, Any]) -> None:
    """W002 when labels/userdict.txt changed since the model was trained (tokens may differ)."""
    from .features import userdict_hash

    trained, now = card.get("userdict_sha256_16"), userdict_hash()
    if trained and trained != now:
        warn("W002", trained=trained, now=now, stacklevel=3)


def save_model(model_dir: Path | str, model: Any, card: dict[str, Any], card_markdown: str) -> Path:
    """Write a format-2 model folder atomically.

    ``model`` is a :class:`~policytag.model.compiled.CompiledModel`. Everything is written into a temporary folder beside the target
    first; only when all files are complete are they moved into place (``os.replace``
    each, the manifest last), so an interrupted run leaves the previous model intact.
    """
    import numpy as np

    card = {**card, "format": FORMAT, "format_version": FORMAT_VERSION, "compiled": model.spec()}
    d = Path(model_dir)
    d.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".policytag-tmp-", dir=d))
    names = (ARRAYS_FILE, CARD_FILE, CARD_MD)
    try:
        with open(tmp / ARRAYS_FILE, "wb") as fh:
            np.savez_compressed(fh, **model.to_arrays())
        (tmp / CARD_FILE).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (tmp / CARD_MD).write_text(card_markdown, encoding="utf-8")
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model_id": card.get("model_id"),
            "files": {name: _sha256(tmp / name) for name in names},
        }
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        for name in (*names, MANIFEST_FILE):
            with open(tmp / name, "rb") as fh:
                os.fsync(fh.fileno())
        for name in (*names, MANIFEST_FILE):
            os.replace(tmp / name, d / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return d
