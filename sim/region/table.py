"""Every partnership of a region in flat arrays, so that one compiled call takes all their months.

A region (:mod:`sim.region.model`) runs hundreds of small partnerships side by
side. Here every partnership's arrays sit end to end in one flat array per field
(:class:`PartnershipTable`: organization fields ``org_start[k] : org_start[k + 1]``,
the ``n × n`` pair blocks ``pair_start[k] : …``, the record rows
``rec_start[k] : …``); :func:`sim.region.kernel.region_month` steps them all by
running the single-partnership month (:func:`sim.month.month`) on views of each
partnership's blocks. The flat arrays keep spare room and double when full, so
forming partnerships stays cheap however many there are.
"""

from __future__ import annotations

import numpy as np

from sim.params import LEVELS
from sim.record import COLUMNS, Recorder
from sim.state import NONE, OrgState, PairState, PartnershipArrays, State, org_dtype, partnership_arrays


class PartnershipTable:
    """The state and record of every partnership of a region, in flat arrays (see the module's docstring)."""

    def __init__(self, other_funders: int = 0):
        self.orgs = OrgState(*(np.zeros(0, dtype=org_dtype(name)) for name in OrgState._fields))
        self.trust = np.zeros(0)
        self.level = np.zeros(0, dtype=np.int8)
        self.months = np.zeros(0, dtype=np.int32)
        self.purpose = np.zeros(0, dtype=np.int8)
        self.records = np.zeros((0, len(COLUMNS)))
        self.org_start = np.zeros(1, dtype=np.int64)
        self.pair_start = np.zeros(1, dtype=np.int64)
        self.rec_start = np.zeros(1, dtype=np.int64)
        self.partnerships = partnership_arrays(0, other_funders)
        self.formed_step = np.zeros(0, dtype=np.int64)
        self.first_at_level = np.zeros((0, len(LEVELS)), dtype=np.int64)

    def __len__(self) -> int:
        return self.formed_step.size

    def __getattr__(self, name):  # table.phase, table.collapse_step, ...: the partnerships' arrays
        partnerships = self.__dict__.get("partnerships")
        if partnerships is not None and name in PartnershipArrays._fields:
            return getattr(partnerships, name)
        raise AttributeError(name)

    def add(self, states: list[State], formed_step: int, rows: int) -> list[int]:
        """Append new partnerships (their month-0 states, ``rows`` record rows each); returns their indices."""
        if not states:
            return []
        first = len(self)
        sizes = np.array([state.count for state in states], dtype=np.int64)
        orgs_used, pairs_used, rows_used = int(self.org_start[-1]), int(self.pair_start[-1]), int(self.rec_start[-1])
        self.orgs = OrgState(*(_append(column, orgs_used, [state.orgs[f] for state in states])
                               for f, column in enumerate(self.orgs)))
        self.trust = _append(self.trust, pairs_used, [state.pairs.trust.ravel() for state in states])
        self.level = _append(self.level, pairs_used, [state.pairs.level.ravel() for state in states])
        self.months = _append(self.months, pairs_used, [state.pairs.months_at_level.ravel() for state in states])
        self.purpose = _append(self.purpose, pairs_used, [state.pairs.purpose.ravel() for state in states])
        self.records = _append(self.records, rows_used, [np.zeros((rows * len(states), len(COLUMNS)))])
        self.org_start = np.concatenate((self.org_start, self.org_start[-1] + np.cumsum(sizes)))
        self.pair_start = np.concatenate((self.pair_start, self.pair_start[-1] + np.cumsum(sizes * sizes)))
        self.rec_start = np.concatenate((self.rec_start, self.rec_start[-1] + rows * np.arange(1, len(states) + 1)))
        self.partnerships = PartnershipArrays(*(np.concatenate([column, *(state.partnerships[f] for state in states)])
                                                for f, column in enumerate(self.partnerships)))
        self.formed_step = np.concatenate((self.formed_step, np.full(len(states), formed_step, dtype=np.int64)))
        self.first_at_level = np.concatenate((self.first_at_level,
                                              np.full((len(states), len(LEVELS)), NONE, dtype=np.int64)))
        return list(range(first, len(self)))

    # ------------------------------------------------------------------ views

    def state(self, k: int) -> State:
        """Partnership ``k``'s state as views of the table (its scalars a copy; do not write to it)."""
        o0, o1 = self.org_start[k], self.org_start[k + 1]
        n = int(o1 - o0)
        p0, p1 = self.pair_start[k], self.pair_start[k + 1]
        orgs = OrgState(*(column[o0:o1] for column in self.orgs))
        pairs = PairState(trust=self.trust[p0:p1].reshape(n, n), level=self.level[p0:p1].reshape(n, n),
                          months_at_level=self.months[p0:p1].reshape(n, n), purpose=self.purpose[p0:p1].reshape(n, n))
        return State(orgs=orgs, pairs=pairs, partnerships=PartnershipArrays(*(a[k:k + 1].copy() for a in self.partnerships)))

    def rows(self, k: int) -> np.ndarray:
        """Partnership ``k``'s record rows (a view)."""
        return self.records[self.rec_start[k]:self.rec_start[k + 1]]

    def recorder(self, k: int, filled: int) -> Recorder:
        """Partnership ``k``'s first ``filled`` record rows as a :class:`sim.record.Recorder`."""
        recorder = Recorder(int(self.rec_start[k + 1] - self.rec_start[k]) - 1)
        recorder.records[:filled] = self.rows(k)[:filled]
        recorder.first_at_level[:] = self.first_at_level[k]
        recorder.filled = filled
        return recorder


def _append(array: np.ndarray, used: int, parts: list[np.ndarray]) -> np.ndarray:
    """``parts`` written after the first ``used`` rows of ``array``, which is doubled (or more) when too small."""
    total = sum(len(part) for part in parts)
    if used + total > len(array):
        grown = np.zeros((max(used + total, 2 * len(array), 64), *array.shape[1:]), dtype=array.dtype)
        grown[:used] = array[:used]
        array = grown
    position = used
    for part in parts:
        array[position:position + len(part)] = part
        position += len(part)
    return array
