import re

from hypothesis import given

from policytag.text.segment import is_furniture, split_paragraphs, split_sentences
from strategies import FURNITURE, document_lines, messy_text


def test_split_paragraphs_keeps_content_and_drops_furniture():
    doc = "来源：某省生态环境厅\n\n（一）深入打好碧水保卫战。\n责任编辑：张三\n评论\n2024-01-05\n登录 | 注册\n加强执法监管。"
    paras = split_paragraphs(doc)
    assert [p.text for p in paras] == ["（一）深入打好碧水保卫战。", "加强执法监管。"]
    assert [p.line for p in paras] == [3, 8]


def test_split_paragraphs_can_keep_furniture():
    assert len(split_paragraphs("评论\n大气", drop_furniture=False)) == 2


def test_furniture_patterns_recognise_common_page_chrome():
    for line in FURNITURE + ["版权所有 © 2024 某省人民政府", "浏览次数：2381", "【字体：大 中 小】", "打印本页 关闭窗口", "第 3 页"]:
        assert is_furniture(line), line


def test_furniture_patterns_do_not_eat_content():
    for line in [
        "编辑出版《生态环境质量报告》，公开全省空气质量信息。",
        "来源解析显示，机动车尾气贡献率达到31%。",
        "评论员文章指出，要压实整改责任。",
        "2023年，全省PM2.5平均浓度下降6.3%。",
        "三、下一步工作",
    ]:
        assert not is_furniture(line), line


@given(document_lines)
def test_paragraphs_are_nonempty_stripped_lines_in_order(lines):
    paras = split_paragraphs("\n".join(lines))
    numbers = [p.line for p in paras]
    assert numbers == sorted(numbers)
    for p in paras:
        assert p.text and p.text == p.text.strip()
        assert lines[p.line - 1].strip() == p.text
        assert not is_furniture(p.text)


def test_split_sentences_splits_after_final_punctuation_and_keeps_quotes():
    s = "（一）推进治理。PM2.5下降5%！“重污染天气明显减少。”是否达标？尾句"
    assert split_sentences(s) == ["（一）推进治理。", "PM2.5下降5%！", "“重污染天气明显减少。”", "是否达标？", "尾句"]


@given(messy_text)
def test_split_sentences_loses_no_characters(text):
    assert re.sub(r"\s", "", "".join(split_sentences(text))) == re.sub(r"\s", "", text)


def test_no_labelled_corpus_paragraph_is_taken_for_furniture():
    import json

    from policytag.resources import corpus_files

    eaten = []
    for path in corpus_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("labels") and is_furniture(row["text"]):
                eaten.append(row["id"])
    assert eaten == []


def test_new_furniture_patterns_recognise_page_chrome_from_real_sites():
    for line in [
        "来源：某市生态环境局　发布时间：2024-06-18 09:30　浏览次数：575",
        "【打印本页】【关闭窗口】",
        "· 某市召开生态环境保护委员会全体会议 2024-03-01",
        "网站标识码：1234000001　某ICP备12345678号",
        "本网转载的文章仅供参考，不代表本网观点。",
        "附件：1.某市整改任务清单",
        "• • •",
        "已有0人参与评论",
        "主办单位：某市人民政府办公室",
    ]:
        assert is_furniture(line), line
    for line in ["本办法自发布之日起施行，有效期至2028-12-31", "附件所列项目应于年底前完成整改，逐项销号。"]:
        assert not is_furniture(line), line
