"""``sim.run``: scenario + overrides -> model -> RunResult. The one door the experiment layer uses."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from sim import profile
from sim.inputdata import region as region_data
from sim.inputdata import start as start_data
from sim.inputdata.codebook import DataSpec
from sim.inputdata.export import Export, export_of
from sim.inputdata.load import StartingData, load
from sim.region.model import EcosystemModel
from sim.model import PartnershipModel
from sim.errors import ScenarioError
from sim.export import network_graph, organizations_frame
from sim.params import Params
from sim.scenarios import data_folder, load_scenario, scenario_data, with_overrides
from sim.state import State


@dataclass(frozen=True)
class RunResult:
    """One run's outputs. For an ecosystem (``params.ecosystem.organizations > 0``) the time series and
    summary describe the region (:data:`sim.region.model.ECOSYSTEM_COLUMNS`) and ``partnerships`` has one row
    per partnership that formed; for one partnership ``partnerships`` is None, ``state`` is its final state
    (:attr:`organizations` reads it) and ``networks`` its network at the months asked for (month -> a
    ``networkx.DiGraph``: :func:`sim.export.network_graph`)."""

    params: Params
    # What makes the time series (built when first read: a sweep that keeps only summaries never builds it).
    timeseries_of: Callable[[], pd.DataFrame] = field(repr=False, compare=False)
    summary: dict
    partnerships: pd.DataFrame | None = None
    # A run from data: one line saying what was given and what was filled (docs/DATA.md), and what makes the
    # tables of the data's answers beside the model's values (built when asked for: a sweep never asks).
    start_note: str | None = None
    start_tables_of: Callable[[], dict] | None = field(default=None, repr=False, compare=False)
    # The partnership's state at the month asked for (``export_month``), to write with sim.inputdata.export.
    export: Export | None = None
    state: State | None = field(default=None, repr=False, compare=False)
    networks: Mapping[int, Any] = field(default_factory=dict, repr=False, compare=False)
    formation: dict | None = None  # with formation=True: the run's formation profile (sim.profile)

    @functools.cached_property
    def timeseries(self) -> pd.DataFrame:
        """One row per recorded month (:meth:`sim.model.PartnershipModel.timeseries`, or the region's)."""
        return self.timeseries_of()

    @property
    def is_ecosystem(self) -> bool:
        return self.partnerships is not None

    @functools.cached_property
    def start_tables(self) -> dict | None:
        """A run from data: its answers beside the model's values (file name -> table); None after a drawn start
        or when continuing an export (an export's files are its own record)."""
        return self.start_tables_of() if self.start_tables_of is not None else None

    @property
    def organizations(self) -> pd.DataFrame | None:
        """One row per organization of a partnership's run (:func:`sim.export.organizations_frame`); None for a
        region."""
        return None if self.state is None else organizations_frame(self.state)


def resolve(scenario: str | Path | Params, seed: int | None = None, steps: int | None = None,
            overrides: dict[str, Any] | None = None, data: str | Path | DataSpec | None = None) -> tuple[str, Params]:
    """The scenario's name and its validated parameters with seed, steps, overrides and the data's own applied."""
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
    return name, load_scenario(scenario, extra, data=data)


def starting_data(scenario: str | Path | Params, data: str | Path | DataSpec | StartingData | None = None
                  ) -> StartingData | None:
    """The data a run of ``scenario`` starts from, read and checked: ``data`` (a data folder, or a data set
    already described or read), else the scenario file's ``[data]``; None for a drawn start."""
    if isinstance(data, StartingData):
        return data
    if isinstance(scenario, Params):
        return None if data is None else load(data if isinstance(data, DataSpec) else data_folder(data, "--data"))
    spec = scenario_data(scenario, data)
    return None if spec is None else load(spec)


def run(scenario: str | Path | Params, seed: int | None = None, steps: int | None = None,
        overrides: dict[str, Any] | None = None, data: str | Path | DataSpec | StartingData | None = None,
        export_month: int | None = None, network_months: Iterable[int] = (),
        formation: bool = False) -> RunResult:
    """Run one scenario to its end.

    ``scenario`` is a name in ``scenarios/``, a path to a TOML file, or a
    :class:`Params`. Bad input raises :class:`sim.errors.ScenarioError`. A scenario with an
    ``[ecosystem]`` of organizations runs as :class:`sim.region.model.EcosystemModel`, else as
    :class:`PartnershipModel`. ``network_months`` (a partnership only) keeps its network at those months
    (``result.networks``); the run's results are the same with or without them.
    ``formation`` also notes who formed each partnership, how large it was and who convened it
    (``RunResult.formation``, :mod:`sim.profile`); the run is the same.

    ``data`` (a data folder, or a data set already read, :func:`starting_data`) replaces the scenario's own
    ``[data]``; a :class:`Params` scenario must already carry what the data set (a sweep's base does). A run
    from an export continues from the export's month, with the export's generator unless a seed is given
    (``seed`` or an override of it). ``export_month`` keeps the partnership's state at that month in the
    result's ``export``.
    """
    starting = starting_data(scenario, data)
    name, params = resolve(scenario, seed, steps, overrides, starting.spec if starting is not None else None)
    months = _network_months(network_months, params)
    if params.ecosystem.organizations:
        if export_month is not None:
            raise ScenarioError("--export-month", "", "a region cannot be exported", "a single partnership's scenario")
        start, tables, note = region_data.build(starting, params) if starting is not None else (None, None, None)
        model = EcosystemModel(params, rng=params.seed, scenario_name=name, start=start)
        watch = profile.RegionWatch(model) if formation else None
        while model.running:
            model.step() if watch is None else watch.step()
        return RunResult(params=params, timeseries_of=model.timeseries, summary=model.summary(),
                         partnerships=model.partnerships_frame(), start_note=note,
                         start_tables_of=(lambda: tables) if tables is not None else None,
                         formation=watch.profile() if watch else None)
    keep_generator = seed is None and "seed" not in (overrides or {})
    if keep_generator and starting is not None and starting.continuation is not None:
        # The export's generator continues: the run's seed is the one that started it (as its summary says).
        params = with_overrides(params, {"seed": starting.continuation.seed})
    begun = start_data.begin(starting, params, keep_generator) if starting is not None else None
    model = PartnershipModel(params, rng=params.seed, scenario_name=name,
                             start=begun.start if begun is not None else None)
    formed = profile.founding(model) if formation else None
    tables_of = None
    if begun is not None and begun.founding is not None:
        founding, month_0 = begun.founding, model.state.copy()
        tables_of = lambda: founding.tables(month_0)  # noqa: E731
    if export_month is not None and not model.month <= export_month <= params.steps:
        raise ScenarioError("--export-month", "", f"{export_month} is out of range",
                            f"a month from {model.month} (where the run starts) to {params.steps}")
    if months and months[0] < model.month:
        raise ScenarioError(NETWORK_MONTHS, "", f"{months[0]} is before month {model.month}, where the run starts",
                            f"whole months from {model.month} to {params.steps}")
    export = None
    networks = {}
    for month in sorted({*months, *(() if export_month is None else (export_month,))}):
        model.run_to(month)
        if month in months:
            networks[month] = network_graph(model.state, month)
        if month == export_month:
            ids = names = None
            if begun is not None:
                ids = begun.founding.ids if begun.founding is not None else starting.roster.ids
                names = begun.founding.names if begun.founding is not None else starting.roster.names
            export = export_of(model.snapshot(), params, name, starting, ids, names)
    model.finish()
    summary = model.summary()
    return RunResult(params=params, timeseries_of=model.recorder.frame, summary=summary, state=model.state,
                     networks=networks, formation=profile.partnership_profile(formed, summary) if formation else None,
                     start_note=begun.note if begun is not None else None, start_tables_of=tables_of, export=export)


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
