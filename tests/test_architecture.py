"""The import contract of engine/: layers import downward only, and no module imports itself
back through others.

Every import counts, including those under `if TYPE_CHECKING:` and those inside functions,
because a type-only edge still ties two files together for a reader. The layers, lowest first,
are in LAYERS (docs/architecture.md explains them); views may import core only. The checker is
plain code below, proven on small packages generated in tmp_path, then run on engine/.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

# Lowest first: a layer may import the layers before it, never one after it.
LAYERS = ("core", "templating", "loading", "vars", "planning", "transport", "running", "views", "cli")
# Layers that may import only these (besides themselves): renderers read core types only.
NARROW = {"views": ("core",)}
# Outside the layers: the target-side modules, which any layer may name (to find or ship them).
OUTSIDE = ("modules",)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source or '<package top>'} -> {self.target or '<package top>'} (line {self.line})"


def module_names(root: Path) -> dict[str, Path]:
    """Every module below `root`, by dotted name relative to the package ('' is the package)."""
    names: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _resolve(module: str, is_package: bool, node: ast.ImportFrom | ast.Import, package: str,
             known: dict[str, Path]) -> list[str]:
    """The modules (relative names) an import statement reaches inside the package."""
    if isinstance(node, ast.Import):
        found = []
        for alias in node.names:
            if alias.name == package or alias.name.startswith(package + "."):
                found.append(alias.name[len(package) + 1:])
        return found
    if node.level == 0:
        if not node.module or not (node.module == package or node.module.startswith(package + ".")):
            return []
        base = node.module[len(package) + 1:]
    else:
        parts = module.split(".") if module else []
        if not is_package:
            parts = parts[:-1]
        if node.level > 1:
            parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    targets = []
    for alias in node.names:
        child = f"{base}.{alias.name}" if base else alias.name
        targets.append(child if child in known else base)
    return targets


def import_edges(root: Path, package: str) -> list[Edge]:
    """Every import between modules of the package rooted at `root` (named `package`)."""
    known = module_names(root)
    edges = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _resolve(module, path.name == "__init__.py", node, package, known):
                    if target != module:
                        edges.append(Edge(module, target, node.lineno))
    return edges


def layer_of(module: str) -> str:
    return module.split(".")[0]


def upward_imports(edges: list[Edge]) -> list[Edge]:
    """Imports from a lower layer into a higher one (or out of a narrow layer's allowance)."""
    wrong = []
    for edge in edges:
        source, target = layer_of(edge.source), layer_of(edge.target)
        if source not in LAYERS or target in OUTSIDE or source == target:
            continue
        if target not in LAYERS:
            wrong.append(edge)      # the package top (the public API facade) is above every layer
        elif LAYERS.index(target) > LAYERS.index(source):
            wrong.append(edge)
        elif source in NARROW and target not in NARROW[source]:
            wrong.append(edge)
    return wrong


def import_cycles(edges: list[Edge]) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (sorted)."""
    graph = nx.DiGraph((edge.source, edge.target) for edge in edges)
    return sorted(sorted(group) for group in nx.strongly_connected_components(graph) if len(group) > 1)


def engine_root() -> Path:
    return Path(__file__).resolve().parent.parent / "engine"


# --------------------------------------------------------------------------- the checker, proven
def _package(root: Path, files: dict[str, str]) -> Path:
    """A throwaway package `pkg` made of `files` (path → source); every folder gets an __init__."""
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for folder in [root / "pkg", *(p for p in (root / "pkg").rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    return root / "pkg"


def test_checker_finds_an_upward_import_even_when_it_is_only_for_type_checking(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "core/model.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..running.run import Run\n",
        "running/run.py": "from ..core.model import Task\n",
    })
    edges = import_edges(root, "pkg")
    assert [str(edge) for edge in upward_imports(edges)] == ["core.model -> running.run (line 3)"]
    assert import_cycles(edges) == [["core.model", "running.run"]]


def test_checker_finds_a_cycle_inside_one_layer_through_a_function_level_import(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "loading/playbook.py": "def load():\n    from .roles import role\n",
        "loading/roles.py": "from . import playbook\n",
        "loading/config.py": "import pkg.loading.roles\n",
    })
    edges = import_edges(root, "pkg")
    assert upward_imports(edges) == []
    assert import_cycles(edges) == [["loading.playbook", "loading.roles"]]


def test_checker_holds_views_to_core_and_keeps_the_package_top_out_of_the_layers(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "views/console.py": "from ..core.events import Event\nfrom ..running.run import RunResult\n",
        "core/events.py": "from .. import __version__\n",
        "running/run.py": "from ..vars.layers import Layer\n",
        "vars/layers.py": "",
    })
    wrong = [str(edge) for edge in upward_imports(import_edges(root, "pkg"))]
    assert wrong == ["core.events -> <package top> (line 1)", "views.console -> running.run (line 2)"]


def test_checker_accepts_downward_imports(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "cli/main.py": "from ..running.run import Run\nfrom ..views.console import Console\n",
        "running/run.py": "from ..transport.pool import Pool\nfrom ..core.model import Task\n",
        "transport/pool.py": "from ..vars.layers import Layer\n",
        "views/console.py": "from ..core.events import Event\n",
    })
    edges = import_edges(root, "pkg")
    assert len(edges) == 6
    assert upward_imports(edges) == [] and import_cycles(edges) == []


# --------------------------------------------------------------------------- the contract on engine/
@pytest.fixture(scope="module")
def engine_edges() -> list[Edge]:
    return import_edges(engine_root(), "miniplay")


def test_engine_top_level_holds_only_the_package_files() -> None:
    top = sorted(path.name for path in engine_root().iterdir() if path.name != "__pycache__")
    assert top == sorted(["__init__.py", "__main__.py", "py.typed", *LAYERS])


def test_engine_layers_import_downward_only(engine_edges: list[Edge]) -> None:
    assert [str(edge) for edge in upward_imports(engine_edges)] == []


def test_engine_has_no_import_cycle(engine_edges: list[Edge]) -> None:
    assert import_cycles(engine_edges) == []
