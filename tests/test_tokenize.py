"""The fast segmenter (rjieba) gives jieba's tokens on the corpus."""
import pytest

from policytag.text.normalize import normalize
from policytag.resources import corpus_files
from policytag.text.tokenize import make_tokenizer


@pytest.mark.slow
def test_rjieba_gives_the_same_tokens_as_jieba_on_the_whole_corpus():
    pytest.importorskip("rjieba")
    import json

    fast, reference = make_tokenizer("rjieba"), make_tokenizer("jieba")
    texts = [
        normalize(json.loads(line)["text"])
        for path in corpus_files()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    differing = [t for t in texts if fast(t) != reference(t)]
    assert len(differing) <= len(texts) // 1000, differing[:3]


def test_joined_ascii_runs_are_split_the_way_jieba_splits_them():
    pytest.importorskip("rjieba")
    fast, reference = make_tokenizer("rjieba"), make_tokenizer("jieba")
    for text in ["联系电话：0831-8208216", "PM_2.5浓度", "网址xxx.gov.cn", "24.VEP核算", "PM2.5下降"]:
        assert fast(text) == reference(text)
