"""``partnersim screen``: which parameters decide each outcome.

Stage 1 screens every numeric parameter, the "modelling choice" ones included, with Morris elementary effects
(``SALib.sample.morris`` / ``SALib.analyze.morris``, seeded). A parameter varies over ``default x (1 -
relative) .. default x (1 + relative)`` clipped to its allowed range, unless the spec gives a range; a list
parameter (``continuum.trust_required``) varies as one factor that scales every element, except a list of relative
weights (``continuum.purpose_mix``, normalized where it is used), whose elements vary one by one (``key[i]``): scaling
them all together would change nothing. Stage 2 estimates Sobol
first-order and total indices (Saltelli sampling) over the parameters that stage 1 ranked among the ``top``
of any outcome, the others held at the scenario's values. Every design point is run on the same seeds (common
random numbers) and averaged over them. The spec format is in docs/CALIBRATION.md ("Screening").
"""

from __future__ import annotations

import copy
import csv
import io
import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import sim
from sim import atomic
from sim.calibration.parallel import Evaluator
from sim.errors import ScenarioError, raise_all
from sim.experiments.spec import _get, _leaf_field, _resolve_scenario
from sim.params import describe
from sim.scenarios import load_scenario, read_toml, scenario_path
from sim.seeds import replicate_seeds

SPEC_KEYS = ("description", "scenario", "root_seed", "replicates", "trajectories", "levels", "relative", "outcomes",
             "exclude", "ranges", "sobol", "reduced")
SOBOL_KEYS = ("top", "samples", "replicates")
REDUCED_KEYS = ("trajectories", "replicates", "sobol_samples", "sobol_replicates")
SCALE = "*"  # a list parameter's factor: key* scales every element


def element_factor(key: str) -> tuple[str, int] | None:
    """``("continuum.purpose_mix", 2)`` for the factor ``continuum.purpose_mix[2]`` (one element of a list of weights
    scaled on its own); None for any other factor."""
    if not key.endswith("]") or "[" not in key:
        return None
    name, _, index = key[:-1].rpartition("[")
    return (name, int(index)) if index.isdigit() else None


@dataclass(frozen=True)
class Factor:
    key: str  # a parameter key, key* for a list parameter scaled as a whole, key[i] for one element of a list of weights
    low: float
    high: float
    integer: bool
    default: object

    @property
    def bounds(self) -> list[float]:
        return [self.low - 0.5, self.high + 0.5] if self.integer else [self.low, self.high]


@dataclass(frozen=True)
class ScreeningSpec:
    path: Path
    description: str
    scenario: str
    root_seed: int
    replicates: int
    trajectories: int
    levels: int
    outcomes: tuple[str, ...]
    factors: tuple[Factor, ...]
    excluded: tuple[str, ...]
    top: int
    sobol_samples: int
    sobol_replicates: int
    reduced: bool
    full: dict  # the unreduced sizes (trajectories, replicates, sobol_samples, sobol_replicates), for the estimate

    @property
    def name(self) -> str:
        return self.path.stem


def _positive_int(source, key, value, allowed="an integer from 1"):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ScenarioError(source, key, f"{value!r} is out of range", allowed)
    return value


