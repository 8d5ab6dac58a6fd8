"""Shared pieces: the figure record, timing with warm-ups and medians, parameters, child processes, the machine."""

from __future__ import annotations

import copy
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
GB = 1e9
MB = 1e6


@dataclass
class Figure:
    """One measured figure: a row of the results table."""

    bench: str                 # the benchmark that measured it (a name for --only)
    label: str                 # what it is
    value: str                 # the measurement, formatted ("0.41 ms", "not run: ...")
    target: str = ""           # the target, formatted ("<= 10 ms"); empty: informational
    met: bool | None = None    # None: no target, or not measured
    how: str = ""              # how it was measured (sizes, repeats)
    number: float | None = None  # the raw number, for derived figures

    @property
    def status(self) -> str:
        if self.met is None:
            return "not measured" if self.target and self.number is None else "-"
        return "met" if self.met else "not met"


@dataclass
class Timing:
    times: list[float] = field(default_factory=list)  # seconds, one per repeat

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def describe(self, warmups: int) -> str:
        n = len(self.times)
        spread = f", min {fmt_seconds(min(self.times))}, max {fmt_seconds(max(self.times))}" if n > 1 else ""
        return f"median of {n} repeat{'s' if n != 1 else ''} after {warmups} warm-up{'s' if warmups != 1 else ''}{spread}"


def time_repeats(fn: Callable, *, warmups: int, repeats: int, setup: Callable[[], tuple] | None = None) -> Timing:
    """Call ``fn(*setup())`` ``warmups`` times untimed, then ``repeats`` times timed (``setup`` is never timed)."""
    for _ in range(warmups):
        fn(*(setup() if setup else ()))
    timing = Timing()
    for _ in range(repeats):
        args = setup() if setup else ()
        start = time.perf_counter()
        fn(*args)
        timing.times.append(time.perf_counter() - start)
    return timing


def fmt_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.3g} ms"
    if seconds < 120:
        return f"{seconds:.3g} s"
    return f"{seconds / 60:.1f} min"


def fmt_bytes(n: float) -> str:
    return f"{n / GB:.1f} GB" if n >= GB else f"{n / MB:.0f} MB"


# --------------------------------------------------------------------------- parameters

def params_for(count: int, scenario: str = "baseline", steps: int | None = None):
    """The scenario's parameters with ``organizations.count = count`` (and ``steps``), and whether the cap on
    ``organizations.count`` rejected it (then the count is set on copies past the check: parameters refuse to be
    built beyond their ranges, and a benchmark of size means to go beyond them)."""
    from sim.errors import ScenarioError
    from sim.run import resolve

    try:
        return resolve(scenario, steps=steps, overrides={"organizations.count": count})[1], False
    except ScenarioError:
        base = resolve(scenario, steps=steps)[1]
        organizations, bypassed = copy.copy(base.organizations), copy.copy(base)
        object.__setattr__(organizations, "count", count)
        object.__setattr__(bypassed, "organizations", organizations)
        return bypassed, True


# --------------------------------------------------------------------------- child processes

def run_child(args: list[str], timeout: float) -> dict:
    """Run ``python -m benchmarks.child ARGS`` from the repository root; its last stdout line is JSON."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run([sys.executable, "-m", "benchmarks.child", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"child {' '.join(args[:1])} exited with {proc.returncode}: {' | '.join(tail)}")
    return json.loads(lines[-1])


# --------------------------------------------------------------------------- the machine and the code

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_bytes() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def git_state() -> str:
    """``git rev-parse --short HEAD`` and whether the working tree differs from it (which files, briefly)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "not a git checkout"
        status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    changed, untracked = [], []
    for line in status.stdout.splitlines():
        code, path = line[:2], line[3:]
        if code == "??":
            if path.startswith(("sim/", "benchmarks/", "pyproject.toml", "Makefile")):
                untracked.append(path)
        else:
            changed.append(path)

    def brief(paths):
        return ", ".join(paths[:8]) + (f" and {len(paths) - 8} more" if len(paths) > 8 else "")

    text = head.stdout.strip()
    if changed:
        text += f" (dirty: uncommitted changes to {brief(changed)}"
        text += f"; untracked {brief(untracked)})" if untracked else ")"
    else:
        text += " (clean" + (f"; untracked {brief(untracked)})" if untracked else ")")
    return text


def _version(package: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict:
    import numpy as np

    ram = ram_bytes()
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram": fmt_bytes(ram) if ram else "unknown",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "openblas_coretype": f"set ({coretype})" if coretype else "not set",
        "numba": _version("numba"),
        "load": load,
    }
