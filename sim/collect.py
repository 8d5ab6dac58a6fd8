"""Mesa's DataCollector for a model that keeps its own monthly record.

A partnership's (and a region's) months are written into preallocated rows by the compiled month, not
reported one by one; ``finish()`` runs them all in one call. :class:`MonthlyCollector` keeps a plain
``mesa.DataCollector`` whose model reporters are the record's columns (the time series, docs/ODD.md section 8,
without ``step``) and the seed, and copies the rows the record holds into it when it is read
(``model.datacollector``), so that the compiled run pays nothing for it and both agree to the last digit.
Agent reporters are collected as each month is stepped; after ``finish()``, which runs its months without
stopping, only at the start and at the last month. The collection steps are the months.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping, Sequence

import mesa

SEED = "seed"


def _now(name: str, model) -> object:
    """A model reporter: the record's value of ``name`` for the month the model is at."""
    return model.seed if name == SEED else model.timeseries()[name].iloc[-1].item()


class MonthlyCollector:
    """The DataCollector of one model's record (its columns and the seed), brought up to date when read."""

    def __init__(self, columns: Sequence[str], agent_reporters: Mapping | None = None):
        self.columns = [SEED, *(name for name in columns if name != "step")]
        self._agent_reporters = dict(agent_reporters) if agent_reporters else None
        self._collector: mesa.DataCollector | None = None
        self._copied = 0  # months of the record already in the collector

    @property
    def collector(self) -> mesa.DataCollector:
        """Mesa's DataCollector, made when first needed: the first agent reporters' month, or the first read (most
        runs have neither: a sweep, the command line)."""
        if self._collector is None:
            self._collector = mesa.DataCollector(
                model_reporters={name: functools.partial(_now, name) for name in self.columns},
                agent_reporters=self._agent_reporters)
        return self._collector

    def read(self, model) -> mesa.DataCollector:
        """The collector with every month the model has recorded."""
        frame = model.timeseries()
        new = frame.iloc[self._copied:]
        if len(new):
            variables = self.collector.model_vars
            variables[SEED].extend([model.seed] * len(new))
            for name in self.columns[1:]:
                variables[name].extend(new[name].tolist())
            # Mesa's batch_run reads the steps collected here (a private list of Mesa's DataCollector).
            self.collector._collection_steps.extend(new["step"].tolist())
            self._copied = len(frame)
        return self.collector

    def collect_agents(self, model) -> None:
        """Record the agent reporters for the month the model is at (nothing without agent reporters)."""
        if not self._agent_reporters:
            return
        # Mesa's own record (DataCollector._record_agents) stamps rows with model.time, which finish() and run_to()
        # do not advance (they take their months in one call); the rows are stamped with the month instead.
        reporters = list(self.collector.agent_reporters.values())  # Mesa made each a function of the agent
        self.collector._agent_records[model.month] = [
            (model.month, agent.unique_id, *(copy.deepcopy(reporter(agent)) for reporter in reporters))
            for agent in model.agents]
