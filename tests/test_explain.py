"""Evidence for tags comes from the model's own weights and reproduces its scores."""
import json
import math

import pytest

from conftest import run_cli
from policytag import Tagger
from policytag.errors import PolicytagError

TEXTS = [
    "持续深入打好污染防治攻坚战。抓好中央生态环境保护督察反馈问题整改，对整改不力的2个县区政府主要负责人进行约谈。"
    "全市PM2.5平均浓度下降到32微克/立方米。",
    "严格执行排污许可制度，建立重点排污单位名录。",
    "全面推行河长制。",
    "",
]


@pytest.fixture(scope="module")
def shipped():
    return Tagger.load()


@pytest.mark.parametrize("text", TEXTS)
def test_explanation_log_odds_reproduce_the_score(shipped, text):
    result = shipped.explain(text)
    scores = shipped.predict_proba([text])[0]
    for j, lab in enumerate(shipped.labels):
        ex = result["explanations"][lab]
        if ex["logit"] is None:
            assert scores[j] == 0.0
            continue
        assert 1 / (1 + math.exp(-ex["logit"])) == pytest.approx(scores[j], abs=1e-3)
        assert ex["score"] == pytest.approx(scores[j], abs=1e-3)


@pytest.mark.parametrize("text", TEXTS)
def test_explanation_tags_what_tag_tags(shipped, text):
    assert shipped.explain(text)["labels"] == shipped.tag(text)


def test_raising_terms_are_cited_with_a_sentence_that_contains_them(shipped):
    ex = shipped.explain(TEXTS[0])["explanations"]["accountability"]
    assert ex["tagged"] and ex["up"]
    assert all(it["contribution"] > 0 for it in ex["up"])
    assert all(it["contribution"] < 0 for it in ex["down"])
    cited = [it for it in ex["up"] if it["kind"] == "word"]
    assert cited and all(it["sentences"] for it in cited)
    assert "约谈" in ex["scored_text"]


def test_predict_evidence_lists_terms_for_each_given_label(tmp_path):
    f = tmp_path / "in.txt"
    f.write_text("全面推行河长制。\n对3家企业立案处罚。\n", encoding="utf-8")
    out = run_cli("predict", str(f), "--format", "jsonl", "--evidence")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.decode("utf-8").splitlines()]
    for row in rows:
        assert set(row["evidence"]) == set(row["labels"])
        assert all(item["term"] for items in row["evidence"].values() for item in items)


def test_explain_command_reads_text_or_a_file(tmp_path):
    out = run_cli("explain", "对3家企业立案处罚。")
    assert out.returncode == 0, out.stderr
    assert "accountability" in out.stdout.decode("utf-8")
    f = tmp_path / "in.txt"
    f.write_text("全面推行河长制。\n\n对3家企业立案处罚。\n", encoding="utf-8")
    out = run_cli("explain", str(f), "--json")
    rows = [json.loads(line) for line in out.stdout.decode("utf-8").splitlines()]
    assert [r["id"].rsplit(":", 1)[1] for r in rows] == ["1", "3"]


def test_min_precision_thresholds_never_fall_below_the_usual_ones(small_model):
    tagger = Tagger.load(small_model)
    strict, report = tagger.precision_thresholds(0.9)
    assert (strict >= tagger.thresholds).all()
    for lab, c in report.items():
        assert c["recall"] <= c["default_recall"] + 1e-9
        if c["recall"] > 0:
            assert c["precision"] >= 0.9


def test_min_precision_marks_paragraphs_below_every_threshold_uncertain(small_model):
    from policytag.io.records import Record

    tagger = Tagger.load(small_model)
    texts = ["全面推行河长制。", "对3家企业立案处罚。", "今天天气很好。", "推进城乡融合发展，培育特色产业。"]
    recs = [Record(id=str(i), text=t, source="x", line=i + 1, extra={}) for i, t in enumerate(texts)]
    rows = list(tagger.tag_records(recs, min_precision=0.99))
    usual = tagger.predict(texts)
    for row, u in zip(rows, usual):
        assert row["uncertain"] == (not row["labels"] and bool(u.any()))
        assert set(row["labels"]) <= {lab for lab, on in zip(tagger.labels, u) if on}


def test_min_precision_out_of_range_gives_e023_and_a_card_without_curves_gives_e022(small_model, tmp_path):
    tagger = Tagger.load(small_model)
    with pytest.raises(PolicytagError) as err:
        tagger.precision_thresholds(1.5)
    assert err.value.code == "E023"
    tagger.card = {k: v for k, v in tagger.card.items() if k != "precision_curves"}
    with pytest.raises(PolicytagError) as err:
        tagger.precision_thresholds(0.9)
    assert err.value.code == "E022"
