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

from sim.jit import kernel, plain, rule
from sim.money import DOLLAR_KEYS, dollars_summary
from sim.params import LEVELS, PHASES, Params, to_dict
from sim.rules import continuum, governance, membership, phases
from sim.state import NO_TIE, NONE, ROADS, State

COLUMNS = (
    "step", "mean_trust", "n_networking", "n_coordinating", "n_cooperating", "n_collaborating", "mean_capacity",
    "shared_turf", "phase", "evidence", "policy_case", "community_outcome", "community_power_share", "active_members",
    "funding", "funded", "grants_flowing", "joint_work", "decision_efficiency", "commitments_kept",
    "commitments_broken", "departures", "champion", "goodwill",
)
(C_STEP, C_TRUST, C_NETWORKING, C_COORDINATING, C_COOPERATING, C_COLLABORATING, C_CAPACITY, C_TURF, C_PHASE,
 C_EVIDENCE, C_POLICY, C_OUTCOME, C_POWER, C_ACTIVE, C_FUNDING, C_FUNDED, C_GRANTS, C_WORK, C_EFFICIENCY, C_KEPT,
 C_BROKEN, C_DEPARTURES, C_CHAMPION, C_GOODWILL) = range(len(COLUMNS))
# What a month reports besides the state, in this order (sim.month fills them, record_row writes them).
FACTS = ("funding", "joint_work", "program_work", "decision_efficiency", "commitments_kept", "commitments_broken",
         "departures", "grants_flowing")
MONEY, WORK, PROGRAM_WORK, EFFICIENCY, KEPT, BROKEN, DEPARTURES, GRANTS_FLOWING = range(len(FACTS))
INTEGER_COLUMNS = {"step", "active_members", "commitments_kept", "commitments_broken", "departures", "grants_flowing",
                   *(f"n_{name}" for name in LEVELS)}
BOOLEAN_COLUMNS = {"funded", "champion"}
# How a run stands at its end: one of these, exclusively (summarize says which).
FINAL_STATUSES = ("collapsed", "closed with its goals met", "at scale", "still funded", "sustained", "remnant")
# What each status means, in plain words (the printed summary, the reports' glossary and the README use these).
STATUS_MEANING = {
    "collapsed": "so many members walked away that too few remained; it stopped for good before its goals were met",
    "closed with its goals met": "the public sector took its innovation to scale and the partnership then decided "
                                 "its work was done and closed: an end, but not a collapse",
    "at scale": "the public sector adopted its innovation and carries part of the work; the partnership is still "
                "running",
    "still funded": "still running with grant money flowing at the end of the run, so whether it would outlive its "
                    "money is not yet known",
    "sustained": "still running after its grant money ended, with a functioning core: members at the table "
                 "(founding or joined later) at least core_share (half, by default) of the number it was founded "
                 "with, still doing joint work",
    "remnant": "still running after its grant money ended, but only as a remnant: fewer members than core_share of "
               "the number it was founded with, or no joint work",
}
# The type of each summary value that is a single number, flag or label (None allowed where the value may be missing),
# for tables of many runs (sim.experiments.store); "first_step_at_level" is a month per level.
SUMMARY_TYPES = {
    "steps": "int", "final_status": "str", "reached_scale": "bool", "scale_step": "int", "goals_met": "bool",
    "goals_met_step": "int", "collapsed": "bool", "collapse_step": "int", "collapse_cause": "str", "ended": "bool",
    "end_step": "int", "end_cause": "str", "grant_end_step": "int", "funding_end_step": "int",
    "sustained_after_funding": "bool", "months_active_after_funding": "int", "functioning_core": "bool",
    "members_start": "int", "members_at_grant_end": "int", "members_end": "int", "community_members_start": "int",
    "community_members_end": "int", "members_joined": "int", "grants_received": "int",
    "funding_sources": "int", "final_goodwill": "float", "final_mean_trust": "float", "final_community_outcome": "float",
    "peak_community_outcome": "float", "community_power_share": "float", "initial_community_power_share": "float",
    "max_level": "str", "first_step_at_level": "int", "final_active_members": "int", "final_phase": "str",
    "dollars_granted": "float", "dollars_spent": "float",
}
# How many founding members left for each road (members still there when the partnership ended count under its
# cause), named by the road: "members_left_funding_ended" and so on.
DEPARTURE_KEYS = tuple("members_left_" + road.replace(" ", "_") for road in ROADS)
SUMMARY_TYPES.update(dict.fromkeys(DEPARTURE_KEYS, "int"))
SUMMARY_KEYS = (
    "scenario", "seed", "steps", "params", "final_status", "reached_scale", "scale_step", "goals_met",
    "goals_met_step", "collapsed", "collapse_step", "collapse_cause", "ended", "end_step", "end_cause",
    "grant_end_step", "funding_end_step", "sustained_after_funding", "months_active_after_funding",
    "functioning_core", "members_start", "members_at_grant_end", "members_end", "community_members_start",
    "community_members_end", "members_joined", "grants_received",
    "funding_sources", "final_goodwill", "final_mean_trust", "final_community_outcome", "peak_community_outcome",
    "community_power_share", "initial_community_power_share", "max_level", "first_step_at_level",
    "final_active_members", "final_phase", *DEPARTURE_KEYS, *DOLLAR_KEYS,
)


