import subprocess
import sys


def test_importing_policytag_is_cheap():
    code = (
        "import sys, policytag; "
        "heavy = [m for m in ('sklearn', 'jieba', 'numpy', 'scipy', 'opencc', 'joblib') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == ""


def test_public_api_is_small_and_lazy():
    import policytag

    assert set(policytag.__all__) == {
        "Tagger", "predict", "located_records", "PolicytagError", "PolicytagWarning", "Problem", "normalize",
        "train", "evaluate", "tag_dask", "tag_bag", "__version__",
    }
    assert callable(policytag.normalize)
    for name in policytag.__all__:  # every public name resolves, to the object of its home module
        value = getattr(policytag, name)
        assert value is not None
        if name != "__version__":
            assert value.__name__ == name and value.__module__.startswith("policytag.")
    from policytag.errors import PolicytagWarning

    assert policytag.PolicytagWarning is PolicytagWarning


def test_every_error_code_is_unique_and_well_formed():
    from policytag.errors import ERRORS, WARNINGS

    assert all(k.startswith("E") and len(k) == 4 for k in ERRORS)
    assert all(k.startswith("W") and len(k) == 4 for k in WARNINGS)


def test_the_errors_page_lists_every_error_and_warning_code():
    from pathlib import Path

    from policytag.errors import codes_markdown

    readme = (Path(__file__).resolve().parent.parent / "docs" / "errors.md").read_text(encoding="utf-8")
    start, end = "<!-- codes:start -->\n", "<!-- codes:end -->"
    assert start in readme and end in readme, "docs/errors.md lost its error-code table markers"
    table = readme[readme.index(start) + len(start):readme.index(end)]
    assert table == codes_markdown(), (
        "docs/errors.md's error table is out of date; replace the lines between the codes markers with the "
        "output of: python -c 'from policytag.errors import codes_markdown; print(codes_markdown(), end=\"\")'"
    )


def test_policytag_error_survives_pickling_with_its_code_and_place():
    import pickle

    from policytag.errors import PolicytagError

    err = PolicytagError("E071", path="part.parquet", line=3, column="body", columns="id, text")
    back = pickle.loads(pickle.dumps(err))
    assert (back.code, back.path, back.line, str(back)) == ("E071", "part.parquet", 3, str(err))


def test_warn_issues_coded_policytag_warnings_with_and_without_a_location():
    import warnings

    from policytag.errors import WARNINGS, PolicytagWarning, warn

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn("W003", path="models/old", stacklevel=1)
        warn("W010", location="in", n=2, suffixes=".exe", supported=".txt")
    assert [w.category for w in caught] == [PolicytagWarning, PolicytagWarning]
    assert str(caught[0].message) == "W003: " + WARNINGS["W003"].format(path="models/old")
    assert str(caught[1].message).startswith("W010 in: skipped 2 file(s)")
    assert caught[0].filename == __file__  # stacklevel 1: the line that called warn


def test_pyproject_lists_every_subpackage_of_policytag():
    """setuptools packages are listed by hand (the _data mapping rules out packages.find):
    a new subpackage left out of the list would be missing from the wheel."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(root).parts)
        for init in (root / "policytag").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found <= listed, f"add to pyproject.toml [tool.setuptools] packages: {sorted(found - listed)}"
    for name in ("policytag._data.labels", "policytag._data.labels.corpus", "policytag._data.models"):
        assert name in listed


def _modules_after_predict(env_extra: dict, *args: str) -> set:
    import os

    code = (
        "import runpy, sys\n"
        f"sys.argv = ['policytag', 'predict', '-', '-f', 'jsonl', *{list(args)!r}]\n"
        "try:\n    runpy.run_module('policytag', run_name='__main__')\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)\n"
    )
    env = dict(os.environ, PYTHONIOENCODING="utf-8", **env_extra)
    out = subprocess.run([sys.executable, "-c", code], input="深入打好蓝天保卫战，PM2.5浓度下降。\n".encode(),
                         capture_output=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    assert b'"labels": ["air"]' in out.stdout
    return set(out.stderr.decode().strip().splitlines()[-1].split())


def test_the_prediction_path_never_imports_scikit_learn_or_joblib():
    """Along any call chain of `policytag predict`: NumPy scoring imports neither, nor numba;
    the numba kernel (POLICYTAG_KERNEL=numba) adds numba and still neither."""
    loaded = _modules_after_predict({"POLICYTAG_KERNEL": "numpy"})
    assert "policytag" in loaded and "numpy" in loaded
    assert not loaded & {"sklearn", "joblib", "numba", "matplotlib", "jieba", "scipy", "pandas"}
    import importlib.util

    if importlib.util.find_spec("numba") is not None:
        loaded = _modules_after_predict({"POLICYTAG_KERNEL": "numba"}, "--jobs", "2")
        assert "numba" in loaded
        assert not loaded & {"sklearn", "joblib", "matplotlib"}


def test_train_script_reaches_the_train_command():
    """``python train.py`` is how the README rebuilds models/: it must reach ``policytag train``."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, str(root / "train.py"), "--help"], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stderr
    assert "--no-cv" in done.stdout and "Usage" in done.stdout
