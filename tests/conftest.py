"""Shared fixtures: a small model trained once per session on part of the corpus."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# the kernel's table cache goes to a folder of this run's own, not the user's ~/.cache
_CACHE = tempfile.mkdtemp(prefix="policytag-test-cache-")
os.environ["POLICYTAG_CACHE_DIR"] = _CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"

SMALL_CONFIG = {"cv_folds": 2, "threshold_folds": 3, "char_ngrams": [1, 2], "word_ngrams": [1, 1]}


@pytest.fixture(scope="session")
def corpus_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fourth paragraph of the shipped corpus, as one JSONL file."""
    from policytag.resources import corpus_files

    rows = []
    for path in corpus_files():
        with open(path, encoding="utf-8") as fh:
            rows.extend(line for line in fh if line.strip())
    out = tmp_path_factory.mktemp("corpus") / "sample.jsonl"
    out.write_text("".join(rows[::4]), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def small_model(tmp_path_factory: pytest.TempPathFactory, corpus_sample: Path) -> Path:
    """A model folder trained quickly on the corpus sample (no dev scoring)."""
    from policytag.workflow.train import train

    out = tmp_path_factory.mktemp("model")
    train(data=[corpus_sample], out=out, overrides=SMALL_CONFIG, dev="")
    return out


@pytest.fixture(scope="session")
def fitted_pipeline(corpus_sample: Path):
    """A scikit-learn pipeline fitted on the corpus sample with the default features."""
    from policytag.model.config import load_config
    from policytag.io.corpus import label_matrix, read_corpus
    from policytag.model.estimators import build_pipeline
    from policytag.resources import label_ids, load_taxonomy

    examples = read_corpus([corpus_sample], label_ids())
    config = load_config(overrides={"threshold_folds": 3})
    pipe = build_pipeline(config, load_taxonomy())
    return pipe.fit([ex.text for ex in examples], label_matrix(examples, label_ids()))


def run_cli(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m policytag ARGS`` as a user would, capturing bytes."""
    env = dict(os.environ)
    env.pop("POLICYTAG_DEBUG", None)
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "policytag", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


def read_jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def shipped_tagger():
    """The shipped default model, loaded once for the whole test session."""
    from policytag import Tagger

    return Tagger.load()
