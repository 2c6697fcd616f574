"""Tagging commands: ``labels``, ``predict``, ``explain``."""
from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional

import typer

from .common import InputFormat, OutputFormat, ProblemCounter, echo_err, guard, output_to, progress_bar


def labels(
    json_out: bool = typer.Option(False, "--json", help="Print the taxonomy as JSON."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Show the label set a model was trained with."),
) -> None:
    """List the label set with definitions and cue terms."""
    with guard():
        from ..model.format import read_card
        from ..resources import load_taxonomy

        taxonomy = read_card(model)["taxonomy"] if model else load_taxonomy()
        if json_out:
            typer.echo(json.dumps(taxonomy, ensure_ascii=False, indent=2))
            return
        for lab in taxonomy["labels"]:
            typer.echo(f"{lab['id']:<15} {lab.get('zh', '')} / {lab.get('en', '')}: {lab.get('definition', '')}")
            if lab.get("cues"):
                typer.echo(f"{'':<15} cues: {'、'.join(lab['cues'][:12])}{' …' if len(lab['cues']) > 12 else ''}")


_KERNEL_INPUT_BYTES = 1_000_000  # about the input that moves one process to the kernel


def predict(
    inputs: List[str] = typer.Argument(..., help="Files, folders or glob patterns to tag (.txt one paragraph a line, .jsonl, .csv, .html, .docx, .pdf), or - for stdin."),
    output_format: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help="Output format."),
    input_format: Optional[InputFormat] = typer.Option(None, "--input-format", help="Input format (default: from the file name)."),
    threshold: Optional[float] = typer.Option(None, "--threshold", "-t", help="One threshold for every label, instead of the model's per-label thresholds."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model folder (default: the shipped model)."),
    encoding: str = typer.Option("auto", "--encoding", help="Text encoding of the inputs: auto (detected: UTF-8, UTF-16, GB18030, Big5) or a codec name."),
    batch_size: int = typer.Option(2048, "--batch-size", min=1, help="Paragraphs per prediction batch (memory grows with it: about 280 MB at 2048 with --jobs 2)."),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="Progress bar on stderr (default: when stderr is a terminal)."),
    min_precision: Optional[float] = typer.Option(None, "--min-precision", help="Precision-first: per-label thresholds reaching this out-of-fold precision (e.g. 0.9); rows gain 'uncertain'."),
    evidence: bool = typer.Option(False, "--evidence", help="Add the top terms behind each label (jsonl/csv 'evidence' field)."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Scoring threads on the compiled kernel, or worker processes where it cannot run (0: one per CPU core). Worth it from ~20,000 paragraphs."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (atomically: complete or not at all) instead of stdout; never one of the inputs."),
) -> None:
    """Tag each paragraph of the inputs and stream the results to stdout (or --output)."""
    on_problem = ProblemCounter()
    written = 0
    # predict's matrix products are tiny: OpenBLAS's own threads would only spin against
    # the scoring threads (read when NumPy loads, so before the imports below)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

    with guard():
        from .. import Tagger, located_records
        from ..io.encoding import check_encoding
        from ..io.readers import expand_inputs
        from ..io.writers import write_rows

        check_encoding(encoding)
        tagger = Tagger.load(model)
        if min_precision is not None:
            _, cost = tagger.precision_thresholds(min_precision)
            for lab, c in cost.items():
                echo_err(
                    f"min precision {min_precision:g}: {lab} threshold {c['threshold']:.3f}, "
                    f"out-of-fold recall {c['recall']:.2f} (usual threshold: {c['default_recall']:.2f})"
                )
        files = expand_inputs(inputs, on_problem)
        jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
        _note_kernel_build(files, jobs)
        with output_to(output, files) as out, _few_gc_pauses():
            show = sys.stderr.isatty() if progress is None else progress
            with progress_bar(files, show) as advance:
                as_jsonl = output_format.value == "jsonl" and not evidence
                records = located_records(
                    files,
                    input_format.value if input_format else None,
                    encoding,
                    on_problem=on_problem,
                    on_file=advance,
                    columns=as_jsonl,  # plain JSON lines read as columns: no record object a line
                )
                scoring = dict(
                    batch_size=batch_size,
                    threshold=threshold,
                    min_precision=min_precision,
                    jobs=jobs,
                )
                if as_jsonl:  # rows serialised where they are scored
                    write = _chunk_writer(out)
                    for n, part in tagger.jsonl_chunks(records, raw=True, **scoring):
                        write(part)
                        written += n
                else:
                    rows = tagger.tag_records(records, evidence=evidence, **scoring)
                    written = write_rows(rows, output_format.value, out, tagger.labels)
                out.flush()
            on_problem.finish(written)  # on failure, a file being written is discarded


