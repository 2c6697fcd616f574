"""Features: TF-IDF over jieba words and character n-grams, plus cue-term hits.

:func:`~policytag.text.tokenize.tokenize` (jieba's algorithm with the project's user
dictionary) is a module-level function, so a fitted pipeline pickles by reference
and works in worker processes, each of which builds its own segmenter on first use.
"""
from __future__ import annotations

import hashlib
from typing import Any, Sequence

from ..resources import userdict_path
from ..text.tokenize import tokenize  # noqa: F401  (v1 model pickles refer to policytag.model.features.tokenize)

def userdict_hash() -> str:
    """SHA-256 (first 16 hex digits) of the user dictionary, recorded in the model card."""
    path = userdict_path()
    data = path.read_bytes() if path.is_file() else b""
    return hashlib.sha256(data).hexdigest()[:16]


class CueMatcher:
    """Analyzer that emits ``label`` and ``label:term`` for every cue term found in a text.

    A plain picklable callable (its cue lists travel inside the model), used as the
    ``analyzer`` of a :class:`~sklearn.feature_extraction.text.CountVectorizer`.
    """

    def __init__(self, cues: dict[str, Sequence[str]]) -> None:
        self.cues = {label: tuple(terms) for label, terms in cues.items()}

    def __call__(self, text: str) -> list[str]:
        out: list[str] = []
        for label, terms in self.cues.items():
            hits = [t for t in terms if t in text]
            if hits:
                out.append(f"cue={label}")
                out.extend(f"cue={label}:{t}" for t in hits)
        return out

    def labels_hit(self, text: str) -> set[str]:
        """The labels with at least one cue term in ``text`` (the lexicon baseline)."""
        return {label for label, terms in self.cues.items() if any(t in text for t in terms)}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CueMatcher) and other.cues == self.cues

    def __repr__(self) -> str:
        return f"CueMatcher({sum(len(v) for v in self.cues.values())} terms)"


def cue_matcher_from_taxonomy(taxonomy: dict[str, Any]) -> CueMatcher:
    """A :class:`CueMatcher` over the taxonomy's cue terms, normalised like the text."""
    from ..text.normalize import normalize

    return CueMatcher({lab["id"]: [normalize(t) for t in lab.get("cues", [])] for lab in taxonomy["labels"]})


def build_features(config: dict[str, Any], taxonomy: dict[str, Any]) -> Any:
    """The feature union described by ``config`` (see ``policytag.model.config``)."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    parts: list[tuple[str, Any]] = []
    weights: dict[str, float] = {}
    if config["word_ngrams"]:
        parts.append(
            (
                "words",
                TfidfVectorizer(
                    tokenizer=tokenize,
                    token_pattern=None,
                    lowercase=False,
                    ngram_range=tuple(config["word_ngrams"]),
                    min_df=config["min_df"],
                    sublinear_tf=True,
                    dtype=_float32(),
                ),
            )
        )
        weights["words"] = float(config.get("word_weight", 1.0))
    if config["char_ngrams"]:
        parts.append(
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char",
                    lowercase=True,
                    ngram_range=tuple(config["char_ngrams"]),
                    min_df=config["min_df"],
                    max_features=config.get("max_char_features"),
                    sublinear_tf=True,
                    dtype=_float32(),
                ),
            )
        )
        weights["chars"] = float(config.get("char_weight", 1.0))
    if config.get("cue_weight", 0) > 0:
        parts.append(
            ("cues", CountVectorizer(analyzer=cue_matcher_from_taxonomy(taxonomy), binary=True, dtype=_float32()))
        )
        weights["cues"] = float(config["cue_weight"])
    if not parts:
        raise ValueError("config enables no features")
    return FeatureUnion(parts, transformer_weights=weights)


def _float32() -> Any:
    import numpy as np

    return np.float32
