"""The posterior of a calibration: its table, draws from it, the fit of every target, figures and scenarios.

``posterior.csv`` holds the last generation's particles: ``particle``, ``weight``, ``distance`` and one column
per parameter with the value the model is given (integer parameters rounded). A sweep whose study names it
(``posterior = "path"``) gives each replicate a particle drawn by weight (:func:`draws`), so its results carry
the parameters' uncertainty as well as the seeds' noise.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from sim import atomic
from sim.calibration import abc
from sim.calibration.spec import CalibrationSpec, Target
from sim.calibration.evaluate import evaluate, jobs_for
from sim.calibration.tables import rows_csv
from sim.calibration.ensemble import DRAWS_KEY, FIXED_COLUMNS, draws, read_posterior  # noqa: F401 (re-exported)
from sim.experiments.spec import _get
from sim.scenarios import read_toml, scenario_path

POSTERIOR = "posterior.csv"
# Spawn keys of the predictive checks' seeds, far from the generations' (t, k).
PREDICTIVE_KEY, DEFAULTS_KEY = 1_000_000, 1_000_001
INTERVAL = (0.05, 0.95)


# --------------------------------------------------------------------------- the table

def posterior_csv(spec: CalibrationSpec, population: abc.Population) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIXED_COLUMNS, *(p.key for p in spec.priors)])
    for i, (theta, w, d) in enumerate(zip(population.theta, population.weights, population.distances)):
        values = abc.model_values(spec.priors, theta)
        writer.writerow([i, repr(float(w)), repr(float(d)), *(repr(v) for v in values.values())])
    return out.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- predictive checks

def predictive(spec: CalibrationSpec, population: abc.Population | None, evaluator, key: int) -> np.ndarray:
    """Every target's statistic over ``spec.predictive_draws`` fresh samples: with parameters drawn from the
    posterior, or (``population`` None) with the scenarios as they are. Rows are draws, columns targets."""
    samples = spec.samples_of(spec.targets)
    sizes = [s.size for s in samples]
    if population is None:
        values = [{}] * spec.predictive_draws
    else:
        picked = draws(population.weights, spec.predictive_draws, spec.root_seed)
        values = [abc.model_values(spec.priors, population.theta[i]) for i in picked]
    seeds = [abc.candidate_seeds(spec.root_seed, key, i, sizes)[1] for i in range(spec.predictive_draws)]
    return np.array(evaluator.map(evaluate, jobs_for(values, seeds, samples, spec.targets)))


def interval(values: np.ndarray) -> tuple[float, float, float, int]:
    """Median, 5% and 95% of the finite values, and how many were not finite."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return math.nan, math.nan, math.nan, len(values)
    low, mid, high = np.quantile(finite, [INTERVAL[0], 0.5, INTERVAL[1]])
    return float(mid), float(low), float(high), int(len(values) - len(finite))


def covers(target: Target, low: float, high: float) -> bool:
    """Whether the predictive interval meets the observed value (or overlaps the published range)."""
    if isinstance(target.observed, tuple):
        return low <= target.observed[1] and high >= target.observed[0]
    return low <= target.observed <= high


# --------------------------------------------------------------------------- the report

def write_report(spec: CalibrationSpec, out_dir: Path, populations: list[abc.Population], evaluator,
                 state: dict | None = None) -> list[Path]:
    """posterior.csv, fit.md, fit.csv, figures, calibrated scenarios and a trace entry; returns the paths. ``state``
    is the calibration's ``calibration.json`` (read from ``out_dir`` if not given)."""
    if state is None:
        import json

        state = json.loads((out_dir / "calibration.json").read_text(encoding="utf-8"))
    final = populations[-1]
    paths = []
    path = out_dir / POSTERIOR
    atomic.write_bytes(path, posterior_csv(spec, final))
    paths.append(path)
    fitted = predictive(spec, final, evaluator, PREDICTIVE_KEY)
    defaults = predictive(spec, None, evaluator, DEFAULTS_KEY)
    rows = fit_rows(spec, fitted, defaults)
    path = out_dir / "fit.csv"
    atomic.write_bytes(path, rows_csv(rows))
    paths.append(path)
    parameters = parameter_rows(spec, final)
    from sim.calibration.figures import write_figures

    paths += write_figures(spec, final, fitted, out_dir / "figures")
    paths += write_scenarios(spec, parameters, out_dir / "calibrated")
    path = out_dir / "fit.md"
    atomic.write_bytes(path, fit_markdown(spec, populations, rows, parameters).encode("utf-8"))
    paths.append(path)
    path = out_dir / "trace_entry.md"
    atomic.write_bytes(path, trace_entry(spec, out_dir, populations, rows, parameters, state).encode("utf-8"))
    paths.append(path)
    return paths