def load_screening(path: str | Path, reduced: bool = False) -> ScreeningSpec:
    from sim.calibration.spec import spec_path
    from sim.experiments.store import outcome_columns

    path = spec_path(path)
    data = read_toml(path)
    source = str(path)
    raise_all([ScenarioError(source, k, "unknown key", ", ".join(SPEC_KEYS)) for k in data if k not in SPEC_KEYS]
              + [ScenarioError(source, k, "missing", "see docs/CALIBRATION.md (Screening)")
                 for k in ("description", "scenario", "root_seed", "replicates", "trajectories", "outcomes") if k not in data])
    scenario = _resolve_scenario(path, str(data["scenario"]))
    try:
        scenario_path(scenario)
    except ScenarioError as error:
        raise ScenarioError(source, "scenario", f"{error.problem}: {data['scenario']}", error.allowed) from None
    base = load_scenario(scenario)
    root_seed = data["root_seed"]
    if not isinstance(root_seed, int) or isinstance(root_seed, bool) or root_seed < 0:
        raise ScenarioError(source, "root_seed", f"{root_seed!r} is out of range", "an integer from 0")
    relative = data.get("relative", 0.5)
    if not isinstance(relative, float) or not 0.0 < relative < 1.0:
        raise ScenarioError(source, "relative", f"{relative!r} is out of range", "a number between 0 and 1 (0.5: default +- 50%)")
    levels = _positive_int(source, "levels", data.get("levels", 4), "an even integer from 2 (Morris grid levels)")
    if levels < 2 or levels % 2:
        raise ScenarioError(source, "levels", f"{levels!r} is out of range", "an even integer from 2 (Morris grid levels)")
    known = outcome_columns()
    outcomes = data["outcomes"]
    if not isinstance(outcomes, list) or not outcomes or any(o not in known for o in outcomes):
        bad = next((o for o in outcomes if o not in known), outcomes) if isinstance(outcomes, list) else outcomes
        raise ScenarioError(source, "outcomes", f"unknown outcome {bad!r}", "a list of summary keys, e.g. [\"collapsed\", \"reached_scale\"]")
    exclude = data.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        raise ScenarioError(source, "exclude", f"expected a list of keys, got {exclude!r}", 'a list of parameter keys or "section.*"')
    ranges = data.get("ranges", {})
    if not isinstance(ranges, dict):
        raise ScenarioError(source, "ranges", f"expected a table, got {ranges!r}", '"key" = {low = ..., high = ...}')
    factors, excluded = _factors(source, base, relative, exclude, ranges)
    sobol = data.get("sobol", {})
    reduce = data.get("reduced", {})
    for name, table, keys in (("sobol", sobol, SOBOL_KEYS), ("reduced", reduce, REDUCED_KEYS)):
        if not isinstance(table, dict) or any(k not in keys for k in table):
            raise ScenarioError(source, name, f"expected a table of {', '.join(keys)}", ", ".join(keys))
    sizes = {
        "trajectories": _positive_int(source, "trajectories", data["trajectories"]),
        "replicates": _positive_int(source, "replicates", data["replicates"]),
        "sobol_samples": _positive_int(source, "sobol.samples", sobol.get("samples", 128)),
        "sobol_replicates": _positive_int(source, "sobol.replicates", sobol.get("replicates", 8)),
    }
    full = dict(sizes)
    if reduced:
        for key, value in reduce.items():
            sizes[key] = _positive_int(source, f"reduced.{key}", value)
    if sizes["sobol_samples"] & (sizes["sobol_samples"] - 1):
        raise ScenarioError(source, "sobol.samples", f"{sizes['sobol_samples']} is not a power of 2", "a power of 2, e.g. 128")
    return ScreeningSpec(path=path, description=str(data["description"]), scenario=scenario, root_seed=root_seed,
                         levels=levels, outcomes=tuple(outcomes), factors=factors, excluded=excluded,
                         top=_positive_int(source, "sobol.top", sobol.get("top", 3)), reduced=reduced, full=full, **sizes)


def _excluded(key: str, patterns: list[str]) -> bool:
    return any(key == p or (p.endswith(".*") and key.startswith(p[:-1])) for p in patterns)


def _factors(source: str, base, relative: float, exclude: list[str], ranges: dict) -> tuple[tuple[Factor, ...], tuple[str, ...]]:
    factors, excluded, used = [], [], set()
    for key, *_ in describe():
        tp, meta = _leaf_field(key)
        if tp not in (int, float, tuple) or key in ("seed", "steps"):
            continue
        if _excluded(key, exclude):
            excluded.append(key)
            continue
        default = _get(base, key)
        if tp is tuple:
            names = [f"{key}[{i}]" for i in range(len(default))] if meta.get("weights") else [key + SCALE]
            for name in names:
                low, high = _range(source, name, ranges, 1.0 - relative, 1.0 + relative, 0.0, math.inf)
                factors.append(Factor(name, low, high, False, 1.0))
                used.add(name)
            continue
        given = key in ranges
        if default == 0 and not given:
            raise ScenarioError(source, "ranges", f"{key} is 0 in the scenario, so a relative range is empty",
                                f'a range for it ("{key}" = {{low = ..., high = ...}}) or an entry in exclude')
        low, high = _range(source, key, ranges, default * (1 - relative), default * (1 + relative), meta["low"], meta["high"])
        if tp is int:
            low, high = math.ceil(low), math.floor(high)
            if low >= high:
                excluded.append(key)
                continue
        factors.append(Factor(key, float(low), float(high), tp is int, default))
        used.add(key)
    unknown = [k for k in ranges if k not in used]
    if unknown:
        raise ScenarioError(source, f"ranges.{unknown[0]}", "not a screened parameter", "a numeric parameter key (key* for a list)")
    return tuple(factors), tuple(excluded)


