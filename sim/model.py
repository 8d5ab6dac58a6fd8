"""PartnershipModel: the Mesa model that owns the arrays, the step order and the record.

The model draws every random number from its seeded ``self.rng`` (Mesa's numpy
Generator), one month at a time (:mod:`sim.draws`), and hands them with the old
state to the pure step function (:mod:`sim.step`), which computes the whole new
state before anything is applied.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.agents import Organization
from sim.draws import StepDraws
from sim.params import Params
from sim.record import Recorder, summarize
from sim.state import initial_state
from sim.step import advance_function, resolve_kernel


class PartnershipModel(mesa.Model):
    """One partnership of ``params.organizations.count`` organizations under one funder.

    ``rng`` overrides the seed in ``params`` (an int or a ``numpy.random.SeedSequence``).
    ``kernel`` chooses the implementation of the month: ``"numpy"`` (:func:`sim.step.advance`),
    ``"numba"`` (:func:`sim.fast.advance_fast`, needs numba) or ``"auto"`` (numba when it is installed
    and the partnership is small enough for dense pair arrays, else numpy); ``None`` reads
    :data:`sim.step.KERNEL`. All give the same results; ``self.kernel`` is the one chosen.
    """

    def __init__(self, params: Params, *, rng: int | np.random.SeedSequence | None = None, scenario: str = "custom",
                 kernel: str | None = None):
        seed = params.seed if rng is None else rng
        super().__init__(rng=np.random.default_rng(seed))
        self.params = params
        self.scenario_name = scenario
        self.kernel = resolve_kernel(kernel, params.organizations.count)
        self._advance = advance_function(self.kernel)
        self.state = initial_state(params, self.rng)
        self.organizations = [Organization(self, index) for index in range(self.state.count)]
        self.recorder = Recorder(params.steps, kernel=self.kernel)
        self.recorder.record(0, self.state, params, None)
        self.month = 0

    def step(self) -> None:
        if self.month >= self.params.steps:
            self.running = False
            return
        self.month += 1
        draws = StepDraws.sample(self.rng, self.state.count)
        self.state, facts = self._advance(self.state, self.params, draws, self.month)
        self.recorder.record(self.month, self.state, self.params, facts)
        if self.month >= self.params.steps:
            self.running = False

    def summary(self) -> dict:
        return summarize(self.scenario_name, self.params, self.state, self.recorder)

    def timeseries(self):
        return self.recorder.frame()
