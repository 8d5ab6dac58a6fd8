"""Every public function in sim/rules/ is on the path of the shipped scenarios: change what it returns and some
scenario's run changes or fails.

The check runs uncompiled (``NUMBA_DISABLE_JIT=1``), where replacing a function in its module reaches every
caller; ``tests/test_jit.py`` shows that the compiled kernels give the same bytes as those very functions
uncompiled, so what holds here holds for the default, compiled runs too. A rule whose result no scenario notices
would be a copy nobody runs, or a mechanism that does nothing. The changes keep values in range (a level one step
down, a share moved part of the way, or a long way, toward another value), and a run the change breaks does not
count as noticing it.
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


def perturbed(value, variant):
    """``value`` changed but kept in range: variant 0 moves it part of the way, variant 1 a long way."""
    if isinstance(value, (bool, np.bool_)):
        return not value
    if isinstance(value, (int, np.integer)):  # counts, codes and levels: one step, down where it can go down
        return value - 1 if value > 0 else value + 1
    if isinstance(value, (float, np.floating)):
        if variant == 0:
            return 0.5 * value + 0.25
        return 0.0 if value != 0.0 else 0.25
    if isinstance(value, tuple):
        return tuple(perturbed(v, variant) for v in value)
    if isinstance(value, np.ndarray):  # the same values in the other order, or a different one
        return value[::-1].copy() if value.size > 1 else perturbed_elements(value)
    if isinstance(value, list):
        return value[::-1] if len(value) > 1 else value[:0]
    raise TypeError(f"no perturbation for {type(value).__name__}")


def perturbed_elements(array):
    return array + 1 if array.dtype.kind in "iuf" else array


def wrapper(function, variant):
    def changed(*args, **kwargs):
        return perturbed(function(*args, **kwargs), variant)
    return changed


def first_to_notice(module, name, function):
    """The first scenario whose run differs with the rule perturbed (not counting runs the change breaks), and
    the first scenario the change broke."""
    broke = None
    for variant in (0, 1):
        setattr(module, name, wrapper(function, variant))
        try:
            for scenario in SCENARIOS:
                print_ = fingerprint(scenario)
                if print_.startswith("error: "):
                    broke = broke or f"{scenario} ({print_[7:]})"
                elif print_ != reference[scenario]:
                    return scenario, broke
        finally:
            setattr(module, name, function)
    return None, broke


reference = {name: fingerprint(name) for name in SCENARIOS}
noticed, broken = {}, {}
for info in pkgutil.iter_modules(sim.rules.__path__):
    module = importlib.import_module(f"sim.rules.{info.name}")
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if name.startswith("_") or function.__module__ != module.__name__:
            continue
        noticed[f"{info.name}.{name}"], broken[f"{info.name}.{name}"] = first_to_notice(module, name, function)
json.dump({"noticed": noticed, "broken": broken}, sys.stdout)
'''


def test_changing_any_rule_changes_some_shipped_scenario():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "NUMBA_DISABLE_JIT": "1"}, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout)
    noticed = found["noticed"]
    assert len(noticed) >= 60, sorted(noticed)  # every rule module was searched
    # noticed by a run that differs, not by one the change breaks: a rule only an error reveals is read, not used
    unnoticed = {name: found["broken"][name] for name, scenario in noticed.items() if scenario is None}
    assert not unnoticed, f"rules whose result no shipped scenario's run reflects (and what the change broke): {unnoticed}"
