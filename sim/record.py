"""What a run reports: the monthly time series (preallocated named arrays) and the summary.

Row ``s`` of the time series is the state after month ``s``; row 0 is the
starting state. Trust and capacity are averaged over every organization that
started in the partnership, so that they stay defined after members leave.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.money import DOLLAR_KEYS, dollars_summary
from sim.params import LEVELS, PHASES, Params, to_dict
from sim.rules import governance
from sim.state import State
from sim.step import StepFacts, community_power_share

COLUMNS = (
    "step", "mean_trust", "n_networking", "n_coordinating", "n_cooperating", "n_collaborating", "mean_capacity",
    "shared_turf", "phase", "community_outcome", "community_power_share", "active_members", "funding",
    "funded", "joint_work", "decision_efficiency", "commitments_kept", "commitments_broken", "departures",
)
SUMMARY_KEYS = (
    "scenario", "seed", "steps", "params", "reached_scale", "scale_step", "collapsed", "collapse_step", "collapse_cause",
    "funding_end_step", "sustained_after_funding", "months_active_after_funding", "grants_received",
    "final_mean_trust", "final_community_outcome", "peak_community_outcome", "community_power_share",
    "initial_community_power_share", "max_level", "first_step_at_level", "final_active_members", "final_phase",
    *DOLLAR_KEYS,
)


def power_share(state: State, params: Params, lead: int | None = None) -> float:
    """The community's share of decision power (``lead``: the lead agency's index, if already known)."""
    gov = params.governance
    orgs = state.orgs
    if lead is None:
        lead = governance.lead_agency_index(orgs.budget, orgs.community)
    weights = governance.authority(orgs.active, orgs.community, gov.mode, gov.community_decision_share, gov.lead_share, lead)
    return community_power_share(weights, orgs.capacity, orgs.community, orgs.active)


class Recorder:
    """Preallocated columns, one row per month, filled in place.

    ``kernel="numba"`` computes a row's values in one compiled kernel (:func:`sim.fast.record_stats`),
    summing exactly as the numpy code below does, so the recorded values are the same bit for bit.
    """

    def __init__(self, steps: int, kernel: str = "numpy"):
        self.rows = steps + 1
        self.numeric = {name: np.zeros(self.rows) for name in COLUMNS if name not in ("phase", "funded")}
        self.phase = np.zeros(self.rows, dtype=np.int8)
        self.funded = np.zeros(self.rows, dtype=bool)
        self.first_step_at_level = {name: None for name in LEVELS}
        self.filled = 0
        self._stats = None
        if kernel == "numba":
            from sim.fast import record_stats
            self._stats = record_stats
        # Set up on the first row and kept while the organizations are the same arrays (numpy path).
        self._count = -1
        self._lead_of = (None, None, 0)  # (budget, community, lead agency index)

    def _layout(self, count: int) -> None:
        if count != self._count:
            self._count = count
            self._off_diagonal = ~np.eye(count, dtype=bool)
            rows, cols = np.triu_indices(count, k=1)  # the upper triangle in row-major order, as a boolean mask gives it
            self._rows, self._cols = rows, cols
            self._upper_flat, self._lower_flat = rows * count + cols, cols * count + rows

    def _row_numpy(self, state: State, params: Params):
        orgs, pairs = state.orgs, state.pairs
        self._layout(state.count)
        trust = pairs.trust
        mean_trust = float(trust[self._off_diagonal].mean())
        levels = pairs.level.ravel()[self._upper_flat]
        counts = np.bincount(levels + 1, minlength=len(LEVELS) + 1)[1:].tolist()
        # Mutual willingness of the upper-triangle pairs only (elementwise the same as mutual(willingness(...))[upper]).
        unshared = (1.0 - orgs.guarding) * (1.0 - orgs.identity)
        flat = trust.ravel()
        will = np.minimum(flat[self._upper_flat] * unshared[self._rows], flat[self._lower_flat] * unshared[self._cols])
        turf_demanded = np.array([0.0, *params.continuum.turf_required])
        tied = levels >= 0
        shared = np.where(tied, np.minimum(will, turf_demanded[np.where(tied, levels, 0)]), 0.0)
        budget, community, lead = self._lead_of
        if budget is not orgs.budget or community is not orgs.community:
            lead = governance.lead_agency_index(orgs.budget, orgs.community)
            self._lead_of = (orgs.budget, orgs.community, lead)
        return (mean_trust, *counts, float(orgs.capacity.mean()), float(shared.mean()) if shared.size else 0.0,
                power_share(state, params, lead), int(orgs.active.sum()))

    def record(self, step: int, state: State, params: Params, facts: StepFacts | None) -> None:
        pship = state.partnership
        if self._stats is not None:
            row = self._stats(state, params).tolist()
        else:
            row = self._row_numpy(state, params)
        mean_trust, *counts, mean_capacity, shared_turf, power, active_members = row
        col = self.numeric
        col["step"][step] = step
        col["mean_trust"][step] = mean_trust
        for name, n in zip(LEVELS, counts):
            col[f"n_{name}"][step] = n
            if n and self.first_step_at_level[name] is None:
                self.first_step_at_level[name] = step
        col["mean_capacity"][step] = mean_capacity
        col["shared_turf"][step] = shared_turf
        self.phase[step] = pship.phase
        col["community_outcome"][step] = pship.community_outcome
        col["community_power_share"][step] = power
        col["active_members"][step] = active_members
        self.funded[step] = pship.funded
        if facts is not None:
            col["funding"][step] = facts.money
            col["joint_work"][step] = facts.work
            col["decision_efficiency"][step] = facts.decision_efficiency
            col["commitments_kept"][step] = facts.kept
            col["commitments_broken"][step] = facts.broken
            col["departures"][step] = facts.departures
        self.filled = step + 1

    def frame(self) -> pd.DataFrame:
        n = self.filled
        data = {}
        integer_columns = {"step", "active_members", "commitments_kept", "commitments_broken", "departures",
                           *(f"n_{name}" for name in LEVELS)}
        for name in COLUMNS:
            if name == "phase":
                data[name] = pd.Series([PHASES[p] for p in self.phase[:n]], dtype="string")
            elif name == "funded":
                data[name] = self.funded[:n].copy()
            elif name in integer_columns:
                data[name] = self.numeric[name][:n].astype(np.int64)
            else:
                data[name] = self.numeric[name][:n].copy()
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
    reached = [i for i, name in enumerate(LEVELS) if recorder.first_step_at_level[name] is not None]
    col = recorder.numeric
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
        "final_mean_trust": _finite(col["mean_trust"][steps]),
        "final_community_outcome": _finite(col["community_outcome"][steps]),
        "peak_community_outcome": _finite(col["community_outcome"][: steps + 1].max()),
        "community_power_share": _finite(col["community_power_share"][steps]),
        "initial_community_power_share": _finite(col["community_power_share"][0]),
        "max_level": LEVELS[max(reached)] if reached else None,
        "first_step_at_level": dict(recorder.first_step_at_level),
        "final_active_members": int(col["active_members"][steps]),
        "final_phase": PHASES[int(recorder.phase[steps])],
        **dollars_summary(col["funding"][: steps + 1], pship.grants_received, params.funding),
    }
