"""The layout shows the architecture: no import cycles, and each layer uses only the layers below it.

Imports are read from the source (every ``import`` and ``from ... import``, also inside functions), so a cycle
hidden in a function-level import is found too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sim"


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The sim modules ``path`` imports (``from pkg import module`` counts as importing that module)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = [f"{node.module}.{alias.name}" for alias in node.names
                          if f"{node.module}.{alias.name}" in known]
            out.update(submodules if len(submodules) == len(node.names) else [node.module, *submodules])
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {name for name in out if name in known}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, known) - {name} for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles(graph):
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# What each layer may import from sim (besides itself); see ../shared/ARCHITECTURE.md and the README's layout.
RULES_MAY_IMPORT = {"sim.jit", "sim.packed", "sim.params"}
MODEL_CORE = {"sim.jit", "sim.packed", "sim.params", "sim.state", "sim.month", "sim.record", "sim.errors"}
ABOVE_THE_MODEL = ("sim.region", "sim.experiments", "sim.classroom", "sim.cli", "sim.run", "sim.output")


def test_rules_import_only_the_compiler_the_parameters_and_each_other(graph):
    for name, used in graph.items():
        if name.startswith("sim.rules"):
            outside = {u for u in used if not u.startswith("sim.rules")} - RULES_MAY_IMPORT - {"sim"}
            assert not outside, f"{name} imports {sorted(outside)}"


def test_the_month_and_record_know_nothing_above_them(graph):
    for name in ("sim.month", "sim.record", "sim.state", "sim.packed", "sim.jit"):
        above = {u for u in graph[name] if u.startswith(ABOVE_THE_MODEL) or u == "sim.model"}
        assert not above, f"{name} imports {sorted(above)}"


def test_the_experiment_layer_runs_the_model_only_through_sim_run(graph):
    internals = {"sim.month", "sim.state", "sim.jit", "sim.packed", "sim.model", "sim.region.kernel",
                 "sim.region.table"}
    for name, used in graph.items():
        if name.startswith("sim.experiments"):
            reached = {u for u in used if u in internals or u.startswith("sim.rules")}
            assert not reached, f"{name} reaches into {sorted(reached)}"


def test_the_model_imports_no_page_cli_or_experiments(graph):
    for name, used in graph.items():
        if name in MODEL_CORE or name.startswith(("sim.rules", "sim.region", "sim.model")):
            above = {u for u in used if u.startswith(("sim.experiments", "sim.classroom", "sim.cli"))}
            assert not above, f"{name} imports {sorted(above)}"
