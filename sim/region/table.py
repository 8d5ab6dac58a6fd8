"""Many partnerships' months in one compiled call: the state of a region's partnerships in flat arrays.

A region (:mod:`sim.region.model`) runs hundreds of small partnerships side by
side. Stepped one by one, each month of each partnership pays the same fixed
Python cost (its draws, the call into the kernel, the state and record objects:
about 30 µs) for a few microseconds of arithmetic. Here every partnership's
arrays sit end to end in one flat array per field (:class:`PartnershipTable`:
organization fields ``org_start[k] : org_start[k + 1]``, the ``n × n`` pair
blocks ``pair_start[k] : …``, the record rows ``rec_start[k] : …``), and
:func:`step_all` takes all their months at once:

- with ``kernel="numba"``, :func:`_region_month` loops over the partnerships and
  runs, on views of their blocks, the very kernel of :mod:`sim.fast` (``_month``
  and ``_record_stats``) and the partnership-level rules compiled from the rule
  functions themselves (``sim.rules.phases.advance`` …);
- with ``kernel="numpy"``, each partnership's month is :func:`sim.step.advance` on
  a :class:`sim.state.State` made of views of its blocks, and its record row is
  :meth:`sim.record.Recorder.record`'s.

Both give the same results bit for bit (``tests/test_ecosystem.py``), the same
as stepping each partnership as its own :class:`~sim.state.State`. The draws are
each partnership's own, drawn from its generator into one buffer
(:func:`sim.draws.block_size` uniforms each, in :class:`sim.draws.StepDraws` order).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.draws import StepDraws, block_size
from sim.params import LEVELS, Params
from sim.record import COLUMNS, Recorder
from sim.rules import membership, phases
from sim.state import NO_TIE, OrgState, PairState, PartnershipState, State
from sim.step import StepFacts, advance

ORG_FIELDS = tuple(f.name for f in dataclasses.fields(OrgState))
ORG_DTYPES = {"sector": np.int64, "community": np.bool_, "active": np.bool_}
COLUMN = {name: i for i, name in enumerate(COLUMNS)}
NONE = -1  # "no such month" in the month columns (scale, collapse, end of funding)


class PartnershipTable:
    """The state and record of every partnership of a region, in flat arrays (see the module's docstring)."""

    def __init__(self):
        self.orgs = {name: np.zeros(0, dtype=ORG_DTYPES.get(name, np.float64)) for name in ORG_FIELDS}
        self.trust = np.zeros(0)
        self.level = np.zeros(0, dtype=np.int8)
        self.months = np.zeros(0, dtype=np.int32)
        self.records = np.zeros((0, len(COLUMNS)))
        self.org_start = np.zeros(1, dtype=np.int64)
        self.pair_start = np.zeros(1, dtype=np.int64)
        self.rec_start = np.zeros(1, dtype=np.int64)
        # The partnership's scalars (sim.state.PartnershipState), one entry per partnership.
        self.phase = np.zeros(0, dtype=np.int64)
        self.assessment = np.zeros(0)
        self.evidence = np.zeros(0)
        self.policy = np.zeros(0)
        self.outcome = np.zeros(0)
        self.funded = np.zeros(0, dtype=np.bool_)
        self.grant_month = np.zeros(0, dtype=np.int64)
        self.grants_received = np.zeros(0, dtype=np.int64)
        self.funding_end = np.zeros(0, dtype=np.int64)
        self.scale_step = np.zeros(0, dtype=np.int64)
        self.collapse_step = np.zeros(0, dtype=np.int64)
        self.formed_step = np.zeros(0, dtype=np.int64)
        self.causes: list[str | None] = []

    def __len__(self) -> int:
        return self.phase.size

    def add(self, states: list[State], formed_step: int, rows: int) -> list[int]:
        """Append new partnerships (their month-0 states, ``rows`` record rows each); returns their indices.

        The flat arrays keep spare room and double when full, so adding is cheap however many there are.
        """
        if not states:
            return []
        first = len(self)
        sizes = np.array([state.count for state in states], dtype=np.int64)
        orgs_used, pairs_used, rows_used = int(self.org_start[-1]), int(self.pair_start[-1]), int(self.rec_start[-1])
        for name in ORG_FIELDS:
            self.orgs[name] = _append(self.orgs[name], orgs_used, [getattr(state.orgs, name) for state in states])
        self.trust = _append(self.trust, pairs_used, [state.pairs.trust.ravel() for state in states])
        self.level = _append(self.level, pairs_used, [state.pairs.level.ravel() for state in states])
        self.months = _append(self.months, pairs_used, [state.pairs.months_at_level.ravel() for state in states])
        self.records = _append(self.records, rows_used, [np.zeros((rows * len(states), len(COLUMNS)))])
        self.org_start = np.concatenate((self.org_start, self.org_start[-1] + np.cumsum(sizes)))
        self.pair_start = np.concatenate((self.pair_start, self.pair_start[-1] + np.cumsum(sizes * sizes)))
        self.rec_start = np.concatenate((self.rec_start, self.rec_start[-1] + rows * np.arange(1, len(states) + 1)))
        pships = [state.partnership for state in states]
        for name, values in (
                ("phase", [s.phase for s in pships]), ("assessment", [s.assessment for s in pships]),
                ("evidence", [s.evidence for s in pships]), ("policy", [s.policy for s in pships]),
                ("outcome", [s.community_outcome for s in pships]), ("funded", [s.funded for s in pships]),
                ("grant_month", [s.grant_month for s in pships]), ("grants_received", [s.grants_received for s in pships]),
                ("funding_end", [_month_or_none(s.funding_end_step) for s in pships]),
                ("scale_step", [_month_or_none(s.scale_step) for s in pships]),
                ("collapse_step", [_month_or_none(s.collapse_step) for s in pships]),
                ("formed_step", [formed_step] * len(pships))):
            array = getattr(self, name)
            setattr(self, name, np.concatenate((array, np.array(values, dtype=array.dtype))))
        self.causes += [s.collapse_cause for s in pships]
        return list(range(first, len(self)))

    # ------------------------------------------------------------------ views

    def state(self, k: int) -> State:
        """Partnership ``k``'s state as views of the table (do not write to it)."""
        o0, o1 = self.org_start[k], self.org_start[k + 1]
        n = int(o1 - o0)
        p0, p1 = self.pair_start[k], self.pair_start[k + 1]
        orgs = OrgState(**{name: self.orgs[name][o0:o1] for name in ORG_FIELDS})
        pairs = PairState(trust=self.trust[p0:p1].reshape(n, n), level=self.level[p0:p1].reshape(n, n),
                          months_at_level=self.months[p0:p1].reshape(n, n))
        pship = PartnershipState(
            phase=int(self.phase[k]), assessment=float(self.assessment[k]), evidence=float(self.evidence[k]),
            policy=float(self.policy[k]), community_outcome=float(self.outcome[k]), funded=bool(self.funded[k]),
            grant_month=int(self.grant_month[k]), grants_received=int(self.grants_received[k]),
            funding_end_step=_none_or_month(self.funding_end[k]), scale_step=_none_or_month(self.scale_step[k]),
            collapse_step=_none_or_month(self.collapse_step[k]), collapse_cause=self.causes[k])
        return State(orgs=orgs, pairs=pairs, partnership=pship)

    def store(self, k: int, state: State) -> None:
        """Write partnership ``k``'s new state into the table."""
        o0, o1 = self.org_start[k], self.org_start[k + 1]
        p0, p1 = self.pair_start[k], self.pair_start[k + 1]
        for name in ("capacity", "active", "satisfaction"):  # the only organization fields a month changes
            self.orgs[name][o0:o1] = getattr(state.orgs, name)
        self.trust[p0:p1] = state.pairs.trust.ravel()
        self.level[p0:p1] = state.pairs.level.ravel()
        self.months[p0:p1] = state.pairs.months_at_level.ravel()
        pship = state.partnership
        self.phase[k], self.assessment[k], self.evidence[k] = pship.phase, pship.assessment, pship.evidence
        self.policy[k], self.outcome[k], self.funded[k] = pship.policy, pship.community_outcome, pship.funded
        self.grant_month[k], self.grants_received[k] = pship.grant_month, pship.grants_received
        self.funding_end[k] = _month_or_none(pship.funding_end_step)
        self.scale_step[k] = _month_or_none(pship.scale_step)
        self.collapse_step[k] = _month_or_none(pship.collapse_step)
        self.causes[k] = pship.collapse_cause

    def record(self, k: int, step: int, state: State, params: Params, facts: StepFacts | None) -> None:
        """Partnership ``k``'s record row for its month ``step``, as :meth:`sim.record.Recorder.record` makes it."""
        one = Recorder(0)
        one.record(0, state, params, facts)
        row = self.records[self.rec_start[k] + step]
        for name in COLUMNS:
            row[COLUMN[name]] = one.phase[0] if name == "phase" else one.funded[0] if name == "funded" else one.numeric[name][0]
        row[COLUMN["step"]] = step

    def recorder(self, k: int, filled: int) -> Recorder:
        """Partnership ``k``'s first ``filled`` record rows as a :class:`sim.record.Recorder`."""
        rows = self.records[self.rec_start[k]:self.rec_start[k] + filled]
        recorder = Recorder(int(self.rec_start[k + 1] - self.rec_start[k]) - 1)
        for name in COLUMNS:
            column = rows[:, COLUMN[name]]
            if name == "phase":
                recorder.phase[:filled] = column
            elif name == "funded":
                recorder.funded[:filled] = column != 0.0
            else:
                recorder.numeric[name][:filled] = column
        for name in LEVELS:
            reached = np.flatnonzero(rows[:, COLUMN[f"n_{name}"]] > 0)
            recorder.first_step_at_level[name] = int(reached[0]) if reached.size else None
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


def _month_or_none(value: int | None) -> int:
    return NONE if value is None else int(value)


def _none_or_month(value) -> int | None:
    return None if value == NONE else int(value)


def draw_all(table: PartnershipTable, indices: list[int], generators: list[np.random.Generator]):
    """One month's uniforms of each partnership ``indices[i]``, from its own ``generators[i]``, end to end."""
    sizes = np.array([block_size(int(table.org_start[k + 1] - table.org_start[k])) for k in indices], dtype=np.int64)
    starts = np.zeros(len(indices) + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    buffer = np.empty(int(starts[-1]))
    for i, generator in enumerate(generators):
        generator.random(out=buffer[starts[i]:starts[i + 1]])
    return buffer, starts


def step_all(table: PartnershipTable, live: list[int], dissolved: list[int], buffer: np.ndarray, starts: np.ndarray,
             region_month: int, params: Params, kernel: str) -> np.ndarray:
    """Every live partnership's month (draws ``buffer[starts[i]:starts[i+1]]`` for ``live[i]``) and every dissolved
    one's (only its community outcome moves); records their rows. Returns, per live partnership, the month's facts
    ``[money, work, program_work, decision_efficiency, kept, broken, departures]``."""
    if kernel == "numba":
        from sim.fast import pack, pack_partnership

        facts = _region_numba(table, np.asarray(live, dtype=np.int64), np.asarray(dissolved, dtype=np.int64), buffer,
                              starts, region_month, pack(params), pack_partnership(params))
        for i in np.flatnonzero(facts[:, 7] > 0):  # collapsed this month: the cause, by the rule function
            k = live[i]
            table.causes[k] = membership.collapse_cause(float(facts[i, 8]), bool(facts[i, 9]))
        return facts[:, :7]
    facts = np.zeros((len(live), 7))
    for i, k in enumerate(live):
        n = int(table.org_start[k + 1] - table.org_start[k])
        local = region_month - int(table.formed_step[k])
        state, month_facts = advance(table.state(k), params, StepDraws.from_block(buffer[starts[i]:starts[i + 1]], n),
                                     local)
        table.store(k, state)
        table.record(k, local, state, params, month_facts)
        facts[i] = (month_facts.money, month_facts.work, month_facts.program_work, month_facts.decision_efficiency,
                    month_facts.kept, month_facts.broken, month_facts.departures)
    for k in dissolved:
        local = region_month - int(table.formed_step[k])
        state, month_facts = advance(table.state(k), params, None, local)
        table.store(k, state)
        table.record(k, local, state, params, month_facts)
    return facts


def _region_numba(table: PartnershipTable, live: np.ndarray, dissolved: np.ndarray, buffer: np.ndarray,
                  starts: np.ndarray, region_month: int, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    from sim.fast import region_month as kernel

    o = table.orgs
    return kernel(live, dissolved, table.org_start, table.pair_start, table.rec_start, starts,
                  o["community"], o["budget"], o["base_time"], o["sector"], o["capacity"], o["capacity_start"],
                  o["guarding"], o["identity"], o["desire"], o["active"], o["satisfaction"],
                  table.trust, table.level, table.months, buffer,
                  table.phase, table.assessment, table.evidence, table.policy, table.outcome, table.funded,
                  table.grant_month, table.grants_received, table.funding_end, table.scale_step, table.collapse_step,
                  table.formed_step, table.records, region_month, p, q)


__all__ = ["PartnershipTable", "draw_all", "step_all", "NO_TIE", "phases"]
