import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from policytag.io.readers import guess_format, read_records
from policytag.errors import PolicytagError
from strategies import hostile_bytes, jsonl_lines


def _collect(path, fmt=None, encoding="utf-8"):
    problems = []
    records = list(read_records(str(path), fmt, encoding=encoding, on_problem=problems.append))
    return records, problems


def test_txt_gives_one_record_per_paragraph_with_file_and_line_ids(tmp_path):
    p = tmp_path / "r.txt"
    p.write_text("标题\n\n第一段。\n责任编辑：张三\n第二段。\n", encoding="utf-8")
    records, problems = _collect(p)
    assert [r.text for r in records] == ["标题", "第一段。", "第二段。"]
    assert [r.id for r in records] == [f"{p}:1", f"{p}:3", f"{p}:5"]
    assert problems == []


def test_txt_drops_a_utf8_byte_order_mark(tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes("\ufeff大气污染防治".encode("utf-8"))
    records, _ = _collect(p)
    assert records[0].text == "大气污染防治"


def test_undecodable_bytes_are_reported_with_line_and_offset_and_the_rest_is_read(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes("第一段\n".encode() + b"\xff\xfe\xfa\n" + "第三段\n".encode())
    records, problems = _collect(p)
    assert [r.text for r in records] == ["第一段", "第三段"]
    assert len(problems) == 1
    assert problems[0].code == "E003" and problems[0].line == 2
    assert "byte offset 10" in problems[0].message


def test_other_encodings_can_be_named(tmp_path):
    p = tmp_path / "gbk.txt"
    p.write_bytes("加强饮用水水源地保护".encode("gbk"))
    records, problems = _collect(p, encoding="gbk")
    assert records[0].text == "加强饮用水水源地保护" and not problems


def test_jsonl_carries_other_fields_and_reports_bad_lines(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text(
        '{"id": "a", "text": "约谈", "province": "河北", "n": 3}\n'
        '{"id": "b"}\n'
        "not json\n"
        "\n"
        '{"text": "无编号"}\n'
        '{"id": "c", "text": 5}\n',
        encoding="utf-8",
    )
    records, problems = _collect(p)
    assert [(r.id, r.text) for r in records] == [("a", "约谈"), (f"{p}:5", "无编号")]
    assert records[0].extra == {"province": "河北", "n": 3}
    assert [(x.code, x.line) for x in problems] == [("E005", 2), ("E004", 3), ("E005", 6)]


def test_csv_needs_a_text_column_and_carries_the_others(tmp_path):
    p = tmp_path / "in.csv"
    p.write_text('id,text,doc\n1,"碳达峰,碳中和",x\n2,,y\n', encoding="utf-8")
    records, problems = _collect(p)
    assert [(r.id, r.text, r.extra) for r in records] == [("1", "碳达峰,碳中和", {"doc": "x"})]
    assert [x.code for x in problems] == ["E005"]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,body\n1,x\n", encoding="utf-8")
    with pytest.raises(PolicytagError) as err:
        list(read_records(str(bad)))
    assert err.value.code == "E013"


def test_missing_file_and_empty_file_are_errors(tmp_path):
    with pytest.raises(PolicytagError) as err:
        list(read_records(str(tmp_path / "nope.txt")))
    assert err.value.code == "E001"
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(PolicytagError) as err:
        list(read_records(str(empty)))
    assert err.value.code == "E002" and str(empty) in str(err.value)


def test_unknown_input_format_is_refused(tmp_path):
    with pytest.raises(PolicytagError) as err:
        list(read_records(str(tmp_path / "x.txt"), "xlsx"))
    assert err.value.code == "E011"


def test_format_is_guessed_from_the_suffix():
    assert guess_format("a.JSONL") == "jsonl" and guess_format("b.csv") == "csv" and guess_format("c.md") == "txt"


def _line_by_line(data: bytes, codec: str, bom: int = 0):
    """The reference: each raw line decoded on its own, errors as (line, offset)."""
    lines, errors, offset = [], [], 0
    for number, raw in enumerate(_raw_lines(data), start=1):
        skip = bom if number == 1 else 0
        try:
            lines.append((number, raw[skip:].decode(codec).rstrip("\r\n")))
        except UnicodeDecodeError as exc:
            errors.append((number, offset + skip + exc.start))
        offset += len(raw)
    return lines, errors


def _raw_lines(data: bytes):
    parts = data.split(b"\n")
    out = [p + b"\n" for p in parts[:-1]]
    return out + ([parts[-1]] if parts[-1] else [])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=hostile_bytes, codec=st.sampled_from(["utf-8", "gb18030", "big5"]), block=st.sampled_from([1, 7, 64, 1 << 16]))
def test_block_decoding_gives_the_lines_and_errors_of_line_by_line_decoding(tmp_path, monkeypatch, data, codec, block):
    from policytag.io import readers as _documents

    monkeypatch.setattr(_documents, "_BLOCK_BYTES", block)
    p = tmp_path / "lines.txt"
    p.write_bytes(data)
    problems = []
    got = list(_documents.iter_lines(str(p), encoding=codec, on_problem=problems.append))
    bom = 3 if codec == "utf-8" and data.startswith(b"\xef\xbb\xbf") else 0
    lines, errors = _line_by_line(data, codec, bom)
    assert got == lines
    assert [pr.line for pr in problems] == [line for line, _ in errors]
    assert all(f"byte offset {offset}" in pr.message for (_, offset), pr in zip(errors, problems))


def test_lines_from_a_pipe_are_decoded_one_by_one_with_the_same_result(tmp_path):
    import subprocess
    import sys

    data = "第一段\r\n".encode() + b"\xff\n" + "第三段".encode()
    p = tmp_path / "x.txt"
    p.write_bytes(data)
    code = ("import sys; from policytag.io.readers import iter_lines; "
            "print([t for t in iter_lines('-', on_problem=lambda pr: print(pr.code, pr.line))])")
    out = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, check=True).stdout.decode()
    assert out.splitlines() == ["E003 2", "[(1, '第一段'), (3, '第三段')]"]


def _flat(items):
    from policytag.io.records import JsonlColumns

    return [r for item in items for r in (item.records() if isinstance(item, JsonlColumns) else [item])]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=jsonl_lines, bom=st.booleans(), crlf=st.booleans(), block=st.sampled_from([1, 40, 300, 1 << 16]))
