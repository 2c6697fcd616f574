"""The package's import layering: no import cycle, and no import from a lower layer up.

Every ``import`` and ``from … import`` of a module counts, at module level or inside a
function (a lazy import is still a dependency), read with ``ast`` so nothing is run.
The layers, from the bottom up (a module may import its own layer and the ones below,
except that ``io`` and ``kernel`` sit side by side and import neither each other):

    errors, and the package root (its public names are imported lazily: importing one
    of them, ``from policytag import Tagger``, counts as importing its module)
    resources, extras, atomic
    text
    io | kernel
    model
    tagger
    report
    workflow
    cli, __main__
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "policytag"

# (layer index, group): a module imports only modules of a lower index, or of its own
# index and group
LAYERS: dict[str, tuple[int, str]] = {
    "policytag": (0, "root"),
    "policytag.errors": (0, "errors"),
    "policytag.resources": (1, "base"),
    "policytag.extras": (1, "base"),
    "policytag.atomic": (1, "base"),
    "policytag.text": (2, "text"),
    "policytag.io": (3, "io"),
    "policytag.kernel": (3, "kernel"),
    "policytag.model": (4, "model"),
    "policytag.tagger": (5, "tagger"),
    "policytag.report": (6, "report"),
    "policytag.workflow": (7, "workflow"),
    "policytag.cli": (8, "cli"),
    "policytag.__main__": (8, "cli"),
}


def modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of the package at ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def lazy_names(root: Path) -> dict[str, str]:
    """The root's public names and the modules they are imported from on first use
    (its ``_LAZY`` table): ``from policytag import Tagger`` depends on that module."""
    tree = ast.parse((root / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_LAZY" for t in node.targets):
            table = ast.literal_eval(node.value)
            return {name: root.name + module for name, (module, _) in table.items()}
    return {}


def imports(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, anywhere in its code."""
    known = modules(root)
    lazy = lazy_names(root)
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                # `from pkg import mod` imports pkg (its __init__) and, when mod is a module, mod
                targets = [target] + [f"{target}.{alias.name}" for alias in node.names]
                if target == root.name:  # a lazy public name stands for its module
                    targets += [lazy[alias.name] for alias in node.names if alias.name in lazy]
            else:
                continue
            for target in targets:
                # `import a.b.c` imports a, a.b and a.b.c (a module's own parent packages
                # count too: a package __init__ that imports its modules back is a cycle)
                pieces = target.split(".")
                for i in range(1, len(pieces) + 1):
                    prefix = ".".join(pieces[:i])
                    if prefix in known and prefix != name:
                        edges[name].add(prefix)
    return edges


