"""``sim.run``: scenario + overrides -> model -> RunResult. The one door the experiment layer uses."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from sim.inputdata import region as region_data
from sim.inputdata import start as start_data
from sim.inputdata.codebook import DataSpec
from sim.inputdata.export import Export, export_of
from sim.inputdata.load import StartingData, load
from sim.region.model import EcosystemModel
from sim.model import PartnershipModel
from sim.errors import ScenarioError
from sim.params import Params
from sim.scenarios import data_folder, load_scenario, scenario_data, with_overrides


@dataclass(frozen=True)
class RunResult:
    """One run's outputs. For an ecosystem (``params.ecosystem.organizations > 0``) the time series and
    summary describe the region (:data:`sim.region.model.ECOSYSTEM_COLUMNS`) and ``partnerships`` has one row
    per partnership that formed; for one partnership ``partnerships`` is None."""

    params: Params
    timeseries: pd.DataFrame
    summary: dict
    partnerships: pd.DataFrame | None = None
    # A run from data: one line saying what was given and what was filled (docs/DATA.md), and what makes the
    # tables of the data's answers beside the model's values (built when asked for: a sweep never asks).
    start_note: str | None = None
    start_tables_of: Callable[[], dict] | None = field(default=None, repr=False, compare=False)
    # The partnership's state at the month asked for (``export_month``), to write with sim.inputdata.export.
    export: Export | None = None

    @property
    def is_ecosystem(self) -> bool:
        return self.partnerships is not None

    @functools.cached_property
    def start_tables(self) -> dict | None:
        """A run from data: its answers beside the model's values (file name -> table); None after a drawn start
        or when continuing an export (an export's files are its own record)."""
        return self.start_tables_of() if self.start_tables_of is not None else None


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
        export_month: int | None = None) -> RunResult:
    """Run one scenario to its end.

    ``scenario`` is a name in ``scenarios/``, a path to a TOML file, or a
    :class:`Params`. Bad input raises :class:`sim.errors.ScenarioError`. A scenario with an
    ``[ecosystem]`` of organizations runs as :class:`sim.region.model.EcosystemModel`, else as
    :class:`PartnershipModel`.

    ``data`` (a data folder, or a data set already read, :func:`starting_data`) replaces the scenario's own
    ``[data]``; a :class:`Params` scenario must already carry what the data set (a sweep's base does). A run
    from an export continues from the export's month, with the export's generator unless a seed is given
    (``seed`` or an override of it). ``export_month`` keeps the partnership's state at that month in the
    result's ``export``.
    """
    starting = starting_data(scenario, data)
    name, params = resolve(scenario, seed, steps, overrides, starting.spec if starting is not None else None)
    if params.ecosystem.organizations:
        if export_month is not None:
            raise ScenarioError("--export-month", "", "a region cannot be exported", "a single partnership's scenario")
        start, tables, note = region_data.build(starting, params) if starting is not None else (None, None, None)
        model = EcosystemModel(params, scenario=name, start=start)
        while model.running:
            model.step()
        return RunResult(params=params, timeseries=model.timeseries(), summary=model.summary(),
                         partnerships=model.partnerships_frame(), start_note=note,
                         start_tables_of=(lambda: tables) if tables is not None else None)
    keep_generator = seed is None and "seed" not in (overrides or {})
    if keep_generator and starting is not None and starting.continuation is not None:
        # The export's generator continues: the run's seed is the one that started it (as its summary says).
        params = with_overrides(params, {"seed": starting.continuation.seed})
    begun = start_data.begin(starting, params, keep_generator) if starting is not None else None
    model = PartnershipModel(params, scenario=name, start=begun.start if begun is not None else None)
    tables_of = None
    if begun is not None and begun.founding is not None:
        founding, month_0 = begun.founding, model.state.copy()
        tables_of = lambda: founding.tables(month_0)  # noqa: E731
    export = None
    if export_month is not None:
        if not model.month <= export_month <= params.steps:
            raise ScenarioError("--export-month", "", f"{export_month} is out of range",
                                f"a month from {model.month} (where the run starts) to {params.steps}")
        model.finish(until=export_month)
        ids = names = None
        if begun is not None:
            ids = begun.founding.ids if begun.founding is not None else starting.roster.ids
            names = begun.founding.names if begun.founding is not None else starting.roster.names
        export = export_of(model.snapshot(), params, name, starting, ids, names)
    model.finish()
    return RunResult(params=params, timeseries=model.timeseries(), summary=model.summary(),
                     start_note=begun.note if begun is not None else None, start_tables_of=tables_of, export=export)


def warm_up() -> None:
    """Load (or compile) the compiled month, record and region kernels with a tiny run of each."""
    run("baseline", steps=2, overrides={"organizations.count": 3, "partnership.min_members": 2})
    run("region", steps=2, overrides={"ecosystem.organizations": 20, "ecosystem.neighbourhood_size": 10,
                                      "organizations.count": 3, "partnership.min_members": 2})
