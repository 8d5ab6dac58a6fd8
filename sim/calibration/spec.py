"""Reading and validating a calibration spec (``calibration/*.toml``; the format is in docs/CALIBRATION.md).

A spec names the parameters to fit and their priors, the samples (a scenario and how many coalitions the
published study observed), the targets (a statistic of one sample, its observed value, and whether it is used
to fit (``calibration``) or kept apart to test the fit (``validation``)) and the settings of the ABC-SMC. Every
problem raises :class:`sim.errors.ScenarioError`: one line naming the spec file, the key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from sim import bundled
from sim.calibration.targets import STATISTICS
from sim.errors import ScenarioError, raise_all
from sim.experiments.spec import _leaf_field, _resolve_scenario, find_spec
from sim.params import PHASES, Params, to_dict
from sim.scenarios import _check_override_key, load_scenario, read_toml, scenario_path

SPEC_KEYS = ("description", "root_seed", "abc", "parameters", "samples", "targets")
ABC_KEYS = ("population", "generations", "quantile", "min_acceptance", "min_epsilon", "batch", "predictive_draws")
ABC_DEFAULTS = {"population": 300, "generations": 8, "quantile": 0.5, "min_acceptance": 0.02, "min_epsilon": 0.0,
                "batch": None, "predictive_draws": 100}
PRIORS = ("uniform", "loguniform", "normal")
PRIOR_KEYS = ("prior", "low", "high", "mean", "sd")
SAMPLE_KEYS = ("scenario", "size", "source")
TARGET_KEYS = ("role", "sample", "statistic", "observed", "n", "scale", "weight", "source")
ROLES = ("calibration", "validation")


@dataclass(frozen=True)
class Prior:
    """A prior on one parameter. An integer parameter is held continuous on ``[low - 0.5, high + 0.5]`` and
    rounded for the model, so that every integer is equally likely under a uniform prior."""

    key: str
    kind: str  # uniform | loguniform | normal (truncated to [low, high])
    low: float
    high: float
    mean: float | None = None
    sd: float | None = None
    integer: bool = False

    @property
    def support(self) -> tuple[float, float]:
        return (self.low - 0.5, self.high + 0.5) if self.integer else (self.low, self.high)


@dataclass(frozen=True)
class Sample:
    """Coalitions of one scenario, as many as the published study observed."""

    name: str
    scenario: str  # what sim.load_scenario is given
    base: Params
    size: int
    source: str = ""


@dataclass(frozen=True)
class Target:
    name: str
    role: str  # calibration | validation
    sample: str
    statistic: str
    args: dict
    observed: float | tuple[float, float]  # a value, or a published range (low, high)
    n: int  # observations behind the published figure
    scale: float  # the distance's unit: the figure's standard error unless the spec gives one
    weight: float = 1.0
    source: str = ""

    @property
    def describe(self) -> str:
        args = ", ".join(f"{k} {v}" for k, v in self.args.items())
        return f"{self.statistic}({args})" if args else self.statistic


@dataclass(frozen=True)
class CalibrationSpec:
    path: Path
    data: dict
    description: str
    root_seed: int
    population: int
    generations: int
    quantile: float
    min_acceptance: float
    min_epsilon: float
    batch: int
    predictive_draws: int
    priors: tuple[Prior, ...]
    samples: dict  # name -> Sample
    targets: tuple[Target, ...]

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def calibration_targets(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.role == "calibration")

    @property
    def validation_targets(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.role == "validation")

    def samples_of(self, targets) -> list[Sample]:
        """The samples these targets are measured on, in the spec's order."""
        used = {t.sample for t in targets}
        return [s for name, s in self.samples.items() if name in used]

    @property
    def fit_hash(self) -> str:
        """sha256 of everything each generation depends on: the seed, the ABC settings, the priors, the samples'
        parameters and the calibration targets. Validation targets are left out: they never touch the fit. So is
        ``generations``, which only says when to stop: ``--resume --generations N`` extends a finished calibration."""
        fit = {
            "root_seed": self.root_seed,
            "abc": [self.population, self.quantile, self.min_acceptance, self.min_epsilon, self.batch],
            "priors": [dataclasses.asdict(p) for p in self.priors],
            "samples": {s.name: [to_dict(s.base), s.size] for s in self.samples_of(self.calibration_targets)},
            "targets": [_target_dict(t) for t in self.calibration_targets],
        }
        text = json.dumps(fit, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _target_dict(target: Target) -> dict:
    out = dataclasses.asdict(target)
    out["observed"] = list(target.observed) if isinstance(target.observed, tuple) else target.observed
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def spec_path(name_or_path: str | Path) -> Path | Traversable:
    """A spec file by path, or a spec by name (``coalitions``: ``calibration/coalitions.toml`` under the working
    directory, else the shipped one: :mod:`sim.bundled`)."""
    return find_spec(name_or_path, "calibration", bundled.CALIBRATION, "spec", "a spec TOML file", "coalitions")


def load_calibration(path: str | Path, population: int | None = None, generations: int | None = None) -> CalibrationSpec:
    """Read and validate a calibration spec; ``population``/``generations`` override the file's (a smaller, quicker
    calibration: another fit, with its own folder). Raises :class:`ScenarioError` (one line per mistake)."""
    path = spec_path(path)
    data = read_toml(path)
    for flag, value in (("--population", population), ("--generations", generations)):
        if value is None:
            continue
        if not _is_int(value) or value < (2 if flag == "--population" else 1):
            raise ScenarioError(flag, "", f"{value!r} is out of range", "an integer from 2" if flag == "--population" else "an integer from 1")
        abc = dict(data.get("abc", {})) if isinstance(data.get("abc", {}), dict) else {}
        abc[flag.lstrip("-")] = value
        if flag == "--population" and isinstance(abc.get("batch"), int):
            abc["batch"] = min(abc["batch"], value)
        data = {**data, "abc": abc}
    return _validate(path, data)


def _validate(path: Path, data: dict) -> CalibrationSpec:
    source = str(path)

    def fail(key: str, problem: str, allowed: str):
        raise ScenarioError(source, key, problem, allowed)

    raise_all([ScenarioError(source, k, "unknown key", ", ".join(SPEC_KEYS)) for k in data if k not in SPEC_KEYS]
              + [ScenarioError(source, k, "missing", _REQUIRED[k]) for k in _REQUIRED if k not in data])
    description = data["description"]
    if not isinstance(description, str) or not description.strip():
        fail("description", "missing or empty", _REQUIRED["description"])
    root_seed = data["root_seed"]
    if not _is_int(root_seed) or root_seed < 0:
        fail("root_seed", f"{root_seed!r} is out of range", _REQUIRED["root_seed"])
    abc = _abc_settings(source, data.get("abc", {}))
    samples = _samples(source, path, data["samples"])
    priors = _priors(source, data["parameters"], samples)
    targets = _targets(source, data["targets"], samples)
    if not any(t.role == "calibration" for t in targets):
        fail("targets", "no calibration target", 'at least one target with role = "calibration"')
    return CalibrationSpec(path=path, data=data, description=description, root_seed=root_seed, priors=priors,
                           samples=samples, targets=targets, **abc)


_REQUIRED = {
    "description": "a non-empty string saying what is fitted to what",
    "root_seed": "an integer from 0",
    "parameters": 'a table of priors, e.g. "membership.time_value" = {prior = "uniform", low = 0.1, high = 1.5}',
    "samples": 'a table of samples, e.g. [samples.ctc] scenario = "ctc_like", size = 110',
    "targets": "a table of targets, e.g. [targets.NAME] with role, sample, statistic and observed",
}


def _table(source: str, key: str, value: Any, allowed: str) -> dict:
    if not isinstance(value, dict):
        raise ScenarioError(source, key, f"expected a table, got {value!r}", allowed)
    return value


def _unknown(source: str, where: str, table: dict, keys: tuple) -> None:
    unknown = [k for k in table if k not in keys]
    if unknown:
        raise ScenarioError(source, f"{where}.{unknown[0]}", "unknown key", ", ".join(keys))


def _abc_settings(source: str, table: Any) -> dict:
    table = _table(source, "abc", table, "a table of " + ", ".join(ABC_KEYS))
    _unknown(source, "abc", table, ABC_KEYS)
    out = {**ABC_DEFAULTS, **table}
    checks = {
        "population": (lambda v: _is_int(v) and v >= 2, "an integer from 2"),
        "generations": (lambda v: _is_int(v) and v >= 1, "an integer from 1 (generation 0 samples the prior)"),
        "quantile": (lambda v: _is_number(v) and 0.0 < v < 1.0, "a number between 0 and 1 (0.5: the median)"),
        "min_acceptance": (lambda v: _is_number(v) and 0.0 <= v < 1.0, "a number from 0 to below 1"),
        "min_epsilon": (lambda v: _is_number(v) and v >= 0.0, "a number from 0"),
        "batch": (lambda v: v is None or (_is_int(v) and v >= 1), "an integer from 1 (default: the population)"),
        "predictive_draws": (lambda v: _is_int(v) and v >= 1, "an integer from 1"),
    }
    for key, (ok, allowed) in checks.items():
        if not ok(out[key]):
            raise ScenarioError(source, f"abc.{key}", f"{out[key]!r} is out of range", allowed)
    out["batch"] = out["batch"] or out["population"]
    return {k: (float(v) if k in ("quantile", "min_acceptance", "min_epsilon") else v) for k, v in out.items()}


def _samples(source: str, path: Path, table: Any) -> dict:
    table = _table(source, "samples", table, _REQUIRED["samples"])
    if not table:
        raise ScenarioError(source, "samples", "empty", _REQUIRED["samples"])
    samples = {}
    for name, entry in table.items():
        where = f"samples.{name}"
        entry = _table(source, where, entry, "a table with scenario and size")
        _unknown(source, where, entry, SAMPLE_KEYS)
        text = entry.get("scenario")
        if not isinstance(text, str) or not text.strip():
            raise ScenarioError(source, f"{where}.scenario", f"expected a scenario name or path, got {text!r}",
                                "a scenario name (partnersim scenarios) or a TOML path, relative to the spec")
        scenario = _resolve_scenario(path, text)
        try:
            scenario_path(scenario)
        except ScenarioError as error:
            raise ScenarioError(source, f"{where}.scenario", f"{error.problem}: {text}", error.allowed) from None
        base = load_scenario(scenario)
        if base.ecosystem.organizations:
            raise ScenarioError(source, f"{where}.scenario", f"{text} is a region",
                                "a scenario of one partnership (the targets are statistics of coalitions)")
        size = entry.get("size")
        if not _is_int(size) or not 1 <= size <= 100_000:
            raise ScenarioError(source, f"{where}.size", f"{size!r} is out of range",
                                "an integer from 1 to 100000: the coalitions the study observed")
        samples[name] = Sample(name=name, scenario=scenario, base=base, size=size, source=str(entry.get("source", "")))
    return samples


def _priors(source: str, table: Any, samples: dict) -> tuple[Prior, ...]:
    table = _table(source, "parameters", table, _REQUIRED["parameters"])
    if not table:
        raise ScenarioError(source, "parameters", "empty", _REQUIRED["parameters"])
    priors = []
    for key, entry in _flat(table):
        where = f"parameters.{key}"
        try:
            _check_override_key(key)
        except ScenarioError as error:
            raise ScenarioError(source, where, error.problem, error.allowed) from None
        tp, _ = _leaf_field(key)
        if tp not in (int, float) or key in ("seed", "steps"):
            raise ScenarioError(source, where, "cannot be calibrated", "a number or integer model parameter")
        entry = _table(source, where, entry, '{prior = "uniform", low = ..., high = ...}')
        _unknown(source, where, entry, PRIOR_KEYS)
        kind = entry.get("prior", "uniform")
        if kind not in PRIORS:
            raise ScenarioError(source, f"{where}.prior", f"unknown prior {kind!r}", " | ".join(PRIORS))
        low, high = entry.get("low"), entry.get("high")
        if not _is_number(low) or not _is_number(high) or not low < high:
            raise ScenarioError(source, where, f"low {low!r} and high {high!r}", "numbers with low < high")
        integer = tp is int
        if integer and (low != math.floor(low) or high != math.floor(high)):
            raise ScenarioError(source, where, f"{key} is an integer parameter; low {low!r} and high {high!r}",
                                "whole-number ends")
        if kind == "loguniform" and low <= 0:
            raise ScenarioError(source, f"{where}.low", f"{low!r} is not above 0", "low > 0 for a loguniform prior")
        mean, sd = entry.get("mean"), entry.get("sd")
        if kind == "normal":
            if not _is_number(mean) or not _is_number(sd) or sd <= 0:
                raise ScenarioError(source, where, f"mean {mean!r} and sd {sd!r}",
                                    "a normal prior needs mean and sd > 0 (truncated to low..high)")
        elif mean is not None or sd is not None:
            raise ScenarioError(source, where, f"mean and sd belong to a normal prior, not {kind}", "low and high")
        for name, sample in samples.items():
            for end in (low, high):
                try:
                    load_scenario(sample.scenario, {key: int(end) if integer else float(end)})
                except ScenarioError as error:
                    raise ScenarioError(source, where, f"{end!r} in sample {name}: {error.problem}", error.allowed) from None
        priors.append(Prior(key=key, kind=kind, low=float(low), high=float(high),
                            mean=None if mean is None else float(mean), sd=None if sd is None else float(sd),
                            integer=integer))
    return tuple(priors)


def _flat(table: dict, prefix: str = ""):
    """Dotted keys from quoted keys or nested tables; a prior is a table holding ``prior``, ``low`` or ``high``."""
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else str(name)
        if isinstance(value, dict) and not set(value) & set(PRIOR_KEYS):
            yield from _flat(value, key)
        else:
            yield key, value


def _targets(source: str, table: Any, samples: dict) -> tuple[Target, ...]:
    table = _table(source, "targets", table, _REQUIRED["targets"])
    targets = []
    for name, entry in table.items():
        where = f"targets.{name}"
        entry = _table(source, where, entry, "a table with role, sample, statistic and observed")
        stat_name = entry.get("statistic")
        if stat_name not in STATISTICS:
            raise ScenarioError(source, f"{where}.statistic", f"unknown statistic {stat_name!r}", " | ".join(STATISTICS))
        statistic = STATISTICS[stat_name]
        _unknown(source, where, entry, TARGET_KEYS + tuple(statistic.args))
        role = entry.get("role")
        if role not in ROLES:
            raise ScenarioError(source, f"{where}.role", f"expected calibration or validation, got {role!r}", " | ".join(ROLES))
        sample = entry.get("sample")
        if sample not in samples:
            raise ScenarioError(source, f"{where}.sample", f"no sample named {sample!r}", ", ".join(samples))
        args = {}
        for arg, kind in statistic.args.items():
            if arg not in entry:
                if arg in statistic.required:
                    raise ScenarioError(source, f"{where}.{arg}", f"missing (needed by {stat_name})", _ARG_ALLOWED[kind])
                continue
            value = entry[arg]
            steps = samples[sample].base.steps
            if kind == "month" and not (_is_int(value) and 0 <= value <= steps):
                raise ScenarioError(source, f"{where}.{arg}", f"{value!r} is out of range",
                                    f"a month from 0 to {steps} (the sample's scenario runs {steps} months)")
            if kind == "phase" and value not in PHASES:
                raise ScenarioError(source, f"{where}.{arg}", f"unknown phase {value!r}", " | ".join(PHASES))
            args[arg] = value
        if "from_month" in args and not args["from_month"] < args["to_month"]:
            raise ScenarioError(source, f"{where}.to_month", f"{args['to_month']} is not after from_month",
                                "to_month > from_month")
        n = entry.get("n", samples[sample].size)
        if not _is_int(n) or n < 1:
            raise ScenarioError(source, f"{where}.n", f"{n!r} is out of range", "an integer from 1: the observations behind the figure")
        observed = _observed(source, where, entry.get("observed"), statistic.share)
        scale = entry.get("scale")
        if scale is None:
            if not statistic.share:
                raise ScenarioError(source, f"{where}.scale", f"missing ({stat_name} is not a share)",
                                    "a number > 0: the figure's standard error, the distance's unit")
            scale = share_error(observed, n)
        elif not _is_number(scale) or scale <= 0:
            raise ScenarioError(source, f"{where}.scale", f"{scale!r} is out of range", "a number > 0")
        weight = entry.get("weight", 1.0)
        if not _is_number(weight) or weight <= 0:
            raise ScenarioError(source, f"{where}.weight", f"{weight!r} is out of range", "a number > 0")
        targets.append(Target(name=name, role=role, sample=sample, statistic=stat_name, args=args, observed=observed,
                              n=n, scale=float(scale), weight=float(weight), source=str(entry.get("source", ""))))
    return tuple(targets)


_ARG_ALLOWED = {"month": "a month (an integer from 0)", "phase": " | ".join(PHASES)}


def _observed(source: str, where: str, value: Any, share: bool) -> float | tuple[float, float]:
    allowed = "a number, or a published range [low, high]" + (" of shares from 0 to 1" if share else "")
    if _is_number(value):
        values = [value]
    elif isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value) and value[0] < value[1]:
        values = value
    else:
        raise ScenarioError(source, f"{where}.observed", f"expected a number or [low, high], got {value!r}", allowed)
    if share and not all(0.0 <= v <= 1.0 for v in values):
        raise ScenarioError(source, f"{where}.observed", f"{value!r} is not a share", allowed)
    return float(values[0]) if len(values) == 1 else (float(values[0]), float(values[1]))


def share_error(observed: float | tuple[float, float], n: int) -> float:
    """The binomial standard error of an observed share (of a range's midpoint), kept off zero: a share of 0 or 1
    is read as half an observation from the edge."""
    p = sum(observed) / 2 if isinstance(observed, tuple) else observed
    p = min(max(p, 0.5 / n), 1.0 - 0.5 / n)
    return math.sqrt(p * (1.0 - p) / n)
