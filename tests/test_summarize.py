"""summarize: per document, the share of paragraphs per label."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from conftest import read_jsonl, run_cli
from policytag.errors import PolicytagError
from policytag.workflow.summarize import unique_files, format_csv, format_jsonl, format_table, summarize

AIR, WATER, NONE = "深入打好蓝天保卫战，PM2.5平均浓度下降", "全面推行河湖长制，国考断面水质优良", "全年新增城镇就业68万人"


@pytest.fixture()
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    (folder / "2023").mkdir(parents=True)
    (folder / "河北.txt").write_text(f"{AIR}\n{AIR}\n{WATER}\n{NONE}\n", encoding="utf-8")
    (folder / "2023" / "湖南.txt").write_text(f"{WATER}\n责任编辑：李明\n", encoding="utf-8")
    (folder / "notes.png").write_bytes(b"\x89PNG not a document")
    (folder / ".hidden.txt").write_text(AIR, encoding="utf-8")
    return folder


def test_shares_are_counted_per_document(docs, shipped_tagger):
    summary = summarize([str(docs)], shipped_tagger)
    by_doc = {Path(d["document"]).name: d for d in summary["documents"]}
    assert set(by_doc) == {"河北.txt", "湖南.txt"}  # not the image, not the hidden file
    hb = by_doc["河北.txt"]
    assert hb["paragraphs"] == 4 and hb["counts"]["air"] == 2 and hb["shares"]["air"] == 0.5
    assert hb["counts"]["water"] == 1 and hb["none"] == 1 and hb["none_share"] == 0.25
    assert by_doc["湖南.txt"]["paragraphs"] == 1  # furniture is not a paragraph
    assert summary["labels"] == shipped_tagger.labels


def test_a_file_named_twice_counts_once(docs):
    files = unique_files([str(docs / "河北.txt"), str(docs)])
    assert len(files) == 2 and files[0] == str(docs / "河北.txt")


def test_an_empty_folder_is_reported(tmp_path):
    with pytest.raises(PolicytagError) as err:
        unique_files([str(tmp_path)])
    assert err.value.code == "E055"


def test_records_can_be_grouped_by_a_field(tmp_path, shipped_tagger):
    path = tmp_path / "all.jsonl"
    rows = [{"text": AIR, "meta": {"province": "河北"}}, {"text": WATER, "meta": {"province": "湖南"}},
            {"text": AIR, "meta": {"province": "河北"}}, {"text": NONE}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    summary = summarize([str(path)], shipped_tagger, by="meta.province")
    assert [(d["document"], d["paragraphs"]) for d in summary["documents"]] == [("河北", 2), ("湖南", 1), ("(none)", 1)]
    assert summary["documents"][0]["shares"]["air"] == 1.0


def test_table_csv_and_jsonl_carry_the_same_figures(docs, shipped_tagger):
    summary = summarize([str(docs)], shipped_tagger)
    table = format_table(summary).splitlines()
    assert table[0].split()[:3] == ["document", "paragraphs", "air"] and len(table) == 3
    assert "50.0%" in next(line for line in table if "河北" in line)
    rows = list(csv.DictReader(io.StringIO(format_csv(summary))))
    assert [float(r["share_air"]) for r in rows] == [d["shares"]["air"] for d in summary["documents"]]
    assert read_jsonl(format_jsonl(summary)) == summary["documents"]


def test_chart_is_a_png(docs, shipped_tagger):
    pytest.importorskip("matplotlib")
    from policytag.workflow.summarize import chart

    png = chart(summarize([str(docs)], shipped_tagger))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_summarize_command_writes_table_csv_and_chart_atomically(docs, tmp_path):
    pytest.importorskip("matplotlib")
    out_csv, png = tmp_path / "summary.csv", tmp_path / "summary.png"
    out = run_cli("summarize", str(docs), "-f", "csv", "-o", str(out_csv), "--chart", str(png))
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    assert sorted(Path(r["document"]).name for r in rows) == ["河北.txt", "湖南.txt"]
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    refused = run_cli("summarize", str(docs), "-o", str(docs / "河北.txt"))
    lines = refused.stderr.decode().splitlines()  # a W010 line may come first (a skipped file type)
    assert refused.returncode == 1 and lines[-1].startswith("E050")
