"""The scoring contract (policytag.model.scoring) against a plain reference, and every
backend against the contract."""
import json
import math

import numpy as np
import pytest

from conftest import SHARED
from policytag.model import scoring


def _reference(doc, feat, counts, n_docs, idf, block, block_weight, coef, intercept):
    """The score written out per doc and block with Python loops and a dense vector."""
    x = np.zeros((n_docs, len(idf)))
    for d in range(n_docs):
        mine = [(f, c) for dd, f, c in zip(doc, feat, counts) if dd == d]
        for b in range(3):
            vals = {f: (1.0 if b == scoring.CUES else (1 + math.log(c)) * idf[f]) for f, c in mine if block[f] == b}
            norm = math.sqrt(sum(v * v for v in vals.values())) if b != scoring.CUES else 1.0
            for f, v in vals.items():
                x[d, f] = v / (norm or 1.0) * block_weight[b]
    return x @ coef + intercept


@pytest.mark.parametrize("n_entries", [40, scoring.SPARSE_FROM + 500])  # the reduceat and the sparse product
def test_weigh_and_logits_are_the_tfidf_linear_score(n_entries):
    rng = np.random.default_rng(n_entries)
    n_docs, n_feat, n_lab = 30 if n_entries < 1000 else 2000, 60, 4
    pairs = rng.choice(n_docs * n_feat, size=min(n_entries, n_docs * n_feat), replace=False)
    pairs.sort()
    doc, feat = pairs // n_feat, pairs % n_feat
    counts = rng.integers(1, 5, len(doc))
    idf = rng.uniform(1, 5, n_feat)
    block = rng.integers(0, 3, n_feat).astype(np.int8)
    block_weight = np.array([1.0, 0.8, 0.5])
    coef, intercept = rng.normal(size=(n_feat, n_lab)), rng.normal(size=n_lab)
    val = scoring.weigh(doc, feat, counts, n_docs, idf, block, block_weight)
    got = scoring.logits(doc, feat, val, n_docs, coef, intercept)
    if n_entries < 1000:
        want = _reference(doc, feat, counts, n_docs, idf, block, block_weight, coef, intercept)
    else:  # the same contract through the small-batch path, doc by doc
        want = np.vstack([scoring.logits(doc[doc == d] * 0, feat[doc == d], val[doc == d], 1, coef, intercept)
                          for d in range(n_docs)])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_pooled_proba_is_the_highest_sigmoid_of_a_paragraph_and_its_sentences():
    scores = np.array([[0.0, -2.0], [1.0, -1.0], [-3.0, 5.0], [2.0, -9.0], [800.0, -800.0]])
    owners = np.array([0, 0, 1])  # rows 2, 3 are sentences of paragraph 0; row 4 of paragraph 1
    P = scoring.pooled_proba(scores, owners, 2)
    sig = lambda z: 1 / (1 + math.exp(-z)) if z > -700 else 0.0  # noqa: E731
    assert P[0].tolist() == pytest.approx([sig(2.0), sig(5.0)], abs=1e-15)
    assert P[1].tolist() == [1.0, sig(-1.0)]
    assert scoring.labels_at(P, np.array([0.9, 0.99])).tolist() == [[False, True], [True, False]]
    assert scoring.labels_at(np.array([[0.5]]), np.array([0.5])).tolist() == [[True]]  # the one >=


def test_the_numpy_backend_scores_by_the_contract(shipped_tagger):
    """CompiledModel's NumPy scores are the contract applied to its own feature entries."""
    from policytag.text.normalize import normalize_many

    model = shipped_tagger.model
    texts = normalize_many(["深入打好蓝天保卫战。全面推行河湖长制；严格落实党政同责。", "碳达峰碳中和", ""])
    doc, feat, val, n_docs, owners = model._entries(texts, True)
    P = scoring.pooled_proba(scoring.logits(doc, feat, val, n_docs, model.coef, model.intercept), owners, len(texts))
    np.testing.assert_array_equal(model.predict_proba_numpy(texts), P)


def _dev_texts(name):
    path = SHARED / "dev" / name
    if not path.is_file():
        pytest.skip(f"../shared/dev/{name} is absent")
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["dev.jsonl", "dev_rect.jsonl"])
def test_kernel_and_numpy_backends_give_the_same_scores_and_labels_on_the_dev_sets(shipped_tagger, name, monkeypatch):
    pytest.importorskip("numba")
    texts = _dev_texts(name)
    monkeypatch.setenv("POLICYTAG_KERNEL", "numpy")
    P_numpy = shipped_tagger.predict_proba(texts)
    monkeypatch.setenv("POLICYTAG_KERNEL", "numba")
    P_kernel = shipped_tagger.predict_proba(texts)
    np.testing.assert_allclose(P_kernel, P_numpy, rtol=0, atol=1e-9)
    th = shipped_tagger.thresholds
    assert (scoring.labels_at(P_kernel, th) == scoring.labels_at(P_numpy, th)).all()


def test_explain_scores_and_tags_by_the_contract(shipped_tagger):
    texts = ["抓好中央生态环境保护督察反馈问题整改，对整改不力的2个县区政府主要负责人进行约谈。",
             "全面推行河湖长制，国考断面水质优良比例达到94.5%。新增光伏装机48万千瓦。", "全年新增城镇就业68万人。"]
    P = shipped_tagger.predict_proba(texts)
    for text, row in zip(texts, P):
        ex = shipped_tagger.explain(text)["explanations"]
        for j, lab in enumerate(shipped_tagger.labels):
            assert ex[lab]["score"] == round(float(row[j]), 4)
            assert ex[lab]["tagged"] == bool(scoring.labels_at(row, shipped_tagger.thresholds)[j])
