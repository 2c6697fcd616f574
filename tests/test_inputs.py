"""One short report, saved the ways users have it, tags like the clean text file.

The report is written here (no copied text). It is saved as clean UTF-8 text, as
GBK, Big5 (in traditional script) and UTF-16 text, as an HTML page with navigation
and comments, as .docx, and as a two-page PDF with a running header, a page-number
footer and lines that break mid-sentence. ``policytag predict`` must give each the
same paragraphs, in the same order, with the same labels, index and heading.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import read_jsonl, run_cli
from policytag import normalize
from policytag.io.readers import read_inputs
from policytag import Tagger
from policytag.workflow.predict import predict

TITLE = "某县2024年生态环境保护工作情况的报告"
BODY = [
    "一、总体情况",
    "2024年，全县生态环境质量稳中向好，细颗粒物（PM2.5）年均浓度下降到31微克/立方米，优良天数比例达到86.1%，县域内4个国控断面水质全部达到Ⅲ类以上。",
    "二、重点工作",
    "（一）蓝天保卫战成果进一步巩固。全年完成清洁取暖改造9200户，淘汰燃煤小锅炉43台，对12家涉挥发性有机物企业实施深度治理，重污染天气应急减排清单实现动态更新。",
    "（二）水环境治理持续加强。新建污水管网64公里，完成3条农村黑臭水体整治，县城污水处理厂出水稳定达到一级A标准，饮用水水源地水质达标率保持100%。",
    "（三）土壤和固体废物监管不断深化。完成重点监管单位土壤隐患排查27家，受污染耕地安全利用率达到92%，危险废物规范化环境管理评估全部合格。",
    "（四）绿色低碳转型稳步推进。新增分布式光伏装机3.6万千瓦，单位地区生产总值能耗下降2.8%，完成2家重点企业碳排放核查。",
    "三、责任落实",
    "县委、县政府严格落实生态环境保护党政同责、一岗双责，对整改不力的2个乡镇主要负责人进行约谈，问责干部6人，并将考核结果作为干部选拔任用的重要依据。",
    "下一步，全县将持续深入打好污染防治攻坚战，推动生态环境质量持续改善。",
]
FURNITURE = ["来源：某县生态环境分局", "发布时间：2024-12-20 09:00", "责任编辑：李某"]
CLEAN = "\n".join([TITLE, *FURNITURE[:2], *BODY, FURNITURE[2]]) + "\n"


def _traditional(text: str) -> str:
    import opencc

    return opencc.OpenCC("s2tw").convert(text)  # Taiwan forms: what Big5 has


def _rows(path: Path, tagger: Tagger, **kw) -> list[dict]:
    problems: list = []
    rows = list(predict([str(path)], tagger=tagger, on_problem=problems.append, **kw))
    assert problems == []
    return rows


def _comparable(rows: list[dict]) -> list[tuple]:
    """What must match across formats: normalised text, labels, index, normalised heading."""
    return [(normalize(r["text"]), r["labels"], r["index"], normalize(r["heading"]) or None) for r in rows]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.load()


@pytest.fixture(scope="module")
def clean_rows(tmp_path_factory: pytest.TempPathFactory, tagger: Tagger) -> list[dict]:
    path = tmp_path_factory.mktemp("clean") / "report.txt"
    path.write_text(CLEAN, encoding="utf-8")
    rows = _rows(path, tagger)
    assert [r["text"] for r in rows] == [TITLE, *BODY]  # furniture out, everything else in
    return rows


def test_clean_report_rows_carry_file_index_and_nearest_heading(clean_rows):
    assert [r["index"] for r in clean_rows] == list(range(1, len(BODY) + 2))
    assert all(r["file"].endswith("report.txt") for r in clean_rows)
    headings = {r["text"][:6]: r["heading"] for r in clean_rows}
    assert headings[TITLE[:6]] is None and headings["一、总体情况"] is None
    assert headings["2024年，"] == "一、总体情况"
    assert headings["（一）蓝天保"] == "二、重点工作"  # a heading's heading is its parent
    assert headings["县委、县政府"] == "三、责任落实"
    labels = {r["text"][:4]: r["labels"] for r in clean_rows}
    assert "air" in labels["（一）蓝"] and "water" in labels["（二）水"] and "carbon" in labels["（四）绿"]


def test_inline_heading_stays_one_paragraph_and_opens_its_section(clean_rows):
    inline = [r for r in clean_rows if r["text"].startswith("（一）")]
    assert len(inline) == 1 and inline[0]["text"].endswith("动态更新。")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "big5"])
def test_encoded_text_files_yield_the_same_paragraphs_as_utf8(tmp_path, tagger, clean_rows, encoding):
    text = _traditional(CLEAN) if encoding == "big5" else CLEAN
    path = tmp_path / f"report-{encoding}.txt"
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    rows = _rows(path, tagger)
    assert _comparable(rows) == _comparable(clean_rows)


def test_html_page_yields_the_article_paragraphs_without_chrome(tmp_path, tagger, clean_rows):
    pytest.importorskip("readability")
    from docmaker import make_html

    path = tmp_path / "report.html"
    path.write_bytes(make_html(TITLE, BODY))
    rows = _rows(path, tagger)
    assert _comparable(rows) == _comparable(clean_rows)
    text = "".join(r["text"] for r in rows)
    for chrome in ("政务公开", "分享到", "打印本页", "相关阅读", "网友评论", "支持！", "版权所有", "登录"):
        assert chrome not in text


def test_gbk_html_page_declaring_gb2312_is_read_right(tmp_path, tagger, clean_rows):
    pytest.importorskip("readability")
    from docmaker import make_html

    path = tmp_path / "report.htm"
    path.write_bytes(make_html(TITLE, BODY, encoding="gb2312").replace(b"gb2312", b"GB2312"))
    assert _comparable(_rows(path, tagger)) == _comparable(clean_rows)


def test_docx_yields_the_same_paragraphs(tmp_path, tagger, clean_rows):
    pytest.importorskip("docx")
    from docmaker import make_docx

    path = tmp_path / "report.docx"
    make_docx(path, TITLE, BODY)
    assert _comparable(_rows(path, tagger)) == _comparable(clean_rows)


def test_docx_table_cells_are_paragraphs_in_document_order(tmp_path):
    pytest.importorskip("docx")
    from docmaker import make_docx

    path = tmp_path / "table.docx"
    make_docx(path, TITLE, BODY[:3], table=[["问题", "整改措施"], ["县城污水管网破损", "完成管网修复12公里。"]],
              table_after=1)
    texts = [r.text for r in read_inputs([str(path)])]
    assert texts == [TITLE, BODY[0], BODY[1], "问题", "整改措施", "县城污水管网破损", "完成管网修复12公里。", BODY[2]]


def test_pdf_with_header_footer_and_broken_lines_yields_the_same_paragraphs(tmp_path, tagger, clean_rows):
    pytest.importorskip("pdfminer")
    pytest.importorskip("reportlab")
    from docmaker import make_pdf

    path = tmp_path / "report.pdf"
    pages = make_pdf(path, TITLE, BODY, header="某县生态环境分局工作报告", lines_per_page=12)
    assert pages >= 2
    rows = _rows(path, tagger)
    assert _comparable(rows) == _comparable(clean_rows)
    assert not any("工作报告" in r["text"] and r["text"] != TITLE for r in rows)
    assert not any("—" in r["text"] for r in rows)


def test_predict_walks_a_folder_with_one_row_per_paragraph_per_file(tmp_path):
    folder = tmp_path / "reports"
    (folder / "2024").mkdir(parents=True)
    (folder / "a.txt").write_text(CLEAN, encoding="utf-8")
    (folder / "2024" / "b.txt").write_bytes(CLEAN.encode("gbk"))
    (folder / "notes.xyz").write_text("x", encoding="utf-8")
    result = run_cli("predict", str(folder), "-f", "jsonl", "--no-progress")
    assert result.returncode == 0, result.stderr.decode()
    rows = read_jsonl(result.stdout.decode("utf-8"))
    files = [r["file"] for r in rows]
    # a folder's own files first, then its subfolders, each in name order
    assert files == [str(folder / "a.txt")] * (len(BODY) + 1) + [str(folder / "2024" / "b.txt")] * (len(BODY) + 1)
    assert [r["index"] for r in rows[: len(BODY) + 1]] == list(range(1, len(BODY) + 2))
    assert "W010" in result.stderr.decode() and ".xyz" in result.stderr.decode()


def test_predict_expands_a_glob_and_reports_one_that_matches_nothing(tmp_path):
    (tmp_path / "a.txt").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "b.txt").write_text(CLEAN, encoding="utf-8")
    result = run_cli("predict", str(tmp_path / "*.txt"), str(tmp_path / "*.pdf"), "-f", "csv", "--no-progress")
    err = result.stderr.decode()
    assert result.returncode == 1 and "E033" in err and "*.pdf" in err
    lines = result.stdout.decode("utf-8").splitlines()
    assert lines[0].split(",")[9:12] == ["file", "index", "heading"]
    assert len(lines) == 1 + 2 * (len(BODY) + 1)


@pytest.mark.parametrize("suffix, module", [(".html", "readability"), (".docx", "docx"), (".pdf", "pdfminer")])
def test_a_missing_docs_extra_is_one_line_naming_the_install_command(tmp_path, monkeypatch, suffix, module):
    from policytag import extras as _extras

    real = _extras.available
    monkeypatch.setattr(_extras, "available", lambda name: False if name == module else real(name))
    path = tmp_path / f"report{suffix}"
    path.write_bytes(b"%PDF-1.4" if suffix == ".pdf" else b"<html></html>")
    problems: list = []
    assert list(read_inputs([str(path)], on_problem=problems.append)) == []
    assert [p.code for p in problems] == ["E030"]
    assert 'pip install "policytag[docs]"' in str(problems[0]) and "\n" not in str(problems[0])
    assert str(problems[0]).startswith(f"E030 {path}:")


def test_tagging_a_text_file_imports_none_of_the_document_parsers(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "report.txt"
    path.write_text(CLEAN, encoding="utf-8")
    code = (
        "import sys; from policytag.workflow.predict import predict; "
        f"rows = list(predict([{str(path)!r}])); "
        "heavy = [m for m in ('readability', 'lxml', 'docx', 'pdfminer', 'chardet') if m in sys.modules]; "
        "print(len(rows), heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.stdout.strip() == f"{len(BODY) + 1} []", out.stderr


@pytest.mark.parametrize("suffix, module", [(".docx", "docx"), (".pdf", "pdfminer")])
def test_a_damaged_document_is_a_coded_problem_and_the_other_files_are_read(tmp_path, suffix, module):
    pytest.importorskip(module)
    bad = tmp_path / f"broken{suffix}"
    bad.write_bytes(b"PK\x03\x04 not really a zip" if suffix == ".docx" else b"%PDF-1.4\n garbage")
    good = tmp_path / "good.txt"
    good.write_text(CLEAN, encoding="utf-8")
    problems: list = []
    records = list(read_inputs([str(bad), str(good)], on_problem=problems.append))
    assert len(records) == len(BODY) + 1
    assert [p.code for p in problems] in (["E031"], ["E034"]) and str(bad) in str(problems[0])


def test_a_file_without_a_known_suffix_is_sniffed(tmp_path):
    pytest.importorskip("readability")
    from docmaker import make_html

    from policytag.io.readers import guess_format

    path = tmp_path / "download"
    path.write_bytes(make_html(TITLE, BODY))
    assert guess_format(str(path)) == "html"
    assert [r.text for r in read_inputs([str(path)])][:2] == [TITLE, BODY[0]]


def test_progress_bar_over_a_folder_leaves_the_output_intact(tmp_path):
    (tmp_path / "a.txt").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "b.txt").write_text(CLEAN, encoding="utf-8")
    result = run_cli("predict", str(tmp_path), "--progress", "-f", "jsonl")
    assert result.returncode == 0 and len(read_jsonl(result.stdout.decode())) == 2 * (len(BODY) + 1)
