"""Lone surrogates: code points that JSON escapes can produce but Unicode text cannot hold.

``json.loads('"\\ud800"')`` gives a Python string no UTF-8 writer, tokenizer or
converter accepts. Records read from JSON Lines are scrubbed here, so a stray escape
costs one warning (W020), not the run.
"""
from __future__ import annotations

import re
from typing import Any

_LONE = re.compile("[\ud800-\udfff]")  # paired escapes are already joined by json.loads
REPLACEMENT = "\ufffd"


def scrub(value: Any) -> tuple[Any, int]:
    """``value`` with every lone surrogate in its strings (dict keys too) replaced by U+FFFD.

    Walks lists and dicts without recursion (JSON nesting can be deep), changing
    them in place; returns the value and the number of code points replaced.
    """
    if isinstance(value, str):
        return _LONE.subn(REPLACEMENT, value)
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            for i, v in enumerate(item):
                if isinstance(v, str):
                    item[i], n = _LONE.subn(REPLACEMENT, v)
                    count += n
                elif isinstance(v, (list, dict)):
                    stack.append(v)
        elif isinstance(item, dict):
            if any(isinstance(k, str) and _LONE.search(k) for k in item):
                pairs = list(item.items())
                item.clear()
                for k, v in pairs:
                    k, n = _LONE.subn(REPLACEMENT, k)
                    count += n
                    item[k] = v
            for k, v in item.items():
                if isinstance(v, str):
                    item[k], n = _LONE.subn(REPLACEMENT, v)
                    count += n
                elif isinstance(v, (list, dict)):
                    stack.append(v)
    return value, count
