"""Interchange with labelling tools: Label Studio, doccano, Prodigy and Argilla.

Our labelled records are ``{"id", "text", "labels", "meta"}`` dicts (see
:mod:`policytag.io.corpus`); prediction rows as ``policytag predict -f jsonl`` writes
them are ``{"id", "text", "labels", "scores", ...}``. Each ``to_*`` function turns
records into one tool's task format and each ``from_*`` function turns that tool's
export back into records, so that ours → tool → ours loses nothing.

Semantics shared by every format:

* Labels a tool left out are **missing**, not negative: an imported record that no
  one annotated (no annotation, a skipped/cancelled/rejected/ignored/discarded one)
  has no ``"labels"`` key at all; an annotation submitted with no choice is
  ``"labels": []``. On export only records that have a ``"labels"`` key get an
  annotation.
* A record with a ``"scores"`` dict is model output: its labels are never exported
  as gold annotations, but as pre-annotations where the tool has them (Label Studio
  ``predictions``, Prodigy pre-selected ``accept`` without an ``answer``, Argilla
  ``suggestions``; doccano has no place for them, so they are dropped there).
* Our ``id`` and ``meta`` travel in the tool's data/meta fields. Imported records
  always carry a ``"meta"`` dict (``{}`` when there was none), as the corpus reader
  does, and an ``"id"`` whenever the tool row had ours or its own.
* With ``known_labels`` given, an unknown label raises ``PolicytagError("E006")``;
  a label list that is not a list of strings raises E015, a row without text E005,
  a row that is not an object E004.

:func:`read_any` and :func:`write_any` read and write whole files of any format;
writing is atomic (a temporary file in the same folder, then :func:`os.replace`).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from ..errors import PolicytagError

__all__ = [
    "FORMATS",
    "to_label_studio",
    "from_label_studio",
    "label_studio_config",
    "to_doccano",
    "from_doccano",
    "to_prodigy",
    "from_prodigy",
    "to_argilla",
    "from_argilla",
    "read_any",
    "write_any",
]

#: File formats understood by :func:`read_any` and :func:`write_any`.
FORMATS = ("labelstudio", "doccano", "prodigy", "argilla", "policytag")

#: Name of the choices control tag / Argilla question holding our labels.
LABELS_NAME = "labels"
DEFAULT_MODEL_VERSION = "policytag"


# --------------------------------------------------------------------------- helpers


def _as_dict(record: Any) -> dict[str, Any]:
    """A record as a plain dict (accepts :class:`~policytag.io.corpus.Example` too)."""
    if isinstance(record, Mapping):
        return dict(record)
    if is_dataclass(record) and not isinstance(record, type):
        d = asdict(record)
        return {k: d[k] for k in ("id", "text", "labels", "meta") if k in d}
    raise PolicytagError("E004", detail=f"got {type(record).__name__}")


def _check_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise PolicytagError("E005", field="text")
    return text


def _check_labels(value: Any, known: Optional[Sequence[str]]) -> list[str]:
    """A list of label ids, de-duplicated in order, checked against ``known`` (E015, E006)."""
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise PolicytagError("E015", value=value)
    if known is not None:
        for lab in value:
            if lab not in known:
                raise PolicytagError("E006", label=lab, known=", ".join(known))
    return list(dict.fromkeys(value))


def _meta(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _is_prediction(record: Mapping[str, Any]) -> bool:
    return isinstance(record.get("scores"), Mapping)


def _score(labels: Sequence[str], scores: Mapping[str, Any]) -> Optional[float]:
    """Mean score of the predicted labels, or the max score when none was predicted."""
    picked = [float(scores[lab]) for lab in labels if lab in scores]
    if picked:
        return sum(picked) / len(picked)
    values = [float(v) for v in scores.values()]
    return max(values) if values else None


def _record(rid: Any, text: str, labels: Optional[list[str]], meta: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rid is not None and rid != "":
        out["id"] = str(rid)
    out["text"] = text
    if labels is not None:
        out["labels"] = labels
    out["meta"] = meta
    return out


def _relocate(err: PolicytagError, path: Optional[str], line: Optional[int]) -> PolicytagError:
    """The same error, located at ``path``/``line`` unless it already has a location."""
    if err.path is not None:
        return err
    new = PolicytagError(err.code, path=path, line=line, message=err.message)
    new.fields = err.fields
    return new


def _each(rows: Iterable[Any], convert: Callable[[Any], dict[str, Any]], path: Optional[str] = None,
          lines: Optional[Sequence[int]] = None) -> list[dict[str, Any]]:
    """Convert rows one by one; errors are located at the row (1-based position or file line)."""
    out = []
    for i, row in enumerate(rows):
        try:
            out.append(convert(row))
        except PolicytagError as err:
            line = lines[i] if lines is not None else i + 1
            raise _relocate(err, path, line) from None
    return out


def _export_labels(rec: Mapping[str, Any], labels: Optional[Sequence[str]]) -> Optional[list[str]]:
    """The record's labels (checked), or None when it has none."""
    if "labels" not in rec:
        return None
    return _check_labels(rec["labels"], labels)


