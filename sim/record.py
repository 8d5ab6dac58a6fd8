"""What a run reports: the monthly time series (one preallocated row per month) and the summary.

Row ``s`` of the time series is the state after month ``s``; row 0 is the
starting state. Trust and capacity are averaged over every organization that
started in the partnership, so that they stay defined after members leave.
:func:`record_row` fills a row (compiled with the month, :mod:`sim.jit`);
:class:`Recorder` holds the rows of one partnership and turns them into a
DataFrame; :func:`summarize` reads the summary off them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.jit import kernel, rule
from sim.money import DOLLAR_KEYS, dollars_summary
from sim.params import LEVELS, PHASES, Params, to_dict
from sim.rules import continuum, governance
from sim.state import COLLAPSE_CAUSES, NO_TIE, NONE, State

COLUMNS = (
    "step", "mean_trust", "n_networking", "n_coordinating", "n_cooperating", "n_collaborating", "mean_capacity",
    "shared_turf", "phase", "evidence", "policy_case", "community_outcome", "community_power_share", "active_members",
    "funding", "funded", "joint_work", "decision_efficiency", "commitments_kept", "commitments_broken", "departures",
)
(C_STEP, C_TRUST, C_NETWORKING, C_COORDINATING, C_COOPERATING, C_COLLABORATING, C_CAPACITY, C_TURF, C_PHASE,
 C_EVIDENCE, C_POLICY, C_OUTCOME, C_POWER, C_ACTIVE, C_FUNDING, C_FUNDED, C_WORK, C_EFFICIENCY, C_KEPT, C_BROKEN,
 C_DEPARTURES) = range(len(COLUMNS))
# What a month reports besides the state, in this order (sim.month fills them, record_row writes them).
FACTS = ("funding", "joint_work", "program_work", "decision_efficiency", "commitments_kept", "commitments_broken",
         "departures")
MONEY, WORK, PROGRAM_WORK, EFFICIENCY, KEPT, BROKEN, DEPARTURES = range(len(FACTS))
INTEGER_COLUMNS = {"step", "active_members", "commitments_kept", "commitments_broken", "departures",
                   *(f"n_{name}" for name in LEVELS)}
SUMMARY_KEYS = (
    "scenario", "seed", "steps", "params", "reached_scale", "scale_step", "collapsed", "collapse_step", "collapse_cause",
    "funding_end_step", "sustained_after_funding", "months_active_after_funding", "grants_received",
    "final_mean_trust", "final_community_outcome", "peak_community_outcome", "community_power_share",
    "initial_community_power_share", "max_level", "first_step_at_level", "final_active_members", "final_phase",
    *DOLLAR_KEYS,
)


@rule
def power_share(orgs, p) -> float:
    """The community's share of decision power now: authority used with capacity."""
    n = orgs.active.shape[0]
    authority = governance.authorities(orgs.active, orgs.community, orgs.budget, p.mode, p.community_share,
                                       p.lead_share)
    held = 0.0
    rest = 0.0
    for i in range(n):
        if orgs.active[i]:
            if orgs.community[i]:
                held += authority[i] * orgs.capacity[i]
            else:
                rest += authority[i] * orgs.capacity[i]
    return governance.community_power_share(held, rest)


@rule
def record_row(row, step, orgs, pairs, ps, k, p, facts, first_at_level):
    """Partnership ``k``'s row for month ``step`` (its state after the month, ``facts`` of the month, in the order
    of :data:`sim.month.FACTS`); ``first_at_level[level]`` keeps the first month a pair was at each level."""
    n = orgs.active.shape[0]
    trust, level = pairs.trust, pairs.level
    row[C_STEP] = step
    trust_sum = 0.0
    shared_sum = 0.0
    counts = np.zeros(4)
    for i in range(n):
        for j in range(i + 1, n):
            trust_sum += trust[i, j] + trust[j, i]
            lv = level[i, j]
            if lv != NO_TIE:
                counts[lv] += 1
                shared_sum += continuum.shared_turf(
                    lv, continuum.mutual(continuum.willingness(trust[i, j], orgs.guarding[i], orgs.identity[i]),
                                         continuum.willingness(trust[j, i], orgs.guarding[j], orgs.identity[j])),
                    continuum.turf_needed(lv, p.turf_required, 0.0))
    pairs_possible = n * (n - 1) // 2
    row[C_TRUST] = trust_sum / (2 * pairs_possible) if pairs_possible else np.nan
    for lv in range(4):
        row[C_NETWORKING + lv] = counts[lv]
        if counts[lv] > 0 and first_at_level[lv] == NONE:
            first_at_level[lv] = step
    capacity_sum = 0.0
    for i in range(n):
        capacity_sum += orgs.capacity[i]
    row[C_CAPACITY] = capacity_sum / n
    row[C_TURF] = shared_sum / pairs_possible if pairs_possible else 0.0
    row[C_PHASE] = ps.phase[k]
    row[C_EVIDENCE] = ps.evidence[k] / p.demonstration_work
    row[C_POLICY] = ps.policy[k] / p.policy_work
    row[C_OUTCOME] = ps.outcome[k]
    row[C_POWER] = power_share(orgs, p)
    active = 0
    for i in range(n):
        if orgs.active[i]:
            active += 1
    row[C_ACTIVE] = active
    row[C_FUNDED] = 1.0 if ps.funded[k] else 0.0
    row[C_FUNDING] = facts[MONEY]
    row[C_WORK] = facts[WORK]
    row[C_EFFICIENCY] = facts[EFFICIENCY]
    row[C_KEPT] = facts[KEPT]
    row[C_BROKEN] = facts[BROKEN]
    row[C_DEPARTURES] = facts[DEPARTURES]


