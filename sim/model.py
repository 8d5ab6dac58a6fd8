"""PartnershipModel: the Mesa model that owns the arrays, the step order and the record.

The model draws every random number from its seeded ``self.rng`` (Mesa's numpy
Generator) and hands it, with the arrays, to the compiled month (:mod:`sim.month`),
which computes the whole new state from the old before anything is applied and
writes it back into the arrays. ``step()`` takes one month (Mesa's contract);
``finish()`` takes all the remaining months in one compiled call, with the same
results.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import mesa
import numpy as np

from sim.agents import Organization
from sim.month import run_months, step_once
from sim.packed import pack
from sim.params import Params
from sim.record import Recorder, start_row, summarize
from sim.state import State, founding_grant_value, funder_budgets, has_founding_grant, initial_state


@dataclass
class Snapshot:
    """A partnership at the end of ``month``, with all a run keeps beside its state: what each funder can still
    commit, its record so far (rows 0 .. month) and the generator's state. A model started from it continues
    exactly as the run it was taken from (with ``generator`` None, from a fresh seed instead)."""

    state: State
    month: int
    budgets: np.ndarray
    records: np.ndarray
    first_at_level: np.ndarray
    generator: dict | None


class PartnershipModel(mesa.Model):
    """One partnership of ``params.organizations.count`` organizations under one funder.

    ``rng`` overrides the seed in ``params`` (an int or a ``numpy.random.SeedSequence``). ``start`` replaces the
    drawn start: a :class:`State` (month 0), a function of the model's generator giving month 0 (from data:
    :mod:`sim.inputdata.start`, which draws what lies beyond the data from it), or a :class:`Snapshot` to
    continue from.
    """

    def __init__(self, params: Params, *, rng: int | np.random.SeedSequence | None = None, scenario: str = "custom",
                 start: State | Snapshot | Callable[[np.random.Generator], State] | None = None):
        seed = params.seed if rng is None else rng
        super().__init__(rng=np.random.default_rng(seed))
        self.params = params
        self.packed = pack(params)
        self.scenario_name = scenario
        # What each funder can still commit (the founding grant is already committed): see sim.state.funder_budgets.
        self.budgets = funder_budgets(params)
        if has_founding_grant(params):
            self.budgets[0] -= founding_grant_value(params)
        if isinstance(start, Snapshot):
            self.continue_from(start)
        elif callable(start):
            self.start_from(start(self.rng))
        else:
            self.start_from(initial_state(params, self.rng) if start is None else start)
        self.organizations = [Organization(self, index) for index in range(self.state.count)]

    def start_from(self, state: State) -> None:
        """Make ``state`` the partnership's month 0 (the model's record restarts from it)."""
        self.state = state
        self.recorder = Recorder(self.params.steps)
        start_row(self.recorder.records[0], state.orgs, state.pairs, state.partnerships, self.packed,
                  self.recorder.first_at_level)
        self.recorder.filled = 1
        self.month = 0

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
        if self.month >= self.params.steps:
            self.running = False

    def finish(self, until: int | None = None) -> None:
        """Take every remaining month (or those up to month ``until``) in one compiled call (the same results as
        stepping them one by one)."""
        last = self.params.steps if until is None else min(until, self.params.steps)
        if self.month < last:
            state = self.state
            run_months(state.orgs, state.pairs, state.partnerships, self.packed, self.budgets, self.rng,
                       self.month + 1, last, self.recorder.records, self.recorder.first_at_level)
            self.month = last
            self.recorder.filled = self.month + 1
        if self.month >= self.params.steps:
            self.running = False

    def summary(self) -> dict:
        return summarize(self.scenario_name, self.params, self.state, self.recorder)

    def timeseries(self):
        return self.recorder.frame()
