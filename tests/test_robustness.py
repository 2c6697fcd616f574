"""Bad input never crashes: arbitrary bytes, NUL, huge lines, mixed encodings, lone
surrogates, JSON of the wrong shape. Each bad line is one coded message; the rest is read."""
from __future__ import annotations

import json
import warnings

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import read_jsonl, run_cli
from policytag.io.readers import MAX_PARAGRAPH_CHARS, read_records
from policytag.errors import ERRORS, WARNINGS, PolicytagError
from strategies import hostile_bytes, hostile_text

LABELS = {"air", "water", "soil", "carbon", "accountability", "institutional"}
CODE_OF = {"txt": "E054", "jsonl": "E054", "csv": "E017"}  # csv: over the csv module's field limit


def _read(path, fmt):
    problems = []
    try:
        records = list(read_records(str(path), fmt, on_problem=problems.append))
    except PolicytagError as err:  # only whole-file errors may be raised, even with a handler
        assert err.line is None and err.code in ("E013", "E017"), err
        records = []
    return records, problems


@pytest.mark.parametrize("fmt", ["txt", "jsonl", "csv"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=hostile_bytes)
def test_readers_survive_any_bytes_and_report_only_known_codes(tmp_path, fmt, data):
    path = tmp_path / f"in.{fmt}"
    path.write_bytes(data)
    records, problems = _read(path, fmt)
    for p in problems:
        assert p.code in ERRORS or p.code in WARNINGS
        assert p.line is None or p.line >= 1
    for rec in records:
        assert isinstance(rec.text, str) and rec.text.strip()
        assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in rec.text)  # always encodable
        rec.text.encode("utf-8")
        json.dumps(rec.extra, ensure_ascii=False).encode("utf-8")


@settings(max_examples=40, deadline=None)
@given(text=hostile_text)
def test_tagger_tags_any_text_without_raising(shipped_tagger, text):
    labels = shipped_tagger.tag(text)
    assert set(labels) <= LABELS
    rows = shipped_tagger.tag_document(text)
    assert all(set(r["labels"]) <= LABELS for r in rows)


def test_a_ten_megabyte_line_is_skipped_with_a_message_and_the_rest_is_read(tmp_path):
    for fmt in ("txt", "jsonl", "csv"):
        huge = "大气" * (5 * 1024 * 1024 // 2)  # 5 M characters, 15 MB of UTF-8
        path = tmp_path / f"huge.{fmt}"
        if fmt == "txt":
            body = "第一段，推进光伏发电。\n" + huge + "\n第三段，治理黑臭水体。\n"
        elif fmt == "jsonl":
            body = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n"
                           for t in ["第一段，推进光伏发电。", huge, "第三段，治理黑臭水体。"])
        else:
            body = "text\n第一段，推进光伏发电。\n" + huge + "\n第三段，治理黑臭水体。\n"
        path.write_text(body, encoding="utf-8")
        records, problems = _read(path, fmt)
        assert [r.text for r in records] == ["第一段，推进光伏发电。", "第三段，治理黑臭水体。"], fmt
        assert [p.code for p in problems] == [CODE_OF[fmt]], (fmt, problems)
        assert problems[0].line == (3 if fmt == "csv" else 2)


