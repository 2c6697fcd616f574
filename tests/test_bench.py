"""bench/run.py runs end to end and prints its table (figures are not checked: no timed tests)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"


@pytest.mark.slow
@pytest.mark.skipif(not BENCH.is_file(), reason="bench/ is only in a source checkout")
def test_bench_quick_run_prints_a_row_per_measurement_and_writes_json(tmp_path):
    out_json = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--paragraphs", "60", "--memory-paragraphs", "80", "--runs", "1",
         "--skip", "train,fasttext,dev", "--json", str(out_json), "--keep", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout
    assert "machine: cores" in table and "status" in table
    for name in ("throughput: predict 60 par.", "cold start ratio", "memory: peak RSS, predict 80 par.",
                 "model size on disk", "train"):
        assert name in table, name
    report = json.loads(out_json.read_text(encoding="utf-8"))
    by_status = {r["name"]: r["status"] for r in report["results"]}
    assert "ERROR" not in by_status.values(), report["results"]
    assert by_status["train"] == "SKIP"
    throughput = next(r for r in report["results"] if r["name"].startswith("throughput"))
    assert throughput["extra"]["written"] == 60 and throughput["figure"] > 0


def test_bench_fixture_varies_repeated_paragraphs_and_keeps_the_count(tmp_path, monkeypatch):
    if not BENCH.is_file():
        pytest.skip("bench/ is only in a source checkout")
    import importlib.util

    spec = importlib.util.spec_from_file_location("policytag_bench_run", BENCH)
    bench_run = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench_run)  # dataclasses look their module up
    spec.loader.exec_module(bench_run)
    texts = ["深入打好蓝天保卫战。PM2.5浓度下降8%。", "全面推行河湖长制", "建立整改台账；实行销号管理。"]
    path = bench_run.write_fixture(tmp_path / "f.jsonl", 30, texts)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 30 and len({r["id"] for r in rows}) == 30
    assert sorted(r["text"] for r in rows[:3]) == sorted(texts)  # the first copy is the corpus itself
    assert len({r["text"] for r in rows}) > 20  # later copies differ from it and from each other
