import pickle

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sklearn.utils.estimator_checks import parametrize_with_checks

from policytag.model.estimators import ThresholdedOneVsRestClassifier, best_f1_threshold

# Predictions use the tuned thresholds, not 0.5, so the checks that demand
# "argmax(predict_proba) == predict" cannot hold (scikit-learn marks the same checks
# as expected failures for its own TunedThresholdClassifierCV). With tuning off, every
# check must pass: the thresholds are the only departure.
_THRESHOLD_REASON = "predict applies tuned per-label thresholds, not 0.5"


def _expected_failures(estimator):
    if estimator.tune_thresholds:
        return {
            "check_classifiers_train": _THRESHOLD_REASON,
            "check_classifier_multioutput": _THRESHOLD_REASON,
        }
    return {}


@parametrize_with_checks(
    [
        ThresholdedOneVsRestClassifier(random_state=0, tune_thresholds=False),
        ThresholdedOneVsRestClassifier(random_state=0),
    ],
    expected_failed_checks=_expected_failures,
)
def test_classifier_follows_the_scikit_learn_estimator_contract(estimator, check):
    check(estimator)


def _multilabel_data(seed=0, n=200):
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 8)
    Y = np.column_stack([(X[:, 0] > 0.6), (X[:, 1] + X[:, 2] > 1.2), (X[:, 3] < 0.2)]).astype(int)
    return X, Y


def test_fit_tunes_one_threshold_per_label_from_out_of_fold_scores():
    X, Y = _multilabel_data()
    clf = ThresholdedOneVsRestClassifier(random_state=0).fit(X, Y)
    assert clf.thresholds_.shape == (3,)
    assert not np.isnan(clf.oof_scores_).any()
    assert not np.allclose(clf.thresholds_, 0.5)
    assert clf.predict(X).shape == Y.shape
    assert set(np.unique(clf.predict(X))) <= {0, 1}


def test_fit_is_deterministic_for_a_seed():
    X, Y = _multilabel_data()
    a = ThresholdedOneVsRestClassifier(random_state=3).fit(X, Y)
    b = ThresholdedOneVsRestClassifier(random_state=3).fit(X, Y)
    np.testing.assert_array_equal(a.thresholds_, b.thresholds_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_fitted_classifier_survives_a_pickle_round_trip():
    X, Y = _multilabel_data()
    clf = ThresholdedOneVsRestClassifier(random_state=0).fit(X, Y)
    clone = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clone.predict(X), clf.predict(X))


def test_a_label_that_never_occurs_is_never_predicted():
    X, Y = _multilabel_data()
    Y[:, 2] = 0
    clf = ThresholdedOneVsRestClassifier(random_state=0).fit(X, Y)
    assert clf.predict(X)[:, 2].sum() == 0


def test_multiclass_targets_are_refused_with_a_clear_message():
    X, _ = _multilabel_data()
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        ThresholdedOneVsRestClassifier().fit(X, np.arange(len(X)) % 3)


@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=60))
@example(pairs=[(0.0, False), (5e-324, True)])  # adjacent floats: the midpoint rounds down to 0
def test_best_threshold_reaches_the_best_f1_of_any_cut(pairs):
    scores = np.array([p[0] for p in pairs])
    truth = np.array([p[1] for p in pairs])
    threshold, f1 = best_f1_threshold(scores, truth)
    assert 0 <= threshold <= 1
    if truth.sum() == 0:
        return
    pred = scores >= threshold
    tp = (pred & truth).sum()
    got = 2 * tp / (pred.sum() + truth.sum())
    assert got == pytest.approx(f1)
    best = max(2 * (truth & (scores >= c)).sum() / ((scores >= c).sum() + truth.sum()) for c in scores)
    assert f1 == pytest.approx(best)


@given(
    st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=60),
    st.sampled_from([0.005, 0.01, 0.05]),
)
def test_tolerant_threshold_stays_within_its_tolerance_of_the_best_f1(pairs, tolerance):
    scores = np.array([p[0] for p in pairs])
    truth = np.array([p[1] for p in pairs])
    threshold, f1 = best_f1_threshold(scores, truth, tolerance)
    assert 0 <= threshold <= 1
    if truth.sum() == 0:
        return
    pred = scores >= threshold
    assert 2 * (pred & truth).sum() / (pred.sum() + truth.sum()) == pytest.approx(f1)
    assert f1 >= best_f1_threshold(scores, truth)[1] - tolerance - 1e-12


def test_tolerant_threshold_takes_the_middle_of_a_flat_top_not_its_edge():
    # five positives on top, then alternating scores: F1 is nearly flat over a wide range
    scores = np.linspace(1, 0, 40)
    truth = np.array([True] * 5 + [True, False] * 10 + [False] * 15)
    strict, f_strict = best_f1_threshold(scores, truth)
    tolerant, f_tol = best_f1_threshold(scores, truth, 0.05)
    assert f_tol >= f_strict - 0.05
    plateau = [c for c in scores if 2 * (truth & (scores >= c)).sum() / ((scores >= c).sum() + truth.sum()) >= f_strict - 0.05]
    assert min(plateau) < tolerant < max(plateau)
    assert tolerant != pytest.approx(strict)


def test_sentence_pooling_scores_are_the_max_over_paragraph_and_sentences(fitted_pipeline):
    pipe = fitted_pipeline
    assert pipe.pool_sentences
    text = "全市经济运行总体平稳，全年新增城镇就业5.2万人。对整改不力的2个县区政府主要负责人进行约谈，问责干部9人。"
    sentences = ["全市经济运行总体平稳，全年新增城镇就业5.2万人。", "对整改不力的2个县区政府主要负责人进行约谈，问责干部9人。"]
    pipe.pool_sentences = False
    try:
        plain = pipe.predict_proba([text] + sentences)
    finally:
        pipe.pool_sentences = True
    pooled = pipe.predict_proba([text])[0]
    np.testing.assert_allclose(pooled, plain.max(axis=0))
    assert (pipe.predict([text])[0] == (pooled >= pipe.steps[-1][1].thresholds_)).all()