def _predictions_by_id(predictions: Optional[Iterable[Any]]) -> dict[str, dict[str, Any]]:
    if predictions is None:
        return {}
    out = {}
    for p in predictions:
        d = _as_dict(p)
        if "id" in d:
            out[str(d["id"])] = d
    return out


# --------------------------------------------------------------------------- Label Studio


def label_studio_config(labels: Sequence[str], from_name: str = LABELS_NAME, to_name: str = "text") -> str:
    """A Label Studio labelling config (XML) for multi-label choices over our labels."""
    from xml.sax.saxutils import quoteattr

    choices = "\n".join(f"    <Choice value={quoteattr(lab)}/>" for lab in labels)
    return (
        "<View>\n"
        f"  <Text name={quoteattr(to_name)} value=\"$text\"/>\n"
        f"  <Choices name={quoteattr(from_name)} toName={quoteattr(to_name)} choice=\"multiple\">\n"
        f"{choices}\n"
        "  </Choices>\n"
        "</View>\n"
    )


def _ls_result(labels: Sequence[str], from_name: str, to_name: str) -> list[dict[str, Any]]:
    return [{"from_name": from_name, "to_name": to_name, "type": "choices", "value": {"choices": list(labels)}}]


def _ls_prediction(row: Mapping[str, Any], labels: Sequence[str], model_version: str, from_name: str,
                   to_name: str) -> dict[str, Any]:
    predicted = _check_labels(row.get("labels", []), labels)
    pred: dict[str, Any] = {"model_version": model_version}
    score = _score(predicted, row.get("scores") or {})
    if score is not None:
        pred["score"] = score
    pred["result"] = _ls_result(predicted, from_name, to_name)
    return pred


def to_label_studio(
    records: Iterable[Any],
    labels: Sequence[str],
    predictions: Optional[Iterable[Any]] = None,
    model_version: Optional[str] = None,
    *,
    from_name: str = LABELS_NAME,
    to_name: str = "text",
) -> list[dict[str, Any]]:
    """Records as Label Studio tasks (a JSON list to import).

    ``data`` holds ``text``, our id as ``pid`` and ``meta``. A record's labels become
    one annotation when it has a ``"labels"`` key and is not model output. Model
    output becomes ``predictions`` with ``model_version`` (default ``"policytag"``)
    and ``score`` (mean score of the predicted labels, max score when none): either
    the rows in ``predictions`` (``policytag predict -f jsonl`` output, matched to
    records by id) or, failing one, a record that itself has ``"scores"``.
    Labels outside ``labels`` raise E006.
    """
    version = model_version or DEFAULT_MODEL_VERSION
    by_id = _predictions_by_id(predictions)
    known = list(labels)

    def convert(raw: Any) -> dict[str, Any]:
        rec = _as_dict(raw)
        data: dict[str, Any] = {"text": _check_text(rec.get("text"))}
        if rec.get("id") is not None:
            data["pid"] = str(rec["id"])
        data["meta"] = _meta(rec.get("meta"))
        task: dict[str, Any] = {"data": data}
        pred = by_id.get(str(rec.get("id"))) if rec.get("id") is not None else None
        if _is_prediction(rec):
            pred = pred or rec
        else:
            gold = _export_labels(rec, known)
            if gold is not None:
                task["annotations"] = [{"result": _ls_result(gold, from_name, to_name)}]
        if pred is not None:
            task["predictions"] = [_ls_prediction(pred, known, version, from_name, to_name)]
        return task

    return _each(records, convert)


