"""The evaluation report people look at: ``policytag evaluate GOLD --report DIR``.

Writes into DIR, each file atomically, the page last (so it never links a missing image):

``index.html``     one self-contained page (no scripts, no network): the metrics table
                   (model beside the cue-term lexicon, with each label's threshold) and the charts
``f1.png``         F1 per label, model vs lexicon
``pr_curves.png``  precision/recall curve per label, the chosen threshold and the lexicon marked
``confusion.png``  gold labels (rows) against predicted labels (columns), "(none)" included
``scores.png``     score distributions of gold positives and negatives, threshold marked
``metrics.json``   the report exactly as ``policytag evaluate --json`` prints it
``metrics.csv``    the metrics table as CSV

The metrics come from :func:`policytag.workflow.evaluate.evaluate` unchanged; the charts need
the per-paragraph scores, which are computed here with ``Tagger.predict_proba``.
"""
from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from . import plots as _plots
from ..atomic import check_not_input, write_bytes, write_text

FILES = ("f1.png", "pr_curves.png", "confusion.png", "scores.png", "metrics.json", "metrics.csv", "index.html")
WHAT = "evaluate --report"


def label_thresholds(tagger: Any, threshold: Optional[float] = None) -> dict[str, float]:
    """Each label's decision threshold: ``threshold`` for all when given, else the model's own."""
    if threshold is not None:
        return {lab: float(threshold) for lab in tagger.labels}
    th = tagger.thresholds
    if isinstance(th, Mapping):
        return {lab: float(th[lab]) for lab in tagger.labels}
    return {lab: float(t) for lab, t in zip(tagger.labels, th)}


