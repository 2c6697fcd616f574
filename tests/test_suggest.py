
import numpy as np

from policytag import Tagger
from policytag.io.records import Record
from policytag.workflow.suggest import suggest, uncertainty
from conftest import read_jsonl, run_cli, DATA


def test_uncertainty_is_one_on_a_threshold_and_zero_when_certain():
    t = np.array([0.5, 0.3])
    U = uncertainty(np.array([[0.5, 0.9], [1.0, 0.0], [0.75, 0.0]]), t)
    assert U[0] == 1.0 and U[1] == 0.0 and 0 < U[2] < 1


def test_suggest_returns_the_least_certain_distinct_paragraphs_first():
    tagger = Tagger.load()
    texts = [
        "深入打好蓝天保卫战，全年PM2.5平均浓度下降到32微克/立方米。",
        "深入打好藍天保衛戰，全年PM2.5平均濃度下降到32微克/立方米。",  # same paragraph, other script
        "全年新增城镇就业68万人。",
        "加强生态环境监管，推进环境治理。",
        "完善工作机制，强化统筹协调。",
    ]
    records = [Record(str(i), t) for i, t in enumerate(texts)]
    picked = suggest(records, tagger, n=3)
    assert len(picked) == 3
    assert not {"0", "1"} <= {p["id"] for p in picked}
    u = [p["uncertainty"] for p in picked]
    assert u == sorted(u, reverse=True)
    for p in picked:
        assert set(p["scores"]) == set(tagger.labels) and isinstance(p["suggested_labels"], list)


def test_suggest_command_writes_jsonl_ready_to_label():
    out = run_cli("suggest", "sample_report.txt", "-n", "4", cwd=DATA)
    assert out.returncode == 0, out.stderr
    rows = read_jsonl(out.stdout.decode())
    assert len(rows) == 4 and all({"id", "text", "suggested_labels", "uncertainty"} <= set(r) for r in rows)
