"""PartnershipModel: the Mesa model that owns the arrays, the step order and the record.

The model draws every random number from its seeded ``self.rng`` (Mesa's numpy
Generator) and hands it, with the arrays, to the compiled month (:mod:`sim.month`),
which computes the whole new state from the old before anything is applied and
writes it back into the arrays. ``step()`` takes one month (Mesa's contract);
``finish()`` takes all the remaining months in one compiled call, with the same
results.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.agents import Organization
from sim.month import run_months, step_once
from sim.packed import pack
from sim.params import Params
from sim.record import Recorder, start_row, summarize
from sim.state import State, founding_grant_value, funder_budgets, has_founding_grant, initial_state


class PartnershipModel(mesa.Model):
    """One partnership of ``params.organizations.count`` organizations under one funder.

    ``rng`` overrides the seed in ``params`` (an int or a ``numpy.random.SeedSequence``).
    """

    def __init__(self, params: Params, *, rng: int | np.random.SeedSequence | None = None, scenario: str = "custom"):
        seed = params.seed if rng is None else rng
        super().__init__(rng=np.random.default_rng(seed))
        self.params = params
        self.packed = pack(params)
        self.scenario_name = scenario
        # What each funder can still commit (the founding grant is already committed): see sim.state.funder_budgets.
        self.budgets = funder_budgets(params)
        if has_founding_grant(params):
            self.budgets[0] -= founding_grant_value(params)
        self.start_from(initial_state(params, self.rng))
        self.organizations = [Organization(self, index) for index in range(self.state.count)]

    def start_from(self, state: State) -> None:
        """Make ``state`` the partnership's month 0 (the model's record restarts from it)."""
        self.state = state
        self.recorder = Recorder(self.params.steps)
        start_row(self.recorder.records[0], state.orgs, state.pairs, state.partnerships, self.packed,
                  self.recorder.first_at_level)
        self.recorder.filled = 1
        self.month = 0

    def step(self) -> None:
        if self.month >= self.params.steps:
            self.running = False
            return
        self.month += 1
        state = self.state
        step_once(state.orgs, state.pairs, state.partnerships, self.packed, self.budgets, self.rng, self.month,
                  self.recorder.records, self.recorder.first_at_level)
        self.recorder.filled = self.month + 1
        if self.month >= self.params.steps:
            self.running = False

    def finish(self) -> None:
        """Take every remaining month in one compiled call (the same results as stepping them one by one)."""
        if self.month < self.params.steps:
            state = self.state
            run_months(state.orgs, state.pairs, state.partnerships, self.packed, self.budgets, self.rng,
                       self.month + 1, self.params.steps, self.recorder.records, self.recorder.first_at_level)
            self.month = self.params.steps
            self.recorder.filled = self.month + 1
        self.running = False

    def summary(self) -> dict:
        return summarize(self.scenario_name, self.params, self.state, self.recorder)

    def timeseries(self):
        return self.recorder.frame()
