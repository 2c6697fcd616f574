import json

import numpy as np
import pytest

from conftest import SMALL_CONFIG
from policytag import Tagger
from policytag.model.config import load_config
from policytag.errors import PolicytagError
from policytag.workflow.train import train


@pytest.mark.slow
def test_training_is_deterministic(corpus_sample, tmp_path, small_model):
    train(data=[corpus_sample], out=tmp_path / "again", overrides=SMALL_CONFIG, dev="")
    a = json.loads((small_model / "model_card.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "again" / "model_card.json").read_text(encoding="utf-8"))
    assert a["model_id"] == b["model_id"]
    assert a["thresholds"] == b["thresholds"]
    assert a["cross_validation"] == b["cross_validation"]
    texts = ["深入打好蓝天保卫战", "对整改不力的县区进行约谈问责", "推进光伏风电建设"]
    np.testing.assert_array_equal(Tagger.load(small_model).predict_proba(texts), Tagger.load(tmp_path / "again").predict_proba(texts))


def test_card_records_hashes_versions_thresholds_and_cv(small_model):
    card = json.loads((small_model / "model_card.json").read_text(encoding="utf-8"))
    assert len(card["model_id"]) == 16 and len(card["training_data"]["sha256"]) == 64
    assert set(card["thresholds"]) == set(card["labels"])
    assert {"scikit-learn", "jieba", "numpy", "python"} <= set(card["versions"])
    cv = card["cross_validation"]
    assert set(cv["model"]["per_label"]) == set(card["labels"])
    assert 0 <= cv["model"]["micro"]["f1"] <= 1 and "lexicon" in cv
    assert card["dev"] is None


def test_unknown_label_in_training_data_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "大气", "labels": ["air"]}\n{"id": "2", "text": "水", "labels": ["waterr"]}\n', encoding="utf-8")
    with pytest.raises(PolicytagError) as err:
        train(data=[bad], out=tmp_path / "m", dev="")
    assert err.value.code == "E006" and f"{bad}:2" in str(err.value)


def test_too_small_corpus_is_refused(tmp_path):
    small = tmp_path / "s.jsonl"
    small.write_text('{"id": "1", "text": "大气", "labels": ["air"]}\n', encoding="utf-8")
    with pytest.raises(PolicytagError) as err:
        train(data=[small], out=tmp_path / "m", dev="")
    assert err.value.code == "E016"


def test_config_rejects_unknown_keys_and_bad_files(tmp_path):
    with pytest.raises(PolicytagError) as err:
        load_config(overrides={"learning_rate": 1})
    assert err.value.code == "E012"
    bad = tmp_path / "c.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(PolicytagError) as err:
        load_config(bad)
    assert err.value.code == "E012"
    good = tmp_path / "g.json"
    good.write_text('{"C": 2.0}', encoding="utf-8")
    assert load_config(good)["C"] == 2.0


@pytest.mark.parametrize("kind", ["svm", "forest", ""])
def test_an_unknown_classifier_is_refused_before_training_with_e012(tmp_path, kind):
    """'svm' was accepted and trained, then failed at compile time with a bare ValueError."""
    cfg = tmp_path / "c.json"
    cfg.write_text('{"classifier": "%s"}' % kind, encoding="utf-8")
    with pytest.raises(PolicytagError) as err:
        train(config=cfg, out=tmp_path / "m", dev="")
    assert err.value.code == "E012" and repr(kind) in str(err.value) and "'logreg'" in str(err.value)
    assert str(cfg) in str(err.value)
    assert not (tmp_path / "m").exists()
    assert load_config(overrides={"classifier": "logreg"})["classifier"] == "logreg"


def test_build_estimator_refuses_an_unknown_classifier():
    from policytag.model.config import DEFAULT_CONFIG
    from policytag.model.estimators import build_estimator

    with pytest.raises(PolicytagError) as err:
        build_estimator({**DEFAULT_CONFIG, "classifier": "svm"})
    assert err.value.code == "E012"


def test_data_folders_stand_for_their_jsonl_files(tmp_path):
    from policytag.workflow.train import _expand

    (tmp_path / "b.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "a.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    extra = tmp_path / "x.jsonl"
    assert _expand([tmp_path, extra]) == [tmp_path / "a.jsonl", tmp_path / "b.jsonl", extra]


def test_skipping_cross_validation_gives_the_same_model(small_model, corpus_sample, tmp_path):
    card = train(data=[corpus_sample], out=tmp_path / "m", overrides={**SMALL_CONFIG, "cv_folds": 0}, dev="")
    shipped = json.loads((small_model / "model_card.json").read_text(encoding="utf-8"))
    assert card["cross_validation"] is None
    assert card["model_id"] == shipped["model_id"] and card["thresholds"] == shipped["thresholds"]
    assert "No cross-validation" in (tmp_path / "m" / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_cross_validation_scores_held_out_paragraphs_with_the_compiled_model(corpus_sample, monkeypatch):
    """The card's CV figures are those of the model that ships: each fold's pipeline is
    compiled and the held-out paragraphs are scored by the CompiledModel, never by the
    scikit-learn pipeline."""
    from conftest import SMALL_CONFIG
    from policytag.io.corpus import label_matrix, read_corpus
    from policytag.model.compiled import CompiledModel
    from policytag.model.estimators import SentencePoolingPipeline
    from policytag.resources import label_ids, load_taxonomy
    from policytag.workflow.train import cross_validate

    labels = label_ids()
    examples = read_corpus([corpus_sample], labels)
    texts, Y = [ex.text for ex in examples], label_matrix(examples, labels)
    scored: list[int] = []
    proba_of_texts = CompiledModel.proba_of_texts
    monkeypatch.setattr(CompiledModel, "proba_of_texts", lambda self, t: scored.append(len(t)) or proba_of_texts(self, t))

    def refuse(*args, **kwargs):
        raise AssertionError("held-out paragraphs scored by the scikit-learn pipeline")

    monkeypatch.setattr(SentencePoolingPipeline, "predict_proba", refuse)
    cfg = load_config(overrides=SMALL_CONFIG)
    P, pred = cross_validate(texts, Y, cfg, load_taxonomy())
    assert len(scored) == cfg["cv_folds"] and sum(scored) == len(texts)
    assert P.shape == pred.shape == Y.shape and 0 < pred.sum() < pred.size
