"""Shared hypothesis strategies for policytag's tests."""
from __future__ import annotations

from hypothesis import strategies as st

# Common simplified and traditional characters of the domain, plus punctuation and digits.
SIMPLIFIED = "大气水土壤碳排放污染防治治理整改督察问责约谈机制制度规划标准监测河湖长国考断面优良天数臭氧颗粒物固体废物危险净蓝天碧保卫战推进建立健全责任考核"
TRADITIONAL = "氣漢語環境保護衛戰淨壤廢棄物險監測規劃標準機製問責約談督察整改護衛"
PUNCT = "，。、；：！？（）()《》“”  \u3000\t"
DIGITS = "0123456789０１２３４５６７８９%％.．"
LATIN = "PMVOCsABCxyz ＰＭＡ"
GLOSSES = ["(shè)", "(biāo)", "(wū)", "(rǎn)", "(she4)", "（jiàn）"]

chunk = st.one_of(
    st.text(alphabet=SIMPLIFIED + TRADITIONAL, min_size=1, max_size=12),
    st.text(alphabet=PUNCT + DIGITS + LATIN, min_size=1, max_size=4),
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
