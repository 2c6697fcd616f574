"""Shared hypothesis strategies for policytag's tests."""
from __future__ import annotations

from hypothesis import strategies as st

# Common simplified and traditional characters of the domain, plus punctuation and digits.
SIMPLIFIED = "大气水土壤碳排放污染防治治理整改督察问责约谈机制制度规划标准监测河湖长国考断面优良天数臭氧颗粒物固体废物危险净蓝天碧保卫战推进建立健全责任考核"
TRADITIONAL = "氣漢語環境保護衛戰淨壤廢棄物險監測規劃標準機製問責約談督察整改護衛"
PUNCT = "，。、；：！？（）()《》“”  \u3000\t"
DIGITS = "0123456789０１２３４５６７８９%％.．"
LATIN = "PMVOCsABCxyz ＰＭＡ"
# compatibility forms NFKC expands: Roman numerals, circled and parenthesised numbers, units, radicals
COMPAT = "ⅠⅡⅢⅣⅤⅰⅳ①②⑩⑴⑵㈠㈡℃㎡㎏⼀⼁ﬁ¹"
GLOSSES = ["(shè)", "(biāo)", "(wū)", "(rǎn)", "(she4)", "（jiàn）"]

chunk = st.one_of(
    st.text(alphabet=SIMPLIFIED + TRADITIONAL, min_size=1, max_size=12),
    st.text(alphabet=PUNCT + DIGITS + LATIN + COMPAT, min_size=1, max_size=4),
    st.sampled_from(GLOSSES),
)

#: Messy paragraph-like text: mixed scripts, full-width forms, pinyin glosses, odd spaces.
messy_text = st.lists(chunk, min_size=0, max_size=12).map("".join)

#: Any unicode at all, including control characters and surrogates' neighbours.
any_text = st.text(max_size=80)

#: Lines of a document, some blank, some furniture.
FURNITURE = ["责任编辑：李明", "评论", "登录 | 注册", "2023-05-12", "来源：某市生态环境局", "分享到："]
document_lines = st.lists(
    st.one_of(st.text(alphabet=SIMPLIFIED + "。，", min_size=1, max_size=40), st.sampled_from(FURNITURE), st.just("")),
    min_size=0,
    max_size=15,
)

#: Body text: characters of real paragraphs (no pinyin glosses, which normalisation removes).
body_text = st.text(alphabet=SIMPLIFIED + TRADITIONAL + "，。、；：！？（）《》“”" + DIGITS + LATIN, min_size=1, max_size=60)

#: Paragraph starts: section numbers of every level, and ones that only look like them.
HEADING_STARTS = ["一、", "十二、", "（三）", "(四)", "1.", "2、", "（5）", "第二章 ", "第三节 ", "1.5万吨", "2023年", "第三条 "]
heading_line = st.builds(lambda start, rest: start + rest, st.sampled_from(HEADING_STARTS), body_text)

#: Lines of a report: body text, headings, furniture, blanks.
report_lines = st.lists(
    st.one_of(body_text, heading_line, st.sampled_from(FURNITURE), st.just("")), min_size=0, max_size=20
)


@st.composite
def laid_out_lines(draw: st.DrawFn) -> list:
    """Lines as a PDF gives them: text with or without positions on a page."""
    from policytag.io.layout import Line

    placed = draw(st.booleans())
    out = []
    for text in draw(st.lists(st.one_of(body_text, heading_line, any_text), max_size=15)):
        if placed:
            x0 = draw(st.sampled_from([72.0, 96.0, 150.0]))
            x1 = draw(st.floats(min_value=x0 + 1, max_value=530.0))
            out.append(Line(text, draw(st.integers(1, 3)), x0, x1, 100.0, 112.0, 842.0))
        else:
            out.append(Line(text))
    return out


# --------------------------------------------------------------------------- hostile input

