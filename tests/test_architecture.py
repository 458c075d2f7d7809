"""The shape of the code (issue 14): every import points one way, down the layers of
docs/architecture.md; no cycle, counting imports inside functions; core/ is a plain library;
no source file over 400 lines."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

# core's layers, bottom to top: a module may import only from lower layers or its own package
CORE_LAYERS = [
    ["core.limits"],  # (core/__init__.py itself holds only the version)
    ["core.config"],
    ["core.data"],
    ["core.models"],
    ["core.training"],
    ["core.jobs"],
    ["core.forecast"],
    ["core.gates"],
    ["core.compare", "core.text", "core.sentiment"],
    ["core.runs"],
    ["core.export"],
    ["core.tasks"],
    ["core.tune"],
    ["core.cli"],
    ["core.__main__"],
]
MAX_LINES = 400
SOURCE_DIRS = ("core", "dashboard", "pages", "bench", "scripts")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(top: str) -> dict[str, Path]:
    return {module_name(p): p for p in (ROOT / top).rglob("*.py")}


def imported(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """Every module ``path`` imports, at module level or inside functions, resolved to the
    longest known module name (``from core.x import y`` is ``core.x.y`` when that is a module)."""
    found: set[str] = set()
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x
                pkg = name if is_pkg else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    pkg = pkg.rpartition(".")[0]
                base = f"{pkg}.{base}".strip(".")
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name and not name.startswith(t + "."):  # a parent package is implicit
                found.add(t)
    return found


def graph(top: str) -> dict[str, set[str]]:
    known = {**modules("core"), **modules("dashboard"), **modules("pages")}
    return {n: imported(p, n, known) for n, p in modules(top).items()}


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> list[str] | None:
        state[u] = 1
        stack.append(u)
        for v in sorted(g.get(u, ())):
            if state.get(v) == 1:
                return [*stack[stack.index(v) :], v]
            if not state.get(v) and (c := visit(v)):
                return c
        stack.pop()
        state[u] = 2
        return None

    for u in sorted(g):
        if not state.get(u) and (c := visit(u)):
            return c
    return None


def layer_of(module: str) -> tuple[int, str]:
    if module == "core":
        return 0, "core"
    for i, layer in enumerate(CORE_LAYERS):
        for pkg in layer:
            if module == pkg or module.startswith(pkg + "."):
                return i, pkg
    raise AssertionError(f"{module} is in no layer of CORE_LAYERS: add it to docs and here")


def test_core_has_no_import_cycle():
    assert find_cycle(graph("core")) is None, " -> ".join(find_cycle(graph("core")))


def test_dashboard_and_pages_have_no_import_cycle():
    g = {**graph("dashboard"), **graph("pages")}
    assert find_cycle(g) is None, " -> ".join(find_cycle(g))


def test_core_imports_point_down_the_layers():
    upward = []
    for mod, targets in graph("core").items():
        here, pkg = layer_of(mod)
        for t in targets:
            there, tpkg = layer_of(t)
            if there > here or (there == here and tpkg != pkg):
                upward.append(f"{mod} -> {t}")
    assert not upward, upward


def test_layers_name_every_core_package():
    packages = {p.name for p in (ROOT / "core").iterdir() if (p / "__init__.py").exists()}
    packages |= {p.stem for p in (ROOT / "core").glob("*.py") if p.stem != "__init__"}
    named = {pkg.split(".")[1] for layer in CORE_LAYERS for pkg in layer} - {"__main__"}
    packages -= {"__main__"}
    assert packages == named


def test_nothing_below_pages_imports_pages_and_core_imports_no_ui():
    bad = [
        f"{m} -> {t}"
        for top in ("core", "dashboard")
        for m, ts in graph(top).items()
        for t in ts
        if t.startswith("pages") or (top == "core" and t.startswith("dashboard"))
    ]
    for top in ("core",):
        for path in (ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                bad += [
                    f"{path.name}: {n}" for n in names if n.split(".")[0] in ("streamlit", "plotly")
                ]
    assert not bad, bad


def test_pages_never_import_each_other():
    bad = [f"{m} -> {t}" for m, ts in graph("pages").items() for t in ts if t.startswith("pages")]
    assert not bad, bad


def test_no_source_file_over_the_line_limit():
    big = {
        str(p.relative_to(ROOT)): n
        for d in SOURCE_DIRS
        for p in (ROOT / d).rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not big, big


@pytest.mark.parametrize(
    ("source", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": set()}, None),
    ],
)
def test_the_cycle_finder_finds_cycles(source, cycle):
    assert find_cycle(source) == cycle


def test_function_level_imports_count(tmp_path, monkeypatch):
    """An import inside a function is an arrow like any other."""
    src = tmp_path / "core" / "low.py"
    src.parent.mkdir()
    src.write_text("def f():\n    from core.high import g\n    return g\n")
    (tmp_path / "core" / "high.py").write_text("from core.low import f\n")
    known = {"core.low": src, "core.high": tmp_path / "core" / "high.py"}
    assert imported(src, "core.low", known) == {"core.high"}


def test_importing_all_of_core_loads_neither_streamlit_nor_plotly():
    code = (
        "import importlib, pkgutil, sys, core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'):\n"
        "    if m.name != 'core.__main__': importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
