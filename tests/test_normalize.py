from hypothesis import given, settings
from hypothesis import strategies as st

from policytag import normalize
from policytag.text.normalize import normalize_many
from strategies import any_text, messy_text


@given(messy_text)
@settings(max_examples=300)
def test_normalize_is_idempotent_on_messy_text(text):
    once = normalize(text)
    assert normalize(once) == once


@given(any_text)
@settings(max_examples=300)
def test_normalize_is_idempotent_on_any_unicode(text):
    once = normalize(text)
    assert normalize(once) == once


@given(any_text)
def test_normalize_leaves_no_control_characters_or_edge_spaces(text):
    out = normalize(text)
    assert out == out.strip()
    assert not any(ord(c) < 32 for c in out)
    assert "  " not in out


def test_normalize_converts_traditional_to_simplified():
    assert normalize("深入打好藍天保衛戰，嚴格落實黨政同責") == "深入打好蓝天保卫战,严格落实党政同责"


def test_normalize_removes_pinyin_glosses_after_characters():
    assert normalize("建設(shè)目標(biāo)") == "建设目标"
    assert normalize("污（wū）染（rǎn）防治") == "污染防治"
    assert normalize("设(she4)计") == "设计"


def test_normalize_keeps_real_parentheses():
    assert normalize("挥发性有机物(VOCs)") == "挥发性有机物(VOCs)"
    assert normalize("细颗粒物(PM2.5)浓度") == "细颗粒物(PM2.5)浓度"
    assert normalize("(一)总体要求") == "(一)总体要求"


def test_normalize_folds_full_width_forms():
    assert normalize("ＰＭ２．５浓度") == "PM2.5浓度"
    assert normalize("劣Ⅴ类水体") == "劣V类水体"


def test_normalize_collapses_whitespace_and_joins_spaced_chinese():
    assert normalize("  大 气\t污染\u3000防治  PM2.5   ") == "大气污染防治 PM2.5"


def test_normalize_handles_empty_and_none():
    assert normalize("") == ""
    assert normalize(None) == ""
    assert normalize(" \u200b\ufeff ") == ""


@given(st.lists(messy_text, max_size=5))
def test_normalize_many_matches_normalize(texts):
    assert normalize_many(texts) == [normalize(t) for t in texts]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(messy_text, any_text, st.none()), min_size=0, max_size=20))
def test_batch_normalisation_equals_normalising_each_text(texts):
    assert normalize_many(texts) == [normalize(t) for t in texts]


def test_the_named_code_point_ranges_make_the_classes_the_modules_wrote_out_before():
    """policytag.text.unicode names the ranges once; the character classes built from them
    match, over the whole BMP, exactly what each module wrote out by hand before."""
    import re

    from policytag.io import encoding, pdf
    from policytag.text import tokenize
    from policytag.text import normalize as norm

    written = {
        "plausible": (encoding._PLAUSIBLE, r"[\u0009\u000a\u000d\u0020-\u007e\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff"
                                           r"\uff00-\uffef\u2010-\u203f]"),
        "keep": (tokenize.KEEP, "[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]"),
        "pdf gap": (re.compile(f"[{pdf._CJK_WIDE}]"), "[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"),
        "gloss": (re.compile(f"[{norm._CJK}]"), "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
        "gap": (re.compile(f"[{norm._GAP}]"), "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f]"),
    }
    bmp = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)
    for name, (built, literal) in written.items():
        assert built.findall(bmp) == re.findall(literal, bmp), name