def _chunk_writer(out: Any) -> Callable[[str | bytes], None]:
    """A writer of text chunks and UTF-8 byte chunks, in order, to a text stream: bytes
    go straight to its binary buffer when it writes UTF-8 with ``\n`` line ends (no
    decoding and re-encoding), else they are decoded and written as text."""
    import codecs

    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    direct = buffer is not None and bool(encoding) and codecs.lookup(encoding).name == "utf-8" and os.linesep == "\n"

    def write(part: str | bytes) -> None:
        if isinstance(part, bytes):
            if direct:
                out.flush()  # what the text layer holds goes first
                buffer.write(part)
                return
            part = part.decode("utf-8")
        out.write(part)

    return write


@contextmanager
def _few_gc_pauses() -> Iterator[None]:
    """Python's cycle collector, made to run rarely while tagging: the objects of the
    imports and the model are frozen out of its scans, and it waits for 20,000 new
    objects instead of 700. Records and rows make no cycles, and each collection holds
    the GIL that the scoring threads need: on 200,000 paragraphs it took 0.58 s of
    collections down to 0.04 s."""
    import gc

    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _note_kernel_build(files: List[str], jobs: int) -> None:
    """W030 on stderr when this run will use the compiled kernel (``--jobs``, or inputs
    big enough) and its first use here is going to compile it, so the pause is explained."""
    from ..model.compiled import kernel_cache_missing, kernel_mode
    from ..errors import warning

    if jobs == 1 and kernel_mode() != "numba":
        size = 0
        for f in files:
            try:
                size += os.path.getsize(f)
            except (OSError, ValueError):
                pass
        if size < _KERNEL_INPUT_BYTES:
            return
    where = kernel_cache_missing()
    if where is not None:
        echo_err(str(warning("W030", folder=where)))


def explain(
    source: str = typer.Argument(..., help="A paragraph of text, or a file whose paragraphs to explain."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model folder (default: the shipped model)."),
    top: int = typer.Option(8, "--top", min=1, help="Terms to show per direction and label."),
    all_labels: bool = typer.Option(False, "--all", help="Explain every label, also those far below threshold."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object per paragraph."),
    threshold: Optional[float] = typer.Option(None, "--threshold", "-t", help="One threshold for every label."),
) -> None:
    """Why each label got its score: the terms that raised or lowered it, with their sentences."""
    with guard():
        from ..model.explain import format_explanation
        from .. import Tagger

        tagger = Tagger.load(model)
        if Path(source).is_file():
            from ..io.readers import read_records

            texts = [(rec.id, rec.text) for rec in read_records(source)]
        else:
            texts = [(None, source)]
        for i, (rid, text) in enumerate(texts):
            result = tagger.explain(text, top=top, threshold=threshold)
            if json_out:
                typer.echo(json.dumps({"id": rid, **result}, ensure_ascii=False))
            else:
                if i:
                    typer.echo("")
                typer.echo((f"id: {rid}\n" if rid else "") + format_explanation(result, all_labels), nl=False)
