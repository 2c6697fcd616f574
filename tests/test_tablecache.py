"""The disk cache of the compiled kernel's tables (policytag.kernel.cache)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from policytag import Tagger  # noqa: E402
from policytag.kernel import cache as _tablecache  # noqa: E402
from policytag.model import compiled as _compiled  # noqa: E402
from policytag.model import kernel_backend as _kernel_backend  # noqa: E402

TEXTS = ["深入打好蓝天保卫战，PM2.5浓度下降。", "全面推行河湖长制；Ⅲ类水体比例提高。", "对整改不力的单位严肃问责。"]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYTAG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("POLICYTAG_KERNEL", "numba")
    return tmp_path / "cache"


def _fresh_tables():
    model = Tagger.load().model
    return model, model._kernel_tables(_kernel_backend._load_kernel(required=True))


def test_tables_read_back_from_the_cache_equal_the_built_ones(cache):
    model, tables = _fresh_tables()
    built = tables.groups()
    files = list(cache.glob("kernel-tables-*.npz"))
    assert len(files) == 1
    read = _tablecache.load(files[0].name[len("kernel-tables-"):-len(".npz")])
    assert read.keys() == built.keys()
    for group in built:
        assert len(read[group]) == len(built[group])
        for a, b in zip(read[group], built[group]):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
            assert np.asarray(a).dtype == np.asarray(b).dtype


def test_a_new_process_model_reads_the_cache_instead_of_building(cache, monkeypatch):
    first, _ = _fresh_tables()
    expected = first.proba_of_texts(TEXTS)

    def refuse(*args):
        raise AssertionError("built although cached")

    monkeypatch.setattr(_compiled.CompiledModel, "_build_kernel_tables", refuse)
    second, tables = _fresh_tables()
    assert tables is not None
    np.testing.assert_allclose(second.proba_of_texts(TEXTS), expected, rtol=0, atol=1e-12)


def test_a_damaged_cache_file_is_rebuilt(cache):
    first, _ = _fresh_tables()
    expected = first.proba_of_texts(TEXTS)
    (path,) = cache.glob("kernel-tables-*.npz")
    path.write_bytes(b"not a zip file")
    second, tables = _fresh_tables()
    assert tables is not None
    np.testing.assert_allclose(second.proba_of_texts(TEXTS), expected, rtol=0, atol=1e-12)
    assert path.stat().st_size > 1000  # written again


@pytest.mark.parametrize("setting", ["off", "file"])
def test_the_kernel_runs_with_the_cache_off_or_unwritable(tmp_path, monkeypatch, setting):
    monkeypatch.setenv("POLICYTAG_KERNEL", "numba")
    if setting == "file":
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        monkeypatch.setenv("POLICYTAG_CACHE_DIR", str(blocker / "cache"))
    else:
        monkeypatch.setenv("POLICYTAG_CACHE_DIR", "off")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    model, tables = _fresh_tables()
    assert tables is not None and model.proba_of_texts(TEXTS).shape == (3, len(model.labels))
    assert not (tmp_path / "xdg").exists()


def test_the_key_changes_with_the_model_and_the_user_dictionary(cache, monkeypatch, tmp_path):
    model = Tagger.load().model
    d = model._prepare()
    key = _tablecache.table_key(model._table_sources(d))
    sources = model._table_sources(d)
    sources[6] = sources[6] * 1.0000001  # the idf
    assert _tablecache.table_key(sources) != key
    user = tmp_path / "userdict.txt"
    user.write_text("督察整改 1000 n\n", encoding="utf-8")
    monkeypatch.setattr("policytag.text.tokenize.userdict_path", lambda: user)
    assert _tablecache.table_key(model._table_sources(d)) != key


def test_tables_are_named_and_a_stored_layout_of_another_shape_is_refused(cache):
    from policytag.kernel.tables import KernelTables

    _, tables = _fresh_tables()
    assert isinstance(tables, KernelTables)
    assert tables.chars.kmax == 3 and tables.model.intercept.shape == (6,)
    groups = tables.groups()
    back = KernelTables.from_groups(groups)
    assert back._fields == tables._fields and all(len(a) == len(b) for a, b in zip(back, tables))
    with pytest.raises(ValueError):
        KernelTables.from_groups({**groups, "cues": groups["cues"][:-1]})
    with pytest.raises(ValueError):
        KernelTables.from_groups({k: v for k, v in groups.items() if k != "model"})
