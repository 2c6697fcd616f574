"""A user's own label set works end to end: train, predict, evaluate, labels."""
import json

import pytest

from conftest import read_jsonl, run_cli
from policytag.errors import PolicytagError
from policytag.resources import read_taxonomy

TAXONOMY = {
    "labels": [
        {"id": "pollution", "zh": "污染防治", "en": "Pollution", "definition": "air, water or soil pollution", "cues": ["污染", "排放"]},
        {"id": "governance", "zh": "治理机制", "en": "Governance", "definition": "accountability or institutions", "cues": ["问责", "机制"]},
    ]
}


def test_bad_taxonomy_files_are_refused(tmp_path):
    for bad in [{"labels": []}, {"labels": [{"id": "a"}, {"id": "a"}]}, {"labels": [{"name": "x"}]}]:
        p = tmp_path / "t.json"
        p.write_text(json.dumps(bad), encoding="utf-8")
        with pytest.raises(PolicytagError) as err:
            read_taxonomy(p)
        assert err.value.code == "E020"


@pytest.mark.slow
def test_own_label_set_trains_predicts_and_evaluates(tmp_path, corpus_sample):
    tax = tmp_path / "taxonomy.json"
    tax.write_text(json.dumps(TAXONOMY, ensure_ascii=False), encoding="utf-8")
    mapping = {"air": "pollution", "water": "pollution", "soil": "pollution",
               "accountability": "governance", "institutional": "governance"}
    rows = []
    for line in corpus_sample.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        r["labels"] = sorted({mapping[x] for x in r["labels"] if x in mapping})
        rows.append(json.dumps(r, ensure_ascii=False))
    data = tmp_path / "mine.jsonl"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"cv_folds": 2, "threshold_folds": 2, "char_ngrams": [1, 2]}), encoding="utf-8")
    model = tmp_path / "model"
    out = run_cli("train", "--data", str(data), "--taxonomy", str(tax), "--config", str(cfg), "--out", str(model))
    assert out.returncode == 0, out.stderr
    pred = read_jsonl(run_cli("predict", "-", "-f", "jsonl", "--model", str(model),
                              stdin="对整改不力的县区政府主要负责人进行约谈问责\n".encode()).stdout.decode())
    assert set(pred[0]["scores"]) == {"pollution", "governance"} and "governance" in pred[0]["labels"]
    report = json.loads(run_cli("evaluate", str(data), "--model", str(model), "--json").stdout)
    assert set(report["model"]["per_label"]) == {"pollution", "governance"}
    assert "pollution" in run_cli("labels", "--model", str(model)).stdout.decode()
