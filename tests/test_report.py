"""evaluate --report: charts and a page people look at, whose table is evaluate's JSON."""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from policytag.errors import PolicytagError

GOLD = [
    {"id": "1", "text": "全面消除城市黑臭水体，国考断面水质优良比例达到94%", "labels": ["water"], "meta": {"doc": "a"}},
    {"id": "2", "text": "推进光伏发电，控制煤炭消费总量", "labels": ["carbon"], "meta": {"doc": "b"}},
    {"id": "3", "text": "发展数字经济，新增城镇就业68万人", "labels": [], "meta": {"doc": "b"}},
    {"id": "4", "text": "深入打好蓝天保卫战，PM2.5平均浓度下降", "labels": ["air"], "meta": {"doc": "a"}},
    {"id": "5", "text": "对整改不力的县区党政主要负责人进行约谈问责", "labels": ["accountability"], "meta": {"doc": "a"}},
    {"id": "6", "text": "受污染耕地安全利用率保持在93%以上，危险废物规范化管理", "labels": ["soil"], "meta": {"doc": "b"}},
    {"id": "7", "text": "建立健全生态环境保护督察整改长效机制", "labels": ["institutional"], "meta": {"doc": "a"}},
    {"id": "8", "text": "开展大气和水污染联防联控，落实河湖长制", "labels": ["air", "water", "institutional"], "meta": {"doc": "b"}},
]
REPORT_FILES = {"index.html", "metrics.json", "metrics.csv", "f1.png", "pr_curves.png", "confusion.png", "scores.png"}


@pytest.fixture()
def gold(tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in GOLD), encoding="utf-8")
    return path


def test_confusion_matrix_counts_gold_rows_against_predicted_columns_with_none():
    from policytag.report.html import confusion_matrix

    gold = np.array([[1, 0], [1, 1], [0, 0]], dtype=bool)
    pred = np.array([[1, 0], [0, 1], [0, 1]], dtype=bool)
    assert confusion_matrix(gold, pred).tolist() == [
        [1, 1, 0],  # gold a: one predicted a, one predicted b
        [0, 1, 0],  # gold b
        [0, 1, 0],  # gold none: predicted b
    ]


def test_thresholds_come_from_the_model_or_the_override(shipped_tagger):
    from policytag.report.html import label_thresholds

    own = label_thresholds(shipped_tagger)
    assert list(own) == shipped_tagger.labels and all(0 < t < 1 for t in own.values())
    assert set(label_thresholds(shipped_tagger, 0.5).values()) == {0.5}


def test_metrics_rows_are_the_report_figures(gold, shipped_tagger):
    from policytag.workflow.evaluate import evaluate
    from policytag.report.html import label_thresholds, metrics_rows

    report = evaluate(str(gold), shipped_tagger)
    rows = {r["label"]: r for r in metrics_rows(report, label_thresholds(shipped_tagger))}
    for lab, m in report["model"]["per_label"].items():
        assert (rows[lab]["precision"], rows[lab]["recall"], rows[lab]["f1"]) == (m["precision"], m["recall"], m["f1"])
        assert rows[lab]["lexicon_f1"] == report["lexicon"]["per_label"][lab]["f1"]
    assert rows["micro"]["f1"] == report["model"]["micro"]["f1"] and rows["macro"]["f1"] == report["model"]["macro"]["f1"]


def test_write_report_writes_pngs_page_and_json(gold, shipped_tagger, tmp_path):
    pytest.importorskip("matplotlib")
    from policytag.workflow.evaluate import evaluate
    from policytag.report.html import write_report

    report = evaluate(str(gold), shipped_tagger, by="meta.doc")
    index = write_report(report, gold, shipped_tagger, tmp_path / "rep")
    out = tmp_path / "rep"
    assert index == out / "index.html" and set(os.listdir(out)) == REPORT_FILES
    for name in REPORT_FILES:
        if name.endswith(".png"):
            assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8")) == report
    page = index.read_text(encoding="utf-8")
    for name in REPORT_FILES - {"index.html"}:
        assert f'"{name}"' in page
    assert "http" not in page.replace('name="viewport"', "")  # self-contained: nothing fetched
    assert 'data-slice="a"' in page and 'data-slice="b"' in page


