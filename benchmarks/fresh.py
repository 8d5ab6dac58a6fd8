"""Measurements in fresh processes: the cold start, and the user-level figures side by side with another checkout.

Each process runs a checkout's own interpreter (``DIR/.venv/bin/python`` where it exists) in that checkout, with
``PYTHONPATH`` set to it, so that ``import sim`` is that checkout's model and its numba cache; the measuring code
is :mod:`benchmarks.probe`, run as a script, which uses only the API both commits have.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.common import ROOT, Figure, fmt_seconds

if TYPE_CHECKING:
    from benchmarks.cases import Settings

PROBE = Path(__file__).resolve().parent / "probe.py"
COLD = "import sim; sim.run('baseline')"
# The same with three time stamps (time is a built-in module): the parent adds the process's start and end.
STAMPED = "import time; t0 = time.time(); {imports}; t1 = time.time(); sim.run('baseline'); t2 = time.time(); print(t0, t1, t2)"
PLAIN_IMPORT = "import sim"
# A suggestion measured, not in the model: move the objects of the imports out of the garbage collector's sight, so
# that the interpreter's final collections at exit do not walk them (and later collections neither).
FROZEN_IMPORT = "import sim, gc; gc.freeze()"
# What -X importtime's self times are grouped into (a top-level package, or the group it joins).
IMPORT_GROUPS = {"llvmlite": "numba", "pyarrow": "pyarrow", "dateutil": "pandas", "pytz": "pandas", "tzdata": "pandas"}
SHOWN_GROUPS = ("mesa", "pandas", "pyarrow", "scipy", "networkx", "numba", "numpy", "sim")
COMPARE_TOLERANCE = 1.10  # "speed stays": the new figure within 10% of the old one (the noise between repeats here)


def tree_python(tree: Path) -> str:
    """The interpreter for ``tree``: this one for the current checkout, else the checkout's ``.venv`` (or this one)."""
    if tree.resolve() == ROOT:
        return sys.executable
    own = tree / ".venv" / "bin" / "python"
    return str(own) if os.access(own, os.X_OK) else sys.executable


