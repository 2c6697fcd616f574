import json
import shutil

import pytest

from policytag import Tagger
from policytag._errors import PolicytagError
from policytag._modelfile import CARD_FILE, MODEL_FILE, PolicytagWarning, load_model


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def _write_card(d, card):
    (d / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")


def _copy_with_card(small_model, tmp_path, **changes):
    """A copy of the small model whose card has the top-level ``changes`` applied."""
    d = _copy(small_model, tmp_path / "m")
    card = {**json.loads((d / CARD_FILE).read_text(encoding="utf-8")), **changes}
    _write_card(d, card)
    return d, card


def test_a_saved_model_loads_and_keeps_its_card(small_model):
    payload = load_model(small_model)
    card = json.loads((small_model / CARD_FILE).read_text(encoding="utf-8"))
    assert payload["card"]["model_id"] == card["model_id"]
    assert payload["labels"] == ["air", "water", "soil", "carbon", "accountability", "institutional"]
    assert (small_model / "MODEL_CARD.md").read_text(encoding="utf-8").startswith("# policytag model card")


def test_missing_model_folder_gives_e007(tmp_path):
    with pytest.raises(PolicytagError) as err:
        Tagger.load(tmp_path / "none")
    assert err.value.code == "E007"


def test_damaged_model_file_gives_e008(small_model, tmp_path):
    d = _copy(small_model, tmp_path / "m")
    data = (d / MODEL_FILE).read_bytes()
    (d / MODEL_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(PolicytagError) as err:
        Tagger.load(d)
    assert err.value.code == "E008"


def test_newer_format_version_gives_e009(small_model, tmp_path):
    d, _ = _copy_with_card(small_model, tmp_path, format_version=99)
    with pytest.raises(PolicytagError) as err:
        Tagger.load(d)
    assert err.value.code == "E009"


def test_scikit_learn_minor_version_mismatch_gives_e010_and_patch_gives_w001(small_model, tmp_path):
    import sklearn

    d, card = _copy_with_card(small_model, tmp_path)
    card["versions"]["scikit-learn"] = "0.24.2"
    _write_card(d, card)
    with pytest.raises(PolicytagError) as err:
        Tagger.load(d)
    assert err.value.code == "E010" and "0.24.2" in str(err.value)
    major, minor = sklearn.__version__.split(".")[:2]
    card["versions"]["scikit-learn"] = f"{major}.{minor}.999"
    _write_card(d, card)
    with pytest.warns(PolicytagWarning, match="W001"):
        Tagger.load(d)


def test_card_from_another_model_is_refused(small_model, tmp_path):
    d, _ = _copy_with_card(small_model, tmp_path, model_id="0" * 16)
    with pytest.raises(PolicytagError) as err:
        Tagger.load(d)
    assert err.value.code == "E008"


def test_interrupted_save_leaves_the_old_model_in_place(small_model, tmp_path, monkeypatch, corpus_sample):
    import joblib

    from conftest import SMALL_CONFIG
    from policytag._train import train

    d = _copy(small_model, tmp_path / "m")
    before = (d / MODEL_FILE).read_bytes()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(joblib, "dump", boom)
    with pytest.raises(KeyboardInterrupt):
        train(data=[corpus_sample], out=d, overrides={**SMALL_CONFIG, "C": 1.0}, dev="")
    assert (d / MODEL_FILE).read_bytes() == before
    assert sorted(p.name for p in d.iterdir()) == sorted(p.name for p in small_model.iterdir())
    Tagger.load(d)


def test_changed_user_dictionary_gives_w002(small_model, tmp_path):
    d, _ = _copy_with_card(small_model, tmp_path, userdict_sha256_16="f" * 16)
    with pytest.warns(PolicytagWarning, match="W002"):
        Tagger.load(d)
