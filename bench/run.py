"""policytag's speed-and-scale benchmark: one command, a table of figures against targets.

    python bench/run.py                 # full sizes (200,000 and 1,000,000 paragraphs; tens of minutes)
    python bench/run.py --quick         # smaller sizes, fewer repeats
    python bench/run.py --paragraphs 50000 --json bench.json --skip train,fasttext

It measures, through the public command line only (so it keeps working whatever the
inside of policytag becomes):

- throughput: ``policytag predict`` JSONL file to JSONL file, paragraphs/s (wall time,
  start-up included; the median of ``--throughput-runs`` runs, 3 by default, with their
  spread in the note); and the same job done by fastText fed through jieba, when the
  ``fasttext`` module is importable (``pip install fasttext-numpy2``);
- cold start: ``policytag predict`` on a one-paragraph file vs ``python -c "import
  sklearn.linear_model, sklearn.feature_extraction.text"`` (median of several runs);
- memory: peak resident memory of ``policytag predict`` on a 1,000,000-paragraph file;
- training: wall time of ``policytag train`` on the shipped corpus into a temporary folder;
- model size on disk of ``models/``; dev micro/macro F1 when ``../shared/dev/dev.jsonl`` exists.

Fixtures are written to a temporary folder from the project's own corpus
(``labels/corpus/*.jsonl``): paragraphs repeated in shuffled order up to the size asked
for; every copy after the first has its sentences in another order and its digits
changed (or a list number added), so that a cache keyed by text cannot flatter the
figures (at 200,000 paragraphs about 9 in 10 are distinct). Nothing is downloaded.

A measurement that fails prints its error in the table and the others go on. Each one
is stopped after ``--timeout`` seconds; a stopped prediction still reports the
paragraphs it had written by then (marked "timed out"). Speed figures depend on the
machine and on what else runs on it: the table says which machine it was.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
DEV = ROOT.parent / "shared" / "dev" / "dev.jsonl"
MB = 1024 * 1024

FULL = {"paragraphs": 200_000, "memory_paragraphs": 1_000_000, "runs": 5, "throughput_runs": 3}
QUICK = {"paragraphs": 20_000, "memory_paragraphs": 100_000, "runs": 3, "throughput_runs": 1}
MEASURES = ("throughput", "fasttext", "cold_start", "memory", "train", "model_size", "dev")

TARGETS = {
    "throughput": (">=", 25_000.0),  # paragraphs/s, on 2 cores
    "vs_fasttext": (">=", 10.0),  # policytag throughput / fastText+jieba throughput
    "cold_start": ("<", 0.5),  # policytag one paragraph / sklearn import
    "memory": ("<", 400.0),  # MB peak RSS on 1,000,000 paragraphs
    "train": ("<", 60.0),  # seconds
    "model_size": ("<", 10.0),  # MB on disk
}


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    """One line of the table."""

    name: str
    figure: Optional[float] = None
    unit: str = ""
    target: Optional[str] = None  # the target key in TARGETS, if the row is judged
    status: str = "INFO"  # PASS, FAIL, INFO, SKIP, ERROR
    note: str = ""
    ratio: Optional[float] = None
    extra: dict[str, Any] = field(default_factory=dict)

    def judge(self) -> "Row":
        if self.target and self.figure is not None:
            op, goal = TARGETS[self.target]
            self.ratio = self.figure / goal if goal else None
            ok = self.figure >= goal if op == ">=" else self.figure < goal
            if self.status == "INFO":
                self.status = "PASS" if ok else "FAIL"
        return self


def fmt_figure(row: Row) -> str:
    if row.figure is None:
        return "-"
    v = row.figure
    if abs(v) >= 1000:
        text = f"{v:,.0f}"
    elif abs(v) >= 100:
        text = f"{v:.0f}"
    elif abs(v) >= 10:
        text = f"{v:.1f}"
    else:
        text = f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"
    return f"{text} {row.unit}".strip()


def fmt_target(row: Row) -> str:
    if not row.target:
        return ""
    op, goal = TARGETS[row.target]
    unit = {"throughput": "/s", "vs_fasttext": "x", "cold_start": "x", "memory": " MB", "train": " s",
            "model_size": " MB"}[row.target]
    return f"{op} {goal:,.10g}{unit}"


def print_table(rows: list[Row], machine: dict[str, Any], out=sys.stdout) -> None:
    print("", file=out)
    print("machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()), file=out)
    head = f"{'measure':<44} {'figure':>16} {'target':>14} {'ratio':>7}  status  note"
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in rows:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
        print(f"{r.name:<44} {fmt_figure(r):>16} {fmt_target(r):>14} {ratio:>7}  {r.status:<6}  {r.note}", file=out)
    counts = {s: sum(1 for r in rows if r.status == s) for s in ("PASS", "FAIL", "ERROR", "SKIP")}
    print("-" * len(head), file=out)
    print("  ".join(f"{k} {v}" for k, v in counts.items()), file=out)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- machine


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    info = {
        "cores": usable,
        "cpu": cpu or "unknown",
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
    }
    try:
        info["load"] = "%.1f/%.1f/%.1f" % os.getloadavg()
    except OSError:
        pass
    return info


# --------------------------------------------------------------------------- fixtures


_SENTENCE = re.compile(r"(?<=[。；！？;!?])")
_DIGIT = re.compile(r"[0-9]")


def corpus_rows() -> list[dict[str, Any]]:
    rows = []
    for path in sorted((ROOT / "labels" / "corpus").glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    if not rows:
        raise RuntimeError(f"no corpus under {ROOT / 'labels' / 'corpus'}")
    return rows


def variant(text: str, rng: random.Random) -> str:
    """The same paragraph with its sentences reordered and its digits changed.

    A paragraph with one sentence and no digit gets a list number in front instead
    ("12. …"), as items in real documents have.
    """
    parts = [p for p in _SENTENCE.split(text) if p]
    if len(parts) > 1:
        rng.shuffle(parts)
    out = _DIGIT.sub(lambda _: str(rng.randrange(10)), "".join(parts))
    return out if out != text else f"{rng.randrange(1, 1000)}. {text}"


def write_fixture(path: Path, n: int, texts: list[str], seed: int = 0) -> Path:
    """``n`` JSONL rows ``{"id", "text"}``: the corpus in shuffled order, then varied copies."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        i = 0
        copy = 0
        while i < n:
            order = list(range(len(texts)))
            rng.shuffle(order)
            for j in order:
                if i >= n:
                    break
                text = texts[j] if copy == 0 else variant(texts[j], rng)
                out.write(json.dumps({"id": f"p{i}", "text": text}, ensure_ascii=False) + "\n")
                i += 1
            copy += 1
    return path


