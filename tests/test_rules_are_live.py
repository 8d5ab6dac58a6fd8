"""Every public function in sim/rules/ is on the path of the shipped scenarios: change what it returns and some
scenario's run changes or fails.

The check runs uncompiled (``NUMBA_DISABLE_JIT=1``), where replacing a function in its module reaches every
caller; ``tests/test_jit.py`` shows that the compiled kernels give the same bytes as those very functions
uncompiled, so what holds here holds for the default, compiled runs too. A rule whose result no scenario notices
would be a copy nobody runs, or a mechanism that does nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r'''
import hashlib, importlib, inspect, json, pkgutil, sys
import numpy as np
import sim, sim.rules

STEPS = {"region": 36}  # the others run their full length
FIRST = ["baseline", "lead_agency_dominance", "collective_impact", "diversified_funding"]  # the quickest to notice
SCENARIOS = FIRST + [name for name in sim.scenario_names() if name not in FIRST]


def fingerprint(name):
    try:
        result = sim.run(name, seed=3, steps=STEPS.get(name))
    except Exception as error:  # a perturbed rule may break a run: that counts as noticed
        return "error: " + type(error).__name__
    parts = [result.timeseries.to_csv(), json.dumps(result.summary, sort_keys=True, default=str)]
    if result.partnerships is not None:
        parts.append(result.partnerships.to_csv())
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def perturbed(value):
    if isinstance(value, (bool, np.bool_)):
        return not value
    if isinstance(value, (int, np.integer)):
        return value + 1
    if isinstance(value, (float, np.floating)):
        return 0.5 * value + 0.25
    if isinstance(value, tuple):
        return tuple(perturbed(v) for v in value)
    if isinstance(value, np.ndarray):  # the same values in the other order, or a different one
        return value[::-1].copy() if value.size > 1 else perturbed_elements(value)
    if isinstance(value, list):
        return value[::-1] if len(value) > 1 else value[:0]
    raise TypeError(f"no perturbation for {type(value).__name__}")


def perturbed_elements(array):
    return array + 1 if array.dtype.kind in "iuf" else array


def wrapper(function):
    def changed(*args, **kwargs):
        return perturbed(function(*args, **kwargs))
    return changed


reference = {name: fingerprint(name) for name in SCENARIOS}
noticed = {}
for info in pkgutil.iter_modules(sim.rules.__path__):
    module = importlib.import_module(f"sim.rules.{info.name}")
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if name.startswith("_") or function.__module__ != module.__name__:
            continue
        setattr(module, name, wrapper(function))
        try:
            noticed[f"{info.name}.{name}"] = next((s for s in SCENARIOS if fingerprint(s) != reference[s]), None)
        finally:
            setattr(module, name, function)
json.dump(noticed, sys.stdout)
'''


def test_changing_any_rule_changes_some_shipped_scenario():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "NUMBA_DISABLE_JIT": "1"}, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    noticed = json.loads(done.stdout)
    assert len(noticed) >= 40, sorted(noticed)  # every rule module was searched
    unnoticed = sorted(name for name, scenario in noticed.items() if scenario is None)
    assert not unnoticed, f"rules whose result no shipped scenario notices: {unnoticed}"
