"""The command line, run as a user runs it (a subprocess per call)."""
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import DATA, read_jsonl, run_cli

SAMPLE = DATA / "sample_report.txt"


def test_predict_txt_prints_a_table_of_paragraphs_without_furniture():
    out = run_cli("predict", SAMPLE.name, cwd=DATA)
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert text.splitlines()[0].startswith("id")
    assert "责任编辑" not in text and "来源" not in text
    assert "sample_report.txt:6 " in text and "sample_report.txt:3 " not in text


def test_predict_jsonl_rows_have_id_text_labels_and_scores():
    out = run_cli("predict", str(SAMPLE), "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    rows = read_jsonl(out.stdout.decode("utf-8"))
    assert len(rows) == 10
    for row in rows:
        assert list(row)[:4] == ["id", "text", "labels", "scores"]
        assert set(row["scores"]) == {"air", "water", "soil", "carbon", "accountability", "institutional"}
    by_line = {r["id"].rsplit(":", 1)[1]: r for r in rows}
    assert "air" in by_line["8"]["labels"]
    assert "water" in by_line["9"]["labels"]


def test_jsonl_round_trip_carries_ids_and_other_fields(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "p1", "text": "新建改造污水管网186公里", "province": "湖南", "meta": {"k": 1}}, ensure_ascii=False)
        + "\n"
        + json.dumps({"id": "p2", "text": "推进光伏发电项目建设"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    out = run_cli("predict", str(src), "-f", "jsonl")
    assert out.returncode == 0, out.stderr
    rows = read_jsonl(out.stdout.decode())
    assert [r["id"] for r in rows] == ["p1", "p2"]
    assert rows[0]["province"] == "湖南" and rows[0]["meta"] == {"k": 1}
    again = tmp_path / "again.jsonl"
    again.write_text(out.stdout.decode(), encoding="utf-8")
    rows2 = read_jsonl(run_cli("predict", str(again), "-f", "jsonl").stdout.decode())
    assert [(r["id"], r["labels"], r["province"] if "province" in r else None) for r in rows2] == [
        (r["id"], r["labels"], r.get("province")) for r in rows
    ]


def test_csv_round_trip(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text('id,text,doc\n1,"全面推行河湖长制，国考断面水质优良",a\n2,发展数字经济,b\n', encoding="utf-8")
    out = run_cli("predict", str(src), "-f", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout.decode())))
    assert [(r["id"], r["doc"]) for r in rows] == [("1", "a"), ("2", "b")]
    assert "water" in rows[0]["labels"].split(";")
    assert float(rows[0]["score_water"]) > float(rows[1]["score_water"])
    back = tmp_path / "back.csv"
    back.write_text(out.stdout.decode(), encoding="utf-8")
    rows2 = list(csv.DictReader(io.StringIO(run_cli("predict", str(back), "-f", "csv").stdout.decode())))
    assert [r["labels"] for r in rows2] == [r["labels"] for r in rows]


def test_predict_reads_stdin():
    out = run_cli("predict", "-", "-f", "jsonl", stdin="深入打好蓝天保卫战，PM2.5浓度下降\n".encode())
    rows = read_jsonl(out.stdout.decode())
    assert out.returncode == 0 and rows[0]["id"] == "<stdin>:1" and "air" in rows[0]["labels"]


def test_threshold_override_on_the_command_line():
    out = run_cli("predict", str(SAMPLE), "-f", "jsonl", "--threshold", "0")
    rows = read_jsonl(out.stdout.decode())
    assert all(len(r["labels"]) == 6 for r in rows)
    bad = run_cli("predict", str(SAMPLE), "--threshold", "2")
    assert bad.returncode != 0 and b"E014" in bad.stderr


def _reported(out, code, exit_code=0):
    """A problem reported on stderr (no traceback) in a run that still did its work."""
    err = out.stderr.decode()
    assert out.returncode == exit_code, err
    assert any(line.startswith(code) for line in err.splitlines()), err
    assert "Traceback" not in err


def _one_line_error(out, code):
    err = out.stderr.decode().strip().splitlines()
    assert out.returncode != 0
    assert any(line.startswith(code) for line in err), err
    assert "Traceback" not in out.stderr.decode()


def test_missing_file_is_one_clear_line(tmp_path):
    _one_line_error(run_cli("predict", str(tmp_path / "nope.txt")), "E001")


def test_empty_file_is_reported(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_text("", encoding="utf-8")
    _one_line_error(run_cli("predict", str(p)), "E002")


def test_undecodable_line_is_reported_and_other_paragraphs_are_tagged(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes("全面消除城市黑臭水体\n".encode() + b"\xff\xfe\n" + "推进光伏发电\n".encode())
    out = run_cli("predict", str(p), "-f", "jsonl")
    _reported(out, "E003")  # a skipped line is reported; the run did its work: exit 0
    assert b"1 problem(s) reported; the other 2 paragraph(s) were tagged" in out.stderr
    assert f"{p}:2".encode() in out.stderr
    assert len(read_jsonl(out.stdout.decode())) == 2


def test_jsonl_line_without_text_is_reported_with_file_and_line(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text('{"id": 1, "text": "约谈问责"}\n{"id": 2}\n', encoding="utf-8")
    out = run_cli("predict", str(p), "-f", "jsonl")
    _reported(out, "E005")
    assert f"{p}:2".encode() in out.stderr
    assert [r["id"] for r in read_jsonl(out.stdout.decode())] == ["1"]


def test_missing_model_folder_is_one_clear_line(tmp_path):
    _one_line_error(run_cli("predict", str(SAMPLE), "--model", str(tmp_path)), "E007")


def test_labels_lists_the_six_labels():
    out = run_cli("labels")
    assert out.returncode == 0
    text = out.stdout.decode()
    for lab in ["air", "water", "soil", "carbon", "accountability", "institutional"]:
        assert lab in text
    assert json.loads(run_cli("labels", "--json").stdout)["labels"][0]["id"] == "air"


def test_evaluate_reports_model_and_lexicon_with_slices(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        "\n".join(
            json.dumps(r, ensure_ascii=False)
            for r in [
                {"id": "1", "text": "全面消除城市黑臭水体", "labels": ["water"], "meta": {"doc": "a"}},
                {"id": "2", "text": "推进光伏发电，控制煤炭消费", "labels": ["carbon"], "meta": {"doc": "b"}},
                {"id": "3", "text": "发展数字经济", "labels": [], "meta": {"doc": "b"}},
            ]
        ),
        encoding="utf-8",
    )
    out = run_cli("evaluate", str(gold), "--by", "meta.doc", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["model"]["n"] == 3 and "lexicon" in report and set(report["slices"]) == {"a", "b"}
    table = run_cli("evaluate", str(gold)).stdout.decode()
    assert "micro" in table and "lexicon" in table


def test_evaluate_rejects_unknown_labels_in_gold(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "1", "text": "x", "labels": ["noise"]}\n', encoding="utf-8")
    _one_line_error(run_cli("evaluate", str(gold)), "E006")


@pytest.mark.slow
def test_train_writes_a_model_that_predict_can_use(tmp_path, corpus_sample):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"cv_folds": 2, "threshold_folds": 2, "char_ngrams": [1, 2]}), encoding="utf-8")
    out = run_cli("train", "--data", str(corpus_sample), "--out", str(tmp_path / "m"), "--config", str(cfg), "--no-dev")
    assert out.returncode == 0, out.stderr
    assert b"cross-validation" in out.stdout and b"micro" in out.stdout
    pred = run_cli("predict", str(SAMPLE), "--model", str(tmp_path / "m"), "-f", "jsonl")
    assert pred.returncode == 0 and len(read_jsonl(pred.stdout.decode())) == 10


@pytest.mark.parametrize("fmt", ["labelstudio", "doccano", "prodigy", "argilla"])
def test_export_then_import_round_trips_gold_records_through_each_tool(tmp_path, fmt):
    gold = tmp_path / "gold.jsonl"
    records = [
        {"id": "a1", "text": "全面消除城市黑臭水体，國考斷面水質優良", "labels": ["water"], "meta": {"doc": "甲"}},
        {"id": "a2", "text": "对整改不力的县区进行约谈问责", "labels": ["accountability", "institutional"], "meta": {}},
        {"id": "a3", "text": "全年新增城镇就业68万人", "labels": [], "meta": {"doc": "乙"}},
    ]
    gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    exported = tmp_path / f"tasks.{fmt}"
    out = run_cli("export", str(gold), "--to", fmt, "-o", str(exported))
    assert out.returncode == 0, out.stderr
    back = tmp_path / "back.jsonl"
    out = run_cli("import", str(exported), "--from", fmt, "-o", str(back))
    assert out.returncode == 0, out.stderr
    assert read_jsonl(back.read_text(encoding="utf-8")) == records


def test_exported_predictions_are_pre_annotations_with_model_version(tmp_path):
    pred = run_cli("predict", str(SAMPLE), "-f", "jsonl")
    rows = tmp_path / "pred.jsonl"
    rows.write_bytes(pred.stdout)
    tasks = tmp_path / "tasks.json"
    out = run_cli("export", str(rows), "--to", "labelstudio", "-o", str(tasks), "--model-version", "m1")
    assert out.returncode == 0, out.stderr
    loaded = json.loads(tasks.read_text(encoding="utf-8"))
    assert len(loaded) == 10
    assert all(t["predictions"][0]["model_version"] == "m1" for t in loaded)
    assert all(not t.get("annotations") for t in loaded)
    back = tmp_path / "back.jsonl"
    run_cli("import", str(tasks), "--from", "labelstudio", "-o", str(back))
    assert all("labels" not in r for r in read_jsonl(back.read_text(encoding="utf-8")))


def test_version_option_prints_the_package_version():
    from policytag import __version__

    out = run_cli("--version")
    assert out.returncode == 0 and out.stdout.decode().strip() == f"policytag {__version__}"


def test_a_lost_input_fails_the_run_though_the_others_are_tagged(tmp_path):
    out = run_cli("predict", str(SAMPLE), str(tmp_path / "nope.txt"), "-f", "jsonl")
    _reported(out, "E001", exit_code=1)
    assert len(read_jsonl(out.stdout.decode())) == 10


def test_unknown_encoding_is_one_clear_line():
    _one_line_error(run_cli("predict", str(SAMPLE), "--encoding", "no-such-codec"), "E032")


@pytest.mark.slow
def test_predict_output_file_gets_the_same_rows_as_stdout(tmp_path):
    target = tmp_path / "out.jsonl"
    out = run_cli("predict", str(SAMPLE), "-f", "jsonl", "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert out.stdout == b""
    assert read_jsonl(target.read_text(encoding="utf-8")) == read_jsonl(
        run_cli("predict", str(SAMPLE), "-f", "jsonl").stdout.decode())
    assert sorted(os.listdir(tmp_path)) == ["out.jsonl"]


def test_predict_refuses_to_write_over_an_input(tmp_path):
    src = tmp_path / "report.txt"
    src.write_bytes(SAMPLE.read_bytes())
    (tmp_path / "alias.txt").symlink_to(src)
    for target in (src, tmp_path / "alias.txt"):
        out = run_cli("predict", str(SAMPLE), str(src), "-o", str(target))
        _one_line_error(out, "E050")
    assert src.read_bytes() == SAMPLE.read_bytes()


def test_a_failed_predict_leaves_the_previous_output_alone(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("good\n", encoding="utf-8")
    for args in ([str(tmp_path / "nope.txt")], [str(SAMPLE), "--model", str(tmp_path / "no-model")]):
        out = run_cli("predict", *args, "-o", str(target))
        assert out.returncode == 1
        assert target.read_text(encoding="utf-8") == "good\n"
    assert sorted(os.listdir(tmp_path)) == ["out.jsonl"]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_predict_leaves_the_previous_output_alone(tmp_path, sig):
    target = tmp_path / "out.jsonl"
    target.write_text("good\n", encoding="utf-8")
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "policytag", "predict", "-", "-f", "jsonl", "--batch-size", "1", "-o", str(target)],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    try:
        proc.stdin.write("深入打好蓝天保卫战，PM2.5浓度下降\n".encode() * 60)  # > 8 KB of rows: flushed
        proc.stdin.flush()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until rows are in the temporary file
            temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
            if temps and temps[0].stat().st_size > 0:
                break
            time.sleep(0.1)
        else:
            pytest.fail("predict wrote no temporary file")
        proc.send_signal(sig)  # predict is now blocked reading stdin, half-way through
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + sig, err
    assert b"Traceback" not in err
    assert target.read_text(encoding="utf-8") == "good\n"
    assert sorted(os.listdir(tmp_path)) == ["out.jsonl"]


def test_predict_says_when_its_first_big_run_builds_the_kernel(tmp_path, monkeypatch):
    """W030 explains the half-minute pause of the kernel's first build; not on later runs,
    and never for a small single-threaded job (which does not use the kernel)."""
    pytest.importorskip("numba")
    from policytag.cli import tagging as cli
    from policytag.model import compiled as _compiled

    said: list[str] = []
    monkeypatch.setattr(cli, "echo_err", said.append)
    small = tmp_path / "one.txt"
    small.write_text("深入打好蓝天保卫战。\n", encoding="utf-8")
    monkeypatch.setattr(_compiled, "kernel_cache_missing", lambda: "/somewhere")
    cli._note_kernel_build([str(small)], jobs=1)
    assert said == []
    cli._note_kernel_build([str(small)], jobs=2)
    assert len(said) == 1 and said[0].startswith("W030") and "/somewhere" in said[0]
    monkeypatch.setattr(_compiled, "kernel_cache_missing", lambda: None)
    cli._note_kernel_build([str(small)], jobs=2)
    assert len(said) == 1


def test_kernel_cache_is_found_once_the_kernel_is_built(shipped_tagger):
    pytest.importorskip("numba")
    from policytag.model import compiled as _compiled

    shipped_tagger.model.prefer_kernel()
    shipped_tagger.predict_proba(["深入打好蓝天保卫战。"])  # builds it if it was not
    assert _compiled.kernel_cache_missing() is None


@pytest.mark.parametrize("to_file", [False, True])
def test_predict_jsonl_on_the_kernel_writes_the_bytes_of_the_numpy_path(tmp_path, monkeypatch, to_file):
    # the kernel writes JSON lines as UTF-8 bytes straight to the output's buffer, mixed
    # with text chunks (a record carrying other fields); the file must not change
    lines = [json.dumps({"id": f"r{i}", "text": t}, ensure_ascii=False)
             for i, t in enumerate(["深入打好蓝天保卫战，\"PM2.5\"浓度下降。", "全面推行河湖长制\\；Ⅲ类水体。", "新建学校6所。"] * 5)]
    lines[4] = json.dumps({"id": "odd", "text": "严肃问责。", "extra": [1, "二"]}, ensure_ascii=False)
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outs = {}
    for kernel in ("numpy", "numba"):
        monkeypatch.setenv("POLICYTAG_KERNEL", kernel)
        args = ["predict", str(src), "--format", "jsonl", "--batch-size", "4", "--jobs", "2"]
        dest = tmp_path / f"out-{kernel}.jsonl"
        res = run_cli(*args, "-o", str(dest)) if to_file else run_cli(*args)
        assert res.returncode == 0, res.stderr
        outs[kernel] = dest.read_bytes() if to_file else res.stdout
    assert outs["numba"] == outs["numpy"]
    assert len(outs["numba"].splitlines()) == 15
