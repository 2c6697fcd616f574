"""Property tests: normalisation and segmentation keep body text, are idempotent, never raise."""
import re
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from policytag import normalize
from policytag.io.readers import _paragraph_records
from policytag.text.headings import HeadingTracker, heading_level, heading_title
from policytag.io.layout import Line, drop_running_furniture, join_lines
from policytag.text.segment import is_furniture
from strategies import any_text, body_text, heading_line, laid_out_lines, report_lines

_INVISIBLE = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u2060\ufeff]")


def _chars(text: str) -> str:
    return re.sub(r"\s", "", text)


@given(body_text)
@settings(max_examples=300)
def test_normalize_never_loses_a_character_of_body_text(text):
    # NFKC and traditional → simplified change characters one for one; only spaces go
    assert len(_chars(normalize(text))) == len(_chars(_INVISIBLE.sub("", unicodedata.normalize("NFKC", text))))


def _records(lines):
    return list(_paragraph_records("doc", enumerate(lines, start=1)))


@given(report_lines)
@settings(max_examples=200)
def test_segmentation_keeps_every_character_of_every_body_line(lines):
    kept = "".join(r.text for r in _records(lines))
    body = "".join(line.strip() for line in lines if line.strip() and not is_furniture(line))
    assert _chars(kept) == _chars(body)


@given(report_lines)
@settings(max_examples=200)
def test_segmentation_is_idempotent(lines):
    once = _records(lines)
    twice = _records([r.text for r in once])
    assert [(r.text, r.index, r.heading) for r in twice] == [(r.text, r.index, r.heading) for r in once]


@given(st.lists(any_text, max_size=12))
def test_segmentation_never_raises_on_arbitrary_unicode(lines):
    for r in _records(lines):
        assert r.text and r.index >= 1


@given(report_lines)
def test_a_paragraphs_heading_is_the_title_of_an_earlier_heading(lines):
    titles = []
    for r in _records(lines):
        assert r.heading is None or r.heading in titles
        if heading_level(normalize(r.text)) is not None:
            titles.append(heading_title(r.text))


def test_nearest_heading_follows_section_levels():
    t = HeadingTracker()
    seen = [t.feed(x, normalize(x)) for x in
            ["一、总体要求", "正文。", "（一）治气", "1.锅炉", "正文。", "（二）治水", "正文。", "二、保障", "正文。"]]
    assert seen == [None, "一、总体要求", "一、总体要求", "（一）治气", "1.锅炉", "一、总体要求", "（二）治水",
                    None, "二、保障"]


def test_numbers_that_are_not_headings_open_no_section():
    for text in ["1.5万吨危险废物得到处置。", "2023年，全省PM2.5下降。", "第三条 本条例自公布之日起施行。", "（10%）"]:
        assert heading_level(normalize(text)) is None, text


def test_inline_heading_title_is_its_first_sentence():
    assert heading_title("（三）蓝天保卫战成果进一步巩固。清洁取暖面积扩大。") == "（三）蓝天保卫战成果进一步巩固"


@given(laid_out_lines())
@settings(max_examples=200)
def test_joining_lines_never_loses_a_character(lines):
    assert _chars("".join(join_lines(lines))) == _chars("".join(line.text for line in lines))


@given(st.lists(st.one_of(body_text, heading_line), max_size=15))
@settings(max_examples=200)
def test_joining_text_lines_is_idempotent(texts):
    """join_lines of its own paragraphs, each followed by the blank line that ends it,
    gives them back; without blank lines, when the input had none."""
    once = join_lines([Line(t) for t in texts])
    separated = [Line(x) for p in once for x in (p, "")]
    assert join_lines(separated) == once
    if all(t.strip() for t in texts):
        assert join_lines([Line(p) for p in once]) == once


@example(["0", " ", "0"])
@given(st.lists(st.one_of(body_text, heading_line, st.just(""), st.just(" ")), max_size=15))
@settings(max_examples=200)
def test_a_blank_line_ends_a_paragraph_and_rejoining_keeps_it_ended(texts):
    """A blank (or all-space) line ends the paragraph before it even without a final
    mark: ["0", " ", "0"] is two paragraphs. Fed back as bare lines they would run
    together ("00"), so idempotence holds with the blank lines that ended them."""
    once = join_lines([Line(t) for t in texts])
    assert all(p.strip() for p in once)
    pieces = [t.strip() for t in texts]
    if pieces == ["0", "", "0"]:
        assert once == ["0", "0"]
    assert join_lines([Line(x) for p in once for x in (p, " ")]) == once


@given(st.lists(laid_out_lines(), max_size=4))
def test_dropping_running_furniture_never_raises_and_only_removes_edge_lines(pages):
    out = drop_running_furniture(pages)
    for before, after in zip(pages, out):
        middle = before[2:-2]
        assert all(line in after for line in middle)


def test_lines_ending_without_sentence_punctuation_continue_into_the_next():
    lines = [Line("全年完成燃煤锅炉淘汰43台，细颗粒物"), Line("浓度同比下降6.1%。"), Line("二、下一步"), Line("继续推进")]
    assert join_lines(lines) == ["全年完成燃煤锅炉淘汰43台，细颗粒物浓度同比下降6.1%。", "二、下一步", "继续推进"]


def test_with_positions_a_line_short_of_the_margin_ends_its_paragraph_and_an_indent_starts_one():
    lines = [
        Line("某县生态环境保护工作报告", 1, 150, 400),  # a centred title without punctuation
        Line("全年完成燃煤锅炉淘汰43台，细颗", 1, 96, 523),  # indented first line
        Line("粒物浓度下降6.1%。全县优良天数比", 1, 72, 522),  # a sentence ends mid-line
        Line("例达到86%。", 1, 72, 200),
        Line("新建污水管网64公里，出水水质稳定达标。", 1, 96, 521),  # a sentence ends at the margin:
        Line("饮用水水源地水质达标率保持100%。", 1, 72, 300),  # the next line is not indented, so go on
    ]
    assert join_lines(lines) == [
        "某县生态环境保护工作报告",
        "全年完成燃煤锅炉淘汰43台，细颗粒物浓度下降6.1%。全县优良天数比例达到86%。",
        "新建污水管网64公里，出水水质稳定达标。饮用水水源地水质达标率保持100%。",
    ]


def test_running_headers_and_page_numbers_are_removed_before_joining():
    def page(n, body):
        return [Line("某市生态环境局文件"), *[Line(b, n) for b in body], Line(f"— {n} —", n)]

    pages = [page(1, ["一、总体情况", "全年完成燃煤锅炉淘汰"]), page(2, ["43台。", "二、下一步"])]
    lines = [ln for p in drop_running_furniture(pages) for ln in p]
    assert join_lines(lines) == ["一、总体情况", "全年完成燃煤锅炉淘汰43台。", "二、下一步"]


@given(any_text)
@settings(max_examples=100, deadline=None)
def test_html_extraction_never_raises_on_arbitrary_unicode(text):
    import html

    import pytest

    pytest.importorskip("readability")
    from policytag.io.html import html_paragraphs

    for page in (text, f"<html><body><h1>{html.escape(text)}</h1><p>{html.escape(text)}</p></body></html>"):
        for paragraph in html_paragraphs(page):
            assert paragraph == paragraph.strip() and paragraph
