"""Every error and warning policytag can report, as data with stable codes.

Messages are greppable ("E003") and testable; the CLI prints ``str(error)`` as one
line on stderr, the library raises :class:`PolicytagError` or hands a
:class:`Problem` to a caller-supplied callback, and issues every coded warning through
:func:`warn` as a :class:`PolicytagWarning`. Codes are never reused.

This module is the bottom of the package: it imports nothing of policytag, so any
module may import it without pulling in anything else.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Optional

ERRORS: dict[str, str] = {
    "E001": "file not found",
    "E002": "file is empty (no paragraphs to read)",
    "E003": "undecodable bytes at byte offset {offset} (not valid {encoding}); line skipped",
    "E004": "line is not a JSON object ({detail})",
    "E005": "record has no non-empty string field '{field}'",
    "E006": "unknown label {label!r}; known labels: {known}",
    "E007": "no policytag model here (missing {missing}); train one with `policytag train --out DIR`",
    "E008": "model file is damaged or not a policytag model ({detail}); retrain with `policytag train`",
    "E009": "model format version {found} is not supported by this policytag (reads {supported}); "
    "retrain with `policytag train` or install a matching policytag",
    "E010": "model was trained with scikit-learn {found} but {installed} is installed; "
    "install scikit-learn=={found} or retrain with `policytag train`",
    "E011": "unsupported input format {fmt!r}; use one of: txt, jsonl, csv",
    "E012": "bad training config: {detail}",
    "E013": "CSV file has no '{field}' column (columns: {columns})",
    "E014": "threshold must be between 0 and 1, got {value}",
    "E015": "'labels' must be a list of label ids, got {value!r}",
    "E016": "corpus has too few paragraphs to train ({n}); need at least {minimum}",
    "E017": "cannot read file: {detail}",
    "E018": "unknown --by field {field!r}: use meta.NAME or a top-level field",
    "E019": "label {label!r} has no positive example in the training data",
    "E020": "bad taxonomy: {detail}",
    "E021": "model folder fails its integrity check: {detail}; the files are damaged or were altered "
    "after training (retrain, or restore the folder)",
    "E022": "--min-precision needs out-of-fold precision curves in the model card, and this model has "
    "none; retrain it with `policytag train`",
    "E023": "min precision must be between 0 and 1, got {value}",
    "E030": "reading {kind} files needs the optional parsers: pip install \"policytag[{extra}]\" "
    "(module {module} is missing)",
    "E031": "cannot read this {kind} file ({detail})",
    "E032": "unknown encoding {name!r}; use auto or a codec name such as utf-8, gb18030, big5, utf-16",
    "E033": "no file matches {pattern}",
    "E034": "no text found in this {kind} file{hint}",
    "E035": "{n} undecodable byte sequence(s), the first at byte offset {offset} (not valid {encoding}); "
    "replaced with U+FFFD",
    "E050": "refusing to write the output over input file {input}; choose another --output",
    "E051": "{what} needs matplotlib, which is not installed; pip install \"policytag[report]\"",
    "E053": "cannot write {target}: {detail}",
    "E054": "line is {length} characters long, over the {limit}-character paragraph limit "
    "(one paragraph per line expected); line skipped",
    "E055": "no documents to read in this folder (readable suffixes: {suffixes})",
    "E070": "{what} needs the optional extra: pip install \"policytag[{extra}]\" ({detail})",
    "E071": "no column {column!r} to tag (columns: {columns})",
    "E072": "column(s) {columns} already exist; rename or drop them before tagging",
    "E073": "this worker loaded model {found}, but the client loaded {expected}; "
    "install the same policytag and model on every worker, or pass model=PATH on shared storage",
    "E099": "unexpected internal error: {detail} (set POLICYTAG_DEBUG=1 for a traceback)",
}

WARNINGS: dict[str, str] = {
    "W001": "model was trained with scikit-learn {found}; {installed} is installed (patch releases "
    "differ, predictions should match)",
    "W002": "segmenter user dictionary differs from the one the model was trained with "
    "(trained {trained}, now {now}); tokens may differ",
    "W003": "model at {path} is format 1 (a pickle, which can run code when loaded); convert it "
    "with `policytag upgrade {path}`",
    "W010": "skipped {n} file(s) of unsupported type ({suffixes}); supported: {supported}",
    "W020": "{count} lone surrogate code point(s) (not valid Unicode) replaced by U+FFFD",
    "W021": "no font with Chinese glyphs found for charts; Chinese names may show as boxes "
    "(install one, e.g. apt-get install fonts-noto-cjk)",
    "W030": "building the compiled kernel for this machine (first use after installation, "
    "about half a minute; cached in {folder})",
}


class PolicytagWarning(UserWarning):
    """A warning with a stable code (``W001`` …) in its message."""


def _where(path: Optional[str], line: Optional[int]) -> str:
    if path is None:
        return ""
    return f"{path}:{line}" if line is not None else str(path)


class PolicytagError(Exception):
    """An error with a stable code, a location and a one-line message."""

    def __init__(
        self,
        code: str,
        *,
        path: Optional[str] = None,
        line: Optional[int] = None,
        message: Optional[str] = None,
        **fields: object,
    ) -> None:
        self.code = code
        self.path = None if path is None else str(path)
        self.line = line
        self.fields = fields
        self.message = message if message is not None else ERRORS[code].format(**fields)
        super().__init__(str(self))

    def __reduce__(self) -> tuple:
        # Pickles by its fields, so an error raised in a worker process (Dask, joblib)
        # arrives in the caller as the same PolicytagError, code and all.
        return (_rebuild_error, (self.code, self.path, self.line, self.message, self.fields))

    @classmethod
    def from_problem(cls, problem: "Problem") -> "PolicytagError":
        return cls(problem.code, path=problem.path, line=problem.line, message=problem.message)

    def __str__(self) -> str:
        where = _where(self.path, self.line)
        return f"{self.code} {where}: {self.message}" if where else f"{self.code}: {self.message}"


def _rebuild_error(code: str, path: Optional[str], line: Optional[int], message: str, fields: dict) -> PolicytagError:
    return PolicytagError(code, path=path, line=line, message=message, **fields)


@dataclass(frozen=True)
class Problem:
    """A non-fatal problem with one input line: reported, and the rest goes on."""

    code: str
    message: str
    path: Optional[str] = None
    line: Optional[int] = None

    @classmethod
    def from_error(cls, err: PolicytagError) -> "Problem":
        return cls(err.code, err.message, err.path, err.line)

    def __str__(self) -> str:
        where = _where(self.path, self.line)
        return f"{self.code} {where}: {self.message}" if where else f"{self.code}: {self.message}"


def problem(code: str, *, path: Optional[str] = None, line: Optional[int] = None, **fields: object) -> Problem:
    """Build an error :class:`Problem` from the ERRORS table."""
    return Problem(code, ERRORS[code].format(**fields), None if path is None else str(path), line)


def raise_problem(problem: Problem) -> None:
    """The default problem handler: raise an error as a :class:`PolicytagError`;
    issue a warning (``W…``) as a Python warning and go on."""
    if problem.code.startswith("W"):
        warnings.warn(str(problem), PolicytagWarning, stacklevel=2)
        return
    raise PolicytagError.from_problem(problem)


def warning(code: str, *, path: Optional[str] = None, line: Optional[int] = None, **fields: object) -> Problem:
    """Build a warning :class:`Problem` from the WARNINGS table."""
    return Problem(code, WARNINGS[code].format(**fields), None if path is None else str(path), line)


def warn(code: str, *, location: Optional[str] = None, line: Optional[int] = None, stacklevel: int = 2,
         **fields: object) -> None:
    """Issue the coded warning ``code`` (from WARNINGS) as a :class:`PolicytagWarning`.

    The message is ``str(warning(code, …))``: ``"W001: …"``, or ``"W010 PATH: …"`` with
    a ``location`` (the file the warning is about; ``path=`` is a field of the message,
    as in W003). ``stacklevel`` counts as for :func:`warnings.warn`, from the caller of
    ``warn``.
    """
    message = str(Problem(code, WARNINGS[code].format(**fields), None if location is None else str(location), line))
    warnings.warn(message, PolicytagWarning, stacklevel=stacklevel + 1)


def codes_markdown() -> str:
    """Every error and warning code as a Markdown table (the one in docs/errors.md).

    ``{name}`` placeholders stay as written: they are the parts filled in per case.
    """
    rows = ["| code | kind | message |", "|---|---|---|"]
    for kind, table in (("error", ERRORS), ("warning", WARNINGS)):
        for code in sorted(table):
            text = table[code].replace("|", "\\|")
            rows.append(f"| `{code}` | {kind} | {text} |")
    return "\n".join(rows) + "\n"
