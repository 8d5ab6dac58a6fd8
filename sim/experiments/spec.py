"""Reading and validating a sweep spec (``experiments/*.toml``).

A spec names a base scenario, the knobs to vary (policy ``[levers]`` kept
apart from the uncertain world in ``[uncertainties]``), the design that
combines them, the number of replicates, the steps, the outputs to keep and a
root seed. Validation follows the scenarios': every problem raises
:class:`sim.errors.ScenarioError` with one line naming the spec file, the key
and what is allowed. Knob names are checked against the parameter tree and
every listed value and range end is validated by building the scenario's
parameters with it. The format is documented in ``experiments/README.md``.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import json
import math
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Iterator

from sim import bundled
from sim.errors import ScenarioError, raise_all
from sim.seeds import replicate_seeds
from sim.experiments.store import PARTNERSHIP, REGION, run_kind
from sim.inputdata.load import StartingData
from sim.params import Params, type_hints
from sim.run import starting_data
from sim.scenarios import _check_override_key, load_scenario, read_toml, scenario_path


METHODS = ("grid", "list", "latin_hypercube", "sobol", "morris", "policies")
SAMPLING_METHODS = ("latin_hypercube", "sobol", "morris")
SPEC_KEYS = ("description", "scenario", "replicates", "steps", "root_seed", "design", "levers", "uncertainties", "outputs",
             "fixed", "policies", "posterior", "scales")
SCALES_KEY = "scales"  # a two-scale study (sim.experiments.scales): one scenario per scale, the same levers
REQUIRED_KEYS = ("description", "scenario", "replicates", "root_seed")
DESIGN_KEYS = ("method", "samples", "levels", "reference")
OUTPUT_KEYS = ("timeseries", "every", "formation")
RANGE_KEYS = ("low", "high", "steps", "integer")
ROLES = {"levers": "lever", "uncertainties": "uncertainty"}
# Set by the sweep itself (seeds, steps) or meaningless per run (description).
RESERVED_KNOBS = ("seed", "steps", "description")
KINDS = {int: "int", float: "float", bool: "bool", str: "str"}
DEFAULT_MORRIS_LEVELS = 4
REGION_SIZE_KEY = "ecosystem.organizations"  # > 0: every run is a region (see Spec.kind)
DEFAULT_EVERY = 1


@dataclass(frozen=True)
class Knob:
    """One varied parameter: a value list, or a range ``low..high`` (``steps`` points in a grid)."""

    key: str
    role: str  # "lever" | "uncertainty"
    kind: str  # the parameter's type: "int" | "float" | "bool" | "str"
    values: tuple | None = None
    low: float | int | None = None
    high: float | int | None = None
    steps: int | None = None
    integer: bool = False

    @property
    def is_range(self) -> bool:
        return self.values is None

    def grid_values(self) -> list:
        """The values a grid or list design uses for this knob."""
        if self.values is not None:
            return list(self.values)
        points = [self.low + (self.high - self.low) * i / (self.steps - 1) for i in range(self.steps)]
        if self.integer:
            points = [math.floor(x + 0.5) for x in points]
        return [int(x) if self.kind == "int" else float(x) for x in points]

    def describe(self) -> dict:
        """Plain-dict form for the manifest."""
        out: dict[str, Any] = {"role": self.role, "type": self.kind}
        if self.values is not None:
            out["values"] = list(self.values)
        else:
            out.update(low=self.low, high=self.high, integer=self.integer)
            if self.steps is not None:
                out["steps"] = self.steps
        return out


@dataclass(frozen=True)
class Posterior:
    """A posterior ensemble (``posterior = "path"``): each replicate's values of these parameters are a particle of a
    calibration's posterior drawn by weight (:func:`sim.calibration.ensemble.draws`), the same particle for the
    same replicate at every design point, so that comparisons stay paired."""

    path: Path
    keys: tuple[str, ...]
    values: tuple[tuple, ...]  # per particle, in the order of keys
    weights: tuple[float, ...]
    sha256: str

    def draw(self, root_seed: int, replicates: int) -> list[int]:
        """The particle each replicate gets."""
        import numpy as np

        from sim.calibration.ensemble import draws

        return [int(i) for i in draws(np.asarray(self.weights), replicates, root_seed)]

    def overrides(self, particle: int) -> dict:
        return dict(zip(self.keys, self.values[particle]))


@dataclass(frozen=True)
class Spec:
    """A validated sweep spec. Build with :func:`load_spec`."""

    path: Path | Traversable  # a file of the user's, or a study shipped in the package
    data: dict  # the spec as parsed, with --replicates/--steps applied (what is hashed)
    description: str
    scenario: str  # what sim.load_scenario is given: a scenario name or an absolute path
    scenario_name: str
    replicates: int
    steps: int  # the spec's steps, else the scenario's
    root_seed: int
    method: str
    samples: int | None
    levels: int | None
    knobs: tuple[Knob, ...]
    fixed: dict = field(default_factory=dict)
    timeseries: bool = False
    every: int = DEFAULT_EVERY
    base: Params = field(default_factory=Params)  # the scenario with [fixed] and steps applied
    policies: tuple[tuple[str, dict], ...] = ()  # a policies design: (name, {key: value}) in the file's order
    reference: str | None = None  # ... and the policy the others are compared with
    posterior: Posterior | None = None  # a posterior ensemble: each replicate's fitted parameters drawn from it
    start: StartingData | None = None  # the scenario's [data], read once: every run starts from it (docs/DATA.md)
    formation: bool = False  # also keep each run's formation profile (sim.profile)
    label: str | None = None  # the name, when not the file's (one scale of a two-scale study: NAME_SCALE)

    @property
    def name(self) -> str:
        return self.label or Path(self.path.name).stem

    @property
    def levers(self) -> list[str]:
        return [k.key for k in self.knobs if k.role == "lever"]

    @property
    def uncertainties(self) -> list[str]:
        return [k.key for k in self.knobs if k.role == "uncertainty"]

    @property
    def hash(self) -> str:
        """The spec's hash: a new posterior in the same file is another study, and so are changed data (a sweep
        resumed on them is refused)."""
        data = dict(self.data)
        if self.posterior is not None:
            data["posterior_sha256"] = self.posterior.sha256
        if self.start is not None:
            data["starting data"] = self.start.digest
        return spec_hash(data)

    @property
    def kind(self) -> str:
        """``"region"`` if every run is a region (``base.ecosystem.organizations > 0``), else ``"partnership"``."""
        return run_kind(self.base)


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def spec_hash(data: dict) -> str:
    """sha256 of the canonical JSON of a spec dict."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- parameter tree helpers