def _ls_choices(result: Any, from_name: str) -> list[str]:
    chosen: list[str] = []
    if not isinstance(result, list):
        raise PolicytagError("E015", value=result)
    for item in result:
        if not isinstance(item, Mapping) or item.get("type") != "choices":
            continue
        if item.get("from_name", from_name) != from_name:
            continue
        value = item.get("value")
        choices = value.get("choices", []) if isinstance(value, Mapping) else value
        if not isinstance(choices, list):
            raise PolicytagError("E015", value=choices)
        chosen.extend(choices)
    return chosen


def from_label_studio(
    tasks: Iterable[Any], known_labels: Optional[Sequence[str]] = None, *, from_name: str = LABELS_NAME
) -> list[dict[str, Any]]:
    """Label Studio tasks (a JSON export) back to records.

    The labels come from the last annotation that was not cancelled (skipped);
    a task with none has no ``"labels"``; an annotation with no choice gives ``[]``.
    Predictions are not gold and are ignored. The id is ``data.pid`` (ours) or else
    the Label Studio task id.
    """

    def convert(task: Any) -> dict[str, Any]:
        if not isinstance(task, Mapping):
            raise PolicytagError("E004", detail=f"got {type(task).__name__}")
        data = task.get("data") if isinstance(task.get("data"), Mapping) else {}
        text = _check_text(data.get("text"))
        annotations = task.get("annotations", task.get("completions")) or []
        if not isinstance(annotations, list):
            annotations = []
        done = [a for a in annotations if isinstance(a, Mapping) and not a.get("was_cancelled")]
        labels = None
        if done:
            labels = _check_labels(_ls_choices(done[-1].get("result", []), from_name), known_labels)
        rid = data.get("pid", task.get("id"))
        return _record(rid, text, labels, _meta(data.get("meta")))

    return _each(tasks, convert)


# --------------------------------------------------------------------------- doccano

_DOCCANO_KEYS = {"id", "text", "label", "labels", "meta", "Comments", "comments"}


def to_doccano(records: Iterable[Any], labels: Optional[Sequence[str]] = None) -> list[dict[str, Any]]:
    """Records as doccano text-classification JSONL rows ``{"id", "text", "label", "meta"}``.

    Records without labels, and model output, get no ``"label"`` key. ``labels``,
    when given, is checked (E006).
    """

    def convert(raw: Any) -> dict[str, Any]:
        rec = _as_dict(raw)
        row: dict[str, Any] = {}
        if rec.get("id") is not None:
            row["id"] = str(rec["id"])
        row["text"] = _check_text(rec.get("text"))
        if not _is_prediction(rec):
            gold = _export_labels(rec, labels)
            if gold is not None:
                row["label"] = gold
        row["meta"] = _meta(rec.get("meta"))
        return row

    return _each(records, convert)


def from_doccano(rows: Iterable[Any], known_labels: Optional[Sequence[str]] = None) -> list[dict[str, Any]]:
    """doccano JSONL rows back to records; ``label`` or ``labels`` holds the labels.

    ``meta`` is the row's ``meta`` object, or else its other top-level fields (doccano
    spreads meta over the row on export).
    """

    def convert(row: Any) -> dict[str, Any]:
        if not isinstance(row, Mapping):
            raise PolicytagError("E004", detail=f"got {type(row).__name__}")
        text = _check_text(row.get("text"))
        key = "label" if "label" in row else "labels" if "labels" in row else None
        labels = None if key is None else _check_labels(row[key], known_labels)
        if isinstance(row.get("meta"), Mapping):
            meta = dict(row["meta"])
        else:
            meta = {k: v for k, v in row.items() if k not in _DOCCANO_KEYS}
        return _record(row.get("id"), text, labels, meta)

    return _each(rows, convert)


# --------------------------------------------------------------------------- Prodigy


def to_prodigy(records: Iterable[Any], labels: Sequence[str]) -> list[dict[str, Any]]:
    """Records as Prodigy choice tasks (``choice`` view, multiple selection).

    ``options`` lists every label; a record with labels is an answered task
    (``"accept": labels, "answer": "accept"``); model output pre-selects its labels in
    ``accept`` without an answer; our id is kept in ``pid`` and meta in ``meta``.
    """
    known = list(labels)
    options = [{"id": lab, "text": lab} for lab in known]

    def convert(raw: Any) -> dict[str, Any]:
        rec = _as_dict(raw)
        task: dict[str, Any] = {"text": _check_text(rec.get("text"))}
        task["options"] = [dict(o) for o in options]
        if _is_prediction(rec):
            task["accept"] = _check_labels(rec.get("labels", []), known)
        else:
            gold = _export_labels(rec, known)
            if gold is not None:
                task["accept"] = gold
                task["answer"] = "accept"
        task["meta"] = _meta(rec.get("meta"))
        if rec.get("id") is not None:
            task["pid"] = str(rec["id"])
        return task

    return _each(records, convert)


