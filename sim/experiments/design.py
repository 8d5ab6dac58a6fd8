"""Designs: which knob values each design point gets.

- ``grid``: full factorial over every knob's values (the last knob varies fastest).
- ``list``: the i-th value of every knob's list makes point i.
- ``policies``: every named policy (its bundle of lever settings) against every combination of the
  uncertainties' values, policy-major: point ``p * U + u`` is policy ``p`` in world ``u`` of ``U``
  (:func:`policy_of_points` reads it back).
- ``latin_hypercube``: ``scipy.stats.qmc.LatinHypercube`` with ``samples`` points.
- ``sobol``: SALib's Saltelli scheme (``SALib.sample.sobol.sample``, ``calc_second_order=False``):
  ``samples * (D + 2)`` points in SALib's order, so that ``SALib.analyze.sobol.analyze``
  can be called on per-point means.
- ``morris``: ``SALib.sample.morris.sample`` with ``samples`` trajectories: ``samples * (D + 1)`` points.

A study above :data:`MAX_RUNS` runs or :data:`MAX_ESTIMATED_BYTES` of design and results is refused
(:func:`check_size`) unless asked for, before its design is built.

Sampling methods draw from ``problem["bounds"]``; an integer knob is drawn on
``[low - 0.5, high + 0.5]`` and rounded, so every integer is equally likely. The
sampler is seeded from the spec's root seed, so the same spec always gives the
same design. ``raw`` keeps the sampler's unrounded matrix (what SALib's
analyses expect as ``X``).
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import numpy as np

from sim.errors import ScenarioError
from sim.experiments.spec import SAMPLING_METHODS, Knob, Spec

NUMPY_DTYPES = {"int": np.int64, "float": np.float64, "bool": np.bool_, "str": object}


@dataclass(frozen=True)
class Design:
    method: str
    knobs: tuple[Knob, ...]
    columns: dict[str, np.ndarray]  # knob key -> value per design point
    n_points: int
    problem: dict | None = None  # SALib problem (num_vars, names, bounds) for sampling methods
    raw: np.ndarray | None = None  # the sampler's matrix (n_points x num_vars) before rounding

    def point(self, index: int) -> dict:
        """The overrides of one design point, as plain Python values."""
        return {key: column[index].item() if isinstance(column[index], np.generic) else column[index]
                for key, column in self.columns.items()}


def design_seed(root_seed: int) -> int:
    """The sampler's seed: a 32-bit word generated from the root seed (run seeds come from its spawned children)."""
    return int(np.random.SeedSequence(root_seed).generate_state(1, dtype=np.uint32)[0])


def build_design(spec: Spec) -> Design:
    knobs = spec.knobs
    if spec.method == "grid":
        return _grid(knobs)
    if spec.method == "list":
        columns = {k.key: _column(k, k.grid_values()) for k in knobs}
        return Design("list", knobs, columns, len(knobs[0].values))
    if spec.method == "policies":
        return _policies(knobs)
    if spec.method in SAMPLING_METHODS:
        return _sampled(spec)
    raise ValueError(f"unknown design method {spec.method!r}")


def _column(knob: Knob, values) -> np.ndarray:
    dtype = NUMPY_DTYPES[knob.kind]
    if dtype is object:
        column = np.empty(len(values), dtype=object)
        column[:] = list(values)
        return column
    return np.asarray(values, dtype=dtype)


def _grid(knobs: tuple[Knob, ...]) -> Design:
    value_lists = [k.grid_values() for k in knobs]
    sizes = [len(v) for v in value_lists]
    n_points = int(np.prod(sizes, dtype=np.int64)) if sizes else 1
    index = np.unravel_index(np.arange(n_points), sizes) if sizes else ()
    columns = {k.key: _column(k, values)[idx] for k, values, idx in zip(knobs, value_lists, index)}
    return Design("grid", knobs, columns, n_points)


def _policies(knobs: tuple[Knob, ...]) -> Design:
    levers = tuple(k for k in knobs if k.role == "lever")
    world = _grid(tuple(k for k in knobs if k.role != "lever"))
    n_policies = len(levers[0].values)
    columns = {k.key: np.repeat(_column(k, k.values), world.n_points) for k in levers}
    columns.update({key: np.tile(column, n_policies) for key, column in world.columns.items()})
    return Design("policies", knobs, columns, n_policies * world.n_points)


