"""The compiled segmenter (numba) gives rjieba's tokens, and the compiled sentence
splitter gives split_sentences' sentences."""
import json

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import SHARED
from policytag.text.normalize import normalize
from policytag.resources import corpus_files
from policytag.text.segment import CLOSERS, ENDS, split_sentences
from policytag.text.tokenize import KEEP, cut
from strategies import hostile_text, messy_text, segmenter_text

pytest.importorskip("numba")
pytest.importorskip("rjieba")

from policytag.kernel import cut as _cutkernel  # noqa: E402  (numba is there)
from policytag.kernel import score as _kernel  # noqa: E402

DEV = SHARED / "dev" / "dev.jsonl"


def _reference(text: str) -> list[tuple[int, int]]:
    """(start, length) of the word tokens (KEEP) of policytag's segmenter, in order."""
    out, cursor = [], 0
    for tok in cut(text):
        at = text.find(tok, cursor)
        at = cursor if at < 0 else at
        cursor = at + len(tok)
        if KEEP.search(tok):
            out.append((at, len(tok)))
    return out


def _compiled(text: str) -> list[tuple[int, int]]:
    return [(s, n) for s, n in _cutkernel.segment(text) if KEEP.search(text[s : s + n])]


def _corpus_texts() -> list[str]:
    return [
        normalize(json.loads(line)["text"])
        for path in corpus_files()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_compiled_segmenter_gives_rjiebas_words_on_the_whole_corpus():
    texts = _corpus_texts()
    differing = [t for t in texts if _compiled(t) != _reference(t)]
    assert not differing, differing[:3]


@pytest.mark.skipif(not DEV.is_file(), reason="../shared/dev/dev.jsonl is absent")
def test_compiled_segmenter_gives_rjiebas_words_on_the_dev_set():
    texts = [normalize(json.loads(line)["text"]) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [t for t in texts if _compiled(t) != _reference(t)] == []


@settings(max_examples=300, deadline=None)
@given(text=segmenter_text | messy_text | hostile_text)
@example(text="中a.-b中1.5%.2中12%3中_a_中x1.2.3中AB-CD中國-人")
@example(text="㐀㐁中国鿖鿗𠀀𠀁丂丂")
@example(text="鿕鿕鿕")  # characters the HMM has no emission for
def test_compiled_segmenter_gives_rjiebas_words_on_any_text(text):
    text = normalize(text)  # what the kernel is given
    assert _compiled(text) == _reference(text)


def _spans(texts: list[str]) -> list[list[tuple[int, int]]]:
    """The compiled splitter's sentences of each text (one whole-text span when unsplit)."""
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)

    def code_points(chars: str) -> np.ndarray:
        return np.array([ord(c) for c in chars], dtype=np.int64)

    spaces = code_points("".join(chr(c) for c in range(0x3001) if chr(c).isspace()))
    sa, sb, count = _kernel.sentence_spans(cps, starts, lengths, code_points(ENDS), code_points(CLOSERS), spaces)
    out, k = [], 0
    for n in count.tolist():
        out.append(list(zip(sa[k : k + n].tolist(), sb[k : k + n].tolist())))
        k += n
    return out


def _split(text: str) -> list[str]:
    parts = split_sentences(text)
    return parts if len(parts) > 1 else []


def test_compiled_sentence_splitter_gives_split_sentences_on_the_corpus():
    texts = _corpus_texts()
    got = [[t[a:b] for a, b in spans] for t, spans in zip(texts, _spans(texts))]
    assert got == [_split(t) for t in texts]


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(segmenter_text | messy_text | hostile_text, min_size=1, max_size=5))
@example(texts=["一。」二！）三；\u3000 ；四", "。", " 。 ", "无句号", "“好。”“坏！”"])
def test_compiled_sentence_splitter_gives_split_sentences_on_any_text(texts):
    texts = [normalize(t) for t in texts]  # what the kernel is given
    got = [[t[a:b] for a, b in spans] for t, spans in zip(texts, _spans(texts))]
    assert got == [_split(t) for t in texts]
