"""The layout promises of docs/architecture.md, read from the source with ``ast``.

- No two modules of ``gradstep`` import each other, directly or round a longer circle. Every
  import counts, also one inside a function: a lazy import hides a circle from Python at start-up,
  not from a reader.
- No module imports another room's ``_private`` name or module. A room is the package a module
  sits in (``gradstep.engine.training``, ``gradstep.tui.screens``, ``gradstep.tui``).
- The engine imports neither the interface nor Textual, Rich or plotext.
- No module is over 400 lines.
- Every subpackage says in its ``__init__`` docstring what it is for, and every name its
  ``__all__`` lists is there.

The imports are read, never run, except the last check, which imports each package.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"engine": "gradstep.engine", "tui": "gradstep.tui", "scenarios": "gradstep.scenarios"}
MAX_LINES = 400
GETTEXT = {"_", "N_"}


def modules() -> dict[str, Path]:
    """``{dotted name: file}`` of every module of the package; a package is its ``__init__``."""
    out = {}
    for folder, package in FOLDERS.items():
        for f in (ROOT / folder).rglob("*.py"):
            parts = list(f.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([package, *parts])] = f
    return out


MODULES = modules()


def package_of(name: str) -> str:
    """The package a module is in; a package's own ``__init__`` is in the package itself."""
    return name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]


def imports(name: str) -> list[tuple[str, str | None, int]]:
    """``(module imported, name taken from it or None, line)`` for every import in the file,
    relative imports resolved."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package_of(name).split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            out += [(base, alias.name, node.lineno) for alias in node.names]
    return out


def target(module: str, name: str | None) -> str | None:
    """The module of ours an import reaches: ``from pkg import submodule`` reaches the
    submodule, ``from pkg import thing`` the package's ``__init__``."""
    if name and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    return module if module in MODULES else None


def import_graph() -> dict[str, set[str]]:
    graph = {m: set() for m in MODULES}
    for m in MODULES:
        for module, name, _line in imports(m):
            t = target(module, name)
            if t and t != m:
                graph[m].add(t)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_circle_finder_finds_a_circle_and_passes_a_chain():
    """The check below can fail: a hand-made graph with one circle of three and a chain."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_module_imports_another_round_a_circle():
    assert circles(import_graph()) == []


def test_no_module_imports_another_rooms_private_names():
    offenders = []
    for m in MODULES:
        for module, name, line in imports(m):
            t = target(module, name)
            if t is None:
                continue
            if t == module and name and name.startswith("_") and not name.startswith("__") and name not in GETTEXT:
                private = f"{module}.{name}"
            elif any(part.startswith("_") and not part.startswith("__") for part in t.split(".")):
                private = t
            else:
                continue
            if package_of(t) != package_of(m):
                offenders.append(f"{MODULES[m].relative_to(ROOT)}:{line}: {private}")
    assert not offenders, offenders


def test_the_engine_imports_neither_the_interface_nor_a_terminal_library():
    offenders = []
    for m in MODULES:
        if not m.startswith("gradstep.engine"):
            continue
        for module, _name, line in imports(m):
            top = module.split(".")[0]
            if module.startswith("gradstep.tui") or top in {"textual", "rich", "plotext", "textual_plotext", "tui"}:
                offenders.append(f"{MODULES[m].relative_to(ROOT)}:{line}: {module}")
    assert not offenders, offenders


def test_no_module_is_over_400_lines():
    long = {str(f.relative_to(ROOT)): n for f in MODULES.values()
            if (n := len(f.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


PACKAGES = sorted(m for m, f in MODULES.items() if f.name == "__init__.py")


@pytest.mark.parametrize("package", [p for p in PACKAGES if p.startswith("gradstep.engine.")])
def test_each_room_of_the_engine_says_what_it_is_for_and_lists_its_public_names(package):
    tree = ast.parse(MODULES[package].read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree)
    assert doc and len(doc.split()) >= 20, f"{package}: a paragraph on what the room is for"
    listed = [n for n in tree.body if isinstance(n, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)]
    assert listed, f"{package} has no __all__"
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, missing


ROOMS = ("errors", "i18n", "memory", "autodiff", "model", "optim", "scenario", "training",
         "analysis")
"""The engine's rooms, each allowed to import only the ones before it (errors, i18n and the
memory budget first, as every room uses them), as docs/architecture.md draws them."""


def test_each_room_of_the_engine_imports_only_the_rooms_beneath_it():
    def room(module):
        parts = module.split(".")
        return parts[2] if len(parts) > 2 and module.startswith("gradstep.engine.") else None

    offenders = []
    for m in MODULES:
        if room(m) is None:
            continue
        for module, name, line in imports(m):
            t = target(module, name)
            if t is None or room(t) is None or room(t) == room(m):
                continue
            if ROOMS.index(room(t)) > ROOMS.index(room(m)):
                offenders.append(f"{MODULES[m].relative_to(ROOT)}:{line}: {room(m)} imports {t}")
    assert not offenders, offenders
