#!/usr/bin/env python3
"""Rebuild ``models/`` from ``labels/`` reproducibly: ``python train.py``.

The same as ``policytag train`` with its defaults: the corpus in ``labels/corpus``,
the default config and seed, the model written atomically to ``models/``, and the
held-out ``../shared/dev/dev.jsonl`` scored into the model card when it is present.
Extra arguments are passed to ``policytag train`` (e.g. ``--out DIR``).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from policytag.cli.app import app  # noqa: E402

if __name__ == "__main__":
    app(["train", *sys.argv[1:]], prog_name="policytag")