# --------------------------------------------------------------------------- running commands


@dataclass
class Run:
    wall_s: float
    returncode: Optional[int]
    peak_rss_mb: Optional[float]
    timed_out: bool
    stderr_tail: str


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                out.extend(int(c) for c in fh.read().split())
    except (OSError, ValueError):
        pass
    return out


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc), in kB."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/status", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue
        todo.extend(_children(p))
    return total


def run_cmd(cmd: list[str], *, stdout: Optional[Path] = None, timeout: float = 600.0, cwd: Optional[Path] = None) -> Run:
    """Run a command, timing its wall clock and its peak resident memory.

    Peak memory is the larger of the kernel's maximum RSS of the process (``wait4``) and
    the largest sum of RSS over the process and its children, polled every 0.1 s (so a
    command that fans out to worker processes is counted whole).
    """
    err_file = tempfile.TemporaryFile()
    out_handle = open(stdout, "wb") if stdout else subprocess.DEVNULL
    env = dict(os.environ)
    env.pop("POLICYTAG_DEBUG", None)
    env["PYTHONIOENCODING"] = "utf-8"
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out_handle, stderr=err_file, stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                            start_new_session=True)
    polled_kb = 0
    timed_out = False
    status = None
    rusage = None
    try:
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            polled_kb = max(polled_kb, _tree_rss_kb(proc.pid))
            if time.perf_counter() - start > timeout:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, rusage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.1)
    finally:
        wall = time.perf_counter() - start
        proc.returncode = 0  # reaped above with wait4; keep Popen from waiting again
        if stdout:
            out_handle.close()
    maxrss = rusage.ru_maxrss if rusage else 0
    maxrss_kb = maxrss / 1024 if sys.platform == "darwin" else maxrss
    peak_kb = max(polled_kb, maxrss_kb)
    err_file.seek(0)
    tail = err_file.read()[-2000:].decode("utf-8", "replace")
    err_file.close()
    code = None if timed_out else os.waitstatus_to_exitcode(status)
    return Run(wall, code, peak_kb / 1024 if peak_kb else None, timed_out, tail)