def write_report(
    report: dict[str, Any],
    gold: Path | str,
    tagger: Any,
    out_dir: Path | str,
    threshold: Optional[float] = None,
) -> Path:
    """Write the report files for an :func:`~policytag.workflow.evaluate.evaluate` result; return ``index.html``.

    ``gold`` is the file the report was computed from (read again for the scores);
    ``threshold`` the one passed to ``evaluate``, if any. Refuses (E050) a DIR where a
    report file would replace the gold file.
    """
    from ..io.corpus import label_matrix, read_labelled

    _plots.require_matplotlib(WHAT)  # before any work
    out = Path(out_dir)
    for name in FILES:
        check_not_input(out / name, [gold])
    out.mkdir(parents=True, exist_ok=True)
    labels = list(tagger.labels)
    thresholds = dict(report.get("thresholds") or label_thresholds(tagger, threshold))
    examples = read_labelled(gold, labels)
    scores = np.asarray(tagger.predict_proba([ex.text for ex in examples]), dtype=float)
    gold_y = label_matrix(examples, labels).astype(bool)
    pred_y = scores >= np.array([thresholds[lab] for lab in labels])

    write_bytes(out / "f1.png", f1_chart(report, labels))
    write_bytes(out / "pr_curves.png", pr_chart(report, gold_y, scores, labels, thresholds))
    write_bytes(out / "confusion.png", confusion_chart(gold_y, pred_y, labels))
    write_bytes(out / "scores.png", score_chart(gold_y, scores, labels, thresholds))
    write_text(out / "metrics.json", json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    write_text(out / "metrics.csv", metrics_csv(report, thresholds), newline="")
    write_text(out / "index.html", report_html(report, thresholds, tagger))
    return out / "index.html"


# --------------------------------------------------------------------------- charts


def f1_chart(report: dict[str, Any], labels: Sequence[str]) -> bytes:
    """Grouped bars: F1 per label and micro/macro, model vs lexicon."""
    model, lex = report["model"], report["lexicon"]
    names = [*labels, "micro", "macro"]
    m = [model["per_label"][lab]["f1"] for lab in labels] + [model["micro"]["f1"], model["macro"]["f1"]]
    x = [lex["per_label"][lab]["f1"] for lab in labels] + [lex["micro"]["f1"], lex["macro"]["f1"]]
    with _plots.figure(max(6.0, 0.9 * len(names)), 3.6, WHAT, names) as fig:
        ax = fig.add_subplot()
        pos = np.arange(len(names))
        ax.bar(pos - 0.2, m, 0.4, label="model", color=_plots.MODEL_COLOUR)
        ax.bar(pos + 0.2, x, 0.4, label="cue-term lexicon", color=_plots.LEXICON_COLOUR)
        for p, v in zip(pos, m):
            ax.text(p - 0.2, v + 0.01, f"{v:.2f}", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(pos, names, rotation=20, ha="right")
        ax.set_ylim(0, 1.18)
        ax.set_yticks(np.linspace(0, 1, 6))
        ax.set_ylabel("F1")
        ax.set_title(f"F1 per label on {model['n']} paragraphs")
        ax.legend(loc="upper center", ncols=2, fontsize=8, frameon=False)
        ax.grid(axis="y", alpha=0.3)
        return _plots.png_bytes(fig)


def pr_chart(
    report: dict[str, Any], gold_y: np.ndarray, scores: np.ndarray, labels: Sequence[str], thresholds: dict[str, float]
) -> bytes:
    """One precision/recall curve per label; the operating point (threshold) and the lexicon marked."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    rows, cols = _plots.grid(len(labels))
    with _plots.figure(3.4 * cols, 3.0 * rows, WHAT, labels) as fig:
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        for ax, (j, lab) in zip(axes, enumerate(labels)):
            y, s = gold_y[:, j], scores[:, j]
            ax.set_xlim(0, 1.02)
            ax.set_ylim(0, 1.05)
            ax.set_xlabel("recall")
            ax.set_ylabel("precision")
            ax.grid(alpha=0.3)
            if not y.any():
                ax.set_title(lab)
                ax.text(0.5, 0.5, "no gold positives", ha="center", va="center", transform=ax.transAxes)
                continue
            prec, rec, _ = precision_recall_curve(y, s)
            ap = average_precision_score(y, s)
            ax.plot(rec, prec, color=_plots.MODEL_COLOUR, lw=1.5, drawstyle="steps-post")
            m = report["model"]["per_label"][lab]
            ax.plot([m["recall"]], [m["precision"]], "o", color=_plots.MODEL_COLOUR, ms=7, mec="black",
                    label=f"threshold {thresholds[lab]:.2f}")
            lx = report["lexicon"]["per_label"][lab]
            ax.plot([lx["recall"]], [lx["precision"]], "s", color=_plots.LEXICON_COLOUR, ms=6, mec="black",
                    label="lexicon")
            ax.set_title(f"{lab} (AP {ap:.2f}, n+ {int(y.sum())})")
            ax.legend(loc="lower left", fontsize=7)
        for ax in axes[len(labels):]:
            ax.set_visible(False)
        return _plots.png_bytes(fig)


def confusion_matrix(gold_y: np.ndarray, pred_y: np.ndarray) -> np.ndarray:
    """Counts of paragraphs with gold label i (rows) and predicted label j (columns).

    A last row and column "(none)" count paragraphs with no gold or no predicted label,
    so every paragraph appears in at least one cell of each row sum.
    """
    g = np.hstack([gold_y, ~gold_y.any(axis=1, keepdims=True)]).astype(int)
    p = np.hstack([pred_y, ~pred_y.any(axis=1, keepdims=True)]).astype(int)
    return g.T @ p


def confusion_chart(gold_y: np.ndarray, pred_y: np.ndarray, labels: Sequence[str]) -> bytes:
    """Heat map of :func:`confusion_matrix`, shaded by the share of each gold row."""
    counts = confusion_matrix(gold_y, pred_y)
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    names = [*labels, "(none)"]
    size = 1.0 + 0.75 * len(names)
    with _plots.figure(size + 1.5, size, WHAT, names) as fig:
        ax = fig.add_subplot()
        im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(names)), names, rotation=35, ha="right")
        ax.set_yticks(range(len(names)), [f"{n} ({r})" for n, r in zip(names, rows.ravel())])
        ax.set_xlabel("predicted label")
        ax.set_ylabel("gold label (paragraphs)")
        for i in range(len(names)):
            for j in range(len(names)):
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if share[i, j] > 0.6 else "black")
        ax.set_title("paragraphs by gold (rows) and predicted label")
        fig.colorbar(im, ax=ax, label="share of the gold row", shrink=0.8)
        return _plots.png_bytes(fig)


def score_chart(gold_y: np.ndarray, scores: np.ndarray, labels: Sequence[str], thresholds: dict[str, float]) -> bytes:
    """Per label: histograms of the score for gold positives and gold negatives, threshold marked."""
    rows, cols = _plots.grid(len(labels))
    bins = np.linspace(0, 1, 41)
    with _plots.figure(3.4 * cols, 2.6 * rows, WHAT, labels) as fig:
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        for ax, (j, lab) in zip(axes, enumerate(labels)):
            y, s = gold_y[:, j], scores[:, j]
            if (~y).any():
                ax.hist(s[~y], bins=bins, color=_plots.NEGATIVE_COLOUR, alpha=0.6, label=f"negatives ({int((~y).sum())})")
            if y.any():
                ax.hist(s[y], bins=bins, color=_plots.POSITIVE_COLOUR, alpha=0.6, label=f"positives ({int(y.sum())})")
            ax.axvline(thresholds[lab], color="black", ls="--", lw=1, label=f"threshold {thresholds[lab]:.2f}")
            ax.set_yscale("log")
            ax.set_xlim(0, 1)
            ax.set_title(lab)
            ax.set_xlabel("score")
            ax.set_ylabel("paragraphs (log)")
            ax.legend(fontsize=7, loc="upper center")
        for ax in axes[len(labels):]:
            ax.set_visible(False)
        return _plots.png_bytes(fig)


# --------------------------------------------------------------------------- table and page

_COLUMNS = (("precision", "P"), ("recall", "R"), ("f1", "F1"))


def metrics_rows(report: dict[str, Any], thresholds: dict[str, float]) -> list[dict[str, Any]]:
    """The metrics table as rows: per label, then micro and macro, model and lexicon side by side."""
    model, lex = report["model"], report["lexicon"]
    rows: list[dict[str, Any]] = []
    for lab, m in model["per_label"].items():
        lx = lex["per_label"][lab]
        rows.append({
            "label": lab, "threshold": thresholds.get(lab),
            "precision": m["precision"], "recall": m["recall"], "f1": m["f1"],
            "support": m["support"], "predicted": m["predicted"],
            "lexicon_precision": lx["precision"], "lexicon_recall": lx["recall"], "lexicon_f1": lx["f1"],
        })
    rows.append({
        "label": "micro", "threshold": None,
        "precision": model["micro"]["precision"], "recall": model["micro"]["recall"], "f1": model["micro"]["f1"],
        "support": model["n"], "predicted": None,
        "lexicon_precision": lex["micro"]["precision"], "lexicon_recall": lex["micro"]["recall"],
        "lexicon_f1": lex["micro"]["f1"],
    })
    rows.append({
        "label": "macro", "threshold": None, "precision": None, "recall": None, "f1": model["macro"]["f1"],
        "support": None, "predicted": None, "lexicon_precision": None, "lexicon_recall": None,
        "lexicon_f1": lex["macro"]["f1"],
    })
    return rows


def metrics_csv(report: dict[str, Any], thresholds: dict[str, float]) -> str:
    """:func:`metrics_rows` as CSV text (empty cells where a figure does not apply)."""
    rows = metrics_rows(report, thresholds)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    return buf.getvalue()


def _cell(key: str, value: Any) -> str:
    if value is None:
        return f'<td data-key="{key}"></td>'
    shown = str(value) if isinstance(value, int) else f"{value:.3f}"
    return f'<td data-key="{key}" data-value="{html.escape(repr(value))}">{shown}</td>'


def _table(rows: Iterable[dict[str, Any]], row_id: str, zh: dict[str, str]) -> list[str]:
    keys = ["threshold", "precision", "recall", "f1", "support", "predicted",
            "lexicon_precision", "lexicon_recall", "lexicon_f1"]
    out = [
        f'<table id="{row_id}">',
        "<thead><tr><th rowspan=2>label</th><th colspan=6>model</th><th colspan=3>cue-term lexicon</th></tr>",
        "<tr><th>threshold</th><th>P</th><th>R</th><th>F1</th><th>support</th><th>predicted</th>"
        "<th>P</th><th>R</th><th>F1</th></tr></thead><tbody>",
    ]
    for row in rows:
        lab = row["label"]
        name = html.escape(lab) + (f' <span class="zh">{html.escape(zh[lab])}</span>' if zh.get(lab) else "")
        cells = "".join(_cell(k, row[k]) for k in keys)
        out.append(f'<tr data-label="{html.escape(lab)}"><th scope="row">{name}</th>{cells}</tr>')
    out.append("</tbody></table>")
    return out


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
       max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 0.5rem 0; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #e5e5e5; text-align: right; }
th[scope=row] { text-align: left; } thead th { text-align: center; background: #f4f6f8; }
tr[data-label=micro] th, tr[data-label=macro] th { font-style: italic; }
.zh { color: #666; font-weight: normal; } .note { color: #555; font-size: 0.9rem; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
"""


def report_html(report: dict[str, Any], thresholds: dict[str, float], tagger: Any = None) -> str:
    """The page: summary, metrics table, slices, and the four charts (relative links)."""
    model = report["model"]
    zh = {}
    if tagger is not None:
        zh = {lab.get("id"): lab.get("zh", "") for lab in tagger.taxonomy.get("labels", [])}
    gold = html.escape(str(report.get("gold", "")))
    mid = html.escape(str(report.get("model_id", "")))
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>policytag evaluation: {gold}</title><style>{_CSS}</style></head><body>",
        f"<h1>policytag evaluation of model <code>{mid}</code></h1>",
        f'<p>Gold file <code>{gold}</code>: {model["n"]} paragraphs. Micro-F1 <b>{model["micro"]["f1"]:.3f}</b> '
        f'(cue-term lexicon {report["lexicon"]["micro"]["f1"]:.3f}), macro-F1 <b>{model["macro"]["f1"]:.3f}</b> '
        f'(lexicon {report["lexicon"]["macro"]["f1"]:.3f}), exact match {model["exact_match"]:.3f} '
        f'(lexicon {report["lexicon"]["exact_match"]:.3f}).</p>',
        "<h2>Metrics</h2>",
        *_table(metrics_rows(report, thresholds), "metrics", zh),
        '<p class="note">A label is predicted when its score reaches its threshold. The lexicon turns a label '
        'on when any of its cue terms occurs. Also as <a href="metrics.csv">metrics.csv</a> and, exactly as '
        '<code>policytag evaluate --json</code> prints it, <a href="metrics.json">metrics.json</a>.</p>',
        '<h2>F1, model and lexicon</h2><a href="f1.png"><img src="f1.png" alt="F1 per label, model and lexicon"></a>',
        '<h2>Precision and recall</h2><p class="note">Each curve is the model\'s precision and recall as '
        "the threshold moves; the circle is the threshold in use, the square the lexicon.</p>"
        '<a href="pr_curves.png"><img src="pr_curves.png" alt="precision/recall curve per label"></a>',
        '<h2>Which labels are confused</h2><p class="note">Paragraphs counted by gold label (rows) and predicted '
        'label (columns); a multi-label paragraph counts in several cells. "(none)": no label.</p>'
        '<a href="confusion.png"><img src="confusion.png" alt="gold against predicted labels"></a>',
        '<h2>Score distributions</h2><p class="note">Scores of paragraphs that have the label in the gold data '
        "(positives) and that do not (negatives); the dashed line is the threshold.</p>"
        '<a href="scores.png"><img src="scores.png" alt="score distributions per label"></a>',
    ]
    if report.get("slices"):
        parts.append(f'<h2>By {html.escape(str(report["by"]))}</h2><table id="slices"><thead><tr><th>value</th>'
                     "<th>n</th><th>micro-F1</th><th>macro-F1</th><th>lexicon micro-F1</th>"
                     "<th>lexicon macro-F1</th></tr></thead><tbody>")
        for key, sl in report["slices"].items():
            parts.append(
                f'<tr data-slice="{html.escape(key)}"><th scope="row">{html.escape(key)}</th>'
                f'<td>{sl["model"]["n"]}</td><td>{sl["model"]["micro"]["f1"]:.3f}</td>'
                f'<td>{sl["model"]["macro"]["f1"]:.3f}</td><td>{sl["lexicon"]["micro"]["f1"]:.3f}</td>'
                f'<td>{sl["lexicon"]["macro"]["f1"]:.3f}</td></tr>'
            )
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
