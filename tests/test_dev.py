"""The shipped model on real documents (../shared/dev), skipped when that folder is absent."""
import pytest

from conftest import SHARED
from policytag import Tagger
from policytag.workflow.evaluate import evaluate

DEV = SHARED / "dev" / "dev.jsonl"


@pytest.mark.skipif(not DEV.is_file(), reason="../shared/dev/dev.jsonl is absent")
def test_shipped_model_beats_the_cue_term_lexicon_on_real_documents():
    report = evaluate(str(DEV), Tagger.load())
    model, lexicon = report["model"], report["lexicon"]
    assert model["micro"]["f1"] > lexicon["micro"]["f1"]
    assert model["macro"]["f1"] > lexicon["macro"]["f1"]