def policytag_cmd() -> list[str]:
    """The ``policytag`` console script of this Python, else ``python -m policytag``."""
    script = Path(sys.executable).with_name("policytag")
    return [str(script)] if script.exists() else [sys.executable, "-m", "policytag"]


def help_text(*sub: str) -> str:
    try:
        out = subprocess.run([*policytag_cmd(), *sub, "--help"], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "COLUMNS": "200"})
        return out.stdout + out.stderr
    except (OSError, subprocess.SubprocessError):
        return ""


def has_option(help_output: str, option: str) -> bool:
    """Whether ``--help`` output lists ``option`` itself (not merely an option it starts)."""
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", help_output) is not None


def count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    n = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return n


def predict_cmd(
    infile: Path, outfile: Path, predict_help: str, jobs: int = 1
) -> tuple[list[str], Optional[Path]]:
    """``policytag predict IN --format jsonl`` to a file: ``--output`` when it exists, else stdout;
    ``--jobs N`` when ``jobs`` > 1 and predict has that option."""
    cmd = [*policytag_cmd(), "predict", str(infile), "--format", "jsonl"]
    if jobs > 1 and has_option(predict_help, "--jobs"):
        cmd += ["--jobs", str(jobs)]
    if has_option(predict_help, "--no-progress"):
        cmd.append("--no-progress")
    if has_option(predict_help, "--output"):
        return [*cmd, "--output", str(outfile)], None
    return cmd, outfile


def failed(run: Run, what: str) -> str:
    last = [line for line in run.stderr_tail.splitlines() if line.strip()][-1:] or ["no message"]
    return f"{what} exited {run.returncode}: {last[0]}"


