"""policytag.tag_dask / tag_bag: the same labels as Tagger.tag_many, on any Dask scheduler."""
from __future__ import annotations

import json
import random
import sys

import numpy as np
import pytest

from policytag import Tagger
from policytag.errors import PolicytagError


def corpus_paragraphs(n: int, seed: int = 0) -> list[str]:
    from policytag.resources import corpus_files

    texts = []
    for path in corpus_files():
        with open(path, encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    return random.Random(seed).sample(texts, n)


@pytest.fixture(scope="module")
def shipped() -> Tagger:
    return Tagger.load()


def test_missing_dask_extra_is_one_line_naming_the_pip_extra(monkeypatch):
    import policytag

    for name in ("dask", "dask.dataframe", "dask.bag"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import dask` fail
    with pytest.raises(PolicytagError) as err:
        policytag.tag_dask(object())
    message = str(err.value)
    assert err.value.code == "E070" and 'pip install "policytag[dask]"' in message and "\n" not in message
    with pytest.raises(PolicytagError) as err:
        policytag.tag_bag(object())
    assert err.value.code == "E070"


def test_importing_policytag_does_not_import_dask():
    import subprocess

    code = "import sys, policytag; policytag.tag_dask; print(any(m.startswith('dask') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "False"


def _frame(texts: list, npartitions: int):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    pdf = pd.DataFrame({"doc": [f"d{i % 7}" for i in range(len(texts))], "text": texts})
    return dd.from_pandas(pdf, npartitions=npartitions)


def test_tag_dask_adds_labels_and_one_score_column_per_label_in_meta(shipped):
    import policytag

    df = _frame(corpus_paragraphs(20), 3)
    tagged = policytag.tag_dask(df)
    expected = ["doc", "text", "labels", *[f"score_{lab}" for lab in shipped.labels]]
    assert list(tagged.columns) == expected
    assert all(str(tagged.dtypes[f"score_{lab}"]) == "float64" for lab in shipped.labels)
    assert list(policytag.tag_dask(df, scores=False).columns) == ["doc", "text", "labels"]


def test_tag_dask_on_local_scheduler_matches_tag_many_and_predict_proba(shipped):
    import policytag

    texts = corpus_paragraphs(60, seed=1) + ["", "全年新增城镇就业68万人。"]
    out = policytag.tag_dask(_frame(texts, 4)).compute(scheduler="sync")
    assert out["labels"].tolist() == shipped.tag_many(texts)
    P = out[[f"score_{lab}" for lab in shipped.labels]].to_numpy()
    np.testing.assert_allclose(P, shipped.predict_proba(texts), rtol=0, atol=1e-12)


def test_tag_dask_accepts_a_tagger_object_and_a_model_path(small_model):
    import policytag

    texts = corpus_paragraphs(30, seed=2)
    tagger = Tagger.load(small_model)
    by_object = policytag.tag_dask(_frame(texts, 3), model=tagger, scores=False).compute(scheduler="sync")
    by_path = policytag.tag_dask(_frame(texts, 3), model=str(small_model), scores=False).compute(scheduler="threads")
    assert by_object["labels"].tolist() == by_path["labels"].tolist() == tagger.tag_many(texts)


def test_missing_texts_get_no_labels_and_zero_scores(shipped):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    import policytag

    pdf = pd.DataFrame({"text": pd.array(["全面消除城市黑臭水体。", None], dtype="string")})
    out = policytag.tag_dask(dd.from_pandas(pdf, npartitions=1)).compute(scheduler="sync")
    assert out["labels"].iloc[1] == [] and out["score_water"].iloc[1] == 0.0
    assert out["labels"].iloc[0] == shipped.tag_many(["全面消除城市黑臭水体。"])[0]


def test_unknown_text_column_and_clashing_columns_are_reported():
    import policytag

    df = _frame(["蓝天保卫战"], 1)
    with pytest.raises(PolicytagError) as err:
        policytag.tag_dask(df, text_column="body")
    assert err.value.code == "E071" and "doc, text" in str(err.value)
    with pytest.raises(PolicytagError) as err:
        policytag.tag_dask(df.rename(columns={"doc": "score_air"}))
    assert err.value.code == "E072" and "score_air" in str(err.value)


def test_worker_with_another_model_refuses_to_tag(small_model):
    from policytag.workflow.dask import cached_tagger

    with pytest.raises(PolicytagError) as err:
        cached_tagger(str(small_model), expected_id="0000000000000000")
    assert err.value.code == "E073"


def test_tag_bag_matches_tag_many(shipped):
    db = pytest.importorskip("dask.bag")
    import policytag

    texts = corpus_paragraphs(25, seed=3)
    bag = db.from_sequence(texts, npartitions=3)
    assert policytag.tag_bag(bag).compute(scheduler="sync") == shipped.tag_many(texts)
    rows = policytag.tag_bag(bag, scores=True).compute(scheduler="sync")
    assert [r["labels"] for r in rows] == shipped.tag_many(texts)
    assert set(rows[0]["scores"]) == set(shipped.labels)


@pytest.mark.slow
def test_two_process_local_cluster_gives_exactly_the_single_process_labels(shipped):
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    import policytag

    import dask.bag as db

    texts = corpus_paragraphs(300, seed=4)
    expected = shipped.tag_many(texts)

    def models_loaded() -> list[str]:  # defined here so that it pickles by value
        from policytag.workflow import dask as _dask

        return sorted(_dask._CACHE)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        out = policytag.tag_dask(_frame(texts, 6)).compute()
        # each worker process loaded the model once, from its own installation
        bag_out = policytag.tag_bag(db.from_sequence(texts, npartitions=4)).compute()
        loaded = client.run(models_loaded)
    assert out["labels"].tolist() == expected
    assert bag_out == expected
    np.testing.assert_allclose(
        out[[f"score_{lab}" for lab in shipped.labels]].to_numpy(), shipped.predict_proba(texts), rtol=0, atol=1e-12
    )
    assert len(loaded) == 2 and all(keys == [""] for keys in loaded.values())
