"""Training: corpus → cross-validated report → final model → model folder with its card.

The cross-validation is nested, so the reported figures are honest: each outer fold
trains the whole pipeline (features, classifiers and out-of-fold threshold tuning)
on the other folds only. Same corpus, config and seed → same model and metrics.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np

from ..errors import PolicytagError

Progress = Callable[[str, int, int], None]


def _strip_fitted_stop_words(pipeline: Any) -> None:
    """Drop TfidfVectorizer.stop_words_ (all pruned terms): only used for introspection, and large."""
    features = pipeline.named_steps["features"]
    for _, part in features.transformer_list:
        if hasattr(part, "stop_words_"):
            del part.stop_words_


def default_dev_path() -> Optional[Path]:
    """``../shared/dev/dev.jsonl`` beside the checkout (or the working directory), if present."""
    from ..resources import repo_root

    candidates = []
    root = repo_root()
    if root is not None:
        candidates.append(root.parent / "shared" / "dev" / "dev.jsonl")
    candidates.append(Path.cwd().parent / "shared" / "dev" / "dev.jsonl")
    for c in candidates:
        if c.is_file():
            return c
    return None


def cross_validate(
    texts: Sequence[str], Y: np.ndarray, config: dict[str, Any], taxonomy: dict[str, Any], progress: Optional[Progress] = None
) -> tuple[np.ndarray, np.ndarray]:
    """Nested cross-validation: out-of-fold probabilities and thresholded predictions.

    Each outer fold's pipeline is fitted with scikit-learn and then compiled, and the
    held-out paragraphs are scored by the compiled model, the code users run (and its
    thresholds applied by the scoring contract), so the card's figures are the shipped
    model's, not the training pipeline's (the two agree to about 1e-6)."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    from ..model.compiled import CompiledModel
    from ..model.estimators import build_pipeline
    from ..model.scoring import labels_at

    texts = np.asarray(texts, dtype=object)
    folds = MultilabelStratifiedKFold(n_splits=config["cv_folds"], shuffle=True, random_state=config["seed"])
    P = np.zeros(Y.shape, dtype=float)
    pred = np.zeros(Y.shape, dtype=np.int8)
    for k, (tr, te) in enumerate(folds.split(np.zeros((len(texts), 1)), Y)):
        if progress:
            progress("cross-validation", k, config["cv_folds"])
        pipe = build_pipeline(config, taxonomy).fit(list(texts[tr]), Y[tr])
        model = CompiledModel.from_pipeline(pipe, [str(j) for j in range(Y.shape[1])])
        P[te] = model.proba_of_texts(list(texts[te]))
        pred[te] = labels_at(P[te], pipe.named_steps["classifier"].thresholds_)
    if progress:
        progress("cross-validation", config["cv_folds"], config["cv_folds"])
    return P, pred


def train(
    data: Optional[Sequence[Path | str]] = None,
    out: Optional[Path | str] = None,
    config: Optional[Path | str] = None,
    overrides: Optional[dict[str, Any]] = None,
    dev: Optional[Path | str] = None,
    progress: Optional[Progress] = None,
    write: bool = True,
    taxonomy: Optional[Path | str] = None,
) -> dict[str, Any]:
    """Train on ``data`` (default: ``labels/corpus/*.jsonl``) and write a model folder to ``out``.

    Returns the model card (also written as ``model_card.json`` and ``MODEL_CARD.md``).
    ``dev``: a gold JSONL scored with the final model and recorded in the card
    (default: ``../shared/dev/dev.jsonl`` when present; pass ``""`` to skip).
    ``taxonomy``: a taxonomy file with another label set (default: ``labels/taxonomy.json``);
    it travels inside the model, so predict, evaluate and export need nothing else.
    """
    from ..model.config import load_config
    from ..io.corpus import file_hash, label_matrix, read_corpus, read_labelled
    from .evaluate import evaluate_predictions
    from ..model.card import card_markdown, training_card
    from ..model.estimators import build_pipeline
    from ..model.format import FORMAT, FORMAT_VERSION, save_model
    from ..resources import corpus_files, load_taxonomy, read_taxonomy

    tax = read_taxonomy(taxonomy) if taxonomy else load_taxonomy()
    labels = [lab["id"] for lab in tax["labels"]]
    cfg = load_config(Path(config) if config else None, overrides)
    paths = _expand(data) if data else corpus_files()
    if not paths:
        raise PolicytagError("E001", path=str(Path("labels") / "corpus" / "*.jsonl"))
    examples = read_corpus(paths, labels)
    minimum = 2 * max(cfg["cv_folds"], cfg["threshold_folds"], 1)
    if len(examples) < minimum:
        raise PolicytagError("E016", n=len(examples), minimum=minimum)
    Y = label_matrix(examples, labels)
    for j, lab in enumerate(labels):
        if Y[:, j].sum() == 0:
            raise PolicytagError("E019", label=lab)
    texts = [ex.text for ex in examples]

    cv_report = None
    if cfg["cv_folds"] >= 2:  # nested cross-validation is for the card's figures; 0 skips it
        _, oof_pred = cross_validate(texts, Y, cfg, tax, progress)
        cv_report = evaluate_predictions(examples, oof_pred, labels, tax, by="meta.genre")

    if progress:
        progress("final fit", 0, 1)
    pipeline = build_pipeline(cfg, tax).fit(texts, Y)
    _strip_fitted_stop_words(pipeline)
    if progress:
        progress("final fit", 1, 1)
    from ..model.compiled import CompiledModel

    compiled = CompiledModel.from_pipeline(pipeline, labels)
    clf = pipeline.named_steps["classifier"]
    thresholds = {lab: round(float(t), 6) for lab, t in zip(labels, clf.thresholds_)}
    from ..model.estimators import precision_recall_curve

    curves = {lab: precision_recall_curve(clf.oof_scores_[:, j], Y[:, j]) for j, lab in enumerate(labels)}

    card = training_card(
        examples=examples, paths=paths, Y=Y, labels=labels, taxonomy=tax, thresholds=thresholds, curves=curves,
        config=cfg, cv_report=cv_report, compiled_spec=compiled.spec(), format_tag=FORMAT,
        format_version=FORMAT_VERSION,
    )
    if dev is None:  # the default dev file is labelled with the shipped label set only
        dev_path = default_dev_path() if labels == [lab["id"] for lab in load_taxonomy()["labels"]] else None
    else:
        dev_path = Path(dev) if dev else None
    if dev_path is not None:
        from ..tagger.core import Tagger

        if not dev_path.is_file():
            raise PolicytagError("E001", path=str(dev_path))
        gold = read_labelled(dev_path, labels)
        tagger = Tagger(compiled, card)
        dev_report = evaluate_predictions(gold, tagger.predict([g.text for g in gold]), labels, tax)
        card["dev"] = {
            "file": dev_path.name,
            "sha256": file_hash(dev_path),
            "model": dev_report["model"],
            "lexicon": dev_report["lexicon"],
        }
    if write:
        save_model(Path(out) if out else default_out_dir(), compiled, card, card_markdown(card))
    return card


def _expand(data: Sequence[Path | str]) -> list[Path]:
    """Files as given; a folder stands for the ``*.jsonl`` files in it, sorted."""
    out: list[Path] = []
    for item in data:
        p = Path(item)
        out.extend(sorted(p.glob("*.jsonl")) if p.is_dir() else [p])
    return out


def default_out_dir() -> Path:
    """Where ``policytag train`` writes without ``--out``: the checkout's ``models/``, else ``./models``."""
    from ..resources import repo_root

    root = repo_root()
    return root / "models" if root is not None else Path.cwd() / "models"