@rule
def power_share(orgs, p, founding: int) -> float:
    """The community's share of decision power now: authority used with capacity."""
    n = orgs.active.shape[0]
    authority = governance.authorities(orgs.active, orgs.community, orgs.budget, p.mode, p.community_share,
                                       p.lead_share, founding)
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
    joined = 0
    for i in range(n):
        if orgs.joined_step[i] < 0:  # a candidate who has not joined is no part of the partnership's figures
            continue
        joined += 1
        for j in range(i + 1, n):
            if orgs.joined_step[j] < 0:
                continue
            trust_sum += trust[i, j] + trust[j, i]
            lv = level[i, j]
            if lv != NO_TIE:
                counts[lv] += 1
                shared_sum += continuum.shared_turf(
                    lv, continuum.mutual(continuum.willingness(trust[i, j], orgs.guarding[i], orgs.identity[i]),
                                         continuum.willingness(trust[j, i], orgs.guarding[j], orgs.identity[j])),
                    continuum.turf_needed(lv, p.turf_required, 0.0))
    pairs_possible = joined * (joined - 1) // 2
    row[C_TRUST] = trust_sum / (2 * pairs_possible) if pairs_possible else np.nan
    for lv in range(4):
        row[C_NETWORKING + lv] = counts[lv]
        if counts[lv] > 0 and first_at_level[lv] == NONE:
            first_at_level[lv] = step
    capacity_sum = 0.0
    for i in range(n):
        if orgs.joined_step[i] >= 0:
            capacity_sum += orgs.capacity[i]
    row[C_CAPACITY] = capacity_sum / joined if joined else np.nan
    row[C_TURF] = shared_sum / pairs_possible if pairs_possible else 0.0
    row[C_PHASE] = ps.phase[k]
    row[C_EVIDENCE] = phases.evidence_share(ps.evidence[k], p.demonstration_work)
    row[C_POLICY] = phases.policy_case_share(ps.policy[k], p.policy_work)
    row[C_OUTCOME] = ps.outcome[k]
    row[C_POWER] = power_share(orgs, p, ps.founding[k])
    active = 0
    for i in range(n):
        if orgs.active[i]:
            active += 1
    row[C_ACTIVE] = active
    row[C_FUNDED] = 1.0 if ps.funded[k] else 0.0
    row[C_CHAMPION] = 1.0 if ps.champion[k] else 0.0
    row[C_GOODWILL] = ps.goodwill[k]
    row[C_FUNDING] = facts[MONEY]
    row[C_WORK] = facts[WORK]
    row[C_EFFICIENCY] = facts[EFFICIENCY]
    row[C_KEPT] = facts[KEPT]
    row[C_BROKEN] = facts[BROKEN]
    row[C_DEPARTURES] = facts[DEPARTURES]
    row[C_GRANTS] = facts[GRANTS_FLOWING]


@kernel
def start_row(row, orgs, pairs, ps, p, first_at_level):
    """Row 0 of a partnership's record: its state on the day it forms."""
    record_row(row, 0, orgs, pairs, ps, 0, p, np.zeros(len(FACTS)), first_at_level)


@rule
def repeat_row(row, previous, step, ps, k):
    """The row of a month without members: the organizations' figures of the row before (nothing else can
    change them), the community outcome now, and no money, grants, work or commitments (the row
    :func:`record_row` gives for such a month, without its walk over the pairs)."""
    row[:] = previous
    row[C_STEP] = step
    row[C_OUTCOME] = ps.outcome[k]
    row[C_FUNDED] = 1.0 if ps.funded[k] else 0.0
    row[C_CHAMPION] = 1.0 if ps.champion[k] else 0.0
    row[C_GOODWILL] = ps.goodwill[k]
    for column in (C_FUNDING, C_GRANTS, C_WORK, C_EFFICIENCY, C_KEPT, C_BROKEN, C_DEPARTURES):
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
            elif name in BOOLEAN_COLUMNS:
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