def layer(name: str) -> tuple[int, str]:
    best = max((key for key in LAYERS if name == key or name.startswith(key + ".")), key=len, default=None)
    assert best is not None, f"{name} has no layer: place it in LAYERS in {Path(__file__).name}"
    return LAYERS[best]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Each import that goes up a layer, or sideways into another group of its layer."""
    bad = []
    for a, targets in sorted(edges.items()):
        la = layer(a)
        for b in sorted(targets):
            lb = layer(b)
            # a package's __init__ importing its own submodules is not a layer question
            if lb[0] > la[0] or (lb[0] == la[0] and lb[1] != la[1] and "root" not in (la[1], lb[1])):
                bad.append(f"{a} (layer {la[0]} {la[1]}) imports {b} (layer {lb[0]} {lb[1]})")
    return bad


def test_the_package_has_no_import_cycle():
    found = cycles(imports(PACKAGE))
    assert found == [], "import cycles (counting imports inside functions): " + "; ".join(map(str, found))


def test_no_module_imports_a_layer_above_its_own():
    bad = upward(imports(PACKAGE))
    assert bad == [], "imports against the layering:\n" + "\n".join(bad)


def test_the_errors_module_imports_nothing_of_the_package():
    assert imports(PACKAGE)["policytag.errors"] == set()


def test_the_checks_catch_a_cycle_and_an_upward_import(tmp_path):
    """The checker itself, on a small package made to break both rules."""
    pkg = tmp_path / "policytag"
    (pkg / "text").mkdir(parents=True)
    (pkg / "model").mkdir()
    (pkg / "__init__.py").write_text('_LAZY = {"f": (".text.a", "f")}\n')
    (pkg / "errors.py").write_text("from policytag import f  # a lazy public name: really text.a\n")
    (pkg / "text" / "__init__.py").write_text("")
    (pkg / "text" / "a.py").write_text("def f():\n    from ..model import m  # upward, inside a function\n")
    (pkg / "model" / "__init__.py").write_text("")
    (pkg / "model" / "m.py").write_text("from ..text.a import f\nfrom . import n\n")
    (pkg / "model" / "n.py").write_text("import policytag.model.m\n")
    edges = imports(pkg)
    assert edges["policytag.text.a"] == {"policytag", "policytag.model", "policytag.model.m"}
    assert sorted(map(tuple, cycles(edges))) == [
        ("policytag.model.m", "policytag.model.n", "policytag.text.a"),
    ]
    assert edges["policytag.errors"] == {"policytag", "policytag.text", "policytag.text.a"}
    assert upward(edges) == [
        "policytag.errors (layer 0 errors) imports policytag.text (layer 2 text)",
        "policytag.errors (layer 0 errors) imports policytag.text.a (layer 2 text)",
        "policytag.text.a (layer 2 text) imports policytag.model (layer 4 model)",
        "policytag.text.a (layer 2 text) imports policytag.model.m (layer 4 model)",
    ]


def _cli_private_uses(root: Path) -> list[str]:
    """Where the CLI (``cli/``) reaches into the library's private names: importing an
    ``_name`` from a module outside ``cli/``, or reading an ``obj._name`` attribute."""
    found = []
    for name, path in modules(root).items():
        if not name.startswith(f"{root.name}.cli"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                inside_cli = node.level == 1 or (node.module or "").startswith(f"{root.name}.cli")
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__") and not inside_cli:
                        found.append(f"{path.name}:{node.lineno} imports {alias.name}")
            elif isinstance(node, ast.Attribute):
                if node.attr.startswith("_") and not node.attr.startswith("__"):
                    found.append(f"{path.name}:{node.lineno} uses .{node.attr}")
    return found


def test_the_cli_uses_only_public_library_names():
    assert _cli_private_uses(PACKAGE) == []


def test_the_private_use_check_sees_an_import_and_an_attribute(tmp_path):
    cli = tmp_path / "policytag" / "cli"
    cli.mkdir(parents=True)
    (cli / "__init__.py").write_text("")
    (cli / "x.py").write_text(
        "from .common import _helper  # its own package: fine\n"
        "def f(tagger):\n    from ..model.compiled import _KERNEL\n    return tagger._label_thresholds(None)\n"
    )
    assert _cli_private_uses(tmp_path / "policytag") == ["x.py:3 imports _KERNEL", "x.py:4 uses ._label_thresholds"]


def _prints(root: Path) -> list[str]:
    """Calls of print() and writes to sys.stdout / sys.stderr outside ``cli/``."""
    found = []
    for name, path in modules(root).items():
        if name.startswith(f"{root.name}.cli") or name == f"{root.name}.__main__":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Name) and f.id == "print":
                found.append(f"{name}:{node.lineno} print()")
            elif (isinstance(f, ast.Attribute) and f.attr in ("write", "flush") and isinstance(f.value, ast.Attribute)
                  and f.value.attr in ("stdout", "stderr") and getattr(f.value.value, "id", None) == "sys"):
                found.append(f"{name}:{node.lineno} sys.{f.value.attr}.{f.attr}()")
    return found


def test_the_library_never_prints():
    """Only the CLI writes to the terminal; the library returns, raises or warns."""
    assert _prints(PACKAGE) == []


def test_the_print_check_sees_print_and_stderr_writes(tmp_path):
    pkg = tmp_path / "policytag"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "noisy.py").write_text("import sys\ndef f():\n    print('x')\n    sys.stderr.write('y')\n")
    assert _prints(pkg) == ["policytag.noisy:3 print()", "policytag.noisy:4 sys.stderr.write()"]