def _leaf_field(key: str) -> tuple[type, dict]:
    """The type and metadata of a leaf parameter (key already checked)."""
    cls = Params
    *sections, name = key.split(".")
    for section in sections:
        cls = type_hints(cls)[section]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    return type_hints(cls)[name], dict(fields[name].metadata)


def _is_section(key: str) -> bool:
    cls = Params
    for part in key.split("."):
        if not dataclasses.is_dataclass(cls):
            return False
        hints = type_hints(cls)
        if part not in hints:
            return False
        cls = hints[part]
    return dataclasses.is_dataclass(cls)


def _flatten(table: dict, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``{"funding": {"grant_months": ...}}`` -> ``("funding.grant_months", ...)``, descending only into sections."""
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else str(name)
        if isinstance(value, dict) and _is_section(key):
            yield from _flatten(value, key)
        else:
            yield key, value


def _flat_table(source: str, section: str, table: dict) -> dict:
    """A section's parameters by dotted key; a key written twice (``"funding.grant_months"`` and
    ``[section.funding] grant_months``) is an error, not a silent choice of one."""
    flat: dict[str, Any] = {}
    for key, value in _flatten(table):
        if key in flat:
            raise ScenarioError(source, f"{section}.{key}", "given twice (as a dotted key and inside a nested table)",
                                "each parameter once per section")
        flat[key] = value
    return flat


def _get(params: Params, key: str) -> Any:
    value: Any = params
    for part in key.split("."):
        value = getattr(value, part)
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --------------------------------------------------------------------------- loading

def load_spec(path: str | Path, replicates: int | None = None, steps: int | None = None) -> Spec | ScaledSpec:
    """Read and validate a sweep spec; ``replicates``/``steps`` override the file's (to shrink a study).

    A spec with ``[scales]`` is a two-scale study (:class:`sim.experiments.scales.ScaledSpec`: one sweep per
    scale); any other is a :class:`Spec`. Raises :class:`ScenarioError` (one line: file, key, problem, what is
    allowed).
    """
    path = spec_path(path)
    data = read_toml(path)
    if SCALES_KEY in data:
        return validate_scaled(path, data, replicates, steps)
    return _validate(path, data, replicates, steps)


def study_names() -> list[str]:
    """The studies shipped with the package (``experiments/*.toml``: :mod:`sim.bundled`), by name."""
    return bundled.names(bundled.STUDIES)


def spec_path(name_or_path: str | Path) -> Path | Traversable:
    """The spec file for a path, or for a study's bare name (``grant_timeline``: ``experiments/grant_timeline.toml``
    under the working directory, else the shipped study), as ``partnersim run`` takes a scenario's name."""
    return find_spec(name_or_path, "experiments", bundled.STUDIES, "study", "a sweep spec TOML file", "example_small")


def find_spec(name_or_path: str | Path, folder: str, shipped: str, what: str, kind: str,
              example: str) -> Path | Traversable:
    """A spec file by path, or by bare name in ``folder`` under the working directory, else among those shipped
    (:mod:`sim.bundled`, of kind ``shipped``); otherwise one :class:`ScenarioError` naming what was asked for and
    what exists."""
    path = Path(name_or_path)
    path = bundled.example(path) or path  # examples/... from an installed copy
    if path.is_file():
        return path
    if path.suffix != ".toml" and path.parent == Path("."):
        own = Path(folder) / f"{path.name}.toml"
        named = own if own.is_file() else bundled.find(shipped, path.name)
        if named is not None:
            return named
        raise ScenarioError(str(name_or_path), "", f"no such {what}",
                            f"{kind} or one of: " + ", ".join(bundled.names(shipped)))
    raise ScenarioError(str(path), "", "no such spec file", f"{kind}, or a shipped {what}'s name, e.g. {example}")


def _validate(path: Path | Traversable, raw: dict, replicates: int | None, steps: int | None) -> Spec:
    source = str(path)

    def fail(key: str, problem: str, allowed: str | None = None):
        raise ScenarioError(source, key, problem, allowed)

    def keyed_table(section: str, keys: tuple, allowed: str) -> dict:
        """``data[section]`` (empty if absent), which must be a table of only ``keys``."""
        table = data.get(section, {})
        if not isinstance(table, dict):
            fail(section, f"expected a table, got {table!r}", allowed)
        unknown = [k for k in table if k not in keys]
        if unknown:
            fail(f"{section}.{unknown[0]}", "unknown key", ", ".join(keys))
        return table

    mistakes = [ScenarioError(source, k, "unknown key" + _did_you_mean(k, SPEC_KEYS), ", ".join(SPEC_KEYS))
                for k in raw if k not in SPEC_KEYS]
    mistakes += [ScenarioError(source, key, "missing", _REQUIRED_ALLOWED[key]) for key in REQUIRED_KEYS if key not in raw]
    raise_all(mistakes)

    data = copy.deepcopy(raw)
    if replicates is not None:
        if not _is_int(replicates) or replicates < 1:
            raise ScenarioError("--replicates", "", f"{replicates!r} is out of range", "an integer from 1")
        data["replicates"] = replicates
    if steps is not None:
        data["steps"] = steps

    description = data["description"]
    if not isinstance(description, str) or not description.strip():
        fail("description", "missing or empty", _REQUIRED_ALLOWED["description"])
    if not _is_int(data["replicates"]) or data["replicates"] < 1:
        fail("replicates", f"{data['replicates']!r} is out of range", _REQUIRED_ALLOWED["replicates"])
    root_seed = data["root_seed"]
    if not _is_int(root_seed) or root_seed < 0:
        fail("root_seed", f"{root_seed!r} is out of range", _REQUIRED_ALLOWED["root_seed"])

    # Scenario: a name, or a path relative to the spec file (else to the working directory).
    scenario_text = data["scenario"]
    if not isinstance(scenario_text, str) or not scenario_text.strip():
        fail("scenario", f"expected a scenario name or path, got {scenario_text!r}", _REQUIRED_ALLOWED["scenario"])
    scenario = _resolve_scenario(path, scenario_text)
    try:
        scenario_path(scenario)
    except ScenarioError as error:
        fail("scenario", f"{error.problem}: {scenario_text}", error.allowed)
    load_scenario(scenario)  # a broken scenario file (or its data) is blamed on itself
    start = starting_data(scenario)

    # Steps (spec or --steps).
    run_steps = data.get("steps")
    steps_source, steps_key = ("--steps", "") if steps is not None else (source, "steps")
    if run_steps is not None:
        if not _is_int(run_steps):
            raise ScenarioError(steps_source, steps_key, f"expected an integer, got {run_steps!r}", "an integer from 1 to 6000")
        try:
            load_scenario(scenario, {"steps": run_steps})
        except ScenarioError as error:
            raise ScenarioError(steps_source, steps_key, error.problem, error.allowed) from None
    steps_override = {"steps": run_steps} if run_steps is not None else {}

    # [design]
    design = keyed_table("design", DESIGN_KEYS, "a [design] table with method (and samples)")
    method = design.get("method", "policies" if "policies" in data else "grid")
    if method not in METHODS:
        fail("design.method", f"unknown method {method!r}", " | ".join(METHODS))
    samples = design.get("samples")
    if method in SAMPLING_METHODS:
        if samples is None:
            fail("design.samples", f"missing (needed by {method})",
                 "an integer from 1" + (", a power of 2" if method == "sobol" else ""))
        if not _is_int(samples) or samples < 1:
            fail("design.samples", f"{samples!r} is out of range", "an integer from 1")
        if method == "sobol" and samples & (samples - 1):
            fail("design.samples", f"{samples} is not a power of 2 (Sobol' sequences need one)", "a power of 2, e.g. 64, 128, 256")
    elif samples is not None and (not _is_int(samples) or samples < 1):
        fail("design.samples", f"{samples!r} is out of range", "an integer from 1")
    levels = design.get("levels")
    if levels is not None and (not _is_int(levels) or levels < 2):
        fail("design.levels", f"{levels!r} is out of range", "an integer from 2 (morris grid levels, usually 4)")
    if method == "morris" and levels is None:
        levels = DEFAULT_MORRIS_LEVELS

    # [outputs]
    outputs = keyed_table("outputs", OUTPUT_KEYS, "a table with timeseries and every")
    timeseries = outputs.get("timeseries", False)
    if not isinstance(timeseries, bool):
        fail("outputs.timeseries", f"expected true or false, got {timeseries!r}", "true | false")
    every = outputs.get("every", DEFAULT_EVERY)
    if not _is_int(every) or every < 1:
        fail("outputs.every", f"{every!r} is out of range", "an integer from 1 (keep every k-th step)")
    formation = outputs.get("formation", False)
    if not isinstance(formation, bool):
        fail("outputs.formation", f"expected true or false, got {formation!r}", "true | false")

    # [fixed]
    fixed_raw = data.get("fixed", {})
    if not isinstance(fixed_raw, dict):
        fail("fixed", f"expected a table, got {fixed_raw!r}", 'a table of dotted parameter keys, e.g. "public_sector.receptivity" = 0.5')
    fixed = _flat_table(source, "fixed", fixed_raw)
    raise_all(_mistakes(lambda key: _check_key(source, "fixed", key), fixed))
    base_overrides = {**fixed, **steps_override}
    try:
        base = load_scenario(scenario, base_overrides)
    except ScenarioError as error:
        if error.key in fixed:
            fail(f"fixed.{error.key}", error.problem, error.allowed)
        fail("fixed", f"{error.key}: {error.problem}" if error.key else error.problem, error.allowed)

    # [levers] and [uncertainties]
    knobs: list[Knob] = []
    seen: dict[str, str] = {}
    mistakes = []
    for section, role in ROLES.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            fail(section, f"expected a table, got {table!r}", 'a table of dotted parameter keys, e.g. "funding.grant_months" = [24, 36]')
        for key, spec_value in _flat_table(source, section, table).items():
            where = f"{section}.{key}"
            try:
                _check_key(source, section, key)
                if key in seen:
                    fail(where, f"also in [{seen[key]}]", "each knob in one of [levers] and [uncertainties]")
                if key in fixed:
                    fail(where, "also in [fixed]", "a knob is either varied or fixed")
                seen[key] = section
                knobs.append(_parse_knob(source, where, key, role, spec_value, scenario, base_overrides,
                                         distinct=method != "list"))
            except ScenarioError as error:  # every knob's mistakes at once
                mistakes.append(error)
    raise_all(mistakes)
    policies, reference = (), None
    if method == "policies":
        policies, reference, policy_knobs = _parse_policies(source, data, design, scenario, base_overrides, base,
                                                            fixed, seen)
        knobs = policy_knobs + knobs
    elif "policies" in data:
        fail("policies", f"named policies need method = \"policies\", not {method!r}", 'design.method = "policies"')
    elif "reference" in design:
        fail("design.reference", f"a reference policy needs method = \"policies\", not {method!r}",
             'design.method = "policies" with [policies.NAME] tables')

    posterior = _parse_posterior(source, path, data, scenario, base_overrides, fixed, {k.key for k in knobs}) \
        if "posterior" in data else None

    # One kind of run per sweep (its outcome columns depend on it): a knob may not turn regions into single
    # partnerships or back.
    kind = run_kind(base)
    for knob in knobs:
        if knob.key == REGION_SIZE_KEY:
            values = knob.values if knob.values is not None else (knob.low, knob.high)
            other = [v for v in values if (v > 0) != (kind == REGION)]
            if other:
                fail(f"{ROLE_SECTIONS[knob.role]}.{knob.key}",
                     f"{other[0]!r} would make some runs {'single partnerships' if kind == REGION else 'regions'} "
                     f"and the base scenario's runs are {'regions' if kind == REGION else 'single partnerships'}",
                     "values above 0 (regions of that many organizations)" if kind == REGION else
                     "0 only (or a region scenario: one kind of run per sweep)")

    # What the design method accepts.
    if method in SAMPLING_METHODS:
        if not knobs:
            fail("levers", f"no knobs to sample ({method} needs at least one range)", "ranges {low, high} in [levers] or [uncertainties]")
        for knob in knobs:
            if not knob.is_range:
                fail(f"{ROLE_SECTIONS[knob.role]}.{knob.key}", f"a value list cannot be sampled by {method}",
                     "a range {low, high}; booleans and strings only in grid or list designs")
    elif method == "grid":
        for knob in knobs:
            if knob.is_range and knob.steps is None:
                fail(f"{ROLE_SECTIONS[knob.role]}.{knob.key}", "a range in a grid needs steps", "{low, high, steps} with steps from 2")
    elif method == "policies":
        for knob in knobs:
            if knob.role == "uncertainty" and knob.is_range and knob.steps is None:
                fail(f"uncertainties.{knob.key}", "a range beside policies needs steps",
                     "{low, high, steps} with steps from 2 (every policy meets every combination of the world)")
    elif method == "list":
        if not knobs:
            fail("levers", "no knobs (a list design needs at least one value list)", "value lists of equal length")
        lengths = {}
        for knob in knobs:
            where = f"{ROLE_SECTIONS[knob.role]}.{knob.key}"
            if knob.is_range:
                fail(where, "a range in a list design", "a value list (list designs zip equal-length lists)")
            lengths[where] = len(knob.values)
        first, length = next(iter(lengths.items()))
        for where, n in lengths.items():
            if n != length:
                fail(where, f"has {n} values but {first} has {length}", "value lists of equal length (list designs zip them)")
        points = list(zip(*(knob.values for knob in knobs)))
        for i, point in enumerate(points):
            if point in points[:i]:
                fail(first, f"design point {i + 1} repeats point {points.index(point) + 1} ({dict(zip((k.key for k in knobs), point))})",
                     "distinct design points (a value may repeat, a whole point may not)")

    return Spec(path=path, data=data, description=description, scenario=scenario, scenario_name=Path(scenario).stem,
                replicates=data["replicates"], steps=base.steps, root_seed=root_seed, method=method,
                samples=samples if method in SAMPLING_METHODS else None, levels=levels if method == "morris" else None,
                knobs=tuple(knobs), fixed=fixed, timeseries=timeseries, every=every, base=base,
                policies=policies, reference=reference, posterior=posterior, start=start, formation=formation)


POSTERIOR_ALLOWED = "the posterior.csv of a calibration (partnersim calibrate), as a path relative to the spec"


def _parse_posterior(source: str, path: Path, data: dict, scenario: str, base_overrides: dict, fixed: dict,
                     knobs: set) -> Posterior:
    from sim.calibration.ensemble import read_posterior

    text = data["posterior"]
    if not isinstance(text, str) or not text.strip():
        raise ScenarioError(source, "posterior", f"expected a path, got {text!r}", POSTERIOR_ALLOWED)
    file = Path(text) if Path(text).is_absolute() else path.parent / text
    if not file.is_file():
        raise ScenarioError(source, "posterior", f"no such file: {text}", POSTERIOR_ALLOWED)
    keys, values, weights = read_posterior(file, source)
    for key in keys:
        _check_key(source, "posterior", key)
        if key in knobs or key in fixed:
            raise ScenarioError(source, "posterior", f"{key} is drawn from the posterior and also "
                                f"{'varied' if key in knobs else 'fixed'} by the study",
                                "each parameter either drawn from the posterior or set by the study")
    for number, particle in enumerate(values):
        try:
            load_scenario(scenario, {**base_overrides, **dict(zip(keys, particle))})
        except ScenarioError as error:
            raise ScenarioError(source, "posterior", f"{text}: particle {number}: {error.key}: {error.problem}",
                                error.allowed) from None
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    return Posterior(path=file.resolve(), keys=tuple(keys), values=tuple(tuple(v) for v in values),
                     weights=tuple(float(w) for w in weights), sha256=digest)


def _mistakes(check, items) -> list[ScenarioError]:
    """``check(item)`` for every item; the mistakes it raised, in order."""
    found = []
    for item in items:
        try:
            check(item)
        except ScenarioError as error:
            found.append(error)
    return found


def _did_you_mean(name: str, names) -> str:
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


POLICY_ALLOWED = '[policies.NAME] tables of dotted parameter keys, e.g. "funding.grant_months" = 36'


def _parse_policies(source: str, data: dict, design: dict, scenario: str, base_overrides: dict, base: Params,
                    fixed: dict, varied: dict) -> tuple[tuple, str, list[Knob]]:
    """The named policies of a ``policies`` design, its reference policy and one lever knob per key the policies set.

    Each policy is a bundle of settings, validated together on the base scenario; different policies may share a
    value (a knob's values repeat across policies). A key a policy leaves out keeps the base scenario's value.
    """
    def fail(key: str, problem: str, allowed: str):
        raise ScenarioError(source, key, problem, allowed)

    table = data.get("policies")
    if not isinstance(table, dict) or not table:
        fail("policies", "missing or empty (a policies design compares named policies)", POLICY_ALLOWED)
    if "levers" in varied.values():
        fail("levers", "a policies design takes its levers from [policies]", "[uncertainties] only, beside [policies]")
    mistakes, policies = [], []
    for name, settings in table.items():
        where = f"policies.{name}"
        if not str(name).strip():
            mistakes.append(ScenarioError(source, where, "an empty policy name", "a name a reader understands"))
            continue
        if not isinstance(settings, dict) or not settings:
            mistakes.append(ScenarioError(source, where, f"expected a table of settings, got {settings!r}", POLICY_ALLOWED))
            continue
        flat = _flat_table(source, where, settings)
        found = _mistakes(lambda key: _check_policy_key(source, where, key, flat[key], fixed, varied), flat)
        if not found:
            try:
                params = load_scenario(scenario, {**base_overrides, **flat})
            except ScenarioError as error:
                many = getattr(error, "errors", [error])
                found = [ScenarioError(source, f"{where}.{e.key}" if e.key in flat else where,
                                       e.problem if e.key in flat else f"{e.key}: {e.problem}", e.allowed) for e in many]
            else:
                policies.append((name, {key: _get(params, key) for key in flat}))
        mistakes += found
    raise_all(mistakes)
    keys = list(dict.fromkeys(key for _, settings in policies for key in settings))
    for i, (name, settings) in enumerate(policies):
        full = {key: settings.get(key, _get(base, key)) for key in keys}
        twin = next((other for other, s in policies[:i] if {k: s.get(k, _get(base, k)) for k in keys} == full), None)
        if twin is not None:
            fail(f"policies.{name}", f"the same settings as policy {twin!r}", "policies that differ in at least one setting")
    names = [name for name, _ in policies]
    reference = design.get("reference", names[0])
    if reference not in names:
        fail("design.reference", f"no policy named {reference!r}" + _did_you_mean(str(reference), names), ", ".join(names))
    knobs = []
    for key in keys:
        kind = KINDS[_leaf_field(key)[0]]
        values = tuple(settings.get(key, _get(base, key)) for _, settings in policies)
        knobs.append(Knob(key=key, role="lever", kind=kind, values=values))
    return tuple(policies), reference, knobs


def _check_policy_key(source: str, where: str, key: str, value: Any, fixed: dict, varied: dict) -> None:
    _check_key(source, where, key)
    if key in fixed:
        raise ScenarioError(source, f"{where}.{key}", "also in [fixed]", "a setting is either in the policies or fixed")
    if key in varied:
        raise ScenarioError(source, f"{where}.{key}", "also in [uncertainties]", "a setting is either a policy's or the world's")
    if isinstance(value, (list, dict)):
        raise ScenarioError(source, f"{where}.{key}", f"expected one value, got {value!r}",
                            "one value per policy (a policy is one bundle of settings)")


ROLE_SECTIONS = {role: section for section, role in ROLES.items()}

_REQUIRED_ALLOWED = {
    "description": "a non-empty string saying what the study asks",
    "scenario": "a scenario name (partnersim scenarios) or a path to a scenario TOML file",
    "replicates": "an integer from 1",
    "root_seed": "an integer from 0",
}


def _resolve_scenario(spec_file: Path | Traversable, text: str) -> str:
    candidate = Path(text)
    if candidate.suffix != ".toml" and candidate.parent == Path("."):
        return text  # a scenario name
    if not candidate.is_absolute() and isinstance(spec_file, Path):
        beside = spec_file.parent / candidate
        if beside.is_file():
            return str(beside.resolve())
    return str(candidate.resolve()) if candidate.is_file() else text


def _check_key(source: str, section: str, key: str) -> None:
    try:
        _check_override_key(key)
    except ScenarioError as error:
        raise ScenarioError(source, f"{section}.{key}", error.problem, error.allowed) from None
    if key in RESERVED_KNOBS:
        allowed = {"seed": "root_seed (every run's seed is spawned from it)", "steps": "the top-level steps key",
                   "description": "a model parameter"}[key]
        raise ScenarioError(source, f"{section}.{key}", "cannot be set here", allowed)
    tp, _ = _leaf_field(key)
    if tp not in KINDS:
        raise ScenarioError(source, f"{section}.{key}", "a list parameter cannot be varied or fixed in a sweep",
                            "a number, integer, boolean or string parameter (set lists in the scenario file)")


def _parse_knob(source: str, where: str, key: str, role: str, value: Any, scenario: str, base_overrides: dict,
                distinct: bool = True) -> Knob:
    """One knob of the spec. A list design zips its lists point by point, so a value may repeat there (the points
    must differ, which the list design checks); elsewhere a knob's values must be distinct."""
    tp, _ = _leaf_field(key)
    kind = KINDS[tp]

    def fail(problem: str, allowed: str):
        raise ScenarioError(source, where, problem, allowed)

    def check(v: Any) -> Any:
        """Validate one value by building the scenario with it; return the value as the parameters hold it."""
        try:
            params = load_scenario(scenario, {**base_overrides, key: v})
        except ScenarioError as error:
            if error.key == key:
                raise ScenarioError(source, where, error.problem, error.allowed) from None
            raise ScenarioError(source, where, f"{v!r} conflicts with {error.key}: {error.problem}", error.allowed) from None
        return _get(params, key)

    if isinstance(value, list):
        if not value:
            fail("empty value list", "a non-empty list of values, or a range {low, high}")
        values = tuple(check(v) for v in value)
        if distinct and len(set(values)) != len(values):
            fail(f"repeated values in {list(value)!r}", "distinct values")
        return Knob(key=key, role=role, kind=kind, values=values)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in RANGE_KEYS]
        if unknown:
            fail(f"unknown range key {unknown[0]!r}", ", ".join(RANGE_KEYS))
        if kind in ("bool", "str"):
            fail(f"a range of a {'boolean' if kind == 'bool' else 'string'} parameter", "a value list, e.g. [true, false]")
        for end in ("low", "high"):
            if end not in value:
                fail(f"range without {end}", "{low, high} with low < high (and steps for a grid)")
            if not _is_number(value[end]) or not math.isfinite(value[end]):
                fail(f"range {end} {value[end]!r} is not a number", "{low, high} with low < high")
        integer = value.get("integer", kind == "int")
        if not isinstance(integer, bool):
            fail(f"integer {integer!r} is not true or false", "integer = true | false")
        if kind == "int" and not integer:
            fail("integer = false for an integer parameter", "integer = true (or leave it out)")
        low, high = value["low"], value["high"]
        if integer:
            for end, v in (("low", low), ("high", high)):
                if float(v) != math.floor(v):
                    fail(f"range {end} {v!r} is not a whole number (integer range)", "whole-number ends")
            low, high = int(low), int(high)
        if low >= high:
            fail(f"range low {low!r} is not below high {high!r}", "low < high")
        steps = value.get("steps")
        if steps is not None:
            if not _is_int(steps) or steps < 2:
                fail(f"range steps {steps!r} is out of range", "an integer from 2")
            if integer and steps > high - low + 1:
                fail(f"{steps} steps repeat values of an integer range {low}..{high}", f"at most {high - low + 1} steps")
        low, high = check(low), check(high)
        return Knob(key=key, role=role, kind=kind, low=low, high=high, steps=steps, integer=integer)
    fail(f"expected a value list or a range, got {value!r}",
         "[v1, v2, ...] or {low, high[, steps][, integer]}; put single values in [fixed]")
    raise AssertionError  # unreachable


# --------------------------------------------------------------------------- two-scale studies

SCALES = (PARTNERSHIP, REGION)  # in the order their seeds are spawned
SCALE_KEYS = ("scenario", "replicates", "steps", "fixed")
# Top-level keys a two-scale study does not take, and what to use instead.
NOT_WITH_SCALES = {
    "scenario": "a scenario for each scale: [scales.partnership] scenario = ... and [scales.region] scenario = ...",
    "policies": "[levers] (a two-scale study compares the values of a lever at both scales)",
    "posterior": "a study of one scale (a posterior ensemble is fitted to one scenario)",
}
SCALED_KEYS = tuple(k for k in SPEC_KEYS if k not in NOT_WITH_SCALES)
SCALE_ALLOWED = {
    PARTNERSHIP: "a single-partnership scenario (ecosystem.organizations = 0), e.g. baseline",
    REGION: "a region scenario (ecosystem.organizations > 0), e.g. region",
}
SCALES_ALLOWED = ("[scales.partnership] and [scales.region] tables, each with scenario (and replicates, steps, "
                  "[fixed])")


@dataclass(frozen=True)
class ScaledSpec:
    """A validated two-scale study: one :class:`Spec` per scale. Build with :func:`sim.experiments.load_spec`."""

    path: Any
    data: dict  # the spec as parsed
    description: str
    root_seed: int
    scales: tuple[tuple[str, Spec], ...]  # (scale, its sweep) in SCALES order
    compared: tuple[str, ...]  # the levers with exactly two values: what the report compares across scales
    overrides: dict = dataclasses.field(default_factory=dict)  # --replicates / --steps, as given

    kind = "scales"

    @property
    def name(self) -> str:
        return Path(self.path.name).stem

    @property
    def hash(self) -> str:
        """The study's hash: its file's and every scale's (which holds --replicates and --steps)."""
        return spec_hash({"spec": self.data, "scales": {name: spec.hash for name, spec in self.scales}})

    def scale(self, name: str) -> Spec:
        return dict(self.scales)[name]

    @property
    def levers(self) -> list[str]:
        return self.scales[0][1].levers


def validate_scaled(path, raw: dict, replicates: int | None = None, steps: int | None = None) -> ScaledSpec:
    """Validate a two-scale spec; every mistake is a :class:`ScenarioError` naming the file, the key and what is
    allowed (several at once where they are independent)."""
    source = str(path)

    def fail(key: str, problem: str, allowed: str):
        raise ScenarioError(source, key, problem, allowed)

    mistakes = []
    for key in raw:
        if key in NOT_WITH_SCALES:
            mistakes.append(ScenarioError(source, key, "not in a two-scale study (one with [scales])",
                                          NOT_WITH_SCALES[key]))
        elif key not in SCALED_KEYS:
            mistakes.append(ScenarioError(source, key, "unknown key" + _did_you_mean(key, SCALED_KEYS),
                                          ", ".join(SCALED_KEYS)))
    for key, allowed in (("description", "a non-empty string saying what the study asks"),
                         ("root_seed", "an integer from 0"),
                         ("levers", 'a lever with two values, e.g. "funding.mandated" = [false, true]')):
        if key not in raw:
            mistakes.append(ScenarioError(source, key, "missing", allowed))
    raise_all(mistakes)

    root_seed = raw["root_seed"]
    if not _is_int(root_seed) or root_seed < 0:
        fail("root_seed", f"{root_seed!r} is out of range", "an integer from 0")
    design = raw.get("design", {})
    if isinstance(design, dict) and design.get("method", "grid") != "grid":
        fail("design.method", f"{json.dumps(design.get('method'))} in a two-scale study",
             "grid (every combination of the levers' values at both scales)")
    outputs = raw.get("outputs", {})
    if isinstance(outputs, dict) and outputs.get("formation", True) is not True:
        fail("outputs.formation", f"{json.dumps(outputs.get('formation'))} in a two-scale study",
             "true, or leave it out (the report's explanations need every run's formation profile)")

    tables = _scale_tables(source, raw.get("scales"))
    top_fixed = _flat_table(source, "fixed", raw["fixed"]) if isinstance(raw.get("fixed"), dict) else None
    seeds = replicate_seeds(root_seed, len(SCALES))
    specs, found = [], []
    for index, name in enumerate(SCALES):
        try:
            specs.append((name, _scale_spec(path, raw, name, tables[name], top_fixed, seeds[index], replicates, steps)))
        except ScenarioError as error:
            found += [(name, mistake) for mistake in getattr(error, "errors", [error])]
    raise_all(_blamed(found, tables))

    first = specs[0][1]
    compared = tuple(k.key for k in first.knobs if k.role == "lever" and len(k.grid_values()) == 2)
    if not compared:
        fail("levers", "no lever with two values to compare at both scales",
             'a lever with two values, e.g. "funding.mandated" = [false, true]')
    overrides = {name: value for name, value in (("replicates", replicates), ("steps", steps)) if value is not None}
    return ScaledSpec(path=path, data=copy.deepcopy(raw), description=first.description, root_seed=root_seed,
                      scales=tuple(specs), compared=compared, overrides=overrides)


def _scale_tables(source: str, scales: Any) -> dict[str, dict]:
    if not isinstance(scales, dict):
        raise ScenarioError(source, "scales", f"expected a table, got {scales!r}", SCALES_ALLOWED)
    mistakes = []
    for name, table in scales.items():
        where = f"scales.{name}"
        if name not in SCALES:
            mistakes.append(ScenarioError(source, where, "unknown scale" + _did_you_mean(str(name), SCALES),
                                          ", ".join(SCALES)))
        elif not isinstance(table, dict):
            mistakes.append(ScenarioError(source, where, f"expected a table, got {table!r}",
                                          "a table with scenario (and replicates, steps, [fixed])"))
        else:
            mistakes += [ScenarioError(source, f"{where}.{key}", "unknown key" + _did_you_mean(str(key), SCALE_KEYS),
                                       ", ".join(SCALE_KEYS)) for key in table if key not in SCALE_KEYS]
            if "scenario" not in table:
                mistakes.append(ScenarioError(source, f"{where}.scenario", "missing", SCALE_ALLOWED[name]))
            if "fixed" in table and not isinstance(table["fixed"], dict):
                mistakes.append(ScenarioError(source, f"{where}.fixed", f"expected a table, got {table['fixed']!r}",
                                              'a table of dotted parameter keys, e.g. "ecosystem.calls" = 1'))
    suggested = {close for name in scales if name not in SCALES
                 for close in difflib.get_close_matches(str(name), SCALES, n=1, cutoff=0.75)}
    mistakes += [ScenarioError(source, f"scales.{name}", "missing", SCALES_ALLOWED) for name in SCALES
                 if name not in scales and name not in suggested]
    raise_all(mistakes)
    return scales


def _scale_spec(path, raw: dict, name: str, table: dict, top_fixed: dict | None, seed: int,
                replicates: int | None, steps: int | None) -> Spec:
    """One scale's sweep: the study's keys with the scale's own, validated as an ordinary spec."""
    source = str(path)
    where = f"scales.{name}"
    own_fixed = _flat_table(source, f"{where}.fixed", table.get("fixed", {}))
    fixed = dict(top_fixed or {})
    for key, value in own_fixed.items():
        if key in fixed:
            raise ScenarioError(source, f"{where}.fixed.{key}", "also in the study's [fixed]",
                                "each parameter either fixed for both scales or for one")
        fixed[key] = value
    count = table.get("replicates", raw.get("replicates", replicates))
    if count is None:
        raise ScenarioError(source, f"{where}.replicates", "missing (and no replicates for both scales)",
                            "an integer from 1, here or at the top of the spec")
    data = {"description": raw["description"], "scenario": table["scenario"], "replicates": count, "root_seed": seed}
    for key in ("design", "levers", "uncertainties"):
        if key in raw:
            data[key] = copy.deepcopy(raw[key])
    outputs = raw.get("outputs", {})
    data["outputs"] = {**outputs, "formation": True} if isinstance(outputs, dict) else outputs
    if fixed or "fixed" in raw:
        data["fixed"] = fixed if isinstance(raw.get("fixed", {}), dict) else raw["fixed"]
    if "steps" in table or "steps" in raw:
        data["steps"] = table.get("steps", raw.get("steps"))
    spec = _validate(path, data, replicates, steps)
    if spec.kind != name:
        runs = "regions" if spec.kind == REGION else "single partnerships"
        raise ScenarioError(source, f"{where}.scenario", f"{table['scenario']!r} (with the study's [fixed]) runs {runs}",
                            SCALE_ALLOWED[name])
    return dataclasses.replace(spec, label=f"{Path(path.name).stem}_{name}")


def _blamed(found: list[tuple[str, ScenarioError]], tables: dict) -> list[ScenarioError]:
    """Each scale's mistakes blamed on the scale's own key where it is one (``scales.region.fixed.KEY``), else
    said to be at that scale, or at both when both scales made it (a mistake in the study's levers, say)."""
    def own(name: str, mistake: ScenarioError) -> str | None:
        table, key = tables[name], mistake.key
        fixed = table.get("fixed") if isinstance(table.get("fixed"), dict) else {}
        if key in SCALE_KEYS[:3] and key in table and not mistake.source.startswith("--"):
            return f"scales.{name}.{key}"
        if key.startswith("fixed.") and key[len("fixed."):] in _flat_table(mistake.source, "fixed", fixed):
            return f"scales.{name}.{key}"
        if key.startswith(f"scales.{name}"):
            return key
        return None

    out, seen, flags = [], {}, set()
    for name, mistake in found:
        key = own(name, mistake)
        if key is not None:
            out.append(ScenarioError(mistake.source, key, mistake.problem, mistake.allowed))
            continue
        same = (mistake.source, mistake.key, mistake.problem, mistake.allowed)
        if mistake.source.startswith("--"):  # a flag given for both scales
            if same not in flags:
                flags.add(same)
                out.append(mistake)
            continue
        if same in seen:
            seen[same][1] = "both scales"
            continue
        seen[same] = [len(out), f"the {name} scale, scenario {tables[name].get('scenario')!r}"]
        out.append(mistake)
    for (source, key, problem, allowed), (index, where) in seen.items():
        out[index] = ScenarioError(source, key, f"{problem} (at {where})", allowed)
    return out
