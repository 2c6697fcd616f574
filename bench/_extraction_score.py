"""Scoring an extractor against the body paragraphs it should have given back.

Shared by ``html_extractors.py`` and ``pdf_extractors.py``: both compare, document by
document, the paragraphs an extractor kept (after policytag's own furniture filter)
with the body paragraphs the fixture was written from.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Sequence

ROOT = Path(__file__).resolve().parent.parent


def corpus_documents(max_paragraphs: int) -> list[list[str]]:
    """The shipped corpus's documents (by ``meta.doc``) as lists of body paragraphs,
    furniture left out, those with 4 to ``max_paragraphs`` paragraphs: what the
    extractor fixtures are written from."""
    from policytag.text.segment import is_furniture

    by_doc: dict[str, list[str]] = defaultdict(list)
    for path in sorted((ROOT / "labels" / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if not is_furniture(row["text"]):
                    by_doc[row["meta"].get("doc", row["id"])].append(row["text"])
    return [paras for paras in by_doc.values() if 4 <= len(paras) <= max_paragraphs]


def score(
    documents: Iterable[tuple[Sequence[str], Sequence[str]]], miss_prefix: int = 24
) -> tuple[float, float, float, dict[str, int]]:
    """``documents`` yields (body paragraphs wanted, lines the extractor gave).

    Returns recall (body paragraphs found), precision (kept paragraphs that are body),
    the share of documents given back exactly, and the kept non-body paragraphs
    (first ``miss_prefix`` characters) with their counts.
    """
    from policytag.text.normalize import normalize
    from policytag.text.segment import paragraph_text

    found = total = kept = good = exact = docs = 0
    misses: dict[str, int] = defaultdict(int)
    for body, lines in documents:
        want = [normalize(p) for p in body]
        got = [n for n in (paragraph_text(line) for line in lines) if n is not None]
        wanted, given = set(want), set(got)
        found += sum(1 for w in want if w in given)
        total += len(want)
        kept += len(got)
        good += sum(1 for g in got if g in wanted)
        exact += got == want
        docs += 1
        for g in got:
            if g not in wanted:
                misses[g[:miss_prefix]] += 1
    return found / max(total, 1), good / max(kept, 1), exact / max(docs, 1), dict(misses)