def policy_of_points(design_points, policy_names: list[str], n_points: int) -> list[str]:
    """The policy each design point of a ``policies`` design belongs to (``n_points``: the design's size)."""
    per_policy = max(n_points // max(len(policy_names), 1), 1)
    return [policy_names[min(int(point) // per_policy, len(policy_names) - 1)] for point in design_points]


def problem_of(knobs: tuple[Knob, ...]) -> dict:
    bounds = []
    for k in knobs:
        if k.integer:
            bounds.append([float(k.low) - 0.5, float(k.high) + 0.5])
        else:
            bounds.append([float(k.low), float(k.high)])
    return {"num_vars": len(knobs), "names": [k.key for k in knobs], "bounds": bounds}


def _sampled(spec: Spec) -> Design:
    knobs = spec.knobs
    problem = problem_of(knobs)
    seed = design_seed(spec.root_seed)
    if spec.method == "latin_hypercube":
        from scipy.stats import qmc

        try:
            sampler = qmc.LatinHypercube(d=len(knobs), rng=np.random.default_rng(seed))
        except TypeError:  # scipy < 1.15 calls it seed
            sampler = qmc.LatinHypercube(d=len(knobs), seed=np.random.default_rng(seed))
        unit = sampler.random(spec.samples)
        bounds = np.asarray(problem["bounds"])
        raw = bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])
    elif spec.method == "sobol":
        from SALib.sample import sobol

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SALib's notes on sample sizes; samples is already a power of 2
            raw = sobol.sample(copy.deepcopy(problem), spec.samples, calc_second_order=False, seed=seed)
    else:
        from SALib.sample import morris

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = morris.sample(copy.deepcopy(problem), spec.samples, num_levels=spec.levels, seed=seed)
    raw = np.asarray(raw, dtype=np.float64)
    columns = {}
    for j, k in enumerate(knobs):
        x = raw[:, j]
        if k.integer:
            x = np.clip(np.floor(x + 0.5), k.low, k.high)
        else:
            x = np.clip(x, k.low, k.high)
        columns[k.key] = x.astype(NUMPY_DTYPES[k.kind])
    return Design(spec.method, knobs, columns, raw.shape[0], problem=problem, raw=raw)


# --------------------------------------------------------------------------- size bounds

# A study larger than these is refused unless asked for (--yes-large): a typo in a grid or a replicate count
# would otherwise start a run of days and fill the disk.
MAX_RUNS = 1_000_000
MAX_ESTIMATED_BYTES = 4 * 2**30
# In memory, as the report and the analyses load them: 8 bytes a value; a time-series row holds the run id,
# the step, the value and the metric's name; a run has about 20 monthly metrics.
BYTES_PER_VALUE = 8
BYTES_PER_SERIES_ROW = 40
METRICS_PER_MONTH = 20
RUN_ID_COLUMNS = 7  # run_id, design_point, replicate, seed, status, error, scenario


def planned_points(spec: Spec) -> int:
    """How many design points ``spec`` has, computed without building the design."""
    knobs = spec.knobs
    if spec.method == "grid":
        points = 1
        for k in knobs:
            points *= len(k.values) if k.values is not None else k.steps
        return points
    if spec.method == "list":
        return len(knobs[0].values)
    if spec.method == "policies":  # every policy in every combination of the world's values (_policies)
        points = len(spec.policies)
        for k in knobs:
            if k.role != "lever":
                points *= len(k.values) if k.values is not None else k.steps
        return points
    extra = {"latin_hypercube": 0, "sobol": len(knobs) + 2, "morris": len(knobs) + 1}[spec.method]
    return spec.samples * (extra or 1)


def estimated_bytes(spec: Spec, points: int) -> int:
    """The memory a study's design and results take: design points x knobs, runs x columns, and runs x kept
    months x metrics when time series are kept."""
    from sim.experiments.store import outcome_columns

    runs = points * spec.replicates
    design = points * max(1, len(spec.knobs)) * BYTES_PER_VALUE * (2 if spec.method in SAMPLING_METHODS else 1)
    table = runs * (len(outcome_columns(spec.kind, spec.formation)) + len(spec.knobs) + RUN_ID_COLUMNS) * BYTES_PER_VALUE
    series = runs * (spec.steps // spec.every + 2) * METRICS_PER_MONTH * BYTES_PER_SERIES_ROW if spec.timeseries else 0
    return design + table + series


def check_size(spec: Spec, allow_large: bool = False) -> None:
    """Refuse a study above :data:`MAX_RUNS` runs or :data:`MAX_ESTIMATED_BYTES` unless ``allow_large``."""
    if allow_large:
        return
    points = planned_points(spec)
    runs = points * spec.replicates
    size = estimated_bytes(spec, points)
    what = f"{points:,} design points x {spec.replicates:,} replicates = {runs:,} runs, about {_bytes(size)} of results"
    allowed = "a smaller design or fewer replicates (--replicates), or --yes-large to run it anyway"
    if runs > MAX_RUNS:
        raise ScenarioError(str(spec.path), "design", f"{what}: more than the limit of {MAX_RUNS:,} runs", allowed)
    if size > MAX_ESTIMATED_BYTES:
        raise ScenarioError(str(spec.path), "design", f"{what}: more than the limit of {_bytes(MAX_ESTIMATED_BYTES)}",
                            allowed + "; or fewer outputs ([outputs] every, timeseries = false)")


def _bytes(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if size < 1024 or unit == "PB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError  # unreachable