# --------------------------------------------------------------------------- measurements


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.rows: list[Row] = []
        self._texts: Optional[list[str]] = None
        self._fixtures: dict[int, Path] = {}
        self.predict_help = help_text("predict")
        self.has_output = has_option(self.predict_help, "--output")
        self.throughput: Optional[float] = None

    # fixtures --------------------------------------------------------------
    def texts(self) -> list[str]:
        if self._texts is None:
            self._texts = [r["text"] for r in corpus_rows()]
        return self._texts

    def fixture(self, n: int) -> Path:
        if n not in self._fixtures:
            t = time.perf_counter()
            self._fixtures[n] = write_fixture(self.tmp / f"paragraphs_{n}.jsonl", n, self.texts())
            log(f"wrote {n:,} paragraphs in {time.perf_counter() - t:.1f} s")
        return self._fixtures[n]

    # each measurement appends rows --------------------------------------------
    def predict_file(self, n: int, label: str) -> tuple[Run, int, Path]:
        infile = self.fixture(n)
        outfile = self.tmp / f"out_{label}_{n}.jsonl"
        cmd, stdout = predict_cmd(infile, outfile, self.predict_help, self.args.jobs)
        log(f"{label}: {' '.join(cmd[len(policytag_cmd()):])}")
        run = run_cmd(cmd, stdout=stdout, timeout=self.args.timeout)
        written = count_lines(outfile)
        return run, written, outfile

    def m_throughput(self) -> None:
        """``--throughput-runs`` runs of the same job, one after another; the figure is the
        median's rate and the note gives the spread, since other work on a shared machine
        moves a single run's wall time by a lot."""
        n = self.args.paragraphs
        runs = self.args.throughput_runs
        row = Row(f"throughput: predict {n:,} par. jsonl->jsonl, --jobs {self.args.jobs}", unit="par/s", target="throughput")
        walls: list[float] = []
        peak = 0.0
        written = 0
        for i in range(runs):
            run, written, _ = self.predict_file(n, "throughput" if runs == 1 else f"throughput-{i + 1}")
            peak = max(peak, run.peak_rss_mb or 0.0)
            if run.timed_out:
                row.figure = written / run.wall_s
                row.status = "FAIL"
                row.note = f"timed out after {run.wall_s:.0f} s with {written:,} written"
                walls = []
                break
            if run.returncode != 0:
                raise RuntimeError(failed(run, "policytag predict"))
            walls.append(run.wall_s)
        if walls:
            wall = statistics.median(walls)
            row.figure = n / wall
            if written != n:
                row.note = f"{written:,} rows written for {n:,} paragraphs; "
            spread = "" if len(walls) == 1 else (
                f" (median of {len(walls)}: {n / max(walls):,.0f}-{n / min(walls):,.0f} par/s)")
            row.note += f"{wall:.1f} s wall{spread}, peak {peak:.0f} MB" + (
                "" if self.has_output else "; stdout to file (no --output option)")
        row.extra = {"paragraphs": n, "wall_s": statistics.median(walls) if walls else None, "wall_s_runs": walls,
                     "peak_rss_mb": peak, "written": written}
        self.throughput = row.figure
        self.rows.append(row.judge())

    def m_fasttext(self) -> None:
        n = self.args.paragraphs
        probe = subprocess.run([sys.executable, "-c", "import fasttext, jieba"], capture_output=True, timeout=120)
        if probe.returncode != 0:
            self.rows.append(Row("fastText + jieba (peer)", status="SKIP", note="skipped (pip install fasttext-numpy2)"))
            return
        peer = [sys.executable, str(BENCH / "fasttext_peer.py")]
        corpus = self.tmp / "corpus.jsonl"
        with open(corpus, "w", encoding="utf-8") as out:
            for r in corpus_rows():
                out.write(json.dumps({"text": r["text"], "labels": r.get("labels", [])}, ensure_ascii=False) + "\n")
        model = self.tmp / "fasttext.bin"
        log("fasttext: training the peer model (one-vs-all, jieba tokens)")
        run = run_cmd([*peer, "train", str(corpus), str(model)], timeout=self.args.timeout)
        if run.returncode != 0:
            raise RuntimeError(failed(run, "fastText training"))
        infile = self.fixture(n)
        outfile = self.tmp / f"out_fasttext_{n}.jsonl"
        log(f"fasttext: read, jieba-segment, predict, write {n:,} paragraphs")
        run = run_cmd([*peer, "predict", str(model), str(infile), str(outfile)], timeout=self.args.timeout)
        written = count_lines(outfile)
        row = Row(f"fastText+jieba: {n:,} par. jsonl->jsonl", unit="par/s")
        if run.timed_out:
            row.figure, row.note = written / run.wall_s, f"timed out after {run.wall_s:.0f} s"
        elif run.returncode != 0:
            raise RuntimeError(failed(run, "fastText predict"))
        else:
            row.figure, row.note = n / run.wall_s, f"{run.wall_s:.1f} s wall, peak {run.peak_rss_mb:.0f} MB"
        row.extra = {"paragraphs": n, "wall_s": run.wall_s, "written": written}
        self.rows.append(row)
        peer_tput = row.figure
        ratio = Row("policytag / fastText+jieba throughput", unit="x", target="vs_fasttext")
        if self.throughput and peer_tput:
            ratio.figure = self.throughput / peer_tput
            ratio.note = f"{self.throughput:,.0f} / {peer_tput:,.0f} par/s"
        else:
            ratio.status, ratio.note = "SKIP", "needs the throughput figure"
        self.rows.append(ratio.judge())

        seg = self.tmp / f"segmented_{n}.tsv"
        log("fasttext: pre-segmenting (not timed)")
        run = run_cmd([*peer, "segment", str(infile), str(seg)], timeout=self.args.timeout)
        if run.returncode != 0:
            raise RuntimeError(failed(run, "jieba segmentation"))
        seg_out = self.tmp / f"out_fasttext_seg_{n}.jsonl"
        run = run_cmd([*peer, "predict-segmented", str(model), str(seg), str(seg_out)], timeout=self.args.timeout)
        if run.returncode != 0:
            raise RuntimeError(failed(run, "fastText predict on segmented text"))
        self.rows.append(Row("fastText, pre-segmented (reference)", figure=n / run.wall_s, unit="par/s",
                             note=f"{run.wall_s:.1f} s wall; jieba excluded"))

    def m_cold_start(self) -> None:
        one = self.tmp / "one.jsonl"
        one.write_text(json.dumps({"id": "1", "text": "深入打好蓝天保卫战，全年PM2.5平均浓度下降到32微克/立方米。"},
                                  ensure_ascii=False) + "\n", encoding="utf-8")
        cmd, stdout = predict_cmd(one, self.tmp / "one_out.jsonl", self.predict_help)
        sk = [sys.executable, "-c", "import sklearn.linear_model, sklearn.feature_extraction.text"]
        runs = self.args.runs
        log(f"cold start: {runs} runs each (after one warm-up run)")
        times: dict[str, list[float]] = {"policytag": [], "sklearn": []}
        for i in range(runs + 1):  # the first round warms the file cache and is not counted
            for name, c, so in (("policytag", cmd, stdout), ("sklearn", sk, None)):
                run = run_cmd(c, stdout=so, timeout=min(self.args.timeout, 300))
                if run.returncode != 0:
                    raise RuntimeError(failed(run, name))
                if i:
                    times[name].append(run.wall_s)
        p, s = statistics.median(times["policytag"]), statistics.median(times["sklearn"])
        self.rows.append(Row("cold start: predict 1 paragraph", figure=p, unit="s", note=f"median of {runs}"))
        self.rows.append(Row("cold start: import sklearn (reference)", figure=s, unit="s", note=f"median of {runs}"))
        self.rows.append(Row("cold start ratio policytag / sklearn import", figure=p / s, unit="x",
                             target="cold_start", extra=times).judge())

    def m_memory(self) -> None:
        n = self.args.memory_paragraphs
        run, written, outfile = self.predict_file(n, "memory")
        row = Row(f"memory: peak RSS, predict {n:,} par.", figure=run.peak_rss_mb, unit="MB", target="memory")
        if run.timed_out:  # judged all the same: the peak over the paragraphs it got through
            row.note = (f"timed out after {run.wall_s:.0f} s: peak over the first {written:,} "
                        f"({written / run.wall_s:,.0f} par/s)")
        elif run.returncode != 0:
            raise RuntimeError(failed(run, "policytag predict"))
        else:
            row.note = f"{run.wall_s:.1f} s wall, {n / run.wall_s:,.0f} par/s"
        row.extra = {"paragraphs": n, "wall_s": run.wall_s, "written": written}
        outfile.unlink(missing_ok=True)
        self.rows.append(row.judge())

    def m_train(self) -> None:
        train_help = help_text("train")
        flags = [f for f in ("--no-dev", "--no-cv", "--no-eval", "--skip-cv") if has_option(train_help, f)]
        out = self.tmp / "trained_model"
        cmd = [*policytag_cmd(), "train", "--out", str(out), *flags]
        log(f"train: {' '.join(cmd[len(policytag_cmd()):])}")
        run = run_cmd(cmd, stdout=self.tmp / "train_stdout.txt", timeout=self.args.timeout)
        row = Row("training on the shipped corpus", unit="s", target="train")
        cv = "nested CV skipped" if any(f in flags for f in ("--no-cv", "--no-eval", "--skip-cv")) else \
            "nested CV included (train has no flag to skip it)"
        if run.timed_out:
            row.figure, row.status, row.note = run.wall_s, "FAIL", f"timed out; {cv}"
        elif run.returncode != 0:
            raise RuntimeError(failed(run, "policytag train"))
        else:
            row.figure, row.note = run.wall_s, f"{' '.join(flags) or 'no flags'}; {cv}; peak {run.peak_rss_mb:.0f} MB"
        self.rows.append(row.judge())
        shutil.rmtree(out, ignore_errors=True)

    def m_model_size(self) -> None:
        d = ROOT / "models"
        if not d.is_dir():
            raise RuntimeError(f"no models/ folder at {d}")
        files = [p for p in d.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files) / MB
        biggest = max(files, key=lambda p: p.stat().st_size)
        self.rows.append(Row("model size on disk (models/)", figure=size, unit="MB", target="model_size",
                             note=f"{len(files)} files; largest {biggest.name} "
                                  f"{biggest.stat().st_size / MB:.1f} MB").judge())

    def m_dev(self) -> None:
        if not DEV.is_file():
            self.rows.append(Row("dev F1", status="SKIP", note=f"no {DEV}"))
            return
        log("dev: policytag evaluate")
        out = self.tmp / "dev_report.json"
        run = run_cmd([*policytag_cmd(), "evaluate", str(DEV), "--json"], stdout=out, timeout=self.args.timeout)
        if run.returncode != 0:
            raise RuntimeError(failed(run, "policytag evaluate"))
        report = json.loads(out.read_text(encoding="utf-8"))
        model, lexicon = report["model"], report["lexicon"]
        for avg in ("micro", "macro"):
            self.rows.append(Row(f"dev {avg} F1 ({model.get('n', '?')} par.)", figure=model[avg]["f1"],
                                 note=f"lexicon {lexicon[avg]['f1']:.3f}; model {report.get('model_id', '?')}"))

    def measure(self, name: str, fn: Callable[[], None]) -> None:
        if name in self.args.skip:
            self.rows.append(Row(name, status="SKIP", note="--skip"))
            return
        try:
            fn()
        except Exception as exc:  # a failed measurement is reported, and the rest go on
            self.rows.append(Row(name, status="ERROR", note=f"{type(exc).__name__}: {exc}"))
            if os.environ.get("BENCH_DEBUG"):
                traceback.print_exc()


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes: %(q)s" % {"q": QUICK})
    ap.add_argument("--paragraphs", type=int, help="paragraphs for the throughput runs (default 200,000; quick 20,000)")
    ap.add_argument("--memory-paragraphs", type=int, help="paragraphs for the memory run (default 1,000,000; quick 100,000)")
    ap.add_argument("--runs", type=int, help="runs per command for the cold start median (default 5; quick 3)")
    ap.add_argument("--throughput-runs", type=int,
                    help="runs of the throughput job; its figure is their median (default 3; quick 1)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds before a measurement is stopped (default 900)")
    ap.add_argument("--skip", default="", help=f"comma-separated measurements to skip: {', '.join(MEASURES)}")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="predict --jobs for the throughput and memory runs (threads on the compiled kernel; default: one per core)")
    ap.add_argument("--json", type=Path, help="also write the table as JSON to this file")
    ap.add_argument("--keep", type=Path, help="write fixtures and outputs here and keep them (default: a temporary folder)")
    args = ap.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    for key, value in sizes.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = args.skip - set(MEASURES)
    if unknown:
        ap.error(f"unknown measurement(s) to skip: {', '.join(sorted(unknown))}")
    if args.paragraphs < 1 or args.memory_paragraphs < 1 or args.runs < 1 or args.throughput_runs < 1:
        ap.error("sizes and runs must be at least 1")
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    machine = machine_info()
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    with tempfile.TemporaryDirectory(prefix="policytag-bench-") as tmpdir:
        tmp = Path(tmpdir)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            tmp = args.keep
        bench = Bench(args, tmp)
        for name in MEASURES:
            bench.measure(name, getattr(bench, f"m_{name}"))
    try:  # other work on the machine skews the figures: say how busy it was at both ends
        machine["load_end"] = "%.1f/%.1f/%.1f" % os.getloadavg()
    except OSError:
        pass
    print_table(bench.rows, machine)
    if args.json:
        payload = {
            "started": started,
            "machine": machine,
            "sizes": {"paragraphs": args.paragraphs, "memory_paragraphs": args.memory_paragraphs, "runs": args.runs,
                      "throughput_runs": args.throughput_runs, "quick": args.quick},
            "targets": {k: {"op": op, "value": v} for k, (op, v) in TARGETS.items()},
            "results": [asdict(r) for r in bench.rows],
        }
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
