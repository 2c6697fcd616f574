"""The compiled (arrays-only) model reproduces the scikit-learn pipeline it came from."""
import subprocess
import sys

import numpy as np
from hypothesis import HealthCheck, example, given, settings

from policytag.model.compiled import CompiledModel
from policytag.text.normalize import normalize
from strategies import messy_text

EDGE = [
    "",
    "碳",
    "。。。",
    "PM2.5",
    "İSTANBUL空气质量。İ大气污染防治；水质达标。",
    "深入打好蓝天、碧水、净土保卫战。全面推行河湖长制；严格落实党政同责。",
    "推進碳達峰碳中和，建設(shè)美麗中國。",
    "0831-8208216 pm_2.5 xxx.gov.cn 24.VEP核算",
]


def _compiled(pipe):
    labels = ["air", "water", "soil", "carbon", "accountability", "institutional"]
    return CompiledModel.from_pipeline(pipe, labels)


def test_compiled_scores_match_the_pipeline_on_corpus_and_edge_cases(fitted_pipeline, corpus_sample):
    import json

    texts = [json.loads(line)["text"] for line in corpus_sample.read_text(encoding="utf-8").splitlines()][:300]
    texts += EDGE
    expected = fitted_pipeline.predict_proba(texts)
    got = _compiled(fitted_pipeline).predict_proba([normalize(t) for t in texts])
    np.testing.assert_allclose(got, expected, atol=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=messy_text)
@example(text="；）")  # splits in two before NFKC, not after: both sides split the normalised text
def test_compiled_scores_match_the_pipeline_on_messy_text(fitted_pipeline, text):
    expected = fitted_pipeline.predict_proba([text])
    got = _compiled(fitted_pipeline).predict_proba([normalize(text)])
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_compiled_model_round_trips_through_plain_arrays(fitted_pipeline):
    model = _compiled(fitted_pipeline)
    arrays = model.to_arrays()
    assert all(a.dtype != object for a in arrays.values())
    again = CompiledModel.from_arrays(arrays, model.spec())
    texts = [normalize(t) for t in EDGE]
    np.testing.assert_allclose(again.predict_proba(texts), model.predict_proba(texts), atol=1e-6)


def test_scores_do_not_depend_on_batch_composition(fitted_pipeline):
    model = _compiled(fitted_pipeline)
    texts = [normalize(t) for t in EDGE]
    together = model.predict_proba(texts)
    alone = np.vstack([model.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-9)


def test_feature_names_read_back_as_words_characters_and_cues(fitted_pipeline):
    model = _compiled(fitted_pipeline)
    names = {model.feature_name(j) for j in range(len(model.idf))}
    assert "大" in names and "cue=air" in names
    assert any(" " in n for n in names) or model.ngram["words"][1] == 1


def test_predicting_with_the_shipped_model_does_not_import_scikit_learn_or_numba():
    code = (
        "import sys, policytag; t = policytag.Tagger.load(); t.tag('深入打好蓝天保卫战。'); "
        "print(sorted(m for m in ('sklearn', 'joblib', 'jieba', 'numba') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_first_use_from_many_threads_at_once_is_safe():
    from concurrent.futures import ThreadPoolExecutor

    from policytag import Tagger

    texts = [t for t in EDGE if t] * 20
    expected = Tagger.load().predict_proba(texts)
    for _ in range(3):
        fresh = Tagger.load()  # lookup tables not built yet
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda _: fresh.predict_proba(texts), range(8)))
        for got in results:
            np.testing.assert_allclose(got, expected, atol=1e-12)
