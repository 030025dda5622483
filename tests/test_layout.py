"""The package layout stays true: layers import downward only, no import cycles, no private cross-module names.

The import graph is read from the source (every ``import`` and ``from … import``, also inside functions), so a
lazy import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.paths import ROOT

PACKAGE = ROOT / "src" / "compare"
#: Layers from the bottom up; a module may import modules of its own layer or of layers before it.
LAYERS = ("core", "text", "tagging", "extraction", "comparison", "pipeline", "report")
#: Modules above every layer: the public API, the command line.
TOP = {"compare", "compare.__main__", "compare.cli"}
#: A module longer than this is a room to split by job.
MAX_MODULE_LINES = 700
#: The build reads as a short sequence of named steps.
MAX_BUILD_LINES = 60


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> list[tuple[str, str | None, int]]:
    """``(module imported, name imported from it or None, line)`` for every import of ``compare`` code."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "compare"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module.split(".")[0] != "compare":
                continue
            for a in node.names:
                sub = f"{module}.{a.name}"
                # ``from compare.x import y`` imports module compare.x.y when y is a module
                out.append((sub, None, node.lineno) if sub in MODULES else (module, a.name, node.lineno))
    return out


GRAPH = {m: {imp for imp, _, _ in _imports(p) if imp != m} for m, p in MODULES.items()}


def _layer(module: str) -> int:
    if module in TOP:
        return len(LAYERS)
    parts = module.split(".")
    assert len(parts) >= 2 and parts[1] in LAYERS, f"{module} is in no layer of {LAYERS}"
    return LAYERS.index(parts[1])


def test_every_module_sits_in_a_layer():
    stray = [m for m in MODULES if m not in TOP and m.split(".")[1] not in LAYERS]
    assert stray == [], f"modules outside the layers {LAYERS}: {stray}"


def test_imports_point_to_modules_that_exist():
    unknown = sorted({(m, imp) for m, deps in GRAPH.items() for imp in deps if imp not in MODULES})
    assert unknown == [], unknown


def test_layers_import_downward_only():
    upward = [
        f"{m} ({LAYERS[_layer(m)] if _layer(m) < len(LAYERS) else 'top'}) imports {imp}"
        for m, deps in GRAPH.items()
        for imp in deps
        if imp in MODULES and _layer(imp) > _layer(m)
    ]
    assert upward == [], "\n".join(upward)


def test_no_module_inside_the_package_imports_the_public_facade():
    users = [m for m, deps in GRAPH.items() if "compare" in deps and m not in TOP]
    assert users == [], f"import from the layer that defines it, not from `compare`: {users}"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    assert _cycles(GRAPH) == []


def test_cycle_detection_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_private_name_is_imported_from_another_module():
    private = [
        f"{m}:{line} imports {name} from {imp}"
        for m, p in MODULES.items()
        for imp, name, line in _imports(p)
        if (name is not None and name.startswith("_") and not name.startswith("__"))
        or any(part.startswith("_") and not part.startswith("__") for part in imp.split("."))
    ]
    assert private == [], "\n".join(private)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_are_rooms_of_one_job(module):
    n = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_MODULE_LINES, f"{module} has {n} lines: split it by job"


def test_build_is_a_short_sequence_of_steps():
    tree = ast.parse(MODULES["compare.pipeline.build"].read_text(encoding="utf-8"))
    (fn,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build"]
    body = fn.body[1:] if isinstance(fn.body[0], ast.Expr) else fn.body  # without the docstring
    assert fn.end_lineno - body[0].lineno + 1 <= MAX_BUILD_LINES


def test_the_stage_order_lives_in_one_module():
    """Only the stage registry names the stages' step functions; the build and the executors ask it."""
    registry = "compare.pipeline.stages"
    users = sorted(m for m, deps in GRAPH.items() if registry in deps)
    assert set(users) <= {"compare.pipeline.build", "compare.pipeline.chunks", "compare.pipeline.executors"}
    assert "compare.pipeline.build" not in GRAPH["compare.pipeline.executors"]


def test_public_api_works_from_import_compare():
    import compare

    for name in ("load_corpus", "build", "clean_text", "split_passages", "split_sentences", "tokenize"):
        assert callable(getattr(compare, name)), name
    assert callable(compare.plots.themes.heatmap_plotly)
    assert callable(compare.plots.targets.plan_gantt)
    assert callable(compare.plots.corpus.document_length_figure)


def test_every_module_is_in_the_architecture_table():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        m
        for m, p in MODULES.items()
        if p.name != "__init__.py" and m not in TOP and f"`{m.rsplit('.', 1)[1]}`" not in text
    ]
    assert missing == [], f"add these modules to the module table of docs/architecture.md: {missing}"