def _range(source, key, ranges, low, high, floor, ceiling) -> tuple[float, float]:
    if key in ranges:
        entry = ranges[key]
        if not isinstance(entry, dict) or set(entry) != {"low", "high"} or not entry["low"] < entry["high"]:
            raise ScenarioError(source, f"ranges.{key}", f"expected {{low, high}} with low < high, got {entry!r}", "{low = ..., high = ...}")
        low, high = entry["low"], entry["high"]
        if low < floor or high > ceiling:
            raise ScenarioError(source, f"ranges.{key}", f"{low}..{high} leaves the allowed range {floor}..{ceiling}",
                                f"a range within {floor}..{ceiling}")
        return float(low), float(high)
    return max(float(low), floor), min(float(high), ceiling)


# --------------------------------------------------------------------------- runs

def overrides_of(factors: tuple[Factor, ...], row: np.ndarray, base) -> dict:
    out = {}
    for factor, x in zip(factors, row):
        element = element_factor(factor.key)
        if element is not None:  # one weight scaled; the other weights of the list as they are (or as scaled)
            key, index = element
            _, meta = _leaf_field(key)
            values = out.setdefault(key, list(_get(base, key)))
            values[index] = min(max(values[index] * float(x), meta["low"]), meta["high"])
        elif factor.key.endswith(SCALE):
            key = factor.key[: -len(SCALE)]
            _, meta = _leaf_field(key)
            values = [min(max(v * float(x), meta["low"]), meta["high"]) for v in _get(base, key)]
            out[key] = [type(v)(round(w)) if isinstance(v, int) else w for v, w in zip(_get(base, key), values)]
        elif factor.integer:
            out[factor.key] = int(min(max(math.floor(x + 0.5), factor.low), factor.high))
        else:
            out[factor.key] = float(min(max(x, factor.low), factor.high))
    if "partnership.min_members" in out and "organizations.count" in out:
        out["partnership.min_members"] = min(out["partnership.min_members"], out["organizations.count"])
    return out


def point_means(job: tuple) -> np.ndarray:
    """The outcomes' means over the seeds at one design point (a failed run's outcomes count as missing)."""
    scenario, overrides, seeds, outcomes = job
    params = load_scenario(scenario, overrides)
    values = np.full((len(seeds), len(outcomes)), np.nan)
    for i, seed in enumerate(seeds):
        summary = sim.run(params, seed=int(seed)).summary
        values[i] = [np.nan if summary[o] is None else float(summary[o]) for o in outcomes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=0)


def _evaluate(spec: ScreeningSpec, factors: tuple[Factor, ...], matrix: np.ndarray, replicates: int, key: int,
              evaluator: Evaluator) -> np.ndarray:
    base = load_scenario(spec.scenario)
    seeds = tuple(replicate_seeds(spec.root_seed + key, replicates))
    jobs = [(spec.scenario, overrides_of(factors, row, base), seeds, spec.outcomes) for row in matrix]
    return np.array(evaluator.map(point_means, jobs))


def _problem(factors) -> dict:
    return {"num_vars": len(factors), "names": [f.key for f in factors], "bounds": [f.bounds for f in factors]}


def _seed(root_seed: int, stage: int) -> int:
    return int(np.random.SeedSequence(root_seed, spawn_key=(stage,)).generate_state(1, dtype=np.uint32)[0])