def test_a_paragraph_at_the_limit_is_still_read(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("水" * MAX_PARAGRAPH_CHARS + "\n", encoding="utf-8")
    records, problems = _read(path, "txt")
    assert len(records) == 1 and problems == []


def test_nul_characters_are_text_not_an_error(tmp_path):
    path = tmp_path / "nul.txt"
    path.write_bytes("全面推行河湖长制\x00国考断面\n".encode())
    records, problems = _read(path, "txt")
    assert len(records) == 1 and problems == []
    csv_path = tmp_path / "nul.csv"
    csv_path.write_bytes("id,text\n1,全面推行\x00河湖长制\n2,推进光伏发电\n".encode())
    records, problems = _read(csv_path, "csv")
    assert [r.id for r in records] in (["1", "2"], ["2"])  # Python < 3.11's csv refuses NUL (E017)
    assert all(p.code == "E017" and p.line == 2 for p in problems)


def test_mixed_encodings_in_one_file_cost_only_the_lines_that_do_not_decode(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes("大气污染防治\n".encode() + "水污染防治\n".encode("gbk") + "土壤污染防治\n".encode())
    records, problems = _read(path, "txt")
    assert [r.text for r in records] == ["大气污染防治", "土壤污染防治"]
    assert [(p.code, p.line) for p in problems] == [("E003", 2)]


def test_lone_surrogates_from_json_escapes_become_u_fffd_with_a_warning(tmp_path):
    path = tmp_path / "sur.jsonl"
    path.write_text('{"id": "a", "text": "\\ud800大气", "meta": {"\\udc80": "\\udfff"}}\n'
                    '{"id": "b", "text": "\\ud83d\\ude00 emoji pairs are fine"}\n', encoding="utf-8")
    records, problems = _read(path, "jsonl")
    assert records[0].text == "\ufffd大气" and records[0].extra == {"meta": {"\ufffd": "\ufffd"}}
    assert records[1].text.startswith("\U0001F600")
    assert [(p.code, p.line) for p in problems] == [("W020", 1)]
    with warnings.catch_warnings(record=True) as caught:  # no handler: a warning, not an error
        warnings.simplefilter("always")
        assert len(list(read_records(str(path)))) == 2
    assert any("W020" in str(w.message) for w in caught)


def test_jsonl_of_the_wrong_shape_is_reported_line_by_line(tmp_path):
    path = tmp_path / "shapes.jsonl"
    lines = ['[1, 2]', '"text"', '{"text": 5}', '{"text": ["a"]}', '{"text": "  "}', "[" * 100_000,
             '{"text": "治理黑臭水体", "id": {"nested": true}}', "{bad json", '{"text": null}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records, problems = _read(path, "jsonl")
    assert [r.text for r in records] == ["治理黑臭水体"]
    assert [(p.code, p.line) for p in problems] == [
        ("E004", 1), ("E004", 2), ("E005", 3), ("E005", 4), ("E005", 5), ("E004", 6), ("E004", 8), ("E005", 9)]


def test_cli_reports_every_bad_line_and_still_tags_the_rest_with_exit_0(tmp_path):
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(
        b'{"id": "ok1", "text": "\xe6\xb7\xb1\xe5\x85\xa5\xe6\x89\x93\xe5\xa5\xbd\xe8\x93\x9d\xe5\xa4\xa9\xe4\xbf\x9d\xe5\x8d\xab\xe6\x88\x98"}\n'
        b"\xff\xfe garbage\n"
        b'{"id": "nul", "text": "a\\u0000b"}\n'
        b'{"id": "sur", "text": "\\ud800\xe6\xb0\xb4"}\n'
        + b"[" * 50_000 + b"\n"
        + b'{"id": "big", "text": "' + b"x" * (MAX_PARAGRAPH_CHARS + 1) + b'"}\n'
        b'{"id": 5, "text": 5}\n'
    )
    out = run_cli("predict", str(path), "-f", "jsonl")
    err = out.stderr.decode()
    assert out.returncode == 0, err
    assert "Traceback" not in err and "E099" not in err
    for code, line in [("E003", 2), ("W020", 4), ("E004", 5), ("E054", 6), ("E005", 7)]:
        assert f"{code} {path}:{line}:" in err, (code, err)
    rows = read_jsonl(out.stdout.decode("utf-8"))
    assert [r["id"] for r in rows] == ["ok1", "nul", "sur"]
    assert rows[2]["text"] == "\ufffd水"


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=hostile_bytes, fmt=st.sampled_from(["txt", "jsonl", "csv"]))
@example(data=b"\x0b", fmt="csv")  # a control character in the message must not break the line
def test_cli_never_crashes_on_any_bytes(tmp_path, data, fmt):
    path = tmp_path / f"in.{fmt}"
    path.write_bytes(data)
    out = run_cli("predict", str(path), "-f", "jsonl")
    err = out.stderr.decode("utf-8")
    assert out.returncode in (0, 1), err
    assert "Traceback" not in err and "E099" not in err
    for line in err.splitlines():
        assert line[:4] in ERRORS or line[:4] in WARNINGS or "problem(s) reported" in line, line
    read_jsonl(out.stdout.decode("utf-8"))  # whatever was written is valid JSON Lines


def test_no_furniture_pattern_starts_with_a_wildcard():
    # re.search already looks everywhere; a leading ".*" only makes long lines quadratic
    # (a 100,000-character line took 95 s with one such pattern).
    from policytag.resources import furniture_patterns

    assert [p.pattern for p in furniture_patterns() if p.pattern.startswith((".*", "^.*"))] == []
