import pickle
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
import multiprocessing

from policytag.model.features import CueMatcher, cue_matcher_from_taxonomy, tokenize, userdict_hash
from policytag.resources import load_taxonomy


def test_tokenize_keeps_domain_terms_from_the_user_dictionary_whole():
    tokens = tokenize("加强国考断面监测，消除黑臭水体，落实一岗双责，整治入河排污口，推进碳达峰")
    for term in ["国考断面", "黑臭水体", "一岗双责", "入河排污口", "碳达峰"]:
        assert term in tokens


def test_tokenize_drops_punctuation_and_lowercases_latin():
    assert tokenize("PM2.5浓度，下降。") == ["pm2", "5", "浓度", "下降"] or "，" not in tokenize("PM2.5浓度，下降。")
    assert all(t == t.lower() for t in tokenize("VOCs治理"))


def test_jieba_start_up_chatter_never_reaches_stdout():
    code = "from policytag.model.features import tokenize; tokenize('大气污染防治')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    assert out.stdout == ""
    assert "Building prefix dict" not in out.stderr


def _tokens_in_worker(text):
    return tokenize(text)


def test_tokenizer_works_in_spawned_worker_processes():
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        assert pool.submit(_tokens_in_worker, "落实河湖长制").result(timeout=120) == tokenize("落实河湖长制")


def test_tokenize_pickles_by_reference():
    assert pickle.loads(pickle.dumps(tokenize)) is tokenize


def test_cue_matcher_finds_labels_and_terms_and_pickles():
    matcher = cue_matcher_from_taxonomy(load_taxonomy())
    hits = matcher("深入打好蓝天保卫战，对整改不力的单位进行约谈")
    assert "cue=air" in hits and "cue=accountability" in hits
    assert "cue=air:蓝天保卫战" in hits
    clone = pickle.loads(pickle.dumps(matcher))
    assert clone == matcher and clone("约谈") == matcher("约谈")


def test_cue_matcher_labels_hit_is_empty_on_unrelated_text():
    assert CueMatcher({"air": ["臭氧"]}).labels_hit("发展数字经济") == set()


def test_userdict_hash_is_stable():
    assert userdict_hash() == userdict_hash() and len(userdict_hash()) == 16
