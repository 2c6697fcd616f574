import codecs

import pytest

from policytag.io.readers import read_records
from policytag.io.encoding import check_encoding, decode_all, detect
from policytag.errors import PolicytagError

TEXT = "一、强化大气污染联防联控\n全年完成燃煤锅炉淘汰43台，细颗粒物浓度同比下降6.1%。\n"
TRAD = "一、強化大氣污染聯防聯控\n全年完成燃煤鍋爐淘汰43台，細顆粒物濃度同比下降6.1%。\n"


def _texts(path, **kw):
    problems = []
    texts = [r.text for r in read_records(str(path), on_problem=problems.append, **kw)]
    return texts, problems


@pytest.mark.parametrize(
    "codec, expected",
    [("utf-8", "utf-8"), ("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-16-le", "utf-16-le"),
     ("utf-16-be", "utf-16-be")],
)
def test_detect_names_the_encoding_of_chinese_text_without_a_bom(codec, expected):
    assert detect(TEXT.encode(codec)).codec == expected


def test_detect_reads_big5_as_cp950_and_hkscs_only_when_needed():
    assert detect(TRAD.encode("big5")).codec == "cp950"
    hk = "香港特區推行污水處理改善計劃，重點監察屋邨及囻"  # 囻 is in HKSCS, not in cp950
    data = hk.encode("big5hkscs")
    with pytest.raises(UnicodeDecodeError):
        data.decode("cp950")
    assert detect(data).codec == "big5hkscs"


def test_byte_order_marks_decide_before_anything_else():
    assert detect(codecs.BOM_UTF8 + TEXT.encode("utf-8")).bom == 3
    assert detect(TEXT.encode("utf-16")).codec.startswith("utf-16")
    assert detect(TEXT.encode("utf-32")).codec.startswith("utf-32")


def test_gbk_file_is_detected_and_read_like_utf8(tmp_path):
    p = tmp_path / "gbk.txt"
    p.write_bytes(TEXT.encode("gbk"))
    texts, problems = _texts(p)
    assert texts == TEXT.splitlines() and problems == []


def test_utf16_file_lines_split_on_code_units_not_bytes(tmp_path):
    p = tmp_path / "u16.txt"
    text = "\u0a0d第一段\r\n第二段含\u0a00字\r\n"  # U+0A0D, U+0A00: a 0x0A byte that is no line end
    p.write_bytes(text.encode("utf-16"))
    texts, problems = _texts(p)
    assert texts == ["\u0a0d第一段", "第二段含\u0a00字"] and problems == []


def test_undecodable_gbk_bytes_are_reported_with_offset_and_detected_encoding(tmp_path):
    p = tmp_path / "bad.txt"
    good = ("第一段，" * 40 + "\n").encode("gbk")
    p.write_bytes(good + b"\xff\xff\xff\n" + ("第三段" * 30 + "\n").encode("gbk"))
    texts, problems = _texts(p)
    assert len(texts) == 2
    assert [(x.code, x.line) for x in problems] == [("E003", 2)]
    assert f"byte offset {len(good)}" in problems[0].message and "gb18030 (detected)" in problems[0].message


def test_undecodable_utf16_is_reported_with_its_offset(tmp_path):
    p = tmp_path / "bad16.txt"
    data = "第一段\n".encode("utf-16-le") + b"\x00\xd8\x41\x00\n\x00" + "第三段\n".encode("utf-16-le")
    p.write_bytes(codecs.BOM_UTF16_LE + data)
    texts, problems = _texts(p, encoding="utf-16")
    assert texts == ["第一段", "第三段"]
    assert problems[0].code == "E003" and "byte offset 10" in problems[0].message


def test_encoding_can_be_given_and_overrides_detection(tmp_path):
    p = tmp_path / "big5.txt"
    p.write_bytes(TRAD.encode("big5"))
    texts, _ = _texts(p, encoding="big5")
    assert texts == TRAD.splitlines()
    texts, _ = _texts(p, encoding="latin-1")  # wrong, but what was asked for: no guessing
    assert texts != TRAD.splitlines()


def test_unknown_encoding_name_is_one_coded_error(tmp_path):
    with pytest.raises(PolicytagError) as err:
        check_encoding("gbk-ish")
    assert err.value.code == "E032"
    assert check_encoding("AUTO") == "auto" and check_encoding("GB18030") == "GB18030"


def test_decode_all_replaces_and_locates_every_bad_run():
    text, enc, bad = decode_all("中文".encode() + b"\xff" + "好".encode() + b"\xfe\xfe", "utf-8")
    assert text == "中文\ufffd好\ufffd\ufffd" and bad == [6, 10, 11]


def test_cli_reports_undecodable_bytes_as_one_line_not_a_traceback(tmp_path):
    from conftest import run_cli

    p = tmp_path / "bad.txt"
    p.write_bytes("第一段大气污染防治\n".encode() + b"\xff\xfe\xfa\n")
    result = run_cli("predict", str(p), "--no-progress")
    err = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in err
    assert f"E003 {p}:2: undecodable bytes at byte offset " in err
