"""The compiled kernel (numba) gives the NumPy path's scores, on any text."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from policytag.model import kernel_backend as _kernel_backend
from policytag.model.compiled import CompiledModel
from policytag.text.normalize import normalize_many
from strategies import hostile_text, messy_text, segmenter_text

pytest.importorskip("numba")

EDGE = [
    "",
    "碳",
    "。。。",
    "PM2.5",
    "İSTANBUL空气质量。İ大气污染防治；水质达标。",  # lower-casing changes the length: NumPy path
    "深入打好蓝天、碧水、净土保卫战。全面推行河湖长制；严格落实党政同责。",
    "0831-8208216 pm_2.5 xxx.gov.cn 24.VEP核算；大气-水-土壤协同治理。",
    "河长制" * 400 + "。" + "碳达峰碳中和" * 300,
    "督察整改！！！？？？；；；“”」』）] 。",
]


def _both(model: CompiledModel, texts, monkeypatch) -> tuple[np.ndarray, np.ndarray]:
    norm = normalize_many(texts)
    monkeypatch.setenv("POLICYTAG_KERNEL", "numpy")
    expected = model.predict_proba(norm)
    monkeypatch.setenv("POLICYTAG_KERNEL", "numba")
    in_numpy: list[str] = []
    numpy_decision = model._numpy_decision
    monkeypatch.setattr(model, "_numpy_decision", lambda paras, pool: in_numpy.extend(paras) or numpy_decision(paras, pool))
    got = model.predict_proba(norm)
    # the kernel scored every paragraph but those whose lower-casing changes their length
    assert all(len(t.lower()) != len(t) for t in in_numpy)
    return expected, got


@pytest.fixture(scope="module")
def shipped():
    from policytag import Tagger

    return Tagger.load()


def test_kernel_scores_equal_numpy_scores_on_corpus_and_edge_cases(shipped, corpus_sample, monkeypatch):
    texts = [json.loads(line)["text"] for line in corpus_sample.read_text(encoding="utf-8").splitlines()]
    expected, got = _both(shipped.model, texts + EDGE, monkeypatch)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert ((got >= shipped.thresholds) == (expected >= shipped.thresholds)).all()


def test_kernel_scores_equal_numpy_scores_for_a_freshly_fitted_pipeline(fitted_pipeline, corpus_sample, monkeypatch):
    labels = ["air", "water", "soil", "carbon", "accountability", "institutional"]
    model = CompiledModel.from_pipeline(fitted_pipeline, labels)  # float64 coefficients
    texts = [json.loads(line)["text"] for line in corpus_sample.read_text(encoding="utf-8").splitlines()][:300]
    expected, got = _both(model, texts + EDGE, monkeypatch)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.one_of(messy_text, hostile_text), min_size=1, max_size=6))
@example(texts=["空气。", "", "水。"])
@example(texts=["a-b_c.d 大气-水", "İ"])
def test_kernel_agrees_with_numpy_on_any_text(shipped, texts, monkeypatch):
    expected, got = _both(shipped.model, texts, monkeypatch)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_auto_mode_moves_to_the_kernel_only_after_enough_paragraphs(shipped, monkeypatch):
    model = CompiledModel.from_arrays(shipped.model.to_arrays(), shipped.model.spec())
    monkeypatch.setenv("POLICYTAG_KERNEL", "auto")
    assert model._kernel_for(10) is None
    assert model._kernel_for(_kernel_backend._KERNEL_FROM) is not None  # the process has now scored enough
    monkeypatch.setenv("POLICYTAG_KERNEL", "numpy")
    assert model._kernel_for(_kernel_backend._KERNEL_FROM) is None


def test_prefer_kernel_puts_a_fresh_model_on_the_kernel_from_its_next_call(shipped, monkeypatch):
    model = CompiledModel.from_arrays(shipped.model.to_arrays(), shipped.model.spec())  # nothing built yet
    monkeypatch.setenv("POLICYTAG_KERNEL", "auto")
    assert model.prefer_kernel()
    assert model._kernel_for(1) is not None  # building its tables did not forget the count


def test_without_numba_the_numpy_path_scores_and_forcing_the_kernel_says_what_to_install(shipped, monkeypatch):
    monkeypatch.setitem(_kernel_backend._KERNEL, "module", None)
    monkeypatch.setitem(_kernel_backend._KERNEL, "error", "ImportError: No module named 'numba'")
    model = CompiledModel.from_arrays(shipped.model.to_arrays(), shipped.model.spec())
    monkeypatch.setenv("POLICYTAG_KERNEL", "auto")
    P = model.predict_proba(normalize_many(["深入打好蓝天保卫战。"] * (_kernel_backend._KERNEL_FROM + 1)))
    assert P.shape == (_kernel_backend._KERNEL_FROM + 1, 6)
    monkeypatch.setenv("POLICYTAG_KERNEL", "numba")
    with pytest.raises(ImportError, match="pip install numba"):
        model.predict_proba(normalize_many(["水"]))


@pytest.mark.slow
def test_kernel_never_reads_out_of_bounds(tmp_path):
    """The kernel compiled with bounds checks (fresh, in its own cache) on edge cases and
    random text: an out-of-range index raises there instead of reading stray memory."""
    code = (
        "import json, random, numpy as np; from policytag import Tagger; "
        "from policytag.text.normalize import normalize_many; import os\n"
        "t = Tagger.load(); rng = random.Random(0)\n"
        f"texts = {EDGE!r}\n"
        "alphabet = '大气水土壤碳督察整改。；！？“”a-b_c.d0123 İ\\u3000㐀鿖鿕𠀀丂%#&+'\n"
        "texts += [''.join(rng.choice(alphabet) for _ in range(rng.randint(0, 300))) for _ in range(300)]\n"
        "norm = normalize_many(texts)\n"
        "os.environ['POLICYTAG_KERNEL'] = 'numpy'; a = t.model.predict_proba(norm)\n"
        "os.environ['POLICYTAG_KERNEL'] = 'numba'; b = t.model.predict_proba(norm)\n"
        "print(float(abs(a - b).max()))\n"
    )
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env,
                         cwd=Path(__file__).parent)
    assert out.returncode == 0, out.stderr[-3000:]
    assert float(out.stdout.strip()) < 1e-12


def _prepared(model: CompiledModel, texts: list[str]) -> list:
    """The kernel's normalised text of each text, or None where it leaves it to normalize."""
    from policytag.text.normalize import wide_mapped

    kernel = _kernel_backend._load_kernel(required=True)
    mapped, starts, lengths = wide_mapped(texts)
    orig, low, starts, plen, ok = kernel.prepare(mapped.astype(np.int64), starts, lengths,
                                                 *model._kernel_tables(kernel).prepare)
    out = []
    for i in range(len(texts)):
        if not ok[i]:
            out.append(None)
            continue
        text = "".join(map(chr, orig[starts[i] : starts[i] + plen[i]]))
        assert "".join(map(chr, low[starts[i] : starts[i] + plen[i]])) == text.lower()
        out.append(text)
    return out