#: Pieces of hostile input files: UTF-8 and GBK Chinese (mixed encodings in one file),
#: NUL and control bytes, broken UTF-8, JSON fragments of the wrong types, surrogate
#: escapes, CSV quoting, line ends of every kind.
_HOSTILE_PIECES = [
    "大气污染防治".encode("utf-8"),
    "全面推行河湖长制".encode("gbk"),
    "對整改不力的縣區進行約談".encode("big5"),
    b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\xed\xa0\x80", b"\xc3", b"\r", b"\n", b"\r\n", b"\x0b\x0c\x1c\x85",
    b'{"id": 1, "text": "', b'"}', b'{"text": 5}', b'{"text": null, "id": []}', b'[1, 2]', b'"\\ud800"',
    b'{"text": "\\udc80\\ud83d", "meta": {"\\ud800": ["\\udfff"]}}', b"[[[[[[[[", b"}}}", b"NaN", b"1e999",
    b"id,text\n", b'"a,""b', b",,,", b'"', b"\t",
]
hostile_bytes = st.lists(
    st.one_of(st.sampled_from(_HOSTILE_PIECES), st.binary(max_size=12)), min_size=0, max_size=30
).map(b"".join)

#: Text the tagger may be handed through the API: anything, lone surrogates and NUL included.
hostile_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=5),
    messy_text.map(lambda t: t + "\x00" + t),
    st.just(""),
)

#: Text that exercises a segmenter: dictionary words, rare and extension-A ideographs,
#: ideographs beyond the BMP, ASCII runs joined by - _ . + % #, and spaces.
_SEGMENTER_PIECES = [
    "大气污染防治", "河湖长制", "国考断面", "中华人民共和国", "碳达峰", "督察整改", "一岗双责",
    "㐀㐁", "鿖鿗", "豈更", "𠀀𠀁", "丂", "PM2.5", "pm_2.5", "0831-8208216", "xxx.gov.cn",
    "a.-b", "1.5%.2", "12%3", "AT&T", "c#", "a+b", "_a_", "x1.2.3", "AB-CD", "İ", " ", "\u3000", "\t",
]
segmenter_text = st.lists(
    st.one_of(
        st.sampled_from(_SEGMENTER_PIECES),
        st.text(alphabet=SIMPLIFIED + TRADITIONAL + "的了是在和与及" + PUNCT + DIGITS + LATIN + "-_.%#&+", min_size=1, max_size=10),
        st.text(max_size=4),
    ),
    max_size=20,
).map("".join)

#: Lines of a JSON Lines file as users' tools write them: mostly ``{"id", "text"}``
#: objects (escaped or not, quotes, backslashes, control characters, lone surrogates,
#: blank or empty texts and ids), and among them other shapes, broken lines and blanks.
_json_string = st.one_of(messy_text, st.text(max_size=30), st.sampled_from(['"引号"', "a\\b", "\u2028", "\ud800", " ", ""]))


def _id_text_line(rid: object, text: object, ascii: bool, sep: tuple[str, str]) -> str:
    import json

    try:
        return json.dumps({"id": rid, "text": text}, ensure_ascii=ascii, separators=sep)
    except UnicodeEncodeError:
        return json.dumps({"id": rid, "text": text}, ensure_ascii=True, separators=sep)


jsonl_line = st.one_of(
    st.builds(_id_text_line, _json_string, _json_string, st.booleans(),
              st.sampled_from([(", ", ": "), (", ", ": "), (",", ":")])),
    st.builds(_id_text_line, st.one_of(st.integers(), st.none()), messy_text, st.just(False), st.just((", ", ": "))),
    st.builds(lambda t: '{"text": "%s", "id": "x"}' % t, st.text(alphabet="空气水碳 ", max_size=8)),
    st.builds(lambda t: '{"id": "x", "text": "%s", "page": 3}' % t, st.text(alphabet="空气水碳", max_size=8)),
    st.sampled_from(["", "  ", '{"id": "a", "text": "b"} ', '{"id": "a", "text": "b"}\r', "{broken", "[1]",
                     '{"id": "a", "text": "\\ud83d\\ude00"}', '{"id": "a", "text": "tab\there"}']),
)
jsonl_lines = st.lists(jsonl_line, max_size=25)
