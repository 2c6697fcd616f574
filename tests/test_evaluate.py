import numpy as np
import pytest

from policytag.io.corpus import Example
from policytag.errors import PolicytagError
from policytag.workflow.evaluate import evaluate_predictions, field_value, lexicon_predict, multilabel_metrics
from policytag.resources import label_ids, load_taxonomy


def test_multilabel_metrics_match_hand_counts():
    Y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    P = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    m = multilabel_metrics(Y, P, ["a", "b"])
    assert m["per_label"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2, "predicted": 2}
    assert m["per_label"]["b"]["f1"] == 1.0
    assert m["micro"]["precision"] == pytest.approx(3 / 4)
    assert m["micro"]["recall"] == pytest.approx(3 / 4)
    assert m["macro"]["f1"] == pytest.approx(0.75)
    assert m["exact_match"] == 0.5


def test_lexicon_fires_on_cue_terms_in_normalised_text():
    Y = lexicon_predict(["深入打好藍天保衛戰", "发展数字经济"], load_taxonomy())
    labels = label_ids()
    assert Y[0, labels.index("air")] == 1
    assert Y[1].sum() == 0


def test_evaluate_predictions_reports_model_lexicon_and_slices():
    ex = [
        Example("1", "推进碳达峰", ["carbon"], {"doc": "a"}),
        Example("2", "PM2.5浓度下降", ["air"], {"doc": "b"}),
    ]
    labels = label_ids()
    pred = np.zeros((2, len(labels)), dtype=int)
    pred[0, labels.index("carbon")] = 1
    report = evaluate_predictions(ex, pred, labels, load_taxonomy(), by="meta.doc")
    assert report["model"]["per_label"]["carbon"]["f1"] == 1.0
    assert report["model"]["per_label"]["air"]["recall"] == 0.0
    assert report["lexicon"]["per_label"]["air"]["f1"] == 1.0
    assert set(report["slices"]) == {"a", "b"}
    assert report["slices"]["a"]["model"]["n"] == 1


def test_unknown_slice_field_is_an_error():
    with pytest.raises(PolicytagError) as err:
        field_value(Example("1", "x", []), "doc")
    assert err.value.code == "E018"
