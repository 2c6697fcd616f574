"""The ``policytag`` command line: a thin shell over the library.

Each command calls the library function of the same name and only formats its
result; errors are one line on stderr with a stable code, and a non-zero exit.
"""
from __future__ import annotations

import json
import os
import re
import sys
import warnings
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional

import typer

app = typer.Typer(
    name="policytag",
    help="Tag paragraphs of Chinese environmental-policy documents with six labels "
    "(air, water, soil, carbon, accountability, institutional).",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)


class OutputFormat(str, Enum):
    table = "table"
    jsonl = "jsonl"
    csv = "csv"


class InputFormat(str, Enum):
    txt = "txt"
    jsonl = "jsonl"
    csv = "csv"
    html = "html"
    docx = "docx"
    pdf = "pdf"


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"policytag {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Tag paragraphs of Chinese environmental-policy documents with six labels."""


# control and line-break characters, quoted when they come from the data
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def _err(line: str) -> None:
    """One line on stderr (a CSV header holding a vertical tab must not split a message in two)."""
    typer.echo(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                            else f"\\u{ord(m.group()):04x}", line), err=True)


class _ProblemCounter:
    """An ``on_problem`` handler: prints each problem line to stderr and counts them.

    ``count`` counts errors (lines skipped), ``warnings`` the rest, ``whole_inputs``
    the errors that cost a whole input (no line number: missing, unreadable or empty file).
    """

    def __init__(self) -> None:
        self.count = 0
        self.warnings = 0
        self.whole_inputs = 0

    def __call__(self, problem: object) -> None:
        if getattr(problem, "code", "E").startswith("W"):
            self.warnings += 1
        else:
            self.count += 1
            self.whole_inputs += getattr(problem, "line", None) is None
        _err(str(problem))

    def failed(self, done: int) -> bool:
        """True where nothing could be done: no paragraph at all, or a whole input lost."""
        return bool(self.whole_inputs or (done == 0 and self.count))

    def finish(self, done: int, what: str = "paragraph(s) were tagged") -> None:
        """Say how many problems there were; exit 1 if the run :meth:`failed`.

        Skipped lines are reported on stderr (with a count) but do not fail the run.
        Called inside an ``_output`` block, the exit also discards the file being written.
        """
        if self.count and done:
            _err(f"{self.count} problem(s) reported; the other {done} {what}")
        if self.failed(done):
            raise typer.Exit(1)


@contextmanager
def _output(path: Optional[Path], inputs: List[str], mode: str = "w") -> Iterator[object]:
    """stdout, or a file written atomically that must not be one of the ``inputs`` (E050)."""
    if path is None or str(path) == "-":
        yield sys.stdout
        return
    from ..atomic import atomic_open, cannot_write, check_not_input

    check_not_input(path, inputs)
    try:
        with atomic_open(path, mode, newline="" if mode == "w" else None) as fh:
            yield fh
    except OSError as exc:
        raise cannot_write(path, exc) from None


def _write_file(path: Path, data: bytes | str, inputs: List[str]) -> None:
    with _output(path, inputs, "wb" if isinstance(data, bytes) else "w") as fh:
        fh.write(data)


