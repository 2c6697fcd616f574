from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policytag import Tagger
from policytag.errors import PolicytagError


@pytest.fixture(scope="module")
def shipped():
    return Tagger.load()


@pytest.fixture(scope="module")
def traditional():
    import opencc

    return opencc.OpenCC("s2t").convert


CLEAR = {
    "深入打好蓝天保卫战，全年PM2.5平均浓度下降到32微克/立方米，优良天数比例达到85%。": {"air"},
    "全面消除城市黑臭水体，国考断面水质优良比例达到94.5%。": {"water"},
    "受污染耕地安全利用率达到93%，危险废物利用处置能力明显提升。": {"soil"},
    "大力发展光伏和风电，可再生能源装机占比提高到52%，稳妥推进碳达峰碳中和。": {"carbon"},
    "对整改不力的3个县区党政主要负责人进行约谈，问责处理干部17人。": {"accountability"},
}


def test_shipped_model_tags_clear_single_topic_paragraphs(shipped):
    for text, expected in CLEAR.items():
        assert set(shipped.tag(text)) >= expected, text


def test_shipped_model_leaves_unrelated_paragraphs_untagged(shipped):
    assert shipped.tag("全年新增城镇就业68万人，居民人均可支配收入增长5.6%。") == []
    assert shipped.tag("") == []


def test_predict_proba_has_one_column_per_label_in_order(shipped):
    P = shipped.predict_proba(list(CLEAR))
    assert P.shape == (len(CLEAR), 6) and shipped.labels[0] == "air"
    assert ((P >= 0) & (P <= 1)).all()


def test_tag_many_matches_tag_across_batches(shipped):
    texts = list(CLEAR) * 3
    assert shipped.tag_many(texts, batch_size=4) == [shipped.tag(t) for t in texts]


def test_threshold_override_changes_decisions_and_is_validated(shipped):
    text = next(iter(CLEAR))
    assert shipped.tag(text, threshold=0.0) == shipped.labels
    assert shipped.tag(text, threshold=1.0) == [] or max(shipped.predict_proba([text])[0]) >= 1.0
    with pytest.raises(PolicytagError) as err:
        shipped.tag(text, threshold=1.5)
    assert err.value.code == "E014"


def test_tag_document_drops_furniture_and_reports_lines(shipped):
    rows = shipped.tag_document("来源：某省生态环境厅\n\n全面消除城市黑臭水体，国考断面水质优良比例达到94.5%。\n责任编辑：李四")
    assert [r["line"] for r in rows] == [3]
    assert "water" in rows[0]["labels"] and set(rows[0]["scores"]) == set(shipped.labels)


def test_tagger_survives_a_pickle_round_trip(shipped):
    import pickle

    texts = list(CLEAR)
    clone = pickle.loads(pickle.dumps(shipped))
    np.testing.assert_array_equal(clone.predict_proba(texts), shipped.predict_proba(texts))


def test_prediction_is_thread_safe(shipped):
    texts = list(CLEAR) * 20
    expected = shipped.predict_proba(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: shipped.predict_proba(texts), range(8)))
    for got in results:
        np.testing.assert_allclose(got, expected)


def test_traditional_script_gets_the_same_tags_as_simplified(shipped, traditional):
    for text in CLEAR:
        assert shipped.tag(traditional(text)) == shipped.tag(text)


@given(st.sampled_from(sorted(CLEAR)), st.sampled_from(["", " ", "\u3000"]), st.booleans())
@settings(max_examples=30, deadline=None)
def test_full_width_forms_and_padding_do_not_change_tags(shipped, text, pad, full_width):
    variant = text
    if full_width:
        variant = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    assert shipped.tag(pad + variant + pad) == shipped.tag(text)


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["auto", "numpy"])  # kernel threads / NumPy worker processes
def test_workers_give_the_same_rows_in_the_same_order(shipped, kernel, monkeypatch):
    from policytag.io.records import Record

    monkeypatch.setenv("POLICYTAG_KERNEL", kernel)

    texts = list(CLEAR) * 40
    recs = [Record(id=str(i), text=t) for i, t in enumerate(texts)]
    one = list(shipped.tag_records(recs, batch_size=16))
    two = list(shipped.tag_records(recs, batch_size=16, jobs=2))
    assert one == two