def from_prodigy(rows: Iterable[Any], known_labels: Optional[Sequence[str]] = None) -> list[dict[str, Any]]:
    """Prodigy annotations (``db-out`` JSONL) back to records.

    Only rows answered ``"accept"`` carry labels (their ``accept`` list, ``[]`` when
    none was chosen); ``"reject"``, ``"ignore"`` and unanswered rows come back with
    labels missing.
    """

    def convert(row: Any) -> dict[str, Any]:
        if not isinstance(row, Mapping):
            raise PolicytagError("E004", detail=f"got {type(row).__name__}")
        text = _check_text(row.get("text"))
        labels = None
        if row.get("answer") == "accept":
            labels = _check_labels(row.get("accept", []), known_labels)
        return _record(row.get("pid", row.get("id")), text, labels, _meta(row.get("meta")))

    return _each(rows, convert)


# --------------------------------------------------------------------------- Argilla


def to_argilla(
    records: Iterable[Any],
    labels: Optional[Sequence[str]] = None,
    model_version: Optional[str] = None,
    *,
    question: str = LABELS_NAME,
) -> list[dict[str, Any]]:
    """Records as Argilla records for a multi-label question named ``labels``.

    Gold labels become a submitted response; model output becomes a suggestion with
    per-label scores and ``agent`` = ``model_version`` (default ``"policytag"``).
    """
    agent = model_version or DEFAULT_MODEL_VERSION

    def convert(raw: Any) -> dict[str, Any]:
        rec = _as_dict(raw)
        row: dict[str, Any] = {}
        if rec.get("id") is not None:
            row["id"] = str(rec["id"])
        row["fields"] = {"text": _check_text(rec.get("text"))}
        row["metadata"] = _meta(rec.get("meta"))
        if _is_prediction(rec):
            predicted = _check_labels(rec.get("labels", []), labels)
            scores = rec["scores"]
            row["suggestions"] = {
                question: {
                    "value": predicted,
                    "score": [float(scores[lab]) if lab in scores else None for lab in predicted],
                    "agent": agent,
                }
            }
        else:
            gold = _export_labels(rec, labels)
            if gold is not None:
                row["responses"] = {question: [{"value": gold, "status": "submitted"}]}
        return row

    return _each(records, convert)


def from_argilla(
    rows: Iterable[Any], known_labels: Optional[Sequence[str]] = None, *, question: str = LABELS_NAME
) -> list[dict[str, Any]]:
    """Argilla records back to records: the last ``submitted`` response gives the labels.

    Draft or discarded responses, and suggestions, leave labels missing.
    """

    def convert(row: Any) -> dict[str, Any]:
        if not isinstance(row, Mapping):
            raise PolicytagError("E004", detail=f"got {type(row).__name__}")
        fields = row.get("fields") if isinstance(row.get("fields"), Mapping) else {}
        text = _check_text(fields.get("text"))
        responses = row.get("responses") if isinstance(row.get("responses"), Mapping) else {}
        answers = responses.get(question) or []
        if isinstance(answers, Mapping):
            answers = [answers]
        submitted = [
            a for a in answers if isinstance(a, Mapping) and a.get("status", "submitted") == "submitted"
        ]
        labels = None
        if submitted:
            value = submitted[-1].get("value", [])
            labels = _check_labels([] if value is None else value, known_labels)
        return _record(row.get("id"), text, labels, _meta(row.get("metadata")))

    return _each(rows, convert)


# --------------------------------------------------------------------------- files


def _check_fmt(fmt: str) -> None:
    if fmt not in FORMATS:
        raise PolicytagError(
            "E011", fmt=fmt, message=f"unsupported interchange format {fmt!r}; use one of: {', '.join(FORMATS)}"
        )


def _from_policytag(rows: Iterable[Any], known_labels: Optional[Sequence[str]] = None) -> list[dict[str, Any]]:
    def convert(row: Any) -> dict[str, Any]:
        if not isinstance(row, Mapping):
            raise PolicytagError("E004", detail=f"got {type(row).__name__}")
        out = dict(row)
        _check_text(out.get("text"))
        if "labels" in out:
            out["labels"] = _check_labels(out["labels"], known_labels)
        return out

    return _each(rows, convert)


