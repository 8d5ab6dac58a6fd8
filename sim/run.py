"""``sim.run``: scenario + overrides -> model -> RunResult. The one door the experiment layer uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import profile
from sim.region.model import EcosystemModel
from sim.model import PartnershipModel
from sim.errors import ScenarioError
from sim.export import network_graph, organizations_frame
from sim.params import Params
from sim.scenarios import load_scenario, with_overrides
from sim.state import State


@dataclass(frozen=True)
class RunResult:
    """One run's outputs. For an ecosystem (``params.ecosystem.organizations > 0``) the time series and
    summary describe the region (:data:`sim.region.model.ECOSYSTEM_COLUMNS`) and ``partnerships`` has one row
    per partnership that formed; for one partnership ``partnerships`` is None, ``state`` is its final state
    (:attr:`organizations` reads it) and ``networks`` its network at the months asked for (month -> a
    ``networkx.DiGraph``: :func:`sim.export.network_graph`)."""

    params: Params
    timeseries: pd.DataFrame
    summary: dict
    partnerships: pd.DataFrame | None = None
    state: State | None = field(default=None, repr=False, compare=False)
    networks: Mapping[int, Any] = field(default_factory=dict, repr=False, compare=False)
    formation: dict | None = None  # with formation=True: the run's formation profile (sim.profile)

    @property
    def is_ecosystem(self) -> bool:
        return self.partnerships is not None

    @property
    def organizations(self) -> pd.DataFrame | None:
        """One row per organization of a partnership's run (:func:`sim.export.organizations_frame`); None for a
        region."""
        return None if self.state is None else organizations_frame(self.state)


def resolve(scenario: str | Path | Params, seed: int | None = None, steps: int | None = None,
            overrides: dict[str, Any] | None = None) -> tuple[str, Params]:
    """The scenario's name and its validated parameters with seed, steps and overrides applied."""
    extra = dict(overrides or {})
    for name, value in (("seed", seed), ("steps", steps)):
        if value is not None:
            if name in extra and extra[name] != value:
                raise ScenarioError("--set", name, f"given twice ({extra[name]!r} in overrides, {value!r} as {name}=)",
                                    f"one value for {name}")
            extra[name] = value
    if isinstance(scenario, Params):
        return "custom", with_overrides(scenario, extra) if extra else scenario
    name = Path(str(scenario)).stem
    return name, load_scenario(scenario, extra)


def run(scenario: str | Path | Params, seed: int | None = None, steps: int | None = None,
        overrides: dict[str, Any] | None = None, network_months: Iterable[int] = (),
        formation: bool = False) -> RunResult:
    """Run one scenario to its end.

    ``scenario`` is a name in ``scenarios/``, a path to a TOML file, or a
    :class:`Params`. Bad input raises :class:`sim.errors.ScenarioError`. A scenario with an
    ``[ecosystem]`` of organizations runs as :class:`sim.region.model.EcosystemModel`, else as
    :class:`PartnershipModel`. ``network_months`` (a partnership only) keeps its network at those months
    (``result.networks``); the run's results are the same with or without them.
    ``formation`` also notes who formed each partnership, how large it was and who convened it
    (``RunResult.formation``, :mod:`sim.profile`); the run is the same.
    """
    name, params = resolve(scenario, seed, steps, overrides)
    months = _network_months(network_months, params)
    if params.ecosystem.organizations:
        model = EcosystemModel(params, rng=params.seed, scenario_name=name)
        watch = profile.RegionWatch(model) if formation else None
        while model.running:
            model.step() if watch is None else watch.step()
        return RunResult(params=params, timeseries=model.timeseries(), summary=model.summary(),
                         partnerships=model.partnerships_frame(), formation=watch.profile() if watch else None)
    model = PartnershipModel(params, rng=params.seed, scenario_name=name)
    formed = profile.founding(model) if formation else None
    networks = {}
    for month in months:
        model.run_to(month)
        networks[month] = network_graph(model.state, month)
    model.finish()
    summary = model.summary()
    return RunResult(params=params, timeseries=model.timeseries(), summary=summary, state=model.state,
                     networks=networks,
                     formation=profile.partnership_profile(formed, summary) if formation else None)


NETWORK_MONTHS = "--network-months"


def _network_months(months: Iterable[int], params: Params) -> list[int]:
    """The months asked for, sorted and checked: whole months of the run, of one partnership."""
    months = list(months)
    if not months:
        return []
    allowed = f"whole months from 0 to {params.steps}, e.g. 0,36"
    if params.ecosystem.organizations:
        raise ScenarioError(NETWORK_MONTHS, "", "a region's run has no one partnership's network",
                            "leave it out for a region (partnerships.csv describes its partnerships)")
    for month in months:
        if isinstance(month, bool) or not isinstance(month, (int, np.integer)) or not 0 <= month <= params.steps:
            raise ScenarioError(NETWORK_MONTHS, "", f"{month!r} is not a month of the run", allowed)
    return sorted({int(month) for month in months})


def warm_up() -> None:
    """Load (or compile) the compiled month, record and region kernels with a tiny run of each."""
    run("baseline", steps=2, overrides={"organizations.count": 3, "partnership.min_members": 2})
    run("region", steps=2, overrides={"ecosystem.organizations": 20, "ecosystem.neighbourhood_size": 10,
                                      "organizations.count": 3, "partnership.min_members": 2})