def test_report_refuses_a_folder_where_it_would_overwrite_the_gold_file(tmp_path, shipped_tagger):
    pytest.importorskip("matplotlib")
    from policytag.workflow.evaluate import evaluate
    from policytag.report.html import write_report

    gold = tmp_path / "metrics.json"
    gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in GOLD), encoding="utf-8")
    with pytest.raises(PolicytagError) as err:
        write_report(evaluate(str(gold), shipped_tagger), gold, shipped_tagger, tmp_path)
    assert err.value.code == "E050"


def test_missing_matplotlib_is_one_line_naming_the_extra(monkeypatch):
    from policytag.report.plots import require_matplotlib

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    with pytest.raises(PolicytagError) as err:
        require_matplotlib("evaluate --report")
    assert err.value.code == "E051" and 'pip install "policytag[report]"' in str(err.value)


def test_predict_does_not_import_matplotlib():
    import subprocess

    code = ("import sys; from policytag.cli.app import app; "
            "sys.argv = ['policytag', 'predict', '-', '-f', 'jsonl']; "
            "import io; sys.stdin = io.TextIOWrapper(io.BytesIO('大气污染防治'.encode()))\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\n"
            "print('matplotlib' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300)
    assert out.stderr.decode().strip().splitlines()[-1] == "False", out.stderr


def _chromium() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.skip("needs Debian's chromium and chromium-driver")
    return browser, driver


@pytest.mark.slow
def test_html_report_opens_in_a_browser_with_every_image_and_the_json_metrics(gold, tmp_path):
    pytest.importorskip("matplotlib")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = _chromium()
    out = run_cli("evaluate", str(gold), "--json", "--by", "meta.doc", "--report", str(tmp_path / "rep"))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    index = tmp_path / "rep" / "index.html"
    assert f"report written to {index}".encode() in out.stderr

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    profile = tempfile.mkdtemp(dir=tmp_path)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        driver.get(index.as_uri())
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
        cells = driver.execute_script(
            "return Array.from(document.querySelectorAll('#metrics tbody tr')).map(tr => ["
            "  tr.dataset.label,"
            "  Object.fromEntries(Array.from(tr.querySelectorAll('td[data-value]'))"
            "    .map(td => [td.dataset.key, [td.dataset.value, td.textContent]]))])")
    finally:
        driver.quit()

    assert sorted(src for src, _, _ in images) == ["confusion.png", "f1.png", "pr_curves.png", "scores.png"]
    assert all(complete and width > 0 for _, complete, width in images), images

    model, lexicon = report["model"], report["lexicon"]
    expected = {
        lab: {"precision": m["precision"], "recall": m["recall"], "f1": m["f1"], "support": m["support"],
              "predicted": m["predicted"], "lexicon_precision": lexicon["per_label"][lab]["precision"],
              "lexicon_recall": lexicon["per_label"][lab]["recall"], "lexicon_f1": lexicon["per_label"][lab]["f1"]}
        for lab, m in model["per_label"].items()
    }
    expected["micro"] = {"precision": model["micro"]["precision"], "recall": model["micro"]["recall"],
                         "f1": model["micro"]["f1"], "support": model["n"],
                         "lexicon_precision": lexicon["micro"]["precision"],
                         "lexicon_recall": lexicon["micro"]["recall"], "lexicon_f1": lexicon["micro"]["f1"]}
    expected["macro"] = {"f1": model["macro"]["f1"], "lexicon_f1": lexicon["macro"]["f1"]}
    table = dict(cells)
    assert list(table) == [*model["per_label"], "micro", "macro"]
    for lab, want in expected.items():
        for key, value in want.items():
            exact, shown = table[lab][key]
            assert float(exact) == pytest.approx(value, abs=1e-12), (lab, key)
            shown_want = str(value) if isinstance(value, int) else f"{value:.3f}"
            assert shown == shown_want, (lab, key)
