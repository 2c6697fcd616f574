"""The kernel's tables for one model, as named structures.

``model/kernel_backend.py`` builds them from a model's arrays; :mod:`.cache` stores them
as plain arrays; :func:`policytag.kernel.score.score_batch` takes them whole. Each
group is a ``NamedTuple`` whose fields are, in order, the parameters of the numba
function that reads it (numba takes arrays and scalars, not objects, so the groups are
unpacked at the one call into the kernel).
"""
from __future__ import annotations

from typing import Any, NamedTuple


class PrepareTables(NamedTuple):
    """Normalising in the kernel (``score.prepare``): what ``text.normalize`` does to common text."""

    table: Any  # per code point: passed through, lower-cased or not handled
    expand: Any  # compatibility expansions: offsets …
    flat: Any  # … and their code points
    gloss: Any  # characters that open a pinyin gloss
    gaps: Any  # code-point ranges dropped


class SentenceTables(NamedTuple):
    """Sentence splitting (``score.sentence_spans``), as ``text.segment.split_sentences``."""

    ends: Any
    closes: Any
    spaces: Any


class SegmentTables(NamedTuple):
    """The word segmenter (``cut.tables``): jieba's dictionary trie and HMM."""

    segment: bool  # does the model have word features (else nothing is segmented)
    droot: Any
    trie: Any
    tshift_d: Any
    dlogf: Any
    logtotal: Any
    emit: Any
    start: Any
    trans: Any


class CharTables(NamedTuple):
    """Character n-grams on compact character ids."""

    cid: Any  # code point -> compact id
    bits: int  # bits of a compact id
    kmin: int
    kmax: int
    uni: Any  # single characters: compact id -> feature
    ct: Any  # longer n-grams: hash table …
    cshift: Any  # … and its shift


class WordTables(NamedTuple):
    """Tokens, word unigrams and word pairs."""

    keep_ranges: Any  # characters that make a token a word (others are punctuation)
    tt: Any  # token hash table …
    tshift: Any
    tcps: Any  # … token code points …
    toff: Any  # … and offsets
    node_tok: Any  # segmenter dictionary node -> token id
    wuni: Any  # token id -> unigram feature
    n_tok: int
    use_uni: bool
    use_bi: bool
    bt: Any  # word-pair hash table …
    bshift: Any


class CueTables(NamedTuple):
    """Cue terms grouped by first character (and a bit per BMP first character)."""

    use_cues: bool
    qbits: Any
    qt: Any
    qshift: Any
    gstart: Any
    gend: Any
    qcps: Any
    qlen: Any
    qtf: Any  # term feature
    qlf: Any  # label feature


class ModelTables(NamedTuple):
    """The linear model: per feature (renumbered) its idf, coefficients and block."""

    rows: Any
    logs: Any  # log(count) for counts 0 … 255
    bw: Any  # block weights
    intercept: Any


class KernelTables(NamedTuple):
    prepare: PrepareTables
    sentences: SentenceTables
    segment: SegmentTables
    chars: CharTables
    words: WordTables
    cues: CueTables
    model: ModelTables

    def groups(self) -> dict[str, tuple[Any, ...]]:
        """Plain tuples by group name (what :mod:`.cache` stores)."""
        return {name: tuple(group) for name, group in zip(self._fields, self)}

    @classmethod
    def from_groups(cls, groups: dict[str, tuple[Any, ...]]) -> "KernelTables":
        """The tables from plain tuples by group name; a ValueError when a group is
        missing or has another number of fields (a cache file of another layout)."""
        parts = []
        for name, group_type in zip(cls._fields, _GROUP_TYPES):
            values = tuple(groups[name]) if name in groups else None
            if values is None or len(values) != len(group_type._fields):
                raise ValueError(f"kernel tables: group {name!r} does not have the fields {group_type._fields}")
            parts.append(group_type(*values))
        return cls(*parts)


# the type of each group of KernelTables, in its fields' order
_GROUP_TYPES = (PrepareTables, SentenceTables, SegmentTables, CharTables, WordTables, CueTables, ModelTables)