def final_status(ended: bool, goals_met: bool, at_scale: bool, still_funded: bool, core: bool) -> str:
    """How a run stands at its end, one status only (:data:`FINAL_STATUSES`): an end comes first, then scale, then
    grant money still flowing, then a functioning core or a remnant."""
    if ended:
        return FINAL_STATUSES[1] if goals_met else FINAL_STATUSES[0]
    if at_scale:
        return FINAL_STATUSES[2]
    if still_funded:
        return FINAL_STATUSES[3]
    return FINAL_STATUSES[4] if core else FINAL_STATUSES[5]


def departures_by_road(left_reason: np.ndarray) -> dict:
    """Members who left for each road (:data:`DEPARTURE_KEYS`), from each organization's reason code."""
    counts = np.bincount(left_reason[left_reason != NONE], minlength=len(ROADS))
    return {key: int(count) for key, count in zip(DEPARTURE_KEYS, counts)}


def summarize(scenario: str, params: Params, state: State, recorder: Recorder) -> dict:
    pship = state.partnership
    steps = recorder.filled - 1
    rows = recorder.records
    ended = pship.end_step is not None
    goals_met = pship.goals_met
    joined = state.orgs.joined_step
    founding = int(np.count_nonzero(joined == 0))
    # The core is judged against the number of founding members it was formed with (under gradual inclusion, not
    # only the core that started); members who joined later count toward it: a coalition that replaced its
    # members still functions.
    formed_with = pship.founding or min(state.count, params.organizations.count)
    members_end = int(rows[steps, C_ACTIVE])
    core = not ended and plain(membership.functioning_core)(members_end, formed_with, params.partnership.core_share,
                                                     bool(rows[steps, C_WORK] > 0.0))
    funding_end = pship.funding_end_step
    still_funded = funding_end is None or funding_end >= steps
    if still_funded:
        sustained = None
        months_after = None
    else:
        sustained = core
        months_after = int(max((pship.end_step if ended else steps) - funding_end, 0))
    grant_end = pship.grant_end_step
    first = recorder.first_step_at_level
    reached = [i for i, name in enumerate(LEVELS) if first[name] is not None]
    return {
        "scenario": scenario,
        "seed": params.seed,
        "steps": steps,
        "params": to_dict(params),
        "final_status": final_status(ended, goals_met, pship.scale_step is not None, still_funded, core),
        "reached_scale": pship.scale_step is not None,
        "scale_step": pship.scale_step,
        "goals_met": goals_met,
        "goals_met_step": pship.end_step if goals_met else None,
        "collapsed": ended and not goals_met,
        "collapse_step": pship.collapse_step,
        "collapse_cause": pship.collapse_cause,
        "ended": ended,
        "end_step": pship.end_step,
        "end_cause": pship.end_cause,
        "grant_end_step": grant_end,
        "funding_end_step": funding_end,
        "sustained_after_funding": sustained,
        "months_active_after_funding": months_after,
        "functioning_core": core,
        "members_start": founding,
        "members_at_grant_end": int(rows[grant_end, C_ACTIVE]) if grant_end is not None and grant_end <= steps else None,
        "members_end": members_end,
        "community_members_start": int(np.count_nonzero(state.orgs.community & (joined == 0))),
        "members_joined": int(np.count_nonzero(joined > 0)),
        "community_members_end": int(np.count_nonzero(state.orgs.community & state.orgs.active)),
        "grants_received": pship.grants_received,
        "funding_sources": pship.funding_sources,
        "final_goodwill": _finite(pship.goodwill),
        "final_mean_trust": _finite(rows[steps, C_TRUST]),
        "final_community_outcome": _finite(rows[steps, C_OUTCOME]),
        "peak_community_outcome": _finite(rows[: steps + 1, C_OUTCOME].max()),
        "community_power_share": _finite(rows[steps, C_POWER]),
        "initial_community_power_share": _finite(rows[0, C_POWER]),
        "max_level": LEVELS[max(reached)] if reached else None,
        "first_step_at_level": first,
        "final_active_members": members_end,
        "final_phase": PHASES[int(rows[steps, C_PHASE])],
        **departures_by_road(state.orgs.left_reason),
        **dollars_summary(rows[: steps + 1, C_FUNDING], pship.committed),
    }


__all__ = ["COLUMNS", "FINAL_STATUSES", "ROADS", "Recorder", "SUMMARY_KEYS", "record_row", "summarize"]