def write_screening(spec: ScreeningSpec, out_dir: Path, workers: int | None = None) -> list[Path]:
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    out_dir.mkdir(parents=True, exist_ok=True)
    problem = _problem(spec.factors)
    timing = {}
    with Evaluator(workers) as evaluator, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.monotonic()
        x = morris_sample.sample(copy.deepcopy(problem), spec.trajectories, num_levels=spec.levels, seed=_seed(spec.root_seed, 1))
        y = _evaluate(spec, spec.factors, x, spec.replicates, 1, evaluator)
        timing["morris"] = (time.monotonic() - started, len(x) * spec.replicates)
        morris = {}
        for j, outcome in enumerate(spec.outcomes):
            column = np.nan_to_num(y[:, j], nan=float(np.nanmean(y[:, j])) if np.isfinite(y[:, j]).any() else 0.0)
            result = morris_analyze.analyze(copy.deepcopy(problem), x, column, num_levels=spec.levels,
                                            seed=_seed(spec.root_seed, 2), print_to_console=False)
            morris[outcome] = {name: (float(result["mu_star"][i]), float(result["sigma"][i]), float(result["mu_star_conf"][i]))
                               for i, name in enumerate(problem["names"])}
        chosen = []
        for outcome in spec.outcomes:
            ranked = sorted(morris[outcome], key=lambda n: -morris[outcome][n][0])
            chosen += [n for n in ranked[: spec.top] if morris[outcome][n][0] > 0 and n not in chosen]
        sobol_factors = tuple(f for f in spec.factors if f.key in chosen)
        sobol = {}
        if len(sobol_factors) >= 2:
            started = time.monotonic()
            sub = _problem(sobol_factors)
            xs = sobol_sample.sample(copy.deepcopy(sub), spec.sobol_samples, calc_second_order=False, seed=_seed(spec.root_seed, 3))
            ys = _evaluate(spec, sobol_factors, xs, spec.sobol_replicates, 3, evaluator)
            timing["sobol"] = (time.monotonic() - started, len(xs) * spec.sobol_replicates)
            for j, outcome in enumerate(spec.outcomes):
                column = ys[:, j]
                if not np.isfinite(column).all() or np.var(column) == 0:
                    continue
                result = sobol_analyze.analyze(copy.deepcopy(sub), column, calc_second_order=False, print_to_console=False,
                                               seed=_seed(spec.root_seed, 4))
                sobol[outcome] = {name: tuple(float(result[k][i]) for k in ("S1", "S1_conf", "ST", "ST_conf"))
                                  for i, name in enumerate(sub["names"])}
    timing["cpu_ms_per_run"] = (cpu_ms_per_run(spec.scenario, spec.root_seed), 0)
    paths = [out_dir / "morris.csv", out_dir / "sobol.csv", out_dir / "screening.md"]
    atomic.write_bytes(paths[0], _table_csv(morris, ("mu_star", "sigma", "mu_star_conf")))
    atomic.write_bytes(paths[1], _table_csv(sobol, ("S1", "S1_conf", "ST", "ST_conf")))
    atomic.write_bytes(paths[2], markdown(spec, morris, sobol, chosen, timing).encode("utf-8"))
    return paths


def _table_csv(table: dict, names: tuple) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["outcome", "parameter", *names])
    for outcome, rows in table.items():
        for parameter, values in rows.items():
            writer.writerow([outcome, parameter, *(repr(v) for v in values)])
    return out.getvalue().encode("utf-8")


def cpu_ms_per_run(scenario: str, root_seed: int, runs: int = 20) -> float:
    """CPU milliseconds one run of ``scenario`` takes in this process: what the time on free cores is estimated from
    (the elapsed time says more about the other jobs sharing the machine than about the model)."""
    params = load_scenario(scenario)
    seeds = replicate_seeds(root_seed, runs + 1)
    sim.run(params, seed=seeds[0])  # load the compiled kernels first
    started = time.process_time()
    for seed in seeds[1:]:
        sim.run(params, seed=seed)
    return 1000.0 * (time.process_time() - started) / runs


def full_runs(spec: ScreeningSpec, chosen: int) -> int:
    """Runs of the unreduced spec, with ``chosen`` parameters in the Sobol stage."""
    full = spec.full
    return (full["trajectories"] * (len(spec.factors) + 1) * full["replicates"]
            + full["sobol_samples"] * (chosen + 2) * full["sobol_replicates"])


