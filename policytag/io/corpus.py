"""Labelled data: reading and validating ``{"id", "text", "labels", "meta"}`` JSON Lines.

Used for the training corpus in ``labels/corpus`` and for gold files given to
``policytag evaluate``. Unlike prediction input, labelled data must be clean: the
first bad line raises a :class:`~policytag.errors.PolicytagError` naming file and line.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

from ..errors import PolicytagError, Problem, problem, raise_problem


@dataclass
class Example:
    """One labelled paragraph."""

    id: str
    text: str
    labels: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    line: int = 0


def iter_labelled(
    path: Path | str, known_labels: Sequence[str], on_problem: Optional[Callable[[Problem], None]] = None
) -> Iterator[Example]:
    """Yield the valid examples of one labelled JSONL file, checked against the label set.

    Each bad line (undecodable, not a JSON object, no text, labels not a list of strings,
    an unknown label) goes to ``on_problem`` and is skipped; without a handler it is raised.
    """
    from .readers import iter_lines

    handler = on_problem or raise_problem
    name = str(path)
    for number, line in iter_lines(name, on_problem=handler):
        if not line.strip():
            continue
        checked = _validate(line, name, number, known_labels)
        if isinstance(checked, Problem):
            handler(checked)
            continue
        obj, labels = checked
        meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
        rid = str(obj.get("id") or f"{name}:{number}")
        yield Example(rid, obj["text"], sorted(set(labels), key=list(known_labels).index), meta, name, number)


def _validate(line: str, name: str, number: int, known_labels: Sequence[str]) -> Problem | tuple[dict, list]:
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
        return problem("E004", path=name, line=number, detail=str(exc))
    if not isinstance(obj, dict):
        return problem("E004", path=name, line=number, detail=f"got {type(obj).__name__}")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        return problem("E005", path=name, line=number, field="text")
    labels = obj.get("labels", None)
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        return problem("E015", path=name, line=number, value=labels)
    for lab in labels:
        if lab not in known_labels:
            return problem("E006", path=name, line=number, label=lab, known=", ".join(known_labels))
    return obj, labels


def read_labelled(path: Path | str, known_labels: Sequence[str]) -> list[Example]:
    """Read and validate one labelled JSONL file against the label set; the first bad line raises."""
    out = list(iter_labelled(path, known_labels))
    if not out:
        raise PolicytagError("E002", path=str(path))
    return out


def read_corpus(paths: Iterable[Path | str], known_labels: Sequence[str]) -> list[Example]:
    """Read several labelled files, in the order given."""
    examples: list[Example] = []
    for p in paths:
        examples.extend(read_labelled(p, known_labels))
    return examples


def label_matrix(examples: Sequence[Example], labels: Sequence[str]) -> Any:
    """Indicator matrix ``(n_examples, n_labels)`` of int8."""
    import numpy as np

    index = {lab: j for j, lab in enumerate(labels)}
    Y = np.zeros((len(examples), len(labels)), dtype=np.int8)
    for i, ex in enumerate(examples):
        for lab in ex.labels:
            Y[i, index[lab]] = 1
    return Y


def corpus_hash(examples: Sequence[Example]) -> str:
    """SHA-256 over ids, texts and labels in order: the training-data hash of the model card."""
    h = hashlib.sha256()
    for ex in examples:
        h.update(json.dumps([ex.id, ex.text, ex.labels], ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def file_hash(path: Optional[Path | str]) -> Optional[str]:
    """SHA-256 of a file's bytes, or None when it is absent."""
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