def test_kernel_normalises_most_corpus_paragraphs_as_normalize_does(shipped, corpus_sample):
    texts = [json.loads(line)["text"] for line in corpus_sample.read_text(encoding="utf-8").splitlines()]
    got = _prepared(shipped.model, texts)
    assert sum(g is not None for g in got) > 0.8 * len(texts)
    assert [g for g in got if g is not None] == [n for g, n in zip(got, normalize_many(texts)) if g is not None]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.one_of(messy_text, hostile_text, segmenter_text), min_size=1, max_size=6))
@example(texts=["中 国  a b\t\n空气 。", " 空气（shè）", "空气 (wu1)", "Ⅴ类水体", "ａｂ　中\u3000文", "é\u0301", "\u1100\u1161",
          "①Ⅲ类 ⅳ ⑴ ㈠ 　⼀ 水", "(ⅰ", "㎡℃", "中 ⼀"])
def test_kernel_normalisation_equals_normalize_wherever_it_takes_the_text(shipped, texts):
    got = _prepared(shipped.model, texts)
    assert [g for g in got if g is not None] == [n for g, n in zip(got, normalize_many(texts)) if g is not None]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.one_of(messy_text, hostile_text, segmenter_text, st.none()), min_size=1, max_size=8))
@example(texts=["İSTANBUL空气质量。", "環境保護督察整改。", "", None, "  ", "\u200b\u200b", "深入打好蓝天保卫战。"])
def test_tagger_probabilities_are_the_same_on_the_kernel_and_in_numpy(shipped, texts, monkeypatch):
    monkeypatch.setenv("POLICYTAG_KERNEL", "numpy")
    expected = shipped.predict_proba(texts)
    monkeypatch.setenv("POLICYTAG_KERNEL", "numba")
    np.testing.assert_allclose(shipped.predict_proba(texts), expected, rtol=0, atol=1e-12)


def test_kernel_expands_every_compatibility_character_as_normalize_does(shipped):
    from policytag.text.normalize import expansions

    index, _ = expansions()
    chars = [chr(c) for c in np.flatnonzero(index >= 0).tolist()]
    contexts = ["{}", "水{}质", "a{}b", "中 {} 文", "({}", "{}(shè)", "{}{}", "Ⅲ{} 类", "{}\u3000一"]
    texts = [ctx.format(ch, ch) for ch in chars for ctx in contexts]
    got = _prepared(shipped.model, texts)
    assert sum(g is not None for g in got) > 0.8 * len(texts)
    assert [g for g in got if g is not None] == [n for g, n in zip(got, normalize_many(texts)) if g is not None]


def test_kernel_finds_every_cue_term_as_numpy_does(shipped, monkeypatch):
    """The kernel skips characters that begin no cue term by a bit table; each term, alone,
    in a sentence and between characters whose bits share its byte, is still found."""
    from policytag.resources import load_taxonomy

    terms = sorted({t for lab in load_taxonomy()["labels"] for t in lab.get("cues", [])})
    assert terms
    near = [chr(ord(t[0]) ^ 1) + t + chr(ord(t[0]) ^ 7) for t in terms if ord(t[0]) < 0x10000]
    texts = terms + [f"要求{t}，确保落实。" for t in terms] + near + ["；".join(terms)]
    expected, got = _both(shipped.model, texts, monkeypatch)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