@kernel
def start_row(row, orgs, pairs, ps, p, first_at_level):
    """Row 0 of a partnership's record: its state on the day it forms."""
    record_row(row, 0, orgs, pairs, ps, 0, p, np.zeros(len(FACTS)), first_at_level)


@rule
def repeat_row(row, previous, step, ps, k):
    """The row of a month without members: the organizations' figures of the row before (nothing else can
    change them), the community outcome now, and no money, work or commitments."""
    row[:] = previous
    row[C_STEP] = step
    row[C_OUTCOME] = ps.outcome[k]
    row[C_FUNDED] = 1.0 if ps.funded[k] else 0.0
    for column in (C_FUNDING, C_WORK, C_EFFICIENCY, C_KEPT, C_BROKEN, C_DEPARTURES):
        row[column] = 0.0


class Recorder:
    """One partnership's rows, one per month (``records``, float64, columns :data:`COLUMNS`), filled in place
    by the compiled month, and the first month a pair reached each level."""

    def __init__(self, steps: int):
        self.records = np.zeros((steps + 1, len(COLUMNS)))
        self.first_at_level = np.full(len(LEVELS), NONE, dtype=np.int64)
        self.filled = 0

    @property
    def first_step_at_level(self) -> dict:
        return {name: None if step == NONE else int(step) for name, step in zip(LEVELS, self.first_at_level)}

    def column(self, name: str) -> np.ndarray:
        return self.records[: self.filled, COLUMNS.index(name)]

    def frame(self) -> pd.DataFrame:
        rows = self.records[: self.filled]
        data = {}
        for index, name in enumerate(COLUMNS):
            column = rows[:, index]
            if name == "phase":
                data[name] = pd.Series([PHASES[int(p)] for p in column], dtype="string")
            elif name == "funded":
                data[name] = column != 0.0
            elif name in INTEGER_COLUMNS:
                data[name] = column.astype(np.int64)
            else:
                data[name] = column.copy()
        return pd.DataFrame(data, columns=list(COLUMNS))


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"non-finite value in summary: {value}")
    return float(value)


def summarize(scenario: str, params: Params, state: State, recorder: Recorder) -> dict:
    pship = state.partnership
    steps = recorder.filled - 1
    collapsed = pship.collapse_step is not None
    ended = pship.funding_end_step
    if ended is None or ended >= steps:
        sustained = None
        months_after = None
    else:
        last_active = pship.collapse_step if collapsed else steps
        sustained = not collapsed
        months_after = int(max(last_active - ended, 0))
    first = recorder.first_step_at_level
    reached = [i for i, name in enumerate(LEVELS) if first[name] is not None]
    rows = recorder.records
    return {
        "scenario": scenario,
        "seed": params.seed,
        "steps": steps,
        "params": to_dict(params),
        "reached_scale": pship.scale_step is not None,
        "scale_step": pship.scale_step,
        "collapsed": collapsed,
        "collapse_step": pship.collapse_step,
        "collapse_cause": pship.collapse_cause,
        "funding_end_step": ended,
        "sustained_after_funding": sustained,
        "months_active_after_funding": months_after,
        "grants_received": pship.grants_received,
        "final_mean_trust": _finite(rows[steps, C_TRUST]),
        "final_community_outcome": _finite(rows[steps, C_OUTCOME]),
        "peak_community_outcome": _finite(rows[: steps + 1, C_OUTCOME].max()),
        "community_power_share": _finite(rows[steps, C_POWER]),
        "initial_community_power_share": _finite(rows[0, C_POWER]),
        "max_level": LEVELS[max(reached)] if reached else None,
        "first_step_at_level": first,
        "final_active_members": int(rows[steps, C_ACTIVE]),
        "final_phase": PHASES[int(rows[steps, C_PHASE])],
        **dollars_summary(rows[: steps + 1, C_FUNDING], pship.grants_received, params.funding),
    }


__all__ = ["COLUMNS", "COLLAPSE_CAUSES", "Recorder", "SUMMARY_KEYS", "record_row", "summarize"]
