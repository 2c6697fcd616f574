import json

import pytest

from policytag.workflow.quality import check, near_duplicates


def test_near_duplicates_finds_script_and_spacing_variants_but_not_different_texts():
    texts = [
        "深入打好蓝天保卫战，全年PM2.5平均浓度下降到32微克/立方米。",
        "深入打好藍天保衛戰，全年 PM2.5 平均濃度下降到 32 微克/立方米。",
        "全面消除城市黑臭水体，国考断面水质优良比例达到94.5%。",
    ]
    pairs = near_duplicates(texts)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    assert pairs[0][2] > 0.6


def _write(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_check_reports_every_bad_line_duplicates_and_counts(tmp_path):
    data = _write(
        tmp_path / "d.jsonl",
        [
            {"id": "1", "text": "全面消除城市黑臭水体，国考断面水质优良比例达到94.5%。", "labels": ["water"]},
            {"id": "1", "text": "全面消除城市黑臭水體，國考斷面水質優良比例達到94.5%。", "labels": []},
            {"id": "3", "text": "", "labels": []},
            {"id": "4", "text": "推进碳达峰", "labels": ["climate"]},
            "not json",
            {"id": "6", "text": "约谈问责", "labels": "accountability"},
        ],
    )
    report = check([data], folds=0)
    assert report["n"] == 2 and report["label_counts"]["water"] == 1 and report["no_label"] == 1
    assert [p.split()[0] for p in report["problems"]] == ["E005", "E006", "E004", "E015"]
    assert report["duplicate_ids"] == ["1"]
    assert len(report["near_duplicates"]) == 1 and report["near_duplicates"][0]["same_labels"] is False


@pytest.mark.slow
def test_check_lists_likely_mislabelled_paragraphs_first(tmp_path, corpus_sample):
    rows = [json.loads(line) for line in corpus_sample.read_text(encoding="utf-8").splitlines()]
    target = next(i for i, r in enumerate(rows) if r["labels"] == ["air"] and len(r["text"]) > 40)
    rows[target]["labels"] = ["carbon", "institutional"]  # plant an obvious mislabel
    data = _write(tmp_path / "planted.jsonl", rows)
    report = check([data], folds=3, top=25)
    assert rows[target]["id"] in [s["id"] for s in report["suspects"]]
