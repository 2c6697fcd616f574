"""The examples in README.md, ARCHITECTURE.md and docs/*.md are run and compared, so
they cannot go stale.

Two kinds of example are checked:

* fenced blocks marked ``console``: each ``$ COMMAND`` line (continued by lines ending
  in ``\\``) is run with bash in the repository root, ``policytag`` being this
  interpreter's, and what it prints (stdout, then stderr) must equal the lines below
  it. A line ``...`` stands for any number of lines; a line ending in ``...`` for any
  line that starts with what comes before it.
* Python examples written as ``>>>`` lines (doctest), with ``...`` as doctest's
  ellipsis.

Other fenced blocks are illustrations (paths that exist only on the reader's machine)
and are not run. After a change of the model (a retrained corpus), rewrite the
expected output of every console block with

    python tests/test_docs.py --update

and review the diff: it is what users will now see.
"""
from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```console\n(.*?)^```$", re.M | re.S)


@dataclass
class Example:
    page: Path
    line: int  # 1-based line of the command in the page
    command: str
    expected: list[str]
    span: tuple[int, int]  # character offsets of the expected lines in the page


def console_examples(page: Path) -> list[Example]:
    text = page.read_text(encoding="utf-8")
    out = []
    for block in FENCE.finditer(text):
        body_start = block.start(1)
        lines = block.group(1).split("\n")[:-1]
        offsets, pos = [], body_start
        for ln in lines:
            offsets.append(pos)
            pos += len(ln) + 1
        i = 0
        while i < len(lines):
            if not lines[i].startswith("$ "):
                raise AssertionError(f"{page.name}:{text.count(chr(10), 0, offsets[i]) + 1}: "
                                     "a console block's output must follow a '$ ' command")
            first = i
            command = lines[i][2:]
            while command.endswith("\\"):
                i += 1
                command = command[:-1] + lines[i].strip()
            i += 1
            start = i
            while i < len(lines) and not lines[i].startswith("$ "):
                i += 1
            span_start = offsets[start] if start < len(lines) else pos
            span_end = offsets[i] if i < len(lines) else pos
            out.append(Example(page, text.count("\n", 0, offsets[first]) + 1, command, lines[start:i],
                               (span_start, span_end)))
    return out


def _shim(tmp: Path) -> dict[str, str]:
    """An environment whose ``policytag`` is ``python -m policytag`` of this interpreter."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "policytag"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m policytag "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", PYTHONIOENCODING="utf-8")
    env.pop("POLICYTAG_DEBUG", None)
    return env


def run(example: Example, env: dict[str, str]) -> list[str]:
    done = subprocess.run(["bash", "-c", example.command], cwd=ROOT, env=env, capture_output=True, timeout=300)
    text = done.stdout.decode("utf-8") + done.stderr.decode("utf-8")
    return text.rstrip("\n").split("\n") if text.strip() else []


def matches(expected: list[str], actual: list[str]) -> bool:
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head.strip() in ("...", "…"):
        return any(matches(rest, actual[k:]) for k in range(len(actual) + 1))
    if not actual:
        return False
    if head.endswith("..."):
        ok = actual[0].startswith(head[:-3])
    else:
        ok = actual[0] == head
    return ok and matches(rest, actual[1:])


ALL = [ex for page in PAGES if page.is_file() for ex in console_examples(page)]


@pytest.mark.parametrize("example", ALL, ids=[f"{ex.page.name}:{ex.line}" for ex in ALL])
def test_console_example_prints_what_the_page_says(example, tmp_path):
    actual = run(example, _shim(tmp_path))
    assert matches(example.expected, actual), (
        f"{example.page.name}:{example.line}: `{example.command}` printed\n" + "\n".join(actual)
        + "\n(after a model change: python tests/test_docs.py --update, then review the diff)"
    )


@pytest.mark.parametrize("page", [p for p in PAGES if p.is_file() and ">>> " in p.read_text(encoding="utf-8")],
                         ids=lambda p: p.name)
def test_python_examples_give_what_the_page_says(page, monkeypatch):
    """(An example's expected output ends at a blank line: leave one before the fence.)"""
    monkeypatch.chdir(ROOT)  # paths in the examples are relative to the checkout
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                              verbose=False, report=True)
    assert result.failed == 0 and result.attempted > 0, f"{page.name}: {result.failed} of {result.attempted} failed"


def test_readme_quick_start_is_checked_and_its_labels_are_the_models():
    """The quick start's sample is run above like every console block; here, that the
    README has it, and that its labels column is the shipped model's own labels."""
    readme = [ex for ex in console_examples(ROOT / "README.md")
              if ex.command == "policytag predict tests/data/sample_report.txt"]
    assert len(readme) == 1, "README.md lost its quick-start console block"
    from policytag import Tagger
    from policytag.io.readers import read_records

    tagger = Tagger.load()
    records = list(read_records(str(ROOT / "tests" / "data" / "sample_report.txt")))
    labels = [",".join(row) or "-" for row in tagger.tag_many([r.text for r in records])]
    shown = [re.split(r"\s{2,}", line)[1] for line in readme[0].expected[1:]]
    assert shown == labels


def test_readme_commands_are_the_ones_ci_runs():
    """The README's test command installs what .ci/run installs and runs pytest; its
    set-up command installs the package and tags the quick-start sample."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    extras = re.search(r'pip install --quiet "(\.\[[^\]]+\])"', ci).group(1)
    assert re.search(r"^pytest$", ci, re.M)
    assert f'pip install "{extras}" && pytest' in readme
    assert ("python3 -m venv .venv && . .venv/bin/activate && pip install . && "
            "policytag predict tests/data/sample_report.txt") in readme


def test_readme_is_one_screen_of_orientation():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) < 200


def test_every_page_the_readme_links_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?:docs/|ARCHITECTURE)[^)#]*)", readme)
    assert len(links) >= 7
    for link in links:
        assert (ROOT / link).is_file(), link


def test_the_checker_catches_a_stale_example(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("```console\n$ echo a; echo b\na\nc\n$ printf 'x\\ny\\nz\\n'\nx\n...\n```\n", encoding="utf-8")
    first, second = console_examples(page)
    env = _shim(tmp_path)
    assert not matches(first.expected, run(first, env))  # says c, prints b
    assert matches(second.expected, run(second, env))
    assert matches(["ab..."], ["abc"]) and not matches(["ab..."], ["xbc"])


def update() -> None:
    """Rewrite every console block's expected output with what its command prints now."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        env = _shim(Path(tmp))
        for page in PAGES:
            if not page.is_file():
                continue
            text = page.read_text(encoding="utf-8")
            examples = console_examples(page)
            for ex in reversed(examples):  # from the end, so earlier offsets stay valid
                actual = run(ex, env)
                if matches(ex.expected, actual):
                    continue
                new = "".join(line + "\n" for line in actual)
                text = text[: ex.span[0]] + new + text[ex.span[1]:]
                print(f"{page.name}:{ex.line}: updated `{ex.command}`")
            page.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_docs.py --update")
    update()