_READERS: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "labelstudio": from_label_studio,
    "doccano": from_doccano,
    "prodigy": from_prodigy,
    "argilla": from_argilla,
    "policytag": _from_policytag,
}


def read_any(path: Path | str, fmt: str, known_labels: Optional[Sequence[str]] = None) -> list[dict[str, Any]]:
    """Read a file in ``fmt`` (one of :data:`FORMATS`) as records.

    Label Studio files are one JSON list (a single task object is accepted too); the
    others are JSON Lines (blank lines skipped, UTF-8, a byte-order mark dropped).
    Errors name the file and the line (for Label Studio, the task's position in the
    list). A record without an id gets ``<file>:<line>`` as in the corpus reader.
    Raises E001 (no file), E002 (no records), E004 (bad JSON) and the conversion errors.
    """
    _check_fmt(fmt)
    name = str(path)
    if fmt == "labelstudio":
        from .readers import STDIN, _open_binary

        fh = _open_binary(name)
        try:
            raw = fh.read()
        finally:
            if name != STDIN:
                fh.close()
        try:
            tasks = json.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise PolicytagError("E003", path=name, offset=exc.start, encoding="utf-8") from None
        except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
            raise PolicytagError("E004", path=name, detail=str(exc)) from None
        if isinstance(tasks, Mapping):
            tasks = [tasks]
        if not isinstance(tasks, list):
            raise PolicytagError("E004", path=name, detail=f"expected a list of tasks, got {type(tasks).__name__}")
        lines = list(range(1, len(tasks) + 1))
        records = _each(tasks, lambda t: from_label_studio([t], known_labels)[0], name, lines)
    else:
        from .readers import iter_lines

        rows, lines = [], []
        for number, line in iter_lines(name):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
                raise PolicytagError("E004", path=name, line=number, detail=str(exc)) from None
            lines.append(number)
        reader = _READERS[fmt]
        records = _each(rows, lambda r: reader([r], known_labels)[0], name, lines)
    if not records:
        raise PolicytagError("E002", path=name)
    for rec, number in zip(records, lines):
        if "id" not in rec or rec["id"] is None or rec["id"] == "":
            rec["id"] = f"{name}:{number}"
    return records


def write_any(
    records: Iterable[Any],
    path: Path | str,
    fmt: str,
    labels: Optional[Sequence[str]] = None,
    *,
    predictions: Optional[Iterable[Any]] = None,
    model_version: Optional[str] = None,
) -> int:
    """Write records to ``path`` in ``fmt`` (one of :data:`FORMATS`) atomically; return the row count.

    ``labels`` is the label set (Label Studio and Prodigy need one; when it is not
    given, the labels found in the records are used, in order of first appearance).
    ``predictions``/``model_version`` are passed on to :func:`to_label_studio`
    (``model_version`` to :func:`to_argilla` too). The data go to a temporary file in
    the same folder that then replaces ``path``, so a reader never sees half a file.
    OS errors (no such folder, no permission) propagate as :class:`OSError`.
    """
    _check_fmt(fmt)
    recs = [_as_dict(r) for r in records]
    preds = None if predictions is None else [_as_dict(p) for p in predictions]
    if labels is None:
        seen: dict[str, None] = {}
        for r in recs + (preds or []):
            if isinstance(r.get("labels"), list):
                seen.update((lab, None) for lab in r["labels"] if isinstance(lab, str))
            if isinstance(r.get("scores"), Mapping):
                seen.update((lab, None) for lab in r["scores"] if isinstance(lab, str))
        known: Optional[list[str]] = list(seen)
    else:
        known = list(labels)
    if fmt == "labelstudio":
        rows: list[Any] = to_label_studio(recs, known or [], preds, model_version)
        payload = json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
    else:
        if fmt == "doccano":
            rows = to_doccano(recs, labels)
        elif fmt == "prodigy":
            rows = to_prodigy(recs, known or [])
        elif fmt == "argilla":
            rows = to_argilla(recs, labels, model_version)
        else:
            rows = _from_policytag(recs, labels)
        payload = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    _atomic_write(Path(path), payload)
    return len(rows)


def _atomic_write(path: Path, payload: str) -> None:
    from ..atomic import write_text

    write_text(path, payload)
