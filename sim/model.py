"""PartnershipModel: the Mesa model that owns the arrays, the step order and the record.

The model draws every random number from its seeded ``self.rng`` (Mesa's numpy
Generator) and hands it, with the arrays, to the compiled month (:mod:`sim.month`),
which computes the whole new state from the old before anything is applied and
writes it back into the arrays. ``step()`` takes one month (Mesa's contract);
``finish()`` takes all the remaining months in one compiled call, with the same
results. As with any Mesa model, ``rng=None`` draws a fresh seed (recorded as
``model.seed``), parameters may be given as keywords, and ``model.datacollector``
holds the time series (:mod:`sim.collect`), so ``mesa.batch_run`` works on it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import mesa
import numpy as np
import pandas as pd

from sim.agents import Organization
from sim.collect import MonthlyCollector
from sim.model_setup import settle
from sim.month import run_months, step_once
from sim.packed import pack
from sim.params import Params
from sim.record import COLUMNS, Recorder, start_row, summarize
from sim.state import Snapshot, State, founding_grant_value, funder_budgets, has_founding_grant, initial_state


class PartnershipModel(mesa.Model):
    """One partnership of ``params.organizations.count`` organizations under one funder.

    ``params`` defaults to the ``baseline`` scenario; keyword parameters change it
    (``PartnershipModel(grant_months=60, community_decision_share=0.5, rng=3)``; names: :mod:`sim.keywords`).
    ``rng`` seeds the run: an integer, a ``numpy.random.SeedSequence`` or ``Generator``, or None for fresh
    entropy; the seed used is ``model.seed`` and ``model.params.seed`` (``params``' own seed is used only when
    passed as ``rng=params.seed``, as :func:`sim.run` does). ``scenario`` is Mesa's: a
    ``mesa.experimental.scenarios.Scenario`` whose attributes are keyword parameters and whose ``rng`` seeds the
    run. ``scenario_name`` labels the run in its summary. ``agent_reporters`` (or the class attribute of a
    subclass) are Mesa agent reporters of each :class:`sim.agents.Organization`. ``start`` replaces the drawn
    start: a :class:`State` (month 0), a function of the model's generator giving month 0 (from data:
    :mod:`sim.inputdata.start`, which draws what lies beyond the data from it), or a :class:`Snapshot` to
    continue from.
    """

    base_scenario: ClassVar[str] = "baseline"  # the parameters when none are given
    agent_reporters: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, params: Params | None = None, *, rng: Any = None, scenario: Any = None,
                 scenario_name: str | None = None, agent_reporters: Mapping[str, Any] | None = None,
                 start: State | Snapshot | Callable[[np.random.Generator], State] | None = None,
                 **parameters: Any) -> None:
        params, seed, scenario_name = settle(type(self), params, rng, scenario, scenario_name, parameters)
        super().__init__(rng=np.random.default_rng(seed))
        if scenario is not None:
            self.scenario = scenario  # Mesa's own (its rng was taken as the seed above)
        self.seed = seed
        self.params = params
        self.packed = pack(params)
        self.scenario_name = scenario_name
        self._reporters = self.agent_reporters if agent_reporters is None else agent_reporters
        # What each funder can still commit (the founding grant is already committed): see sim.state.funder_budgets.
        self.budgets = funder_budgets(params)
        if has_founding_grant(params):
            self.budgets[0] -= founding_grant_value(params)
        self.organizations: list[Organization] = []
        if isinstance(start, Snapshot):
            self.continue_from(start)
        elif callable(start):
            self.start_from(start(self.rng))
        else:
            self.start_from(initial_state(params, self.rng) if start is None else start)
        self.organizations = [Organization(self, index) for index in range(self.state.count)]
        self._collection.collect_agents(self)

    def start_from(self, state: State) -> None:
        """Make ``state`` the partnership's month 0 (the model's record, and its data collection, restart from it)."""
        self.state = state
        self.recorder = Recorder(self.params.steps)
        start_row(self.recorder.records[0], state.orgs, state.pairs, state.partnerships, self.packed,
                  self.recorder.first_at_level)
        self.recorder.filled = 1
        self.month = 0
        self._collection = MonthlyCollector(COLUMNS, self._reporters)
        if self.organizations:
            self._collection.collect_agents(self)

    @property
    def datacollector(self) -> mesa.DataCollector:
        """Mesa's DataCollector: model reporters ``seed`` and every time-series column but ``step``, one value per
        month recorded (the collection steps are the months); agent reporters at each month stepped."""
        return self._collection.read(self)

    def continue_from(self, snapshot: Snapshot) -> None:
        """Take up ``snapshot``: its state, month, funders' budgets, record so far and (if it has one) generator."""
        if not 0 <= snapshot.month <= self.params.steps:
            raise ValueError(f"a snapshot of month {snapshot.month} in a run of {self.params.steps} months")
        self.state = snapshot.state
        self.budgets = np.array(snapshot.budgets, dtype=np.float64)
        self.recorder = Recorder(self.params.steps)
        self.recorder.records[: snapshot.month + 1] = snapshot.records
        self.recorder.first_at_level[:] = snapshot.first_at_level
        self.recorder.filled = snapshot.month + 1
        self.month = snapshot.month
        if snapshot.generator is not None:
            self.rng.bit_generator.state = copy.deepcopy(snapshot.generator)
        self._collection = MonthlyCollector(COLUMNS, self._reporters)
        if self.organizations:
            self._collection.collect_agents(self)

    def snapshot(self) -> Snapshot:
        """The partnership now (copies), with all a model needs to continue exactly from here."""
        return Snapshot(state=self.state.copy(), month=self.month, budgets=self.budgets.copy(),
                        records=self.recorder.records[: self.month + 1].copy(),
                        first_at_level=self.recorder.first_at_level.copy(),
                        generator=copy.deepcopy(self.rng.bit_generator.state))

    def step(self) -> None:
        if self.month >= self.params.steps:
            self.running = False
            return
        self.month += 1
        state = self.state
        step_once(state.orgs, state.pairs, state.partnerships, self.packed, self.budgets, self.rng, self.month,
                  self.recorder.records, self.recorder.first_at_level)
        self.recorder.filled = self.month + 1
        self._collection.collect_agents(self)
        if self.month >= self.params.steps:
            self.running = False

    def finish(self) -> None:
        """Take every remaining month in one compiled call (the same results as stepping them one by one)."""
        self.run_to(self.params.steps)
        self.running = False

    def run_to(self, month: int) -> None:
        """Take the months up to ``month`` in one compiled call (the same results as stepping them one by one);
        the agent reporters are collected at ``month`` only."""
        month = min(int(month), self.params.steps)
        if self.month < month:
            state = self.state
            run_months(state.orgs, state.pairs, state.partnerships, self.packed, self.budgets, self.rng,
                       self.month + 1, month, self.recorder.records, self.recorder.first_at_level)
            self.month = month
            self.recorder.filled = self.month + 1
            self._collection.collect_agents(self)
        if self.month >= self.params.steps:
            self.running = False

    def summary(self) -> dict:
        return summarize(self.scenario_name, self.params, self.state, self.recorder)

    def timeseries(self) -> pd.DataFrame:
        return self.recorder.frame()
