"""Measure encoding detectors on Chinese policy text: accuracy and speed.

Samples are paragraphs of the project's own corpus (labels/corpus), short (one
paragraph), long (twenty paragraphs) and titles (16 characters), encoded as GB18030/GBK, Big5 (after
OpenCC simplified → traditional), UTF-8 and BOM-less UTF-16-LE. A guess counts as
right when decoding the bytes with it gives back the original text exactly, so
gb2312/gbk/gb18030 (or big5/cp950/big5hkscs) are all right when they decode the
sample. Each detector that is installed is measured; the others are skipped::

    python bench/encoding_detectors.py            # prints a table
    python bench/encoding_detectors.py --n 300    # samples per (encoding, length)

Run it in one virtual environment per cChardet fork: cchardet and faust-cchardet
install the same ``cchardet`` module.
"""
from __future__ import annotations

import argparse
import importlib
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _paragraphs() -> list[str]:
    texts = []
    for path in sorted((ROOT / "labels" / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


ENCODINGS = ("gb18030", "big5", "utf-8", "utf-16-le")
LENGTHS = (("title", 0), ("para", 1), ("page", 20))


def _samples(n: int, seed: int = 0) -> list[tuple[str, str, str, bytes]]:
    """(encoding, length, text, bytes) tuples."""
    import opencc

    s2t = opencc.OpenCC("s2t")
    rng = random.Random(seed)
    paras = _paragraphs()
    pools = {"gb18030": paras, "utf-8": paras, "utf-16-le": paras, "big5": []}
    for p in paras:  # Big5 samples: traditional script, from paragraphs Big5 can encode
        t = s2t.convert(p)
        try:
            t.encode("big5")
        except UnicodeEncodeError:
            continue
        pools["big5"].append(t)
    out = []
    for length, k in LENGTHS:
        for _ in range(n):
            for enc, pool in pools.items():
                picked = rng.sample(pool, max(k, 1))
                text = picked[0][:16] if k == 0 else "\n".join(picked)
                out.append((enc, length, text, text.encode(enc)))
    return out


def _charset_normalizer(m):
    def detect(b: bytes):
        best = m.from_bytes(b).best()
        return best.encoding if best else None

    return detect


def _chardet_chinese(m):
    """chardet told which encodings Chinese text comes in (what policytag uses)."""

    def detect(b: bytes):
        try:
            return m.detect(b, include_encodings=CANDIDATES, no_match_encoding="gb18030")["encoding"]
        except TypeError:  # chardet < 7: take the most confident candidate of the Chinese families
            for guess in m.detect_all(b, ignore_threshold=True):
                name = (guess["encoding"] or "").lower()
                if name in FAMILIES:
                    return name
            return None

    detect.label = "chardet, Chinese candidates"
    return detect


CANDIDATES = ("utf-8", "utf-16-le", "utf-16-be", "gb18030", "big5")
FAMILIES = {"utf-8", "ascii", "utf-16", "utf-16le", "utf-16be", "gb2312", "gbk", "gb18030", "big5", "cp950"}


def _detectors() -> dict[str, object]:
    from importlib.metadata import version

    found = {}

    def load(name: str, module: str, fn):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            return
        from importlib.metadata import PackageNotFoundError, version

        for dist in (name, "faust-" + name):  # the two cChardet forks share a module name
            try:
                detect = fn(mod)
                found[f"{getattr(detect, 'label', dist)} {version(dist)}"] = detect
                return
            except PackageNotFoundError:
                continue

    load("charset-normalizer", "charset_normalizer", _charset_normalizer)
    load("chardet", "chardet", lambda m: lambda b: m.detect(b)["encoding"])
    load("chardet", "chardet", _chardet_chinese)
    try:
        from policytag.io.encoding import detect as pipeline

        found["policytag (BOM, UTF-16, UTF-8, then chardet " + version("chardet") + ")"] = lambda b: pipeline(b).codec
    except ImportError:
        pass
    load("cchardet", "cchardet", lambda m: lambda b: m.detect(b)["encoding"])
    return found


def _right(guess: str | None, text: str, data: bytes) -> bool:
    if not guess:
        return False
    try:
        return data.decode(guess) == text
    except (LookupError, UnicodeDecodeError):
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="samples per (encoding, length)")
    args = ap.parse_args()
    samples = _samples(args.n)
    detectors = _detectors()
    cells = [(e, l) for e in ENCODINGS for l, _ in LENGTHS]
    print(f"{len(samples)} samples; accuracy = decoding with the guess gives the text back")
    print(f"{'detector':<50}" + "".join(f"{e[:7]+'/'+l:>13}" for e, l in cells) + f"{'ms/sample':>11}")
    for name, detect in detectors.items():
        right: dict[tuple[str, str], list[int]] = {c: [0, 0] for c in cells}
        wrong: dict[str, int] = {}
        t0 = time.perf_counter()
        for enc, length, text, data in samples:
            guess = detect(data)
            ok = _right(guess, text, data)
            right[(enc, length)][0] += ok
            right[(enc, length)][1] += 1
            if not ok:
                wrong[f"{enc}->{guess}"] = wrong.get(f"{enc}->{guess}", 0) + 1
        ms = (time.perf_counter() - t0) * 1000 / len(samples)
        print(f"{name:<50}" + "".join(f"{right[c][0] / max(right[c][1], 1):>13.3f}" for c in cells) + f"{ms:>11.2f}")
        if wrong:
            top = sorted(wrong.items(), key=lambda kv: -kv[1])[:6]
            print(f"{'':<50}wrong: " + ", ".join(f"{k} ×{v}" for k, v in top))


if __name__ == "__main__":
    main()