@pytest.mark.parametrize("jobs,kernel", [(1, "auto"), (1, "numba"), (2, "auto"), (2, "numpy")])
@pytest.mark.parametrize("min_precision", [None, 0.9])
def test_jsonl_chunks_are_the_rows_of_tag_records_serialised(jobs, kernel, min_precision, monkeypatch):
    import json

    monkeypatch.setenv("POLICYTAG_KERNEL", kernel)

    from policytag import Tagger
    from policytag.io.records import Record

    tagger = Tagger.load()
    carried = [  # the input's own fields; a record's location only (written by a short cut); odd types
        lambda i: {"file": "x.jsonl", "index": i + 1, "heading": None, "uncertain": "theirs", "k": [i]},
        lambda i: {"file": "a\"b.jsonl" if i % 2 else "x.jsonl", "index": i + 1, "heading": "一、总体要求" if i % 3 else None},
        lambda i: {"file": ["x"], "index": True, "heading": 5},
    ]
    records = [
        Record(f"p{i}" if i % 4 else i, text, carried[i % 3](i))  # an API caller's id may be a number
        for i, text in enumerate(["深入打好蓝天保卫战。", "", "全面推行河湖长制；严格落实党政同责。", "新建学校6所。"] * 3)
    ]
    expected = "".join(
        json.dumps(row, ensure_ascii=False) + "\n"
        for row in tagger.tag_records(records, batch_size=5, min_precision=min_precision)
    )
    chunks = list(tagger.jsonl_chunks(records, batch_size=5, min_precision=min_precision, jobs=jobs))
    assert "".join(text for _, text in chunks) == expected
    assert sum(n for n, _ in chunks) == len(records)


@pytest.mark.parametrize("jobs,kernel", [(1, "auto"), (2, "auto"), (2, "numpy")])
@pytest.mark.parametrize("min_precision", [None, 0.9])
def test_jsonl_chunks_of_columns_are_those_of_the_records_they_stand_for(tmp_path, jobs, kernel, min_precision,
                                                                         monkeypatch):
    import json

    from policytag.io import readers as _documents
    from policytag.workflow.predict import located_records

    monkeypatch.setenv("POLICYTAG_KERNEL", kernel)
    monkeypatch.setattr(_documents, "_BLOCK_BYTES", 300)  # many blocks, so runs of columns meet batch edges
    texts = ["深入打好蓝天保卫战。", "全面推行河湖长制；严格落实党政同责。", "新建学校6所，“双减”落实。", "碳排放\\下降"]
    lines = [json.dumps({"id": f"p{i}", "text": texts[i % 4]}, ensure_ascii=i % 3 == 0) for i in range(40)]
    lines[7] = '{"id": "p7", "text": "约谈3人。", "page": 2}'
    lines[20] = ""
    lines[21] = "{broken"
    files = []
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(str(tmp_path / name))
    tagger = Tagger.load()

    def chunks(columns: bool) -> list:
        read = located_records(files, "jsonl", on_problem=lambda pr: None, columns=columns)
        return list(tagger.jsonl_chunks(read, batch_size=8, min_precision=min_precision, jobs=jobs))

    got, expected = chunks(True), chunks(False)
    assert "".join(t for _, t in got) == "".join(t for _, t in expected)
    assert sum(n for n, _ in got) == sum(n for n, _ in expected) == 2 * 39 - 2


def _columns_or_records(draw_sizes):
    from policytag.io.records import JsonlColumns, Record

    items, index, line = [], 1, 1
    for k, (size, follows) in enumerate(draw_sizes):
        if not follows:
            line += 2  # a gap: a blank line, or a line read on its own
        if size == 0:
            items.append(Record(f"r{k}", f"text {k}", {}, "f", line, index).with_location())
            index += 1
            line += 1
        else:
            items.append(JsonlColumns("f", index, line, [f"c{k}.{j}" for j in range(size)], [f"t{k}.{j}" for j in range(size)]))
            index += size
            line += size
    return items


