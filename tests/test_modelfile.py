import contextlib
import json
import shutil

import numpy as np
import pytest

from policytag import Tagger
from policytag.errors import PolicytagError
from policytag.model.format import (
    ARRAYS_FILE,
    CARD_FILE,
    MANIFEST_FILE,
    PICKLE_FILE,
    PolicytagWarning,
    _sha256,
    load_model,
    upgrade_model,
)

TEXTS = ["深入打好蓝天保卫战，PM2.5平均浓度下降8%。", "对整改不力的2个县区政府主要负责人进行约谈。"]


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def _reseal(d):
    """Recompute the manifest after a deliberate change, as a forger would."""
    manifest = json.loads((d / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["files"] = {name: _sha256(d / name) for name in manifest["files"]}
    (d / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")


def _copy_with_card(small_model, tmp_path, reseal=True, **changes):
    d = _copy(small_model, tmp_path / "m")
    card = {**json.loads((d / CARD_FILE).read_text(encoding="utf-8")), **changes}
    (d / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    if reseal:
        _reseal(d)
    return d, card


def test_a_saved_model_is_arrays_and_json_only_and_keeps_its_card(small_model):
    payload = load_model(small_model)
    card = json.loads((small_model / CARD_FILE).read_text(encoding="utf-8"))
    assert payload["card"]["model_id"] == card["model_id"] and card["format_version"] == 2
    assert payload["labels"] == ["air", "water", "soil", "carbon", "accountability", "institutional"]
    assert sorted(p.name for p in small_model.iterdir()) == sorted(
        [ARRAYS_FILE, CARD_FILE, "MODEL_CARD.md", MANIFEST_FILE]
    )
    with np.load(small_model / ARRAYS_FILE, allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)
    assert (small_model / "MODEL_CARD.md").read_text(encoding="utf-8").startswith("# policytag model card")


def test_missing_model_folder_gives_e007(tmp_path):
    with pytest.raises(PolicytagError) as err:
        Tagger.load(tmp_path / "none")
    assert err.value.code == "E007"


def test_damaged_arrays_file_fails_the_manifest_check_with_e021(small_model, tmp_path):
    d = _copy(small_model, tmp_path / "m")
    data = (d / ARRAYS_FILE).read_bytes()
    (d / ARRAYS_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(PolicytagError) as err:
        Tagger.load(d)
    assert err.value.code == "E021" and ARRAYS_FILE in str(err.value)


def test_damaged_arrays_file_with_a_matching_manifest_gives_e008(small_model, tmp_path):
    d = _copy(small_model, tmp_path / "m")
    data = (d / ARRAYS_FILE).read_bytes()
    (d / ARRAYS_FILE).write_bytes(data[: len(data) // 2])
    _reseal(d)
    with pytest.raises(PolicytagError) as err:
        Tagger.load(d)
    assert err.value.code == "E008"


def test_altered_thresholds_in_the_card_are_refused_with_e021(small_model, tmp_path):
    card = json.loads((small_model / CARD_FILE).read_text(encoding="utf-8"))
    d, _ = _copy_with_card(small_model, tmp_path, reseal=False, thresholds={k: 0.01 for k in card["thresholds"]})
    with pytest.raises(PolicytagError) as err:
        Tagger.load(d)
    assert err.value.code == "E021" and CARD_FILE in str(err.value)


def test_missing_manifest_gives_e021(small_model, tmp_path):
    d = _copy(small_model, tmp_path / "m")
    (d / MANIFEST_FILE).unlink()
    with pytest.raises(PolicytagError) as err:
        Tagger.load(d)
    assert err.value.code == "E021"


def test_newer_format_version_gives_e009(small_model, tmp_path):
    d, _ = _copy_with_card(small_model, tmp_path, format_version=99)
    with pytest.raises(PolicytagError) as err:
        Tagger.load(d)
    assert err.value.code == "E009"


def test_changed_user_dictionary_gives_w002(small_model, tmp_path):
    d, _ = _copy_with_card(small_model, tmp_path, userdict_sha256_16="f" * 16)
    with pytest.warns(PolicytagWarning, match="W002"):
        Tagger.load(d)


@contextlib.contextmanager
def _flat_module_paths():
    """Pickle as policytag 0.1 did: its classes and functions lived in flat modules
    (policytag._model …). For the duration, each new module is also registered under
    its old name and its objects say they come from there; afterwards no old path is
    importable, so loading must go through the legacy reader's find_class mapping."""
    import importlib
    import sys

    from policytag.model.legacy import V1_MODULES

    with pytest.MonkeyPatch.context() as mp:
        for old, new in V1_MODULES.items():
            module = importlib.import_module(new)
            mp.setitem(sys.modules, old, module)
            for value in list(vars(module).values()):
                if getattr(value, "__module__", None) == new and (isinstance(value, type) or callable(value)):
                    try:
                        mp.setattr(value, "__module__", old)
                    except (AttributeError, TypeError):
                        pass
        yield
    assert "policytag._model" not in sys.modules


@pytest.fixture
def v1_model(tmp_path, fitted_pipeline, small_model):
    """A format-1 folder (pickled pipeline), as policytag 0.1 wrote them."""
    import joblib

    d = tmp_path / "v1"
    d.mkdir()
    card = json.loads((small_model / CARD_FILE).read_text(encoding="utf-8"))
    card["format_version"] = 1
    card.pop("compiled")
    payload = {"format": "policytag-model", "format_version": 1, "labels": card["labels"],
               "pipeline": fitted_pipeline, "card": card}
    with _flat_module_paths():
        joblib.dump(payload, d / PICKLE_FILE)
    pickled = (d / PICKLE_FILE).read_bytes()
    assert b"policytag._model" in pickled and b"policytag.model.estimators" not in pickled
    (d / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    (d / "MODEL_CARD.md").write_text("# policytag model card\n", encoding="utf-8")
    return d


def test_format_1_model_loads_with_w003_and_scores_like_its_pipeline(v1_model, fitted_pipeline):
    with pytest.warns(PolicytagWarning, match="W003"):
        tagger = Tagger.load(v1_model)
    np.testing.assert_allclose(tagger.predict_proba(TEXTS), fitted_pipeline.predict_proba(TEXTS), atol=1e-6)


def test_format_1_scikit_learn_minor_mismatch_gives_e010(v1_model):
    card = json.loads((v1_model / CARD_FILE).read_text(encoding="utf-8"))
    card["versions"]["scikit-learn"] = "0.24.2"
    (v1_model / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(PolicytagError) as err:
        Tagger.load(v1_model)
    assert err.value.code == "E010" and "0.24.2" in str(err.value)


def test_upgrade_turns_a_pickle_folder_into_arrays_with_the_same_scores(v1_model, fitted_pipeline):
    upgrade_model(v1_model)
    assert not (v1_model / PICKLE_FILE).exists() and (v1_model / MANIFEST_FILE).is_file()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", PolicytagWarning)
        tagger = Tagger.load(v1_model)
    np.testing.assert_allclose(tagger.predict_proba(TEXTS), fitted_pipeline.predict_proba(TEXTS), atol=1e-6)


def test_interrupted_save_leaves_the_old_model_in_place(small_model, tmp_path, monkeypatch, corpus_sample):
    from conftest import SMALL_CONFIG
    from policytag.workflow.train import train

    d = _copy(small_model, tmp_path / "m")
    before = {p.name: p.read_bytes() for p in d.iterdir()}

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(KeyboardInterrupt):
        train(data=[corpus_sample], out=d, overrides={**SMALL_CONFIG, "C": 1.0}, dev="")
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before
    Tagger.load(d)