@contextmanager
def _guard() -> Iterator[None]:
    """Turn library errors into one stderr line and exit 1; show coded warnings."""
    from ..errors import ERRORS, PolicytagError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except PolicytagError as err:
            _flush_warnings(caught)
            _err(str(err))
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort):
            _flush_warnings(caught)
            raise
        except KeyboardInterrupt:
            _err("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            _quiet_broken_pipe()
            raise typer.Exit(0) from None
        except Exception as exc:  # the last line of defence: never a bare traceback
            if os.environ.get("POLICYTAG_DEBUG"):
                raise
            _err("E099: " + ERRORS["E099"].format(detail=f"{type(exc).__name__}: {exc}"))
            raise typer.Exit(70) from None
    _flush_warnings(caught)


def _flush_warnings(caught: list) -> None:
    from ..errors import PolicytagWarning

    for w in caught:
        if issubclass(w.category, PolicytagWarning):
            _err(str(w.message))


def _quiet_broken_pipe() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


@app.command()
def labels(
    json_out: bool = typer.Option(False, "--json", help="Print the taxonomy as JSON."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Show the label set a model was trained with."),
) -> None:
    """List the label set with definitions and cue terms."""
    with _guard():
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


@app.command()
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
    on_problem = _ProblemCounter()
    written = 0
    # predict's matrix products are tiny: OpenBLAS's own threads would only spin against
    # the scoring threads (read when NumPy loads, so before the imports below)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

    with _guard():
        from ..io.readers import expand_inputs
        from ..io.encoding import check_encoding
        from ..io.writers import write_rows
        from ..tagger.core import Tagger, located_records

        check_encoding(encoding)
        tagger = Tagger.load(model)
        if min_precision is not None:
            _, cost = tagger.precision_thresholds(min_precision)
            for lab, c in cost.items():
                _err(
                    f"min precision {min_precision:g}: {lab} threshold {c['threshold']:.3f}, "
                    f"out-of-fold recall {c['recall']:.2f} (usual threshold: {c['default_recall']:.2f})"
                )
        files = expand_inputs(inputs, on_problem)
        jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
        _note_kernel_build(files, jobs)
        with _output(output, files) as out, _few_gc_pauses():
            show = sys.stderr.isatty() if progress is None else progress
            with _progress_bar(files, show) as advance:
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
                    default, strict = tagger._label_thresholds(threshold, min_precision)
                    for n, part in tagger._jsonl_parts(records, batch_size, jobs, default, strict):
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


_KERNEL_INPUT_BYTES = 1_000_000  # about the input that moves one process to the kernel


def _note_kernel_build(files: List[str], jobs: int) -> None:
    """W030 on stderr when this run will use the compiled kernel (``--jobs``, or inputs
    big enough) and its first use here is going to compile it, so the pause is explained."""
    from ..model.compiled import _kernel_mode, kernel_cache_missing
    from ..errors import warning

    if jobs == 1 and _kernel_mode() != "numba":
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
        _err(str(warning("W030", folder=where)))


@contextmanager
def _progress_bar(files: List[str], show: bool) -> Iterator[object]:
    """One rich progress bar on stderr for all the inputs, advanced by bytes of files read."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    sizes = {}
    for path in files:
        try:
            sizes[path] = Path(path).stat().st_size if path != "-" else 0
        except OSError:
            sizes[path] = 0
    with Progress(
        TextColumn("tagging"), BarColumn(), TextColumn("{task.fields[done]}/{task.fields[files]} files"),
        DownloadColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task("tagging", total=sum(sizes.values()) or None, done=0, files=len(files))
        done = [0]

        def advance(path: str) -> None:
            done[0] += 1
            bar.update(task, advance=sizes.get(path, 0), done=done[0])

        yield advance


@app.command()
def explain(
    source: str = typer.Argument(..., help="A paragraph of text, or a file whose paragraphs to explain."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model folder (default: the shipped model)."),
    top: int = typer.Option(8, "--top", min=1, help="Terms to show per direction and label."),
    all_labels: bool = typer.Option(False, "--all", help="Explain every label, also those far below threshold."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object per paragraph."),
    threshold: Optional[float] = typer.Option(None, "--threshold", "-t", help="One threshold for every label."),
) -> None:
    """Why each label got its score: the terms that raised or lowered it, with their sentences."""
    with _guard():
        from ..model.explain import format_explanation
        from ..tagger.core import Tagger

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


@app.command()
def evaluate(
    gold: Path = typer.Argument(..., help="Gold JSONL file: id, text, labels, meta."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model folder (default: the shipped model)."),
    by: Optional[str] = typer.Option(None, "--by", help="Slice the figures by a field, e.g. meta.doc or meta.genre."),
    threshold: Optional[float] = typer.Option(None, "--threshold", "-t", help="One threshold for every label."),
    json_out: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    report_dir: Optional[Path] = typer.Option(None, "--report", help="Also write charts (PNG) and an HTML page to this folder; needs policytag[report]."),
) -> None:
    """Score the model, and the cue-term lexicon beside it, on gold-labelled paragraphs."""
    with _guard():
        from ..workflow.evaluate import evaluate as evaluate_gold
        from ..workflow.evaluate import format_report
        from ..tagger.core import Tagger

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
            _err(f"report written to {index}")


@app.command()
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
    on_problem = _ProblemCounter()
    n = 0
    with _guard():
        from ..workflow.summarize import FORMATTERS, expand_inputs
        from ..workflow.summarize import chart as draw_chart
        from ..workflow.summarize import summarize as summarize_docs
        from ..tagger.core import Tagger

        from ..io.encoding import check_encoding

        check_encoding(encoding)
        if chart is not None:
            from ..report.plots import require_matplotlib

            require_matplotlib("summarize --chart")
        files = expand_inputs(inputs, lambda p: None)  # problems are reported by summarize below
        for target in (output, chart):
            if target is not None and str(target) != "-":
                from ..atomic import check_not_input

                check_not_input(target, files)
        tagger = Tagger.load(model)
        show = sys.stderr.isatty() if progress is None else progress
        with _progress_bar(files, show) as advance:
            summary = summarize_docs(
                inputs, tagger, by=by, threshold=threshold,
                input_format=input_format.value if input_format else None,
                encoding=encoding, on_problem=on_problem, on_record=advance,
            )
        n = sum(d["paragraphs"] for d in summary["documents"])
        if not on_problem.failed(n):
            with _output(output, files) as out:
                out.write(FORMATTERS[output_format.value](summary))
            if chart is not None:
                _write_file(chart, draw_chart(summary), files)
                _err(f"chart written to {chart}")
        on_problem.finish(n, "paragraph(s) were counted")


@app.command()
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
    with _guard():
        from ..workflow.evaluate import format_report
        from ..workflow.train import train as train_model

        def progress(stage: str, done: int, total: int) -> None:
            _err(f"{stage}: {done}/{total}")

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


@app.command()
def check(
    data: List[Path] = typer.Argument(..., help="Labelled JSONL file(s): id, text, labels."),
    taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Taxonomy JSON of the label set (default: labels/taxonomy.json)."),
    folds: int = typer.Option(5, "--folds", help="Folds for the out-of-fold mislabel search (0 skips it)."),
    top: int = typer.Option(20, "--top", help="How many likely mislabelled paragraphs to list."),
    json_out: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
) -> None:
    """Corpus QA: counts, bad lines, duplicates, near-duplicates, likely mislabels."""
    with _guard():
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


@app.command()
def suggest(
    inputs: List[str] = typer.Argument(..., help="Unlabelled paragraphs: files (.txt, .jsonl, .csv, .html, .docx, .pdf), folders, globs, or - for stdin."),
    n: int = typer.Option(50, "-n", min=1, help="How many paragraphs to suggest."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model folder (default: the shipped model)."),
    input_format: Optional[InputFormat] = typer.Option(None, "--input-format", help="Input format (default: from the file name)."),
) -> None:
    """The paragraphs the model is least sure of, with suggested labels, as JSONL to label next."""
    on_problem = _ProblemCounter()
    picked: list = []

    with _guard():
        from ..workflow.suggest import suggest_files
        from ..tagger.core import Tagger

        picked = suggest_files(inputs, Tagger.load(model), n=n, on_problem=on_problem,
                               input_format=input_format.value if input_format else None)
        for item in picked:
            typer.echo(json.dumps(item, ensure_ascii=False))
    on_problem.finish(len(picked), "paragraph(s) were suggested")


class Interchange(str, Enum):
    labelstudio = "labelstudio"
    doccano = "doccano"
    prodigy = "prodigy"
    argilla = "argilla"
    policytag = "policytag"


@app.command()
def upgrade(
    model: Path = typer.Argument(..., help="A model folder written by policytag 0.1 (format 1, model.joblib)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the upgraded model here (default: in place)."),
) -> None:
    """Convert an old pickle model folder to the arrays-only format (no code runs on load)."""
    with _guard():
        from ..model.format import upgrade_model

        typer.echo(f"model upgraded to format 2 in {upgrade_model(model, out)}")


def _label_set(model: Optional[Path]) -> list:
    from ..model.format import read_card
    from ..resources import label_ids

    return list(read_card(model)["labels"]) if model else label_ids()


@app.command("export")
def export(
    data: Path = typer.Argument(..., help="policytag JSONL: gold records, or rows from `predict -f jsonl`."),
    to: Interchange = typer.Option(..., "--to", help="Labelling-tool format to write."),
    out: Path = typer.Option(..., "--out", "-o", help="File to write (atomically)."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Take the label set from this model (default: labels/taxonomy.json)."),
    model_version: str = typer.Option("policytag", "--model-version", help="model_version / agent recorded with predictions."),
) -> None:
    """Write records for Label Studio, doccano, Prodigy or Argilla; predictions become pre-annotations."""
    with _guard():
        from ..io.interop import read_any, write_any

        from ..atomic import cannot_write

        labels = _label_set(model)
        records = read_any(data, "policytag", known_labels=labels)
        try:
            n = write_any(records, out, to.value, labels=labels, model_version=model_version)
        except OSError as exc:
            raise cannot_write(out, exc) from None
        _err(f"{n} record(s) written to {out}")


@app.command("import")
def import_(
    data: Path = typer.Argument(..., help="A labelling tool's export."),
    from_: Interchange = typer.Option(..., "--from", help="Format of the export."),
    out: Path = typer.Option(..., "--out", "-o", help="policytag JSONL to write (atomically)."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Check labels against this model's label set (default: labels/taxonomy.json)."),
) -> None:
    """Read a labelling tool's export back into policytag JSONL; labels a tool left out stay missing."""
    with _guard():
        from ..io.interop import read_any, write_any

        from ..atomic import cannot_write

        labels = _label_set(model)
        records = read_any(data, from_.value, known_labels=labels)
        try:
            n = write_any(records, out, "policytag", labels=labels)
        except OSError as exc:
            raise cannot_write(out, exc) from None
        missing = sum(1 for r in records if "labels" not in r)
        _err(f"{n} record(s) written to {out}; {missing} without labels (not annotated)")


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM ends the run like Ctrl-C: files being written are removed, old ones stay."""
    _err("terminated")
    raise SystemExit(128 + signum)


def main() -> None:
    """Console-script entry point."""
    import signal

    try:
        signal.signal(signal.SIGTERM, _terminate)
    except (ValueError, OSError):  # not the main thread, or no such signal here
        pass
    for stream in (sys.stdout, sys.stderr):
        try:  # a character the terminal's encoding cannot show becomes an escape, not a crash
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    app()


if __name__ == "__main__":
    main()