@given(sizes=st.lists(st.tuples(st.integers(0, 9), st.booleans()), max_size=30), size=st.integers(1, 7))
def test_column_batches_keep_the_rows_in_order_in_batches_of_one_kind(sizes, size):
    from policytag.io.records import JsonlColumns
    from policytag.tagger.batching import _column_batches, _expanded

    items = _columns_or_records(sizes)
    batches = list(_column_batches(items, size))
    assert all(0 < len(b) <= size for b in batches)
    assert all(isinstance(b, (JsonlColumns, list)) for b in batches)
    assert all(not isinstance(r, JsonlColumns) for b in batches if isinstance(b, list) for r in b)
    flat = list(_expanded(x for b in batches for x in (b if isinstance(b, list) else [b])))
    assert flat == list(_expanded(items))


@given(P=st.lists(st.lists(st.one_of(st.floats(0, 1), st.sampled_from([0.5, 0.00005, 0.99995, 0.12345, 1e-300])),
                           min_size=6, max_size=6), min_size=1, max_size=20))
def test_scores_are_written_as_json_writes_them_rounded_to_four_places(P):
    import json

    from policytag.tagger.jsonl import _rounded

    expected = [tuple(json.dumps(round(p, 4)) for p in row) for row in P]
    assert _rounded(np.array(P)) == expected


_JSON_TEXT = st.text(alphabet=st.one_of(st.sampled_from('"\\/\x00\x01\x08\t\n\x0c\r\x1f\x7f\u2028\u00e9大气𠀀 %s'),
                                        st.characters(blacklist_categories=("Cs",))), max_size=12)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(_JSON_TEXT, _JSON_TEXT, st.one_of(st.none(), _JSON_TEXT),
                               st.sampled_from(["x.jsonl", "a\"b\\c.txt", "目录/文件.txt"]),
                               st.integers(0, 10**12)), min_size=1, max_size=8),
       probs=st.lists(st.sampled_from([0.0, 1.0, 0.5, 0.12345, 0.99995, 0.00005, 0.3, 0.87654321, 0.49999]),
                      min_size=48, max_size=48))
def test_the_kernels_jsonl_writer_writes_what_the_python_writer_writes(rows, probs):
    from policytag import Tagger
    from policytag.model.kernel_backend import _load_kernel
    from policytag.tagger.jsonl import _jsonl, _jsonl_compiled

    kernel = _load_kernel()
    if kernel is None:
        pytest.skip("numba is not installed")
    tagger = Tagger.load()
    items = [(rid, text, {"file": f, "index": i, "heading": h}) for rid, text, h, f, i in rows]
    P = np.array(probs[: 6 * len(items)], dtype=float).reshape(len(items), 6)
    default = tagger._thresholds(None)
    got = _jsonl_compiled(kernel, tagger.labels, items, P, default)
    got = got.decode("utf-8") if got is not None else None
    expected = _jsonl(tagger.labels, items, P, default, None)
    assert got is None or got == expected
    near_half = np.abs(P * 1e4 - np.floor(P * 1e4) - 0.5) <= 1e-6
    if not near_half.any():
        assert got == expected  # only a score at a rounding half leaves the batch to Python


def test_the_kernels_jsonl_writer_leaves_other_batches_to_python():
    from policytag import Tagger
    from policytag.model.kernel_backend import _load_kernel
    from policytag.tagger.jsonl import _jsonl_compiled

    kernel = _load_kernel()
    if kernel is None:
        pytest.skip("numba is not installed")
    tagger = Tagger.load()
    P = np.full((1, 6), 0.25)
    default = tagger._thresholds(None)
    loc = {"file": "x", "index": 1, "heading": None}
    assert _jsonl_compiled(kernel, tagger.labels, [("a", "水", loc)], P, default) is not None
    for odd in [(1, "水", loc), ("a", "水", {**loc, "k": 1}), ("a", "\ud800", loc), ("a", "水", {**loc, "index": True}),
                ("a", "水", {**loc, "heading": 3}), ("a", "水", {"index": 1, "file": "x", "heading": None})]:
        assert _jsonl_compiled(kernel, tagger.labels, [odd], P, default) is None
