"""Model and corpus commands: ``train``, ``check``, ``suggest``, ``upgrade``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from .common import InputFormat, ProblemCounter, echo_err, guard


def train(
    data: Optional[List[Path]] = typer.Option(None, "--data", help="Labelled JSONL file, or a folder of them; repeat for more (default: labels/corpus)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Model folder to write (default: the checkout's models/, else ./models)."),
    config: Optional[Path] = typer.Option(None, "--config", help="JSON file overriding training settings."),
    dev: Optional[Path] = typer.Option(None, "--dev", help="Gold JSONL scored into the model card (default: ../shared/dev/dev.jsonl if present)."),
    no_dev: bool = typer.Option(False, "--no-dev", help="Do not score a dev file."),
    taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Taxonomy JSON with your own label set (default: labels/taxonomy.json)."),
    no_cv: bool = typer.Option(False, "--no-cv", help="Skip the nested cross-validation (5x the work) that fills the card's CV figures."),
) -> None:
    """Train a model (cross-validated report on stdout) and write it atomically."""
    with guard():
        from ..workflow.evaluate import format_report
        from .. import train as train_model

        def progress(stage: str, done: int, total: int) -> None:
            echo_err(f"{stage}: {done}/{total}")

        card = train_model(
            data=data or None, out=out, config=config, dev="" if no_dev else dev, progress=progress,
            taxonomy=taxonomy, overrides={"cv_folds": 0} if no_cv else None,
        )
        cv = card["cross_validation"]
        if cv:
            typer.echo(format_report(cv, f"cross-validation ({cv['folds']}-fold, nested) on "
                                     f"{card['training_data']['n_paragraphs']} paragraphs; right column: cue-term lexicon"))
        if card.get("dev"):
            typer.echo("")
            typer.echo(format_report(card["dev"], f"dev: {card['dev']['file']}"))
        from ..workflow.train import default_out_dir

        typer.echo(f"\nmodel {card['model_id']} written to {out or default_out_dir()}")


def check(
    data: List[Path] = typer.Argument(..., help="Labelled JSONL file(s): id, text, labels."),
    taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Taxonomy JSON of the label set (default: labels/taxonomy.json)."),
    folds: int = typer.Option(5, "--folds", help="Folds for the out-of-fold mislabel search (0 skips it)."),
    top: int = typer.Option(20, "--top", help="How many likely mislabelled paragraphs to list."),
    json_out: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
) -> None:
    """Corpus QA: counts, bad lines, duplicates, near-duplicates, likely mislabels."""
    with guard():
        from ..workflow.quality import check as check_data
        from ..resources import read_taxonomy

        report = check_data(data, read_taxonomy(taxonomy) if taxonomy else None, folds=folds, top=top)
        if json_out:
            typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            typer.echo(f"{report['n']} paragraphs; {report['no_label']} with no label")
            for lab, c in report["label_counts"].items():
                typer.echo(f"  {lab:<15} {c}")
            typer.echo(f"{len(report['problems'])} bad line(s)")
            for line in report["problems"]:
                typer.echo(f"  {line}")
            if report["duplicate_ids"]:
                typer.echo(f"duplicate ids: {', '.join(report['duplicate_ids'][:20])}")
            typer.echo(f"{len(report['near_duplicates'])} near-duplicate pair(s)")
            for pair in report["near_duplicates"][:50]:
                typer.echo(f"  {pair['a']} ~ {pair['b']} (5-gram Jaccard {pair['jaccard']:.2f}"
                           f"{'' if pair['same_labels'] else ', labels differ'})")
            if report["suspects"]:
                typer.echo("most likely mislabelled (gold vs out-of-fold prediction):")
                for sus in report["suspects"]:
                    typer.echo(f"  {sus['where']} gold={','.join(sus['gold']) or '-'} "
                               f"predicted={','.join(sus['predicted']) or '-'}  {sus['text'][:50]}")
        if report["problems"]:
            raise typer.Exit(1)


def suggest(
    inputs: List[str] = typer.Argument(..., help="Unlabelled paragraphs: files (.txt, .jsonl, .csv, .html, .docx, .pdf), folders, globs, or - for stdin."),
    n: int = typer.Option(50, "-n", min=1, help="How many paragraphs to suggest."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model folder (default: the shipped model)."),
    input_format: Optional[InputFormat] = typer.Option(None, "--input-format", help="Input format (default: from the file name)."),
) -> None:
    """The paragraphs the model is least sure of, with suggested labels, as JSONL to label next."""
    on_problem = ProblemCounter()
    picked: list = []

    with guard():
        from ..workflow.suggest import suggest_files
        from .. import Tagger

        picked = suggest_files(inputs, Tagger.load(model), n=n, on_problem=on_problem,
                               input_format=input_format.value if input_format else None)
        for item in picked:
            typer.echo(json.dumps(item, ensure_ascii=False))
    on_problem.finish(len(picked), "paragraph(s) were suggested")


def upgrade(
    model: Path = typer.Argument(..., help="A model folder written by policytag 0.1 (format 1, model.joblib)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the upgraded model here (default: in place)."),
) -> None:
    """Convert an old pickle model folder to the arrays-only format (no code runs on load)."""
    with guard():
        from ..model.format import upgrade_model

        typer.echo(f"model upgraded to format 2 in {upgrade_model(model, out)}")
