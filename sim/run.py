"""``sim.run``: scenario + overrides -> model -> RunResult. The one door the experiment layer uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim import profile
from sim.region.model import EcosystemModel
from sim.model import PartnershipModel
from sim.errors import ScenarioError
from sim.params import Params
from sim.scenarios import load_scenario, with_overrides


@dataclass(frozen=True)
class RunResult:
    """One run's outputs. For an ecosystem (``params.ecosystem.organizations > 0``) the time series and
    summary describe the region (:data:`sim.region.model.ECOSYSTEM_COLUMNS`) and ``partnerships`` has one row
    per partnership that formed; for one partnership ``partnerships`` is None."""

    params: Params
    timeseries: pd.DataFrame
    summary: dict
    partnerships: pd.DataFrame | None = None
    formation: dict | None = None  # with formation=True: the run's formation profile (sim.profile)

    @property
    def is_ecosystem(self) -> bool:
        return self.partnerships is not None


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
        overrides: dict[str, Any] | None = None, formation: bool = False) -> RunResult:
    """Run one scenario to its end.

    ``scenario`` is a name in ``scenarios/``, a path to a TOML file, or a
    :class:`Params`. Bad input raises :class:`sim.errors.ScenarioError`. A scenario with an
    ``[ecosystem]`` of organizations runs as :class:`sim.region.model.EcosystemModel`, else as
    :class:`PartnershipModel`. ``formation`` also notes who formed each partnership, how large it was and who
    convened it (``RunResult.formation``, :mod:`sim.profile`); the run is the same.
    """
    name, params = resolve(scenario, seed, steps, overrides)
    if params.ecosystem.organizations:
        model = EcosystemModel(params, scenario=name)
        watch = profile.RegionWatch(model) if formation else None
        while model.running:
            model.step() if watch is None else watch.step()
        return RunResult(params=params, timeseries=model.timeseries(), summary=model.summary(),
                         partnerships=model.partnerships_frame(), formation=watch.profile() if watch else None)
    model = PartnershipModel(params, scenario=name)
    formed = profile.founding(model) if formation else None
    model.finish()
    summary = model.summary()
    return RunResult(params=params, timeseries=model.timeseries(), summary=summary,
                     formation=profile.partnership_profile(formed, summary) if formation else None)


def warm_up() -> None:
    """Load (or compile) the compiled month, record and region kernels with a tiny run of each."""
    run("baseline", steps=2, overrides={"organizations.count": 3, "partnership.min_members": 2})
    run("region", steps=2, overrides={"ecosystem.organizations": 20, "ecosystem.neighbourhood_size": 10,
                                      "organizations.count": 3, "partnership.min_members": 2})
