"""Evaluation commands: ``evaluate`` (with its HTML report) and ``summarize``."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .common import InputFormat, OutputFormat, ProblemCounter, echo_err, guard, output_to, progress_bar, write_file


def evaluate(
    gold: Path = typer.Argument(..., help="Gold JSONL file: id, text, labels, meta."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model folder (default: the shipped model)."),
    by: Optional[str] = typer.Option(None, "--by", help="Slice the figures by a field, e.g. meta.doc or meta.genre."),
    threshold: Optional[float] = typer.Option(None, "--threshold", "-t", help="One threshold for every label."),
    json_out: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    report_dir: Optional[Path] = typer.Option(None, "--report", help="Also write charts (PNG) and an HTML page to this folder; needs policytag[report]."),
) -> None:
    """Score the model, and the cue-term lexicon beside it, on gold-labelled paragraphs."""
    with guard():
        from .. import evaluate as evaluate_gold
        from ..workflow.evaluate import format_report
        from .. import Tagger

        if report_dir is not None:
            from ..report.plots import require_matplotlib

            require_matplotlib("evaluate --report")  # fail before the work, not after
        tagger = Tagger.load(model)
        report = evaluate_gold(str(gold), tagger, by=by, threshold=threshold)
        if json_out:
            typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            typer.echo(format_report(report, f"{gold} (model {report['model_id']}; right column: cue-term lexicon)"))
        if report_dir is not None:
            from ..atomic import cannot_write
            from ..report.html import write_report

            try:
                index = write_report(report, gold, tagger, report_dir, threshold=threshold)
            except OSError as exc:
                raise cannot_write(report_dir, exc) from None
            echo_err(f"report written to {index}")


def summarize(
    inputs: List[str] = typer.Argument(..., help="Documents (.txt, .jsonl, .csv), folders of them, or - for stdin."),
    output_format: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help="Output format."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the table to this file (atomically) instead of stdout."),
    chart: Optional[Path] = typer.Option(None, "--chart", help="Also draw a bar chart PNG here; needs policytag[report]."),
    by: Optional[str] = typer.Option(None, "--by", help="Group records by a field (province, meta.year …) instead of by file."),
    input_format: Optional[InputFormat] = typer.Option(None, "--input-format", help="Input format (default: from the file name)."),
    threshold: Optional[float] = typer.Option(None, "--threshold", "-t", help="One threshold for every label."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model folder (default: the shipped model)."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Text encoding of the inputs."),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="Progress bar on stderr (default: when stderr is a terminal)."),
) -> None:
    """Per document: the share of its paragraphs that carry each label, to compare provinces or years."""
    on_problem = ProblemCounter()
    n = 0
    with guard():
        from ..workflow.summarize import FORMATTERS, unique_files
        from ..workflow.summarize import chart as draw_chart
        from ..workflow.summarize import summarize as summarize_docs
        from .. import Tagger

        from ..io.encoding import check_encoding

        check_encoding(encoding)
        if chart is not None:
            from ..report.plots import require_matplotlib

            require_matplotlib("summarize --chart")
        files = unique_files(inputs, lambda p: None)  # problems are reported by summarize below
        for target in (output, chart):
            if target is not None and str(target) != "-":
                from ..atomic import check_not_input

                check_not_input(target, files)
        tagger = Tagger.load(model)
        show = sys.stderr.isatty() if progress is None else progress
        with progress_bar(files, show) as advance:
            summary = summarize_docs(
                inputs, tagger, by=by, threshold=threshold,
                input_format=input_format.value if input_format else None,
                encoding=encoding, on_problem=on_problem, on_record=advance,
            )
        n = sum(d["paragraphs"] for d in summary["documents"])
        if not on_problem.failed(n):
            with output_to(output, files) as out:
                out.write(FORMATTERS[output_format.value](summary))
            if chart is not None:
                write_file(chart, draw_chart(summary), files)
                echo_err(f"chart written to {chart}")
        on_problem.finish(n, "paragraph(s) were counted")