def markdown(spec: ScreeningSpec, morris: dict, sobol: dict, chosen: list, timing: dict) -> str:
    cpu_ms = timing.pop("cpu_ms_per_run")[0]
    runs = sum(n for _, n in timing.values())
    lines = [f"# Which parameters decide each outcome: {spec.name}{' (reduced)' if spec.reduced else ''}", "",
             spec.description.strip(), "",
             f"Scenario `{Path(spec.scenario).stem}`; {len(spec.factors)} factors screened (every numeric parameter; "
             f"a list parameter as one factor scaling all its elements, marked {SCALE}, a list of weights element by "
             f"element, marked [i]); not screened: "
             f"{', '.join(spec.excluded) or 'none'}.", "",
             f"Morris: {spec.trajectories} trajectories, {spec.levels} levels, {spec.replicates} common seeds per point. "
             f"Sobol: {spec.sobol_samples} base samples over the {len(chosen)} parameters among the top {spec.top} of any "
             f"outcome, {spec.sobol_replicates} seeds per point.", ""]
    for stage, (s, n) in timing.items():
        lines.append(f"- {stage}: {n:,} runs in {s:.0f} s elapsed ({1000 * s / max(n, 1):.2f} ms a run)")
    lines.append(f"- one run of `{Path(spec.scenario).stem}` takes {cpu_ms:.2f} ms of CPU in one process; on 2 free cores "
                 f"these {runs:,} runs would take about {runs * cpu_ms / 2000 / 60:.1f} minutes")
    lines.append("")
    lines += ["## The parameters that decide each outcome", ""]
    for outcome in spec.outcomes:
        if outcome in sobol:
            deciding = sorted(sobol[outcome], key=lambda n: -sobol[outcome][n][2])
            named = [f"`{n}` (total {sobol[outcome][n][2]:.2f})" for n in deciding if sobol[outcome][n][2] >= 0.1]
            lines.append(f"- **{outcome}**: " + (", ".join(named) if named else "no parameter with a total Sobol index of 0.1 or more")
                         + " (Sobol total index at least 0.1)")
        else:
            ranked = sorted(morris[outcome], key=lambda n: -morris[outcome][n][0])[:3]
            lines.append(f"- **{outcome}**: " + ", ".join(f"`{n}`" for n in ranked) + " (Morris only)")
    lines += ["", "## Morris (mu* and sigma; the ten largest mu* per outcome)", ""]
    for outcome in spec.outcomes:
        ranked = sorted(morris[outcome], key=lambda n: -morris[outcome][n][0])
        lines += [f"### {outcome}", "", "| parameter | mu* | +- | sigma |", "|---|---|---|---|"]
        for name in ranked[:10]:
            mu, sigma, conf = morris[outcome][name]
            lines.append(f"| `{name}` | {mu:.3g} | {conf:.2g} | {sigma:.3g} |")
        inert = [n for n in ranked if morris[outcome][n][0] == 0]
        if inert:
            lines.append(f"\nNo effect seen in these runs (mu* = 0): {', '.join(f'`{n}`' for n in inert)}.")
        lines.append("")
    if sobol:
        lines += ["## Sobol (first-order S1 and total ST, with 95% bootstrap half-widths)", ""]
        for outcome, rows in sobol.items():
            lines += [f"### {outcome}", "", "| parameter | S1 | ST |", "|---|---|---|"]
            for name in sorted(rows, key=lambda n: -rows[n][2]):
                s1, s1c, st, stc = rows[name]
                lines.append(f"| `{name}` | {s1:.2f} +- {s1c:.2f} | {st:.2f} +- {stc:.2f} |")
            lines.append("")
    if spec.reduced:
        runs_full = full_runs(spec, len(chosen))
        most = full_runs(spec, spec.top * len(spec.outcomes))
        lines += ["## Estimated cost of the full spec", "",
                  f"The full sizes ({spec.full['trajectories']} trajectories x {spec.full['replicates']} seeds; Sobol "
                  f"{spec.full['sobol_samples']} samples x {spec.full['sobol_replicates']} seeds) take {runs_full:,} runs "
                  f"with {len(chosen)} parameters in the Sobol stage (at most {most:,}): about "
                  f"{runs_full * cpu_ms / 2000 / 60:.0f} minutes on 2 free cores (at most {most * cpu_ms / 2000 / 60:.0f}), "
                  f"from the {cpu_ms:.2f} ms of CPU a run measured here.", ""]
    return "\n".join(lines)