def tree_env(tree: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(tree.resolve())
    return env


def _check(proc: subprocess.CompletedProcess, what: str) -> None:
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{what} exited with {proc.returncode}: {' | '.join(tail)}")


def run_probe(tree: Path, what: str, quick: bool = False, timeout: float = 900) -> dict:
    """``benchmarks/probe.py WHAT`` in a fresh process on ``tree``; its JSON result."""
    import json

    args = [tree_python(tree), str(PROBE), what, "--tree", str(tree.resolve())] + (["--quick"] if quick else [])
    proc = subprocess.run(args, cwd=tree, env=tree_env(tree), capture_output=True, text=True, timeout=timeout)
    _check(proc, f"probe {what} on {tree}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def wall(tree: Path, code: str, timeout: float = 600) -> float:
    """Wall-clock seconds of ``python -c CODE`` in a fresh process on ``tree`` (interpreter start and exit included)."""
    args = [tree_python(tree), "-c", code]
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=tree, env=tree_env(tree), capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - start
    _check(proc, f"python -c {code!r} on {tree}")
    return elapsed


def cold_parts(tree: Path, imports: str = PLAIN_IMPORT, timeout: float = 600) -> dict:
    """One cold start on ``tree``: ``python -c`` importing ``imports`` and running the baseline once, with time
    stamps; the whole (wall clock, interpreter start and exit included) and its parts, in seconds."""
    args = [tree_python(tree), "-c", STAMPED.format(imports=imports)]
    start = time.time()
    proc = subprocess.run(args, cwd=tree, env=tree_env(tree), capture_output=True, text=True, timeout=timeout)
    end = time.time()
    _check(proc, f"a cold start on {tree}")
    t0, t1, t2 = map(float, proc.stdout.split()[-3:])
    return {"total": end - start, "start": t0 - start, "import": t1 - t0, "run": t2 - t1, "exit": end - t2}


def import_profile(tree: Path) -> dict:
    """``python -X importtime -c 'import sim'``: the self times summed by package group (seconds), the total, and
    which other package first imported each group."""
    proc = subprocess.run([tree_python(tree), "-X", "importtime", "-c", "import sim"], cwd=tree, env=tree_env(tree),
                          capture_output=True, text=True, timeout=600)
    _check(proc, "python -X importtime -c 'import sim'")
    entries = []  # (depth, self seconds, module), in the order printed: children before their parent
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        own, _, name = line[len("import time:"):].split("|", 2)
        if not own.strip().isdigit():
            continue  # the header line
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        entries.append((depth, int(own) / 1e6, name.strip()))
    # Rebuild the tree (a module's parent is the next entry one level up) and walk it in import order.
    children: dict[int, list[int]] = {-1: []}
    stack: list[int] = []
    for index in range(len(entries) - 1, -1, -1):  # parents before children, children last-first
        depth = entries[index][0]
        del stack[depth:]
        children.setdefault(stack[-1] if stack else -1, []).insert(0, index)
        stack.append(index)
    groups: dict[str, float] = {}
    importer: dict[str, str] = {}
    walk = [(index, None) for index in reversed(children[-1])]
    while walk:
        index, outer = walk.pop()
        group = _group(entries[index][2])
        groups[group] = groups.get(group, 0.0) + entries[index][1]
        if group != outer and outer is not None:
            importer.setdefault(group, outer)
        walk += [(child, group) for child in reversed(children.get(index, []))]
    return {"groups": groups, "total": sum(groups.values()), "importer": importer}


def _group(module: str) -> str:
    top = module.split(".", 1)[0]
    return IMPORT_GROUPS.get(top, top)


def _loads(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def _median_dicts(dicts: list[dict], key: str) -> float:
    return statistics.median(d[key] for d in dicts)


def _commit(tree: Path) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return proc.stdout.strip() if proc.returncode == 0 else "not a git checkout"


def _load() -> float:
    return os.getloadavg()[0]


# --------------------------------------------------------------------------- cold start

def bench_coldstart(s: "Settings") -> list[Figure]:
    """The first run in a fresh process, numba's cache warm, and where its time goes."""
    tree = ROOT
    processes, probes = (3, 1) if s.quick else (7, 3)
    wall(tree, COLD)  # a stale numba cache is rebuilt here, not in a timed process
    plain, frozen, first, imports, loads = [], [], [], [], []
    for i in range(processes):  # interleaved, so that the variants and the parts share the load
        loads.append(_load())
        plain.append(cold_parts(tree))
        frozen.append(cold_parts(tree, FROZEN_IMPORT))
        if i < probes:
            first.append(run_probe(tree, "first-run"))
            imports.append(import_profile(tree))
    part = {key: _median_dicts(plain, key) for key in plain[0]}
    total = part["total"]
    kernels = statistics.median(max(p["compile_for_args_s"], p["cache_load_s"]) for p in first)
    first_load = statistics.median(p["cache_load_first_s"] for p in first)
    first_run = _median_dicts(first, "first_run_s")
    second = _median_dicts(first, "second_run_s")
    hits, misses = first[0]["cache_hits"], first[0]["cache_misses"]
    groups = {g: statistics.median(p["groups"].get(g, 0.0) for p in imports) for g in {g for p in imports for g in p["groups"]}}
    importtime_total = statistics.median(p["total"] for p in imports)
    importer = imports[0]["importer"]
    shown = [g for g in SHOWN_GROUPS if g in groups]
    other = importtime_total - sum(groups[g] for g in shown)
    by_package = "; ".join(
        f"{'sim itself' if g == 'sim' else g} {groups[g] * 1e3:.0f} ms"
        + (f" (imported by {importer[g]})" if importer.get(g) not in (None, "sim") else "") for g in shown)
    frozen_part = {key: _median_dicts(frozen, key) for key in frozen[0]}
    s.shared["coldstart"] = {"parts": part, "frozen": frozen_part, "kernels": kernels, "groups": groups}
    each = f"median of {processes} fresh processes"
    figures = [
        Figure("coldstart", f"cold start: `python -c \"{COLD}\"`, numba's cache warm", fmt_seconds(total), "<= 1.5 s",
               total <= 1.5, f"wall clock from the parent's spawn to the child's end, {each} (min "
               f"{fmt_seconds(min(p['total'] for p in plain))}, max {fmt_seconds(max(p['total'] for p in plain))}) after "
               f"one untimed process; three time stamps (`time.time()`) added to the command split it; 1-minute load "
               f"average before each: {_loads(loads)} (on {os.cpu_count()} cores)", total),
        Figure("coldstart", "... of which the interpreter's start", fmt_seconds(part["start"]), "", None,
               f"spawn to the first statement; {each}", part["start"]),
        Figure("coldstart", "... of which `import sim`", fmt_seconds(part["import"]), "", None,
               f"{each}. By package (`python -X importtime -c 'import sim'`, self times summed per package, median of "
               f"{len(imports)}; {importtime_total * 1e3:.0f} ms in all under importtime, which adds its own "
               f"overhead): {by_package}; everything else {other * 1e3:.0f} ms", part["import"]),
        Figure("coldstart", "... of which the first `sim.run('baseline')`", fmt_seconds(part["run"]), "", None,
               f"{each}; a second run in the same process takes {fmt_seconds(second)}", part["run"]),
        Figure("coldstart", "... ... of which loading the cached kernels", fmt_seconds(kernels), "", None,
               f"time in numba's first calls of the kernels (`Dispatcher._compile_for_args`), in {len(first)} more "
               f"fresh process{'es' if len(first) != 1 else ''} (median; their first run took {fmt_seconds(first_run)}); "
               f"{hits} kernels loaded from the cache, {misses} compiled; the first load took {fmt_seconds(first_load)}: "
               "it initializes numba's CPU target (its typing and lowering registries) for the process", kernels),
        Figure("coldstart", "... of which the interpreter's exit", fmt_seconds(part["exit"]), "", None,
               f"the last statement to the process's end: the interpreter's finalization, mostly the garbage "
               f"collector walking every object the imports made; {each}", part["exit"]),
        Figure("coldstart", "cold start with `gc.freeze()` right after `import sim` (as the `partnersim` command does: "
               "`sim.cli.console`)",
               fmt_seconds(frozen_part["total"]), "", None,
               f"`python -c \"{FROZEN_IMPORT}; sim.run('baseline')\"`, {each}, interleaved with the figure above: "
               f"import {fmt_seconds(frozen_part['import'])}, first run {fmt_seconds(frozen_part['run'])}, exit "
               f"{fmt_seconds(frozen_part['exit'])}", frozen_part["total"]),
    ]
    return figures


# --------------------------------------------------------------------------- side by side

COMPARED = (("typical_30", "typical run, 30 organizations (`sim.run(...).summary`)"),
            ("typical_12", "typical run, 12 organizations (the baseline as is)"),
            ("region_month", "10,000-organization region, ms per month (months 61-120)"),
            ("region_build", "10,000-organization region, build"),
            ("cold", f"cold start (`python -c \"{COLD}\"`, numba's cache warm)"))


def bench_compare(s: "Settings") -> list[Figure]:
    """The user-level figures on the other checkout (old) and on this one (new), in fresh processes, interleaved."""
    if s.compare_with is None:
        return [Figure("compare", "side by side with the previous commit", f"not run: {s.compare_reason}")]
    sides = {"old": s.compare_with.resolve(), "new": ROOT}
    order = ["old", "new"] if s.quick else ["old", "new", "new", "old"]
    for side in ("old", "new"):
        wall(sides[side], COLD)  # a stale numba cache is rebuilt here, not in a timed process
    warm: dict[str, list[dict]] = {"old": [], "new": []}
    # Three rounds a side: on a shared machine one process can run half again as slow as the next, and two a side
    # let that noise decide a 10% comparison.
    warm_order = order * (1 if s.quick else 3)
    for side in warm_order:
        warm[side].append(run_probe(sides[side], "warm", quick=s.quick))
    cold: dict[str, list[dict]] = {"old": [], "new": []}
    first: dict[str, list[dict]] = {"old": [], "new": []}
    cold_loads = []
    rounds = 1 if s.quick else 3
    for round_ in range(rounds):
        for side in order:
            cold_loads.append(_load())
            cold[side].append(cold_parts(sides[side]))
            if round_ == 0:
                first[side].append(run_probe(sides[side], "first-run"))
    value = {side: {key: statistics.median(p[key] for p in warm[side]) for key, _ in COMPARED[:-1]} for side in sides}
    for side in sides:
        value[side]["cold"] = _median_dicts(cold[side], "total")
    s.shared["compare"] = value
    figures = []
    for key, label in COMPARED:
        old, new = value["old"][key], value["new"][key]
        ratio = new / old
        if key == "cold":
            each = {side: ", ".join(fmt_seconds(p["total"]) for p in cold[side]) for side in sides}
            parts = {side: ", ".join(f"{name} {fmt_seconds(_median_dicts(cold[side], name))}"
                                     for name in ("start", "import", "run", "exit"))
                     + f" (kernels loaded from numba's cache in {fmt_seconds(_median_dicts(first[side], 'cache_load_s'))})"
                     for side in sides}
            how = (f"wall clock of fresh processes (time stamps added), median; old: {each['old']}; new: {each['new']}; "
                   f"order {'-'.join(order)} ({rounds} round{'s' if rounds != 1 else ''}), 1-minute load average before "
                   f"each: {_loads(cold_loads)}. Parts (medians): old {parts['old']}; new {parts['new']}")
        else:
            each = {side: ", ".join(fmt_seconds(p[key]) for p in warm[side]) for side in sides}
            per_side = len(warm["old"])
            how = (f"median in each fresh process ({per_side} process{'es' if per_side != 1 else ''} a side, order "
                   f"{'-'.join(order)}{'' if s.quick else ', three times'}; the figure is the median of the "
                   f"processes): old {each['old']}; new {each['new']}")
        figures.append(Figure(
            "compare", f"old vs new: {label}",
            f"old {fmt_seconds(old)}, new {fmt_seconds(new)}: new/old {ratio:.2f}"
            + (f" ({1 / ratio:.1f}x faster)" if ratio < 1 else ""),
            f"new <= old x {COMPARE_TOLERANCE:.2f}", new <= old * COMPARE_TOLERANCE, how, ratio))
    commit = {side: _commit(sides[side]) for side in sides}
    loads = {side: _loads([x for p in warm[side] for x in (p["load_start"], p["load_end"])]) for side in sides}
    versions = {side: warm[side][0].get("versions", {}) for side in sides}
    s.notes.append(
        f"Side by side: old is {sides['old']} (commit {commit['old']}), new is this checkout ({commit['new']}); each in its "
        f"own interpreter ({tree_python(sides['old'])}; {tree_python(sides['new'])}) with "
        + "; ".join(f"{side}: " + ", ".join(f"{k} {v}" for k, v in versions[side].items()) for side in sides)
        + f". Load averages at the start and end of each warm process: old {loads['old']}; new {loads['new']}. "
        f"A target of `compare` is met when the new figure is at most {COMPARE_TOLERANCE:.2f} times the old one (the "
        "issue's \"speed stays or improves\", with room for the noise between repeats on a shared machine).")
    return figures
