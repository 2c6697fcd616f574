"""Tagging quality on the held-out dev sets: the model beside the cue-term lexicon.

    python bench/quality.py                        # the shipped model
    python bench/quality.py --model DIR --json q.json

For each of ``../shared/dev/dev_rect.jsonl`` (the rectification genre) and
``../shared/dev/dev.jsonl`` (work reports and regulations) it prints per-label precision,
recall and F1 with the lexicon's F1 beside them, micro and macro F1, and the same figures
sliced by ``meta.genre`` and ``meta.script``. It goes through the public command line
only (``policytag evaluate --json``), so it measures what users run. The dev sets are for
evaluation only: nothing here trains on them.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "dev"
SETS = ("dev_rect", "dev")
SLICES = ("meta.genre", "meta.script")


def evaluate(gold: Path, model: str | None, by: str | None) -> dict:
    """``policytag evaluate GOLD --json`` (optionally sliced) as a dict."""
    cmd = [sys.executable, "-m", "policytag", "evaluate", str(gold), "--json"]
    if model:
        cmd += ["--model", model]
    if by:
        cmd += ["--by", by]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def label_table(report: dict) -> list[str]:
    """Per-label P/R/F1 with the lexicon's F1, then micro and macro."""
    model, lexicon = report["model"], report["lexicon"]
    rows = [f"{'label':16} {'P':>6} {'R':>6} {'F1':>6} {'n':>5}   lexicon F1"]
    for lab, m in model["per_label"].items():
        lx = lexicon["per_label"][lab]["f1"]
        rows.append(f"{lab:16} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['support']:5d}   {lx:.3f}")
    rows.append(f"{'micro':16} {model['micro']['precision']:6.3f} {model['micro']['recall']:6.3f} "
                f"{model['micro']['f1']:6.3f} {'':5}   {lexicon['micro']['f1']:.3f}")
    rows.append(f"{'macro':16} {'':6} {'':6} {model['macro']['f1']:6.3f} {'':5}   {lexicon['macro']['f1']:.3f}")
    return rows


def slice_table(report: dict, by: str) -> list[str]:
    """Micro and macro F1 of each slice, model and lexicon."""
    rows = [f"  by {by}: {'n':>4}  micro  macro   (lexicon micro macro)"]
    for key, s in sorted(report["slices"].items(), key=lambda kv: -kv[1]["model"]["n"]):
        m, lx = s["model"], s["lexicon"]
        rows.append(f"  {key[:40]:40} {m['n']:4d}  {m['micro']['f1']:.3f}  {m['macro']['f1']:.3f}   "
                    f"({lx['micro']['f1']:.3f} {lx['macro']['f1']:.3f})")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="model folder (default: the shipped model)")
    ap.add_argument("--dev", type=Path, default=DEV, help="folder holding dev_rect.jsonl and dev.jsonl")
    ap.add_argument("--json", type=Path, help="also write every report here")
    args = ap.parse_args(argv)
    out: dict[str, dict] = {}
    for name in SETS:
        gold = args.dev / f"{name}.jsonl"
        if not gold.is_file():
            print(f"{gold}: not found, skipped")
            continue
        # a sliced report carries the whole set's figures too: one run per slicing
        sliced = {by: evaluate(gold, args.model, by) for by in SLICES}
        report = sliced[SLICES[0]]
        out[name] = {"all": {k: report[k] for k in ("model", "lexicon", "gold", "model_id") if k in report}}
        print(f"\n{name} ({report['model']['n']} paragraphs, model {report.get('model_id')})")
        print("\n".join(label_table(report)))
        for by, rep in sliced.items():
            out[name][by] = rep["slices"]
            if len(rep["slices"]) > 1:
                print("\n".join(slice_table(rep, by)))
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if out else 1


if __name__ == "__main__":
    raise SystemExit(main())
