"""Fuzz policytag's input readers for N seconds; print executions per second and any crash.

    python bench/fuzz_readers.py --seconds 60            # atheris (pip install ".[fuzz]")
    python bench/fuzz_readers.py --engine random         # no atheris: random mutations

One execution takes the fuzzer's bytes as a file and reads it the way policytag does:
as txt, JSONL and CSV prediction input (``read_records``, problems collected, never
raised) and as labelled JSONL (``iter_labelled``, the reader behind evaluate and train).
A crash is any exception other than a coded :class:`PolicytagError` for the whole file,
or a record that breaks the readers' promises: text that is blank or cannot be written
as UTF-8, a problem whose code is not in ``policytag/errors.py``.

With atheris the readers are instrumented for coverage and libFuzzer mutates towards
new branches, starting from a few seed files; crashing inputs are saved as
``crash-*`` files in the working folder. The figures printed at the end are libFuzzer's
own (executed units, executions per second) or, for the random engine, counted here.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

LABELS = ["air", "water", "soil", "carbon", "accountability", "institutional"]
SEEDS = [
    "某市关于中央生态环境保护督察反馈问题整改落实情况的报告\n\n责任编辑：李明\n深入打好蓝天保卫战。\n".encode(),
    ('{"id": "a1", "text": "全面推行河湖长制", "labels": ["water"], "meta": {"doc": "甲"}}\n'
     '{"id": "a2", "text": "约谈问责", "labels": []}\n').encode(),
    'id,text,doc\n1,"碳达峰,碳中和",x\n2,"推进""光伏""发电",y\n'.encode(),
    "全面推行河湖长制\n".encode("gbk") + b"\xff\xfe\x00\r\n" + b'{"text": "\\ud800"}\n',
]
_WORK = Path(tempfile.mkdtemp(prefix="policytag-fuzz-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
_FILES = {fmt: str(_WORK / f"input.{fmt}") for fmt in ("txt", "jsonl", "csv")}


def one_input(data: bytes) -> None:
    """Read ``data`` with every reader; raise on anything but a coded, whole-file error."""
    from policytag.io.corpus import iter_labelled
    from policytag.io.readers import read_records
    from policytag.errors import ERRORS, WARNINGS, PolicytagError

    for fmt, path in _FILES.items():
        with open(path, "wb") as fh:
            fh.write(data)
        problems: list = []
        try:
            records = list(read_records(path, fmt, on_problem=problems.append))
        except PolicytagError as err:
            if err.line is not None or err.code not in ERRORS:
                raise
            records = []
        for rec in records:
            if not isinstance(rec.text, str) or not rec.text.strip():
                raise AssertionError(f"blank record from {fmt}: {rec!r}")
            rec.text.encode("utf-8")
            json.dumps(rec.extra, ensure_ascii=False).encode("utf-8")
        for p in problems:
            if p.code not in ERRORS and p.code not in WARNINGS:
                raise AssertionError(f"unknown code {p.code}")
    problems = []
    for ex in iter_labelled(_FILES["jsonl"], LABELS, on_problem=problems.append):
        if not set(ex.labels) <= set(LABELS):
            raise AssertionError(f"unknown label passed: {ex.labels}")


# --------------------------------------------------------------------------- engines


def run_atheris(seconds: int, corpus: Path) -> int:
    """libFuzzer in a child process (it exits the process when done); parse its final stats."""
    cmd = [sys.executable, __file__, "--child", str(corpus), f"-max_total_time={seconds}",
           "-print_final_stats=1", "-rss_limit_mb=4096", "-max_len=4096", "-timeout=30"]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    wall = time.monotonic() - t0
    log = proc.stdout + proc.stderr
    stats = dict(re.findall(r"stat::(\w+):\s*(\d+)", log))
    crashed = re.findall(r"Test unit written to (\S+)", log)
    print(f"engine: atheris (libFuzzer), {wall:.0f} s wall")
    print(f"executions: {stats.get('number_of_executed_units', '?')}")
    print(f"executions per second: {stats.get('average_exec_per_sec', '?')}")
    cov = re.findall(r"cov: (\d+) ft: (\d+)", log)
    if cov:
        print(f"coverage at the end: {cov[-1][0]} edges, {cov[-1][1]} features; corpus {len(os.listdir(corpus))} inputs")
    if crashed or proc.returncode != 0:
        print(f"CRASH (exit {proc.returncode}); inputs saved: {', '.join(crashed) or 'none'}")
        print("\n".join(log.splitlines()[-40:]))
        return 1
    print("crashes: 0")
    return 0


def child(argv: list[str]) -> None:
    import atheris

    with atheris.instrument_imports(include=["policytag"]):
        import policytag.io.corpus  # noqa: F401
        import policytag.io.readers  # noqa: F401
        import policytag.text.segment  # noqa: F401
        import policytag.io.surrogates  # noqa: F401

    atheris.Setup([sys.argv[0], *argv], one_input)
    atheris.Fuzz()


_PIECES = [b"\x00", b"\n", b"\r", b'"', b",", b"{", b"}", b"[", b"]", b"\\u", b"\\ud800", b"\xff", b"\xe6\xb0",
           b'{"text": ', b'"labels": ', b"null", b"1e999", "大气".encode(), "水".encode("gbk")]


def mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.random()
        pos = rng.randint(0, len(buf))
        if op < 0.3 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif op < 0.6:
            buf[pos:pos] = rng.choice(_PIECES)
        elif op < 0.8 and buf:
            del buf[pos:pos + rng.randint(1, 16)]
        else:
            other = rng.choice(SEEDS)
            start = rng.randint(0, len(other))
            buf[pos:pos] = other[start:start + rng.randint(1, 64)]
    return bytes(buf[:4096])


def run_random(seconds: int, seed: int) -> int:
    rng = random.Random(seed)
    pool = list(SEEDS)
    n = crashes = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        data = mutate(rng, rng.choice(pool))
        try:
            one_input(data)
        except Exception:
            crashes += 1
            name = f"crash-random-{n}"
            Path(name).write_bytes(data)
            print(f"CRASH on input saved as {name}:\n{traceback.format_exc()}")
        n += 1
        if len(pool) < 500 and rng.random() < 0.05:
            pool.append(data)
    wall = time.monotonic() - t0
    print(f"engine: random mutation (seed {seed}), {wall:.0f} s")
    print(f"executions: {n}")
    print(f"executions per second: {n / wall:.0f}")
    print(f"crashes: {crashes}")
    return 1 if crashes else 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--engine", choices=["auto", "atheris", "random"], default="auto")
    ap.add_argument("--seed", type=int, default=0, help="random engine only")
    args = ap.parse_args()
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401

            engine = "atheris"
        except ImportError:
            engine = "random"
    if engine == "random":
        return run_random(args.seconds, args.seed)
    corpus = Path(tempfile.mkdtemp(prefix="policytag-fuzz-corpus-"))
    for i, seed in enumerate(SEEDS):
        (corpus / f"seed-{i}").write_bytes(seed)
    return run_atheris(args.seconds, corpus)


if __name__ == "__main__":
    sys.exit(main())
