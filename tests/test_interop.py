"""Interchange with labelling tools: round trips, missing-vs-empty labels, predictions, errors."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policytag.errors import PolicytagError
from policytag.io.interop import (
    FORMATS,
    from_argilla,
    from_doccano,
    from_label_studio,
    from_prodigy,
    label_studio_config,
    read_any,
    to_argilla,
    to_doccano,
    to_label_studio,
    to_prodigy,
    write_any,
)
from strategies import SIMPLIFIED, messy_text

LABELS = ["air", "water", "soil", "carbon", "accountability", "institutional"]

# --------------------------------------------------------------------------- strategies

#: Paragraph text: messy Chinese, never blank.
para_text = messy_text.filter(lambda t: t.strip() != "")

#: Record ids: corpus-style ids, Chinese ids, odd characters.
record_id = st.one_of(
    st.from_regex(r"[a-z]{2,6}-[0-9]{1,4}", fullmatch=True),
    st.text(alphabet=SIMPLIFIED + "0123456789-_:/", min_size=1, max_size=12),
)

json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(alphabet=SIMPLIFIED + "abc 12", max_size=10)
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6,
)
meta_dict = st.dictionaries(st.text(alphabet=SIMPLIFIED + "abcdefg_", min_size=1, max_size=8), json_value, max_size=4)

#: Labels: missing (None), empty, single or multi-label; unique, in any order.
label_list = st.one_of(st.none(), st.just([]), st.lists(st.sampled_from(LABELS), unique=True, min_size=1, max_size=6))


@st.composite
def records(draw: st.DrawFn) -> dict:
    rec = {"id": draw(record_id), "text": draw(para_text)}
    labels = draw(label_list)
    if labels is not None:
        rec["labels"] = labels
    rec["meta"] = draw(meta_dict)
    return rec


record_lists = st.lists(records(), max_size=8)


@st.composite
def prediction_rows(draw: st.DrawFn) -> dict:
    """A row as ``policytag predict -f jsonl`` writes it."""
    scores = {lab: draw(st.floats(0, 1, allow_nan=False)) for lab in LABELS}
    labels = [lab for lab in LABELS if scores[lab] >= 0.5]
    return {"id": draw(record_id), "text": draw(para_text), "labels": labels, "scores": scores}


ROUND_TRIPS = {
    "labelstudio": (lambda rs: to_label_studio(rs, LABELS), from_label_studio),
    "doccano": (to_doccano, from_doccano),
    "prodigy": (lambda rs: to_prodigy(rs, LABELS), from_prodigy),
    "argilla": (to_argilla, from_argilla),
}

EXAMPLE = [
    {"id": "sh-1", "text": "全面推行河湖长制，国考断面水质优良比例达到92%。", "labels": ["water"], "meta": {"province": "上海"}},
    {"id": "sh-2", "text": "对整改不力的地方党政主要负责人进行约谈问责。", "labels": ["air", "accountability"], "meta": {}},
    {"id": "sh-3", "text": "建立健全生态环境保护责任清单制度。", "labels": [], "meta": {"year": 2021}},
    {"id": "sh-4", "text": "推进碳排放权交易市场建设。", "meta": {"source": "规划", "tags": ["碳", 1]}},
]


def _json_clean(rows: list) -> list:
    """What the rows look like after being written as JSON and read back."""
    return json.loads(json.dumps(rows, ensure_ascii=False))


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", sorted(ROUND_TRIPS))
@given(rs=record_lists)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_round_trip_in_memory_loses_nothing(fmt: str, rs: list[dict]) -> None:
    to, back = ROUND_TRIPS[fmt]
    exported = _json_clean(to(rs))
    assert back(exported, LABELS) == rs


@pytest.mark.parametrize("fmt", FORMATS)
@given(rs=st.lists(records(), min_size=1, max_size=6))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_round_trip_through_files_loses_nothing(fmt: str, rs: list[dict], tmp_path: Path) -> None:
    path = tmp_path / f"out.{fmt}"
    assert write_any(rs, path, fmt, LABELS) == len(rs)
    assert read_any(path, fmt, LABELS) == rs


@pytest.mark.parametrize("fmt", sorted(ROUND_TRIPS))
def test_round_trip_examples_keep_missing_empty_and_multi(fmt: str) -> None:
    to, back = ROUND_TRIPS[fmt]
    got = back(_json_clean(to(EXAMPLE)), LABELS)
    assert got == EXAMPLE
    assert "labels" not in got[3]  # missing stays missing
    assert got[2]["labels"] == []  # explicitly empty stays empty
    assert got[1]["labels"] == ["air", "accountability"]


@pytest.mark.parametrize("fmt", sorted(ROUND_TRIPS))
def test_records_without_meta_come_back_with_empty_meta(fmt: str) -> None:
    to, back = ROUND_TRIPS[fmt]
    got = back(_json_clean(to([{"id": "a", "text": "大气污染防治。", "labels": ["air"]}])))
    assert got == [{"id": "a", "text": "大气污染防治。", "labels": ["air"], "meta": {}}]


def test_example_dataclass_records_are_accepted() -> None:
    from policytag.io.corpus import Example

    ex = Example("e1", "土壤污染防治。", ["soil"], {"k": "v"}, source="x.jsonl", line=3)
    assert from_doccano(to_doccano([ex])) == [{"id": "e1", "text": "土壤污染防治。", "labels": ["soil"], "meta": {"k": "v"}}]


# --------------------------------------------------------------------------- Label Studio


def test_label_studio_task_shape() -> None:
    tasks = to_label_studio(EXAMPLE, LABELS)
    t0 = tasks[0]
    assert t0["data"] == {"text": EXAMPLE[0]["text"], "pid": "sh-1", "meta": {"province": "上海"}}
    assert t0["annotations"] == [
        {"result": [{"from_name": "labels", "to_name": "text", "type": "choices", "value": {"choices": ["water"]}}]}
    ]
    assert tasks[2]["annotations"][0]["result"][0]["value"]["choices"] == []
    assert "annotations" not in tasks[3]
    assert all("predictions" not in t for t in tasks)


@given(preds=st.lists(prediction_rows(), min_size=1, max_size=5, unique_by=lambda r: r["id"]))
@settings(max_examples=50, deadline=None)
def test_label_studio_predictions_carry_model_version_and_score(preds: list[dict]) -> None:
    gold = [{"id": p["id"], "text": p["text"], "labels": ["air"], "meta": {}} for p in preds]
    tasks = to_label_studio(gold, LABELS, predictions=preds, model_version="m-2024")
    for task, pred in zip(tasks, preds):
        (p,) = task["predictions"]
        assert p["model_version"] == "m-2024"
        assert p["result"][0]["value"]["choices"] == pred["labels"]
        assert p["result"][0]["type"] == "choices"
        if pred["labels"]:
            expected = sum(pred["scores"][lab] for lab in pred["labels"]) / len(pred["labels"])
        else:
            expected = max(pred["scores"].values())
        assert p["score"] == pytest.approx(expected)
        assert isinstance(p["score"], float)
        # gold stays gold, and predictions are not read back as gold
        assert task["annotations"][0]["result"][0]["value"]["choices"] == ["air"]
    assert from_label_studio(_json_clean(tasks)) == gold


def test_label_studio_prediction_rows_become_predictions_not_gold() -> None:
    row = {"id": "p1", "text": "臭氧污染防治。", "labels": ["air", "carbon"], "scores": {"air": 0.9, "carbon": 0.6, "soil": 0.1}}
    (task,) = to_label_studio([row], LABELS, model_version="v1")
    assert "annotations" not in task
    assert task["predictions"][0]["model_version"] == "v1"
    assert task["predictions"][0]["score"] == pytest.approx(0.75)
    assert from_label_studio([task]) == [{"id": "p1", "text": "臭氧污染防治。", "meta": {}}]


def test_label_studio_prediction_with_no_label_uses_max_score() -> None:
    row = {"id": "p2", "text": "加强宣传。", "labels": [], "scores": {"air": 0.2, "water": 0.4}}
    (task,) = to_label_studio([row], LABELS)
    assert task["predictions"][0]["score"] == pytest.approx(0.4)
    assert task["predictions"][0]["model_version"]


def test_label_studio_import_skips_cancelled_and_uses_last_annotation() -> None:
    def ann(choices: list[str], **extra: object) -> dict:
        return {"result": [{"from_name": "labels", "to_name": "text", "type": "choices", "value": {"choices": choices}}], **extra}

    tasks = [
        {"id": 7, "data": {"text": "水污染防治。"}, "annotations": [ann(["water"], was_cancelled=True)]},
        {"id": 8, "data": {"text": "水污染防治。", "pid": "x"}, "annotations": [ann(["air"]), ann(["water", "soil"])]},
        {"id": 9, "data": {"text": "水污染防治。"}, "annotations": [{"result": []}]},
        {"id": 10, "data": {"text": "水污染防治。"}, "annotations": []},
    ]
    got = from_label_studio(tasks, LABELS)
    assert got[0] == {"id": "7", "text": "水污染防治。", "meta": {}}
    assert got[1]["id"] == "x" and got[1]["labels"] == ["water", "soil"]
    assert got[2]["labels"] == []
    assert "labels" not in got[3]


def test_label_studio_config_lists_labels() -> None:
    xml = label_studio_config(LABELS)
    assert 'name="labels"' in xml and 'choice="multiple"' in xml
    assert all(f'<Choice value="{lab}"/>' in xml for lab in LABELS)


# --------------------------------------------------------------------------- doccano


@pytest.mark.parametrize("key", ["label", "labels"])
def test_doccano_accepts_label_and_labels(key: str) -> None:
    rows = [{"id": 3, "text": "推进土壤污染防治。", key: ["soil", "institutional"]}]
    assert from_doccano(rows, LABELS) == [
        {"id": "3", "text": "推进土壤污染防治。", "labels": ["soil", "institutional"], "meta": {}}
    ]


def test_doccano_export_uses_label_and_omits_missing() -> None:
    rows = to_doccano(EXAMPLE)
    assert rows[0] == {"id": "sh-1", "text": EXAMPLE[0]["text"], "label": ["water"], "meta": {"province": "上海"}}
    assert rows[2]["label"] == []
    assert "label" not in rows[3] and "labels" not in rows[3]


def test_doccano_flattened_meta_is_collected() -> None:
    rows = [{"id": 1, "text": "碳达峰行动。", "label": ["carbon"], "Comments": [], "province": "江苏"}]
    assert from_doccano(rows) == [{"id": "1", "text": "碳达峰行动。", "labels": ["carbon"], "meta": {"province": "江苏"}}]


# --------------------------------------------------------------------------- Prodigy


def test_prodigy_task_shape() -> None:
    tasks = to_prodigy(EXAMPLE, LABELS)
    assert tasks[0]["options"] == [{"id": lab, "text": lab} for lab in LABELS]
    assert tasks[1]["accept"] == ["air", "accountability"] and tasks[1]["answer"] == "accept"
    assert tasks[0]["meta"] == {"province": "上海"}
    assert "answer" not in tasks[3] and "accept" not in tasks[3]


@pytest.mark.parametrize("answer", ["reject", "ignore", None])
def test_prodigy_non_accept_rows_import_as_missing(answer: str | None) -> None:
    row = {"text": "水环境治理。", "options": [{"id": "water", "text": "water"}], "accept": ["water"], "meta": {"a": 1}, "pid": "q1"}
    if answer is not None:
        row["answer"] = answer
    assert from_prodigy([row], LABELS) == [{"id": "q1", "text": "水环境治理。", "meta": {"a": 1}}]


def test_prodigy_accept_with_no_choice_is_empty() -> None:
    row = {"text": "水环境治理。", "accept": [], "answer": "accept"}
    assert from_prodigy([row]) == [{"text": "水环境治理。", "labels": [], "meta": {}}]


def test_prodigy_prediction_rows_are_preselected_but_unanswered() -> None:
    row = {"id": "p", "text": "大气治理。", "labels": ["air"], "scores": {"air": 0.8}}
    (task,) = to_prodigy([row], LABELS)
    assert task["accept"] == ["air"] and "answer" not in task
    assert "labels" not in from_prodigy([task])[0]


# --------------------------------------------------------------------------- Argilla


def test_argilla_record_shape_and_suggestions() -> None:
    rows = to_argilla(EXAMPLE)
    assert rows[1] == {
        "id": "sh-2",
        "fields": {"text": EXAMPLE[1]["text"]},
        "metadata": {},
        "responses": {"labels": [{"value": ["air", "accountability"], "status": "submitted"}]},
    }
    assert "responses" not in rows[3]
    pred = {"id": "p", "text": "大气治理。", "labels": ["air", "water"], "scores": {"air": 0.8, "water": 0.6}}
    (row,) = to_argilla([pred], LABELS, model_version="m1")
    assert row["suggestions"] == {"labels": {"value": ["air", "water"], "score": [0.8, 0.6], "agent": "m1"}}
    assert "responses" not in row
    assert "labels" not in from_argilla([row])[0]


@pytest.mark.parametrize("status", ["discarded", "draft"])
def test_argilla_unsubmitted_responses_are_missing(status: str) -> None:
    row = {"id": "r", "fields": {"text": "水。"}, "responses": {"labels": [{"value": ["water"], "status": status}]}}
    assert from_argilla([row]) == [{"id": "r", "text": "水。", "meta": {}}]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "fmt, rows",
    [
        ("labelstudio", [{"data": {"text": "文本"}, "annotations": [{"result": [
            {"from_name": "labels", "to_name": "text", "type": "choices", "value": {"choices": ["noise"]}}]}]}]),
        ("doccano", [{"text": "文本", "label": ["noise"]}]),
        ("prodigy", [{"text": "文本", "accept": ["noise"], "answer": "accept"}]),
        ("argilla", [{"id": "1", "fields": {"text": "文本"}, "responses": {"labels": [{"value": ["noise"], "status": "submitted"}]}}]),
    ],
)
def test_unknown_label_on_import_is_e006(fmt: str, rows: list[dict]) -> None:
    back = ROUND_TRIPS[fmt][1]
    with pytest.raises(PolicytagError) as info:
        back(rows, LABELS)
    assert info.value.code == "E006"
    assert info.value.fields["label"] == "noise"
    assert "air" in info.value.fields["known"]
    # without a label set, anything goes
    assert back(rows)[0]["labels"] == ["noise"]


def test_unknown_label_on_export_is_e006() -> None:
    with pytest.raises(PolicytagError) as info:
        to_label_studio([{"id": "1", "text": "文本", "labels": ["noise"]}], LABELS)
    assert info.value.code == "E006"
    with pytest.raises(PolicytagError) as info:
        to_prodigy([{"id": "1", "text": "文本", "labels": ["noise"]}], LABELS)
    assert info.value.code == "E006"


@pytest.mark.parametrize("fmt", ["doccano", "prodigy", "argilla", "policytag"])
def test_read_any_unknown_label_names_file_and_line(fmt: str, tmp_path: Path) -> None:
    good = [{"id": "a", "text": "大气。", "labels": ["air"], "meta": {}}]
    path = tmp_path / "in.jsonl"
    write_any(good + [{"id": "b", "text": "噪声。", "labels": ["noise"], "meta": {}}], path, fmt)
    text = path.read_text(encoding="utf-8")
    path.write_text("\n" + text, encoding="utf-8")  # a blank first line: line numbers are file lines
    with pytest.raises(PolicytagError) as info:
        read_any(path, fmt, LABELS)
    assert info.value.code == "E006"
    assert info.value.path == str(path) and info.value.line == 3
    assert str(info.value).startswith(f"E006 {path}:3:")


def test_bad_labels_type_is_e015_and_missing_text_is_e005() -> None:
    with pytest.raises(PolicytagError) as info:
        from_doccano([{"text": "文本", "label": "air"}])
    assert info.value.code == "E015"
    with pytest.raises(PolicytagError) as info:
        from_argilla([{"id": "1", "fields": {}}])
    assert info.value.code == "E005" and info.value.line == 1
    with pytest.raises(PolicytagError) as info:
        from_prodigy([{"text": "好", "answer": "accept"}, "not a row"])
    assert info.value.code == "E004" and info.value.line == 2


def test_read_any_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicytagError) as info:
        read_any(tmp_path / "absent.json", "labelstudio")
    assert info.value.code == "E001"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(PolicytagError) as info:
        read_any(empty, "doccano")
    assert info.value.code == "E002"
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "好"}\n{oops\n', encoding="utf-8")
    with pytest.raises(PolicytagError) as info:
        read_any(broken, "prodigy")
    assert info.value.code == "E004" and info.value.line == 2
    with pytest.raises(PolicytagError) as info:
        read_any(broken, "brat")
    assert info.value.code == "E011"
    with pytest.raises(PolicytagError) as info:
        write_any([], tmp_path / "x", "brat")
    assert info.value.code == "E011"


# --------------------------------------------------------------------------- files


def test_read_any_fills_missing_ids_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "水。", "label": ["water"]}\n\n{"text": "气。"}\n', encoding="utf-8")
    got = read_any(path, "doccano")
    assert [r["id"] for r in got] == [f"{path}:1", f"{path}:3"]
    assert "labels" not in got[1]


def test_label_studio_file_is_a_json_list_with_bom_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    write_any(EXAMPLE, path, "labelstudio", LABELS)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, list) and len(data) == len(EXAMPLE)
    assert "河湖长制" in path.read_text(encoding="utf-8")  # not \\u-escaped
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_any(path, "labelstudio", LABELS) == EXAMPLE


def test_write_any_derives_label_set_and_writes_predictions(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    preds = [{"id": "sh-4", "text": EXAMPLE[3]["text"], "labels": ["carbon"], "scores": {"carbon": 0.9, "air": 0.1}}]
    write_any(EXAMPLE, path, "labelstudio", predictions=preds, model_version="mv")
    tasks = json.loads(path.read_text(encoding="utf-8"))
    assert tasks[3]["predictions"][0]["model_version"] == "mv"
    assert tasks[3]["predictions"][0]["score"] == pytest.approx(0.9)
    assert read_any(path, "labelstudio") == EXAMPLE


def test_write_any_is_atomic_and_leaves_no_temporary_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text("old\n", encoding="utf-8")
    write_any(EXAMPLE, path, "policytag")
    assert os.listdir(tmp_path) == ["corpus.jsonl"]
    assert [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] == EXAMPLE

    import policytag.atomic as atomic

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OSError):
        write_any(EXAMPLE[:1], path, "doccano")
    assert os.listdir(tmp_path) == ["corpus.jsonl"]  # temp file cleaned up
    assert len(path.read_text(encoding="utf-8").splitlines()) == len(EXAMPLE)  # old file intact


def test_write_any_gives_a_normal_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "new.jsonl"
    write_any(EXAMPLE, path, "argilla")
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600
    path.chmod(0o640)
    write_any(EXAMPLE, path, "argilla")
    assert path.stat().st_mode & 0o777 == 0o640  # an existing file keeps its mode


def test_interop_never_prints(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for fmt in FORMATS:
        write_any(EXAMPLE, tmp_path / f"x.{fmt}", fmt, LABELS)
        read_any(tmp_path / f"x.{fmt}", fmt, LABELS)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
