"""Training configuration: the defaults, and reading an override file (JSON)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from ..errors import PolicytagError

# 'svm' (a calibrated LinearSVC) was accepted until 0.1 but could never be compiled for
# prediction: training failed at the end with a bare ValueError. It is refused up front.
CLASSIFIERS = ("logreg",)

DEFAULT_CONFIG: dict[str, Any] = {
    "seed": 0,
    "classifier": "logreg",
    "C": 8.0,
    "class_weight": "balanced",
    "word_ngrams": [1, 2],
    "char_ngrams": [1, 3],
    "min_df": 2,
    "max_char_features": 150000,
    "word_weight": 1.0,
    "char_weight": 1.0,
    "cue_weight": 0.5,
    "threshold_folds": 5,
    # thresholds: the middle of the cuts within this much of the best out-of-fold F1
    "threshold_tolerance": 0.01,
    "sentence_pooling": True,
    "cv_folds": 5,
}


def load_config(path: Optional[Path] = None, overrides: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """DEFAULT_CONFIG updated from a JSON file and/or a dict; unknown keys are an error."""
    config = dict(DEFAULT_CONFIG)
    extra: dict[str, Any] = {}
    if path is not None:
        try:
            extra.update(json.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise PolicytagError("E001", path=str(path)) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise PolicytagError("E012", path=str(path), detail=f"not JSON ({exc})") from None
        if not isinstance(extra, dict):
            raise PolicytagError("E012", path=str(path), detail="top level must be an object")
    extra.update(overrides or {})
    unknown = sorted(set(extra) - set(DEFAULT_CONFIG))
    if unknown:
        raise PolicytagError("E012", path=None if path is None else str(path), detail=f"unknown keys {unknown}")
    config.update(extra)
    if config["classifier"] not in CLASSIFIERS:
        raise PolicytagError(
            "E012", path=None if path is None else str(path),
            detail=f"unknown classifier {config['classifier']!r}; the one supported is 'logreg' "
            "(logistic regression: the compiled model that ships scores a linear model through a sigmoid)",
        )
    return config
