"""``partnersim robustness``: what each headline finding rests on.

A finding is a comparison of two arms (``a`` against ``b``) on one outcome, with the direction docs/ODD.md section 1
states (``a`` higher or lower than ``b``). An assumption is a set of parameter values: a coupling switched off or
set to the edge of its plausible range, or another allocation rule. Each finding is rerun under each assumption,
both arms on the same seeds (common random numbers), and the paired differences give a mean and a t-interval.

Verdict against the direction the finding states:

- **holds**: the interval lies on the stated side of 0 and the mean is at least half the baseline's;
- **reverses**: the interval lies on the other side of 0;
- **weakens**: anything else (the interval reaches 0, or the effect shrinks below half).

The spec format is in docs/CALIBRATION.md ("Robustness").
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

import sim
from sim import atomic
from sim.calibration.parallel import Evaluator
from sim.calibration.tables import rows_csv
from sim.errors import ScenarioError, raise_all
from sim.experiments.spec import _flat_table, _resolve_scenario
from sim.scenarios import _check_override_key, load_scenario, read_toml, scenario_path
from sim.seeds import replicate_seeds

SPEC_KEYS = ("description", "root_seed", "replicates", "confidence", "steps", "findings", "assumptions")
FINDING_KEYS = ("claim", "scenario", "metric", "minus", "expect", "a", "b", "never")
EXPECT = ("higher", "lower")
BASELINE = "as the defaults have it"


@dataclass(frozen=True)
class Finding:
    name: str
    claim: str
    scenario: str
    metric: str  # a summary key; first_step_at_level.LEVEL reads the nested month
    minus: str | None  # another summary key subtracted from it (members who left: members_start minus members_at_grant_end)
    expect: str
    a: dict
    b: dict
    never: float | None  # the value of a month-valued metric that never happened (default: the run's length + 1)


@dataclass(frozen=True)
class RobustnessSpec:
    path: Path
    description: str
    root_seed: int
    replicates: int
    confidence: float
    steps: int | None
    findings: tuple[Finding, ...]
    assumptions: tuple[tuple[str, dict], ...]  # (name, settings), the baseline first

    @property
    def name(self) -> str:
        return self.path.stem


def load_robustness(path: str | Path, replicates: int | None = None) -> RobustnessSpec:
    from sim.calibration.spec import spec_path

    path = spec_path(path)
    data = read_toml(path)
    source = str(path)

    def fail(key, problem, allowed):
        raise ScenarioError(source, key, problem, allowed)

    raise_all([ScenarioError(source, k, "unknown key", ", ".join(SPEC_KEYS)) for k in data if k not in SPEC_KEYS]
              + [ScenarioError(source, k, "missing", "see docs/CALIBRATION.md (Robustness)")
                 for k in ("description", "root_seed", "replicates", "findings", "assumptions") if k not in data])
    reps = replicates if replicates is not None else data["replicates"]
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 2:
        raise ScenarioError("--replicates" if replicates is not None else source, "" if replicates is not None else "replicates",
                            f"{reps!r} is out of range", "an integer from 2 (paired runs per finding and assumption)")
    root_seed = data["root_seed"]
    if not isinstance(root_seed, int) or isinstance(root_seed, bool) or root_seed < 0:
        fail("root_seed", f"{root_seed!r} is out of range", "an integer from 0")
    confidence = data.get("confidence", 0.95)
    if not isinstance(confidence, float) or not 0.5 <= confidence < 1.0:
        fail("confidence", f"{confidence!r} is out of range", "a number from 0.5 to below 1, e.g. 0.95")
    steps = data.get("steps")
    if steps is not None and (not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= 6000):
        fail("steps", f"{steps!r} is out of range", "an integer from 1 to 6000")
    findings_table = data["findings"]
    if not isinstance(findings_table, dict) or not findings_table:
        fail("findings", "empty or not a table", "[findings.NAME] tables with claim, scenario, metric, expect, a and b")
    findings = []
    for name, entry in findings_table.items():
        findings.append(_finding(source, path, name, entry, steps))
    assumptions_table = data["assumptions"]
    if not isinstance(assumptions_table, dict) or not assumptions_table:
        fail("assumptions", "empty or not a table", 'NAME = {"membership.ownership_time" = 0.0} entries')
    assumptions = [(BASELINE, {})]
    for name, settings in assumptions_table.items():
        where = f"assumptions.{name}"
        if not isinstance(settings, dict) or not settings:
            fail(where, f"expected a table of settings, got {settings!r}", '{"membership.ownership_time" = 0.0}')
        flat = _flat_table(source, where, settings)
        for finding in findings:
            _check_settings(source, where, finding.scenario, {**flat, **finding.a}, steps)
        assumptions.append((name, flat))
    return RobustnessSpec(path=path, description=str(data["description"]), root_seed=root_seed, replicates=reps,
                          confidence=confidence, steps=steps, findings=tuple(findings), assumptions=tuple(assumptions))


def _finding(source: str, path: Path, name: str, entry, steps: int | None) -> Finding:
    where = f"findings.{name}"
    if not isinstance(entry, dict):
        raise ScenarioError(source, where, f"expected a table, got {entry!r}", "claim, scenario, metric, expect, a and b")
    unknown = [k for k in entry if k not in FINDING_KEYS]
    if unknown:
        raise ScenarioError(source, f"{where}.{unknown[0]}", "unknown key", ", ".join(FINDING_KEYS))
    for key in ("claim", "scenario", "metric", "expect", "a", "b"):
        if key not in entry:
            raise ScenarioError(source, f"{where}.{key}", "missing", "claim, scenario, metric, expect, a and b")
    scenario = _resolve_scenario(path, str(entry["scenario"]))
    try:
        scenario_path(scenario)
    except ScenarioError as error:
        raise ScenarioError(source, f"{where}.scenario", f"{error.problem}: {entry['scenario']}", error.allowed) from None
    if entry["expect"] not in EXPECT:
        raise ScenarioError(source, f"{where}.expect", f"unknown direction {entry['expect']!r}", " | ".join(EXPECT))
    from sim.experiments.store import outcome_columns

    metrics = outcome_columns()
    for key in ("metric", "minus"):
        if key in entry and entry[key] not in metrics:
            raise ScenarioError(source, f"{where}.{key}", f"unknown outcome {entry[key]!r}", "a summary key, e.g. reached_scale")
    arms = {}
    for arm in ("a", "b"):
        if not isinstance(entry[arm], dict) or not entry[arm]:
            raise ScenarioError(source, f"{where}.{arm}", "expected a table of settings", '{"funding.grant_months" = 60}')
        arms[arm] = _flat_table(source, f"{where}.{arm}", entry[arm])
        _check_settings(source, f"{where}.{arm}", scenario, arms[arm], steps)
    never = entry.get("never")
    return Finding(name=name, claim=str(entry["claim"]), scenario=scenario, metric=entry["metric"], minus=entry.get("minus"),
                   expect=entry["expect"], a=arms["a"], b=arms["b"], never=None if never is None else float(never))


def _check_settings(source: str, where: str, scenario: str, settings: dict, steps: int | None) -> None:
    for key in settings:
        try:
            _check_override_key(key)
        except ScenarioError as error:
            raise ScenarioError(source, f"{where}.{key}", error.problem, error.allowed) from None
    try:
        load_scenario(scenario, {**settings, **({"steps": steps} if steps else {})})
    except ScenarioError as error:
        raise ScenarioError(source, f"{where}.{error.key}" if error.key else where, error.problem, error.allowed) from None


# --------------------------------------------------------------------------- runs (in workers)

def metric_value(summary: dict, finding: Finding) -> float:
    def read(key: str) -> float:
        if key.startswith("first_step_at_level."):
            month = summary["first_step_at_level"][key.split(".", 1)[1]]
            return float(finding.never if finding.never is not None else summary["steps"] + 1) if month is None else float(month)
        value = summary[key]
        return math.nan if value is None else float(value)

    value = read(finding.metric)
    return value - read(finding.minus) if finding.minus else value


def paired_differences(job: tuple) -> np.ndarray:
    """``metric(a) - metric(b)`` for each seed; the assumption's settings under each arm's own."""
    finding, settings, seeds, steps = job
    extra = {"steps": steps} if steps else {}
    arms = [load_scenario(finding.scenario, {**settings, **arm, **extra}) for arm in (finding.a, finding.b)]
    diffs = []
    for seed in seeds:
        a, b = (metric_value(sim.run(params, seed=int(seed)).summary, finding) for params in arms)
        diffs.append(a - b)
    return np.array(diffs)


# --------------------------------------------------------------------------- verdicts

@dataclass(frozen=True)
class Effect:
    mean: float
    low: float
    high: float
    n: int

    @staticmethod
    def of(diffs: np.ndarray, confidence: float) -> "Effect":
        d = diffs[np.isfinite(diffs)]
        if len(d) < 2:
            return Effect(math.nan, math.nan, math.nan, len(d))
        mean = float(np.mean(d))
        half = float(stats.t.ppf(0.5 + confidence / 2, len(d) - 1) * np.std(d, ddof=1) / math.sqrt(len(d)))
        return Effect(mean, mean - half, mean + half, len(d))


def verdict(effect: Effect, baseline: Effect, expect: str) -> str:
    sign = 1.0 if expect == "higher" else -1.0
    low, high = sorted((sign * effect.low, sign * effect.high))
    if not math.isfinite(effect.mean):
        return "n/a"
    if high < 0:
        return "reverses"
    if low > 0 and sign * effect.mean >= 0.5 * sign * baseline.mean:
        return "holds"
    return "weakens"


def write_robustness(spec: RobustnessSpec, out_dir: Path, workers: int | None = None) -> list[Path]:
    started = time.monotonic()
    seeds = replicate_seeds(spec.root_seed, spec.replicates)
    jobs = [(f, settings, tuple(seeds), spec.steps) for f in spec.findings for _, settings in spec.assumptions]
    with Evaluator(workers) as evaluator:
        results = evaluator.map(paired_differences, jobs)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    i = 0
    for finding in spec.findings:
        baseline = Effect.of(results[i], spec.confidence)
        for name, settings in spec.assumptions:
            effect = Effect.of(results[i], spec.confidence)
            shadowed = sorted(set(settings) & (set(finding.a) | set(finding.b)))
            rows.append({"finding": finding.name, "assumption": name, "settings": _settings_text(settings),
                         "mean": effect.mean, "low": effect.low, "high": effect.high, "n": effect.n,
                         "verdict": "n/a (the finding sets it)" if shadowed else verdict(effect, baseline, finding.expect)})
            i += 1
    runs = 2 * len(jobs) * spec.replicates
    elapsed = time.monotonic() - started
    paths = [out_dir / "robustness.csv", out_dir / "robustness.md"]
    atomic.write_bytes(paths[0], rows_csv(rows))
    atomic.write_bytes(paths[1], markdown(spec, rows, runs, elapsed).encode("utf-8"))
    return paths


def _settings_text(settings: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in settings.items()) or "-"


def _g(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:+.3g}"


def markdown(spec: RobustnessSpec, rows: list[dict], runs: int, elapsed: float) -> str:
    lines = [f"# What each finding rests on: {spec.name}", "", spec.description.strip(), "",
             f"Each cell: the verdict, then the mean paired difference (arm a minus arm b) over {spec.replicates} "
             f"common seeds with its {spec.confidence:.0%} t-interval. **holds**: the interval lies on the side the "
             "finding states and the mean is at least half the baseline's; **reverses**: it lies on the other side; "
             f"**weakens**: anything else. {runs:,} runs in {elapsed:.0f} s.", "", "## Findings", ""]
    for f in spec.findings:
        metric = f"{f.metric} - {f.minus}" if f.minus else f.metric
        lines.append(f"- **{f.name}**: {f.claim} (`{metric}`, a: {_settings_text(f.a)}; b: {_settings_text(f.b)}; "
                     f"expected a {f.expect} than b; scenario {Path(f.scenario).stem})")
    lines += ["", "## Finding x assumption", ""]
    names = [f.name for f in spec.findings]
    lines.append("| assumption | settings | " + " | ".join(names) + " |")
    lines.append("|---|---|" + "---|" * len(names))
    for name, settings in spec.assumptions:
        cells = []
        for finding in names:
            row = next(r for r in rows if r["finding"] == finding and r["assumption"] == name)
            word = row["verdict"] if row["verdict"] in ("holds", "n/a") else f"**{row['verdict']}**"
            cells.append(f"{word} {_g(row['mean'])} [{_g(row['low'])}, {_g(row['high'])}]")
        lines.append(f"| {name} | {_settings_text(settings)} | " + " | ".join(cells) + " |")
    lines += ["", "## What breaks each finding", ""]
    for finding in names:
        broken = [r for r in rows if r["finding"] == finding and r["verdict"] in ("weakens", "reverses")]
        if not broken:
            lines.append(f"- {finding}: holds under every assumption tried.")
        else:
            lines.append(f"- {finding}: " + "; ".join(f"{r['verdict']} with {r['assumption']}" for r in broken) + ".")
    return "\n".join(lines) + "\n"