def fit_rows(spec: CalibrationSpec, fitted: np.ndarray, defaults: np.ndarray) -> list[dict]:
    rows = []
    for j, target in enumerate(spec.targets):
        mid, low, high, missing = interval(fitted[:, j])
        d_mid, d_low, d_high, _ = interval(defaults[:, j])
        observed = target.observed
        rows.append({
            "target": target.name, "role": target.role, "sample": target.sample, "statistic": target.describe,
            "observed": f"{observed[0]:g}-{observed[1]:g}" if isinstance(observed, tuple) else f"{observed:g}",
            "n": target.n, "posterior_median": mid, "posterior_low": low, "posterior_high": high,
            "covered": covers(target, low, high) if math.isfinite(low) else False, "draws_without_value": missing,
            "defaults_median": d_mid, "defaults_low": d_low, "defaults_high": d_high, "source": target.source,
        })
    return rows


def medoid(theta: np.ndarray, weights: np.ndarray) -> int:
    """The row of the posterior's weighted medoid: the particle whose weighted distance to all the particles is
    least, each parameter measured in its weighted standard deviations. A point of the posterior itself, so its
    parameters go together as the fit found them; the vector of marginal medians need not be near any particle
    when parameters trade off against each other (a high ``time_value`` with a low ``stall_value``, say)."""
    theta = np.asarray(theta, dtype=float)
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    mean = weights @ theta
    spread = np.sqrt(weights @ (theta - mean) ** 2)
    z = (theta - mean) / np.where(spread > 0, spread, 1.0)
    distances = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2))
    return int(np.argmin(distances @ weights))


def parameter_rows(spec: CalibrationSpec, population: abc.Population) -> list[dict]:
    base = spec.samples_of(spec.calibration_targets)[0].base
    centre = medoid(population.theta, population.weights)
    rows = []
    for j, prior in enumerate(spec.priors):
        x = population.theta[:, j]
        low, mid, high = abc.weighted_quantile(x, population.weights, [INTERVAL[0], 0.5, INTERVAL[1]])
        p_low, p_high = prior.support
        rows.append({"parameter": prior.key, "prior": f"{prior.kind} {prior.low:g}-{prior.high:g}"
                     + (f" (mean {prior.mean:g}, sd {prior.sd:g})" if prior.kind == "normal" else ""),
                     "default": _get(base, prior.key), "median": float(mid), "low": float(low), "high": float(high),
                     "medoid": float(x[centre]),
                     "width_vs_prior": float((high - low) / ((p_high - p_low) * (INTERVAL[1] - INTERVAL[0]))),
                     "integer": prior.integer})
    return rows


def _f(x: float, digits: int = 3) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.{digits}g}"


def fit_markdown(spec: CalibrationSpec, populations: list[abc.Population], rows: list[dict], parameters: list[dict]) -> str:
    final = populations[-1]
    lines = [f"# Calibration: {spec.name}", "", spec.description.strip(), "",
             f"ABC-SMC, {len(final.weights)} particles, {len(populations) - 1} generations after the prior; final tolerance "
             f"{_f(final.epsilon)} (root mean square miss in standard errors), effective sample size "
             f"{final.effective_size:.0f}. Intervals are {INTERVAL[0]:.0%}-{INTERVAL[1]:.0%} of {spec.predictive_draws} "
             "simulated studies, each the size of the published one.", "",
             "## Parameters", "",
             "| parameter | prior | default | posterior median | 90% interval | interval / prior's | medoid (calibrated/) |",
             "|---|---|---|---|---|---|---|"]
    for p in parameters:
        lines.append(f"| `{p['parameter']}` | {p['prior']} | {p['default']} | {_f(p['median'])} | {_f(p['low'])} - "
                     f"{_f(p['high'])} | {p['width_vs_prior']:.2f} | {_f(p['medoid'])} |")
    lines += ["", "The calibrated scenarios take the medoid: the particle closest to all the others, a point of the "
              "posterior whose parameters go together, where the medians of each parameter on its own need not."]
    for role, title, note in (
            ("calibration", "Fit to the calibration targets", "Used in the fit."),
            ("validation", "Validation targets (kept apart)", "Never used in the fit: a posterior-predictive test.")):
        chosen = [r for r in rows if r["role"] == role]
        lines += ["", f"## {title}", "", note, ""]
        if not chosen:
            lines.append("None.")
            continue
        lines += ["| target | statistic | observed (n) | posterior predictive | covered | defaults | source |",
                  "|---|---|---|---|---|---|---|"]
        for r in chosen:
            missing = f" ({r['draws_without_value']} draws without a value)" if r["draws_without_value"] else ""
            lines.append(f"| {r['target']} | {r['statistic']} on {r['sample']} | {r['observed']} ({r['n']}) | "
                         f"{_f(r['posterior_median'])} [{_f(r['posterior_low'])}, {_f(r['posterior_high'])}]{missing} | "
                         f"{'yes' if r['covered'] else '**no**'} | {_f(r['defaults_median'])} "
                         f"[{_f(r['defaults_low'])}, {_f(r['defaults_high'])}] | {r['source']} |")
    lines += ["", "## Generations", "", "| generation | tolerance | accepted / candidates | effective size |", "|---|---|---|---|"]
    for t, pop in enumerate(populations):
        lines.append(f"| {t} | {_f(pop.epsilon)} | {len(pop.weights)} / {pop.candidates} ({pop.acceptance:.0%}) | "
                     f"{pop.effective_size:.0f} |")
    lines += ["", "Files: `posterior.csv` (the particles), `fit.csv` (this table), `figures/` (marginals, pairs, fit), "
              "`calibrated/` (scenarios at the posterior's medoid and a study that draws from the posterior), "
              "`generations/` (every generation), `calibration.json` (what ran, where, how long).", ""]
    return "\n".join(lines)


