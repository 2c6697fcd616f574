"""The fastText peer for bench/run.py: a supervised fastText model fed through jieba.

    python bench/fasttext_peer.py train CORPUS.jsonl MODEL.bin
    python bench/fasttext_peer.py predict MODEL.bin IN.jsonl OUT.jsonl
    python bench/fasttext_peer.py segment IN.jsonl SEGMENTED.tsv
    python bench/fasttext_peer.py predict-segmented MODEL.bin SEGMENTED.tsv OUT.jsonl

``predict`` does what ``policytag predict -f jsonl`` does, the fastText way: read JSONL,
segment each text with jieba (the project's user dictionary on, punctuation dropped),
predict every label's probability (one-vs-all; 25 epochs, word bigrams, 50 dimensions,
200,000 hash buckets instead of the default 2 million, which would make a 400 MB model for
a 3,000-paragraph corpus and slow the peer's start), write one JSONL row per paragraph with
id, text, labels (probability >= 0.5) and scores. ``predict-segmented`` starts from text
segmented beforehand (``segment``), to show what jieba costs. Needs ``pip install
fasttext-numpy2`` (the fastText bindings that work with numpy 2; fasttext-wheel's
predict fails under numpy 2) and jieba.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import tempfile
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
KEEP = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]")  # as policytag's tokenizer
NONE = "__none__"  # pseudo-label for paragraphs with no label, so one-vs-all sees negatives
BATCH = 1024


def tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    userdict = ROOT / "labels" / "userdict.txt"
    if userdict.is_file():
        tk.load_userdict(str(userdict))
    return tk


def segment_text(tk, text: str) -> str:
    return " ".join(w.lower() for w in tk.lcut(text, HMM=True) if KEEP.search(w))


def train(corpus: str, model_out: str) -> None:
    import fasttext

    tk = tokenizer()
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as fh:
        for line in open(corpus, encoding="utf-8"):
            if not line.strip():
                continue
            row = json.loads(line)
            labels = row.get("labels") or [NONE]
            fh.write(" ".join(f"__label__{lab}" for lab in labels) + " " + segment_text(tk, row["text"]) + "\n")
        train_file = fh.name
    model = fasttext.train_supervised(
        input=train_file, loss="ova", epoch=25, lr=0.5, wordNgrams=2, dim=50, minCount=1, bucket=200_000,
        thread=1, seed=0, verbose=0
    )
    Path(train_file).unlink()
    model.save_model(model_out)


def _write(out, model, ids: list[str], texts: list[str], segmented: list[str]) -> None:
    labels_list, probs_list = model.predict(segmented, k=-1, threshold=0.0)
    for rid, text, labs, probs in zip(ids, texts, labels_list, probs_list):
        scores = {lab[9:]: round(float(p), 4) for lab, p in zip(labs, probs) if lab != f"__label__{NONE}"}
        on = [lab for lab, p in scores.items() if p >= 0.5]
        row = {"id": rid, "text": text, "labels": on, "scores": scores} if text is not None else \
            {"id": rid, "labels": on, "scores": scores}
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _batches(lines: Iterator[tuple[str, str | None, str]]) -> Iterator[tuple[list, list, list]]:
    ids, texts, segs = [], [], []
    for rid, text, seg in lines:
        ids.append(rid)
        texts.append(text)
        segs.append(seg)
        if len(ids) >= BATCH:
            yield ids, texts, segs
            ids, texts, segs = [], [], []
    if ids:
        yield ids, texts, segs


def predict(model_path: str, src: str, dst: str) -> None:
    import fasttext

    model = fasttext.load_model(model_path)
    tk = tokenizer()

    def rows():
        for line in open(src, encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                yield str(row.get("id", "")), row["text"], segment_text(tk, row["text"])

    with open(dst, "w", encoding="utf-8") as out:
        for ids, texts, segs in _batches(rows()):
            _write(out, model, ids, texts, segs)


def segment(src: str, dst: str) -> None:
    tk = tokenizer()
    with open(dst, "w", encoding="utf-8") as out:
        for line in open(src, encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                out.write(f"{row.get('id', '')}\t{segment_text(tk, row['text'])}\n")


def predict_segmented(model_path: str, src: str, dst: str) -> None:
    import fasttext

    model = fasttext.load_model(model_path)

    def rows():
        for line in open(src, encoding="utf-8"):
            rid, _, seg = line.rstrip("\n").partition("\t")
            yield rid, None, seg

    with open(dst, "w", encoding="utf-8") as out:
        for ids, texts, segs in _batches(rows()):
            _write(out, model, ids, texts, segs)


def main(argv: list[str]) -> int:
    commands = {"train": train, "predict": predict, "segment": segment, "predict-segmented": predict_segmented}
    if not argv or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    commands[argv[0]](*argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