@example(lines=['{"id": "a", "text": "\\ud800x"}', '{"id": "b", "text": "\\u0041\\n"}'], bom=False, crlf=False, block=1)
@example(lines=['{"id": "", "text": "x"}', '{"id": "c", "text": "\\u3000"}', '{"id": "d", "text": ""}'], bom=True,
         crlf=True, block=1 << 16)
def test_jsonl_read_as_columns_gives_the_records_and_problems_of_line_by_line(tmp_path, monkeypatch, lines, bom, crlf,
                                                                              block):
    from policytag.io import readers as _documents
    from policytag.io.readers import read_jsonl

    monkeypatch.setattr(_documents, "_BLOCK_BYTES", block)
    p = tmp_path / "r.jsonl"
    p.write_bytes(("\ufeff" if bom else "").encode() + ("\r\n" if crlf else "\n").join(lines).encode("utf-8", "surrogatepass"))
    expected, got = [], []
    want = list(read_jsonl(str(p), encoding="utf-8", on_problem=expected.append))
    have = list(read_jsonl(str(p), encoding="utf-8", on_problem=got.append, columns=True))
    assert _flat(have) == want
    assert [(pr.code, pr.line, pr.message) for pr in got] == [(pr.code, pr.line, pr.message) for pr in expected]


def test_plain_json_lines_come_as_columns_across_blocks_and_others_as_records(tmp_path, monkeypatch):
    import json

    from policytag.io import readers as _documents
    from policytag.io.readers import read_jsonl
    from policytag.io.records import JsonlColumns

    monkeypatch.setattr(_documents, "_BLOCK_BYTES", 200)
    rows = [json.dumps({"id": f"p{i}", "text": f"第{i}段：“大气”\\治理"}, ensure_ascii=i % 2 == 0) for i in range(60)]
    rows[30] = '{"id": "p30", "text": "第30段", "page": 2}'
    p = tmp_path / "r.jsonl"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    items = list(read_jsonl(str(p), columns=True))
    assert sum(len(x) for x in items if isinstance(x, JsonlColumns)) >= 50
    assert any(not isinstance(x, JsonlColumns) and x.extra == {"page": 2} for x in items)
    flat = _flat(items)
    assert [r.index for r in flat] == list(range(1, 61)) and [r.line for r in flat] == list(range(1, 61))
    assert flat[3].text == "第3段：“大气”\\治理"