def trace_entry(spec: CalibrationSpec, out_dir: Path, populations: list[abc.Population], rows: list[dict],
                parameters: list[dict], state: dict) -> str:
    """A section for docs/TRACE.md's calibration log (``partnersim calibrate --trace docs/TRACE.md`` appends it)."""
    commit = state.get("git_commit") or "unknown"
    dirty = " (with uncommitted changes)" if state.get("git_dirty") else ""
    misses = [r["target"] for r in rows if not r["covered"]]
    lines = [f"### {state.get('finished') or 'unfinished'}: {spec.name} at commit {commit[:12]}{dirty}", "",
             f"- spec: `{spec.path}` (fit hash {spec.fit_hash[:12]}); {len(populations[-1].weights)} particles, "
             f"{len(populations) - 1} generations; {state.get('simulations', 0):,} simulations in "
             f"{float(state.get('elapsed_seconds') or 0) / 60:.1f} minutes on {state.get('where', '?')}",
             "- posterior medians (90% interval): " + "; ".join(
                 f"`{p['parameter']}` {_f(p['median'])} ({_f(p['low'])} - {_f(p['high'])})" for p in parameters),
             f"- targets missed by the 90% posterior-predictive interval: {', '.join(misses) if misses else 'none'}",
             f"- results: `{out_dir}/fit.md`", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- calibrated scenarios

def write_scenarios(spec: CalibrationSpec, parameters: list[dict], folder: Path) -> list[Path]:
    """Each calibration sample's scenario at the posterior's medoid (:func:`medoid`), and a study that draws from
    the posterior."""
    folder.mkdir(parents=True, exist_ok=True)
    point = {p["parameter"]: (int(round(p["medoid"])) if p["integer"] else float(p["medoid"])) for p in parameters}
    paths = []
    for sample in spec.samples_of(spec.calibration_targets):
        data = read_toml(scenario_path(sample.scenario))
        for key, value in point.items():
            *sections, name = key.split(".")
            table = data
            for section in sections:
                table = table.setdefault(section, {})
            table[name] = value
        data["description"] = (f"{data.get('description', '').strip()} Calibrated by partnersim calibrate "
                               f"{spec.name}: the fitted parameters at the posterior's medoid, the particle "
                               "closest to all the others.").strip()
        path = folder / f"{sample.name}.toml"
        atomic.write_bytes(path, to_toml(data).encode("utf-8"))
        paths.append(path)
        study = {
            "description": f"A posterior ensemble of {sample.name}: each replicate's fitted parameters are drawn from "
                           f"the posterior of {spec.name}, so results carry parameter uncertainty as well as seed noise.",
            "scenario": str(Path(sample.scenario).resolve()) if Path(sample.scenario).suffix == ".toml" else sample.scenario,
            "posterior": "../posterior.csv",
            "replicates": 100, "root_seed": spec.root_seed,
        }
        path = folder / f"{sample.name}_ensemble.toml"
        atomic.write_bytes(path, to_toml(study).encode("utf-8"))
        paths.append(path)
    return paths


def to_toml(data: dict) -> str:
    """A TOML document of scalars, lists and nested tables (scalars first, then one [table] per section)."""
    lines: list[str] = []

    def emit(table: dict, prefix: str) -> None:
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        if prefix and scalars:
            lines.append(f"\n[{prefix}]")
        for key, value in scalars.items():
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
        for key, value in table.items():
            if isinstance(value, dict):
                emit(value, f"{prefix}.{_toml_key(key)}" if prefix else _toml_key(key))

    emit(data, "")
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else '"' + key.replace('"', '\\"') + '"'


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
