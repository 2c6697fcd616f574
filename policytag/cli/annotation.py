"""Annotation-tool commands: ``export`` and ``import`` (Label Studio, doccano, Prodigy, Argilla)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import Interchange, echo_err, guard


def _label_set(model: Optional[Path]) -> list:
    from ..model.format import read_card
    from ..resources import label_ids

    return list(read_card(model)["labels"]) if model else label_ids()


def export(
    data: Path = typer.Argument(..., help="policytag JSONL: gold records, or rows from `predict -f jsonl`."),
    to: Interchange = typer.Option(..., "--to", help="Labelling-tool format to write."),
    out: Path = typer.Option(..., "--out", "-o", help="File to write (atomically)."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Take the label set from this model (default: labels/taxonomy.json)."),
    model_version: str = typer.Option("policytag", "--model-version", help="model_version / agent recorded with predictions."),
) -> None:
    """Write records for Label Studio, doccano, Prodigy or Argilla; predictions become pre-annotations."""
    with guard():
        from ..io.interop import read_any, write_any

        from ..atomic import cannot_write

        labels = _label_set(model)
        records = read_any(data, "policytag", known_labels=labels)
        try:
            n = write_any(records, out, to.value, labels=labels, model_version=model_version)
        except OSError as exc:
            raise cannot_write(out, exc) from None
        echo_err(f"{n} record(s) written to {out}")


def import_(
    data: Path = typer.Argument(..., help="A labelling tool's export."),
    from_: Interchange = typer.Option(..., "--from", help="Format of the export."),
    out: Path = typer.Option(..., "--out", "-o", help="policytag JSONL to write (atomically)."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Check labels against this model's label set (default: labels/taxonomy.json)."),
) -> None:
    """Read a labelling tool's export back into policytag JSONL; labels a tool left out stay missing."""
    with guard():
        from ..io.interop import read_any, write_any

        from ..atomic import cannot_write

        labels = _label_set(model)
        records = read_any(data, from_.value, known_labels=labels)
        try:
            n = write_any(records, out, "policytag", labels=labels)
        except OSError as exc:
            raise cannot_write(out, exc) from None
        missing = sum(1 for r in records if "labels" not in r)
        echo_err(f"{n} record(s) written to {out}; {missing} without labels (not annotated)")
