"""How should the model reach Dask workers? Times three ways on a fresh LocalCluster each.

    python bench/dask_ship.py [--paragraphs 2000] [--partitions 8] [--workers 2]

- path: the task graph carries the model path; each worker process loads the model once
  and keeps it (policytag's default, ``model=None`` or ``model=PATH``);
- delayed: the Tagger object is one task of the graph, copied once to each worker
  per computation (policytag's way for ``model=tagger``);
- per-task: the Tagger passed as a plain argument to every task (what not to do).

Prints, for each, the first computation (model shipping or loading included) and a
second one on the same cluster (what is left once the model is in place).
"""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpus_texts(n: int, seed: int) -> list[str]:
    texts = []
    for path in sorted((ROOT / "labels" / "corpus").glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    random.Random(seed).shuffle(texts)
    return (texts * (n // len(texts) + 1))[:n]


def _per_task(part, tagger):
    out = part.copy()
    out["labels"] = tagger.tag_many(part["text"].tolist())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paragraphs", type=int, default=2000)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--order", default="", help="comma-separated ways to run, in order (default: all)")
    args = ap.parse_args()

    import dask.dataframe as dd
    import pandas as pd
    from dask.distributed import Client, LocalCluster

    import policytag

    # a different frame for each computation, so that no result of the first is reused
    frames = [pd.DataFrame({"text": corpus_texts(args.paragraphs, seed)}) for seed in (0, 1)]
    tagger = policytag.Tagger.load()
    ways = {
        "path": lambda df: policytag.tag_dask(df, scores=False),
        "delayed": lambda df: policytag.tag_dask(df, model=tagger, scores=False),
        "per-task": lambda df: df.map_partitions(_per_task, tagger, meta={"text": "str", "labels": "object"}),
    }
    print(f"{args.paragraphs} paragraphs, {args.partitions} partitions, {args.workers} worker processes")
    print(f"{'way':<10} {'first s':>8} {'second s':>9}")
    order = args.order.split(",") if args.order else list(ways)
    for name in order:
        way = ways[name]
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster):
            times = []
            for pdf in frames:
                df = dd.from_pandas(pdf, npartitions=args.partitions)
                t = time.perf_counter()
                way(df).compute()
                times.append(time.perf_counter() - t)
            print(f"{name:<10} {times[0]:>8.2f} {times[1]:>9.2f}", flush=True)


if __name__ == "__main__":
    main()
