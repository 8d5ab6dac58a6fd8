"""The month as one compiled loop kernel (numba), for runs where numpy's call overhead dominates.

A run of 12 – 30 organizations does about 300 numpy calls a month on arrays of
a few hundred elements; almost all of its time is the calls, not the
arithmetic. :func:`advance_fast` has exactly the contract of
:func:`sim.step.advance` (same inputs, same outputs, same pre-drawn uniforms)
and computes the same rules in the same order as plain loops compiled by numba
(``@njit(cache=True)``): the organization and pair arrays in :func:`_month`,
the partnership's few scalars (decision efficiency, joint work, phases,
adoption, community outcome, collapse cause, grant clock) in Python, mostly by
the rule functions the numpy step calls. :func:`record_stats` is the
recorder's row (:meth:`sim.record.Recorder.record`) as one kernel.
:func:`region_month` runs all of a region's partnerships' months in one call
(:mod:`sim.region.table`): ``_month`` and ``_record_stats`` on views of each
partnership's blocks, and the partnership-level rules compiled from the rule
functions themselves (``njit(phases.advance)`` …).

It reproduces the numpy step bit for bit, not only to rounding: every sum
numpy forms by pairwise summation (``ndarray.sum``, ``mean``, row sums) is
formed here by the same pairwise scheme over the same elements in the same
order (:func:`_pairwise`), every product in the same order of operations, and
the two matrix-vector products go through BLAS (``np.dot``) as numpy's ``@``
does. So a run writes the same ``timeseries.csv`` and ``summary.json`` with
either kernel (``tests/test_fast.py``).

The kernel restates the rules of ``sim/rules/*.py`` and ``sim/step.py``: a
change there must be made here too, and ``tests/test_fast.py`` fails until it
is. Constants of other modules are passed in the parameter vector
(:func:`pack`) rather than read as globals, which numba would freeze into its
on-disk cache (it invalidates the cache only when this file changes).

numba is imported here: without it importing this module raises ImportError,
and :func:`sim.step.resolve_kernel` falls back to numpy. The first import on a
machine compiles the kernels (about 6 s) and caches them in ``__pycache__``;
later imports load them (about 0.2 s, plus 0.15 s for numba itself).
"""

from __future__ import annotations

import numpy as np
from numba import njit, types

from sim import record
from sim.draws import StepDraws
from sim.params import Params
from sim.rules import funding, governance, membership, phases
from sim.state import OrgState, PairState, PartnershipState, State
from sim.step import StepFacts, advance

_JIT = dict(cache=True, nogil=True, error_model="numpy")
_F1, _F2, _B1 = types.float64[::1], types.float64[:, ::1], types.bool_[::1]
# One compiled signature each, compiled (or loaded from numba's cache) when this module is imported; arrays
# of other dtypes or layouts are converted by the wrappers, so results always come back in the state's dtypes.
_MONTH_SIGNATURE = (_B1, _F1, _F1, types.int64[::1], _F1, _F1, _F1, _F1, _F1, _B1, _F1,  # organizations
                    _F2, types.int8[:, ::1], types.int32[:, ::1],                          # pairs
                    _F2, _F2, _F1, _F2, _F2, _F2, _F1,                                     # draws
                    types.boolean, types.float64, types.boolean, _F1)                      # funded, outcome, collapsed, params
_RECORD_SIGNATURE = (_F2, types.int8[:, ::1], _F1, _F1, _F1, _B1, _B1, _F1, _F1)

# ----------------------------------------------------------------------------- packed parameters

# Governance modes as the kernels see them (the rules test ``mode == "lead_agency"`` / ``== "backbone"``).
LEAD_AGENCY, BACKBONE, OTHER_MODE = 0, 1, 2

# Offsets into the float64 parameter vector the kernel reads (module constants: numba freezes them).
TIME_COST = 0          # 4: continuum.time_cost (per level, before dividing by N - 1)
JOINT_WORK = 4         # 4: continuum.joint_work
MONTHS_REQUIRED = 8    # 3
TRUST_REQUIRED = 11    # 3
TURF_REQUIRED = 14     # 3
INTERACTION_RATE = 17  # 4
MUTUALLY_REINFORCING = 21
MODE = 22
COMMUNITY_SHARE = 23
LEAD_SHARE = 24
INCLUSION_COST = 25
BACKBONE_SHARE = 26
MEETING_TIME = 27
MONTHLY_AMOUNT = 28
DOLLARS_PER_TIME = 29
HIERARCHICAL = 30
REPORTING_BURDEN = 31
EXPECTATION_RATIO = 32
MANDATED = 33
MANDATE_PRESSURE = 34
COMPETITION = 35
CLIMB_RATE = 36
FALL_RATE = 37
HOLD_MARGIN = 38
CONTINUOUS_COMMUNICATION = 39
LEARNING_CULTURE = 40
RELIABILITY = 41
GAIN = 42
LOSS = 43
EXCLUSION_LOSS = 44
RIVALRY_LOSS = 45
OWNERSHIP_TIME = 46
TIE_VALUE = 47
VOICE_VALUE = 48
FUNDING_VALUE = 49
OUTCOME_VALUE = 50
TIME_VALUE = 51
LETDOWN_VALUE = 52
MEMORY = 53
LEAVE_RATE = 54
SELF_SELECTION = 55
PARTNER_GAIN = 56
LEARNING_RATE = 57
OVEREXTENSION_LOSS = 58
RECOVERY = 59
MIN_MEMBERS = 60
INSTITUTION_STAKE = 61
SAME_STANDARDS = 62
PACKED_SIZE = 63

_PACKED: dict[int, tuple[Params, np.ndarray]] = {}


def pack(params: Params) -> np.ndarray:
    """The parameters the kernels read, as one float64 vector (cached per Params object)."""
    hit = _PACKED.get(id(params))
    if hit is not None and hit[0] is params:
        return hit[1]
    c, gov, fund, ci, tr, mem, cap = (params.continuum, params.governance, params.funding, params.collective_impact,
                                      params.trust, params.membership, params.capacity)
    p = np.zeros(PACKED_SIZE)
    p[TIME_COST:TIME_COST + 4] = c.time_cost
    p[JOINT_WORK:JOINT_WORK + 4] = c.joint_work
    p[MONTHS_REQUIRED:MONTHS_REQUIRED + 3] = c.months_required
    p[TRUST_REQUIRED:TRUST_REQUIRED + 3] = c.trust_required
    p[TURF_REQUIRED:TURF_REQUIRED + 3] = c.turf_required
    p[INTERACTION_RATE:INTERACTION_RATE + 4] = c.interaction_rate
    scalars = {
        MUTUALLY_REINFORCING: ci.mutually_reinforcing, MODE: {"lead_agency": LEAD_AGENCY, "backbone": BACKBONE}.get(gov.mode, OTHER_MODE),
        COMMUNITY_SHARE: gov.community_decision_share, LEAD_SHARE: gov.lead_share, INCLUSION_COST: gov.inclusion_cost,
        BACKBONE_SHARE: gov.backbone_share, MEETING_TIME: gov.meeting_time, MONTHLY_AMOUNT: fund.monthly_amount,
        DOLLARS_PER_TIME: fund.dollars_per_time_unit, HIERARCHICAL: fund.accountability == "hierarchical",
        REPORTING_BURDEN: fund.reporting_burden, EXPECTATION_RATIO: fund.expectation_ratio, MANDATED: fund.mandated,
        MANDATE_PRESSURE: fund.mandate_pressure, COMPETITION: fund.competition, CLIMB_RATE: c.climb_rate,
        FALL_RATE: c.fall_rate, HOLD_MARGIN: c.hold_margin, CONTINUOUS_COMMUNICATION: ci.continuous_communication,
        LEARNING_CULTURE: ci.learning_culture, RELIABILITY: tr.reliability, GAIN: tr.gain, LOSS: tr.loss,
        EXCLUSION_LOSS: governance.exclusion_trust_loss(tr.exclusion_loss, gov.mutual_respect), RIVALRY_LOSS: tr.rivalry_loss, OWNERSHIP_TIME: mem.ownership_time,
        TIE_VALUE: mem.tie_value, VOICE_VALUE: mem.voice_value, FUNDING_VALUE: mem.funding_value,
        OUTCOME_VALUE: mem.outcome_value, TIME_VALUE: mem.time_value, LETDOWN_VALUE: mem.letdown_value,
        MEMORY: mem.memory, LEAVE_RATE: mem.leave_rate, SELF_SELECTION: params.organizations.self_selection,
        PARTNER_GAIN: cap.partner_gain, LEARNING_RATE: cap.learning_rate, OVEREXTENSION_LOSS: cap.overextension_loss,
        RECOVERY: cap.recovery, MIN_MEMBERS: params.partnership.min_members,
        INSTITUTION_STAKE: membership.INSTITUTION_STAKE, SAME_STANDARDS: ci.same_standards,
    }
    for index, value in scalars.items():
        p[index] = value
    if len(_PACKED) >= 256:
        _PACKED.clear()
    _PACKED[id(params)] = (params, p)
    return p


# ----------------------------------------------------------------------------- kernels

@njit(**_JIT)
def _pairwise(a):
    """``a.sum()`` exactly as numpy forms it for a contiguous float64 array (pairwise, 8 accumulators, blocks of 128)."""
    n = a.shape[0]
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n <= 128:
        r0, r1, r2, r3, r4, r5, r6, r7 = a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
        i = 8
        stop = n - n % 8
        while i < stop:
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise(a[:n2]) + _pairwise(a[n2:])


@njit(**_JIT)
def _lead_agency(budget, community):
    """:func:`sim.rules.governance.lead_agency_index`: the largest institution, else the largest member (first on ties)."""
    lead = -1
    for i in range(budget.shape[0]):
        if not community[i] and (lead < 0 or budget[i] > budget[lead]):
            lead = i
    if lead < 0:
        lead = 0
        for i in range(budget.shape[0]):
            if budget[i] > budget[lead]:
                lead = i
    return lead


@njit(**_JIT)
def _authority(active, community, mode, community_share, lead_share, lead):
    """:func:`sim.rules.governance.authority`."""
    n = active.shape[0]
    weights = np.zeros(n)
    n_community = 0
    n_institutions = 0
    for i in range(n):
        if active[i]:
            if community[i]:
                n_community += 1
            else:
                n_institutions += 1
    if n_community == 0 and n_institutions == 0:
        return weights
    share = community_share
    if n_community == 0:
        share = 0.0
    elif n_institutions == 0:
        share = 1.0
    for i in range(n):
        if active[i] and community[i]:
            weights[i] = share / max(n_community, 1)
    institutional = 1.0 - share
    if mode == LEAD_AGENCY and active[lead] and not community[lead] and n_institutions > 1:
        each = institutional * (1.0 - lead_share) / (n_institutions - 1)
        for i in range(n):
            if active[i] and not community[i]:
                weights[i] = each
        weights[lead] = institutional * lead_share
    elif n_institutions:
        each = institutional / n_institutions
        for i in range(n):
            if active[i] and not community[i]:
                weights[i] = each
    return weights


@njit(_MONTH_SIGNATURE, **_JIT)
def _month(community, budget, base_time, sector, capacity, capacity_start, guarding, identity, desire, active,
           satisfaction, trust, level, months_at, u_interact, u_keep, u_exclusion, u_rivalry, u_climb, u_fall, u_leave,
           funded, outcome, collapsed_before, p):
    """The organization and pair arrays of one month (sim.step.advance steps 1 – 9 and the apply), for ``n_active > 0``.

    Returns the new arrays and, in a float vector, the sums the partnership's scalars are made from:
    ``[voices at the table, sum of per-pair work, tied pairs, organizing sum, engaged sum, mean trust among
    the members at the start (if the partnership collapses now)]``; in an int vector ``[kept, broken,
    departures, collapsed now]``.
    """
    n = active.shape[0]
    n_active = 0
    for i in range(n):
        if active[i]:
            n_active += 1
    mode = int(p[MODE])
    per_partner = max(n - 1, 1)  # partners possible, at least 1
    time_cost = np.empty(4)
    work_raw = np.empty(4)
    for lv in range(4):
        time_cost[lv] = p[TIME_COST + lv] / per_partner
        work_raw[lv] = p[JOINT_WORK + lv]
    row = np.empty(n)  # scratch for pairwise row sums

    # 1. governance
    lead = _lead_agency(budget, community)
    weights = _authority(active, community, mode, p[COMMUNITY_SHARE], p[LEAD_SHARE], lead)
    voices = np.zeros(n)
    for i in range(n):
        if active[i]:
            voices[i] = min(weights[i] * n_active, 1.0)
    for i in range(n):
        in_community = 1.0 if community[i] else 0.0
        row[i] = voices[i] * (1.0 + p[INCLUSION_COST] * in_community * (1.0 - capacity[i]))
    at_table = _pairwise(row)
    if mode == LEAD_AGENCY:
        at_table = 0.5 * at_table
    staffed = mode == BACKBONE and funded and p[BACKBONE_SHARE] > 0

    # 2. funding
    money = p[MONTHLY_AMOUNT] if funded else 0.0
    grant_dollars = np.zeros(n)
    total_weight = _pairwise(weights)
    if not (money <= 0 or total_weight <= 0):
        to_members = money * ((1.0 - p[BACKBONE_SHARE]) if staffed else 1.0)
        for i in range(n):
            grant_dollars[i] = to_members * weights[i] / total_weight
    grant_time = np.empty(n)
    for i in range(n):
        grant_time[i] = grant_dollars[i] / p[DOLLARS_PER_TIME]

    # 3. load and time
    meeting = p[MEETING_TIME] * _pairwise(voices) * (0.5 if staffed else 1.0)
    reporting = p[REPORTING_BURDEN] if (p[HIERARCHICAL] != 0 and funded) else 0.0
    promised = p[EXPECTATION_RATIO] if funded else 1.0
    load = np.zeros(n)
    time_budget = np.empty(n)
    overload = np.zeros(n)
    slack = np.empty(n)
    strain = np.empty(n)
    for i in range(n):
        if active[i]:
            for j in range(n):
                lv = level[i, j]
                row[j] = time_cost[lv] if lv >= 0 else 0.0
            load[i] = promised * (_pairwise(row) + meeting) + reporting
        in_community = 1.0 if community[i] else 0.0
        own = base_time[i] * (0.5 + capacity[i]) * (1.0 + p[OWNERSHIP_TIME] * voices[i] * in_community)
        time_budget[i] = own + grant_dollars[i] / p[DOLLARS_PER_TIME]
        if active[i]:
            overload[i] = max(load[i] / time_budget[i] - 1.0, 0.0)
        slack[i] = time_budget[i] - load[i]
        strain[i] = load[i] / time_budget[i]

    # 4. trust: requirements (a mandate cuts coordinating's and cooperating's while it pays)
    cut = p[MANDATE_PRESSURE] if (p[MANDATED] != 0 and funded) else 0.0
    months_needed = np.zeros(4)
    trust_needed = np.zeros(4)
    turf_needed = np.zeros(4)
    trust_full = np.zeros(4)
    turf_full = np.zeros(4)
    for lv in range(1, 4):
        mandated = cut if lv < 3 else 0.0
        trust_full[lv] = p[TRUST_REQUIRED + lv - 1]
        turf_full[lv] = p[TURF_REQUIRED + lv - 1]
        months_needed[lv] = p[MONTHS_REQUIRED + lv - 1] * (1.0 - mandated)
        trust_needed[lv] = trust_full[lv] * (1.0 - 0.5 * mandated)
        turf_needed[lv] = turf_full[lv] * (1.0 - mandated)
    unshared = np.empty(n)
    for i in range(n):
        unshared[i] = (1.0 - guarding[i]) * (1.0 - identity[i])
    communication = 1.0 + p[CONTINUOUS_COMMUNICATION]

    interacting = np.zeros((n, n), dtype=np.bool_)
    rivals = np.zeros((n, n), dtype=np.bool_)
    competition = p[COMPETITION]
    for i in range(n):
        for j in range(i + 1, n):
            lv = level[i, j]
            chance = min(p[INTERACTION_RATE + lv] * communication, 1.0) if lv >= 0 else 0.0
            if u_interact[i, j] < chance:
                interacting[i, j] = True
                interacting[j, i] = True
            if sector[i] == sector[j] and active[i] and active[j] and u_rivalry[i, j] < competition:
                rivals[i, j] = True
                rivals[j, i] = True

    kept = np.zeros((n, n), dtype=np.bool_)
    broken = np.zeros((n, n), dtype=np.bool_)
    n_kept = 0
    n_broken = 0
    reliability = p[RELIABILITY]
    unhedged = 1.0 - p[SAME_STANDARDS]
    for i in range(n):
        hedge = reliability / max(strain[i], 1.0)
        for j in range(n):
            if not interacting[i, j]:
                continue
            lv = level[i, j]
            gap = 0.0
            if lv >= 0:
                mutual_trust = min(trust[i, j], trust[j, i])
                will = trust[i, j] * unshared[i]
                need_trust = trust_full[lv]
                need_turf = turf_full[lv]
                trust_gap = max(need_trust - mutual_trust, 0.0) / need_trust if need_trust > 0 else 0.0
                turf_gap = max(need_turf - will, 0.0) / need_turf if need_turf > 0 else 0.0
                gap = max(trust_gap, turf_gap) * unhedged
            if u_keep[i, j] < hedge * (1.0 - gap):
                kept[i, j] = True
                n_kept += 1
            else:
                broken[i, j] = True
                n_broken += 1

    excluded = np.zeros(n)
    excess = np.zeros(n)
    equal_share = 1.0 / n_active
    top = 0.0
    for i in range(n):
        if active[i]:
            if u_exclusion[i] < 1.0 - voices[i]:
                excluded[i] = 1.0
            excess[i] = max(weights[i] - equal_share, 0.0)
            if excess[i] > top:
                top = excess[i]
    if top > 0:
        for i in range(n):
            excess[i] = excess[i] / top
    gain = p[GAIN]
    loss = p[LOSS] * (1.0 - 0.5 * p[LEARNING_CULTURE])
    exclusion_loss = p[EXCLUSION_LOSS]
    rivalry_loss = p[RIVALRY_LOSS]
    new_trust = np.zeros((n, n))
    for i in range(n):
        left_out = exclusion_loss * excluded[i]
        for j in range(n):
            if i == j:
                continue
            t = trust[i, j]
            kept_by_j = 1.0 if kept[j, i] else 0.0
            broken_by_j = 1.0 if broken[j, i] else 0.0
            rival = 1.0 if rivals[i, j] else 0.0
            value = t + gain * (1.0 - t) * kept_by_j - loss * t * broken_by_j
            value = value * (1.0 - left_out * excess[j])
            value = value * (1.0 - rivalry_loss * rival)
            new_trust[i, j] = min(max(value, 0.0), 1.0)

    # 5. continuum (on the old trust and willingness)
    new_level = level.copy()
    new_months = np.zeros((n, n), dtype=np.int32)
    climb_rate, fall_rate, hold_margin = p[CLIMB_RATE], p[FALL_RATE], p[HOLD_MARGIN]
    for i in range(n):
        if level[i, i] >= 0:  # never in a valid state (the diagonal is NO_TIE), but as numpy would treat it
            new_months[i, i] = months_at[i, i] + 1
        for j in range(i + 1, n):
            lv = level[i, j]
            move = 0
            if lv >= 0:
                mutual_trust = min(trust[i, j], trust[j, i])
                mutual_will = min(trust[i, j] * unshared[i], trust[j, i] * unshared[j])
                nxt = min(lv + 1, 3)
                extra = time_cost[nxt] - time_cost[lv]
                can_climb = (lv < 3 and months_at[i, j] >= months_needed[nxt] and mutual_trust >= trust_needed[nxt]
                             and mutual_will >= turf_needed[nxt] and slack[i] >= extra and slack[j] >= extra)
                failing = mutual_trust < trust_needed[lv] - hold_margin or mutual_will < turf_needed[lv] - hold_margin
                fall_chance = fall_rate if failing else fall_rate * min(max(overload[i], overload[j]), 1.0)
                falls = lv > 0 and u_fall[i, j] < fall_chance
                climbs = can_climb and not falls and u_climb[i, j] < climb_rate
                move = 1 if climbs else (-1 if falls else 0)
            for a, b in ((i, j), (j, i)):
                if level[a, b] >= 0:
                    new_level[a, b] = level[a, b] + move
                    if move == 0:
                        new_months[a, b] = months_at[a, b] + 1

    # 6. capacity (from the old levels and capacities); BLAS, as numpy's ``@``
    collaborating = np.zeros((n, n))
    tie_work_matrix = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            lv = level[i, j]
            if lv >= 0:
                tie_work_matrix[i, j] = work_raw[lv]
                if lv == 3:
                    collaborating[i, j] = 1.0
    from_collaborators = np.dot(collaborating, capacity)
    new_capacity = capacity.copy()
    for i in range(n):
        if active[i]:
            from_partners = p[PARTNER_GAIN] * from_collaborators[i] / per_partner
            growth = (from_partners + p[LEARNING_RATE] * voices[i]) * (1.0 - capacity[i])
            change = growth - p[OVEREXTENSION_LOSS] * overload[i] + p[RECOVERY] * (capacity_start[i] - capacity[i])
            new_capacity[i] = min(max(capacity[i] + change, 0.01), 1.0)

    # 7. goals: joint work of the tied pairs, organizing power
    effort = np.empty(n)
    for i in range(n):
        effort[i] = min(1.0, time_budget[i] / max(load[i], 1e-12))
    boost = 1.0 + 0.5 * p[MUTUALLY_REINFORCING]
    per_pair = np.empty(n * (n - 1) // 2)
    tied_pairs = 0
    for i in range(n):
        for j in range(i + 1, n):
            lv = level[i, j]
            if lv >= 0:
                omega = work_raw[lv] * (boost if lv > 0 else 1.0)
                per_pair[tied_pairs] = omega * 0.5 * (capacity[i] + capacity[j]) * min(effort[i], effort[j])
                tied_pairs += 1
    work_sum = _pairwise(per_pair[:tied_pairs])
    for i in range(n):
        row[i] = capacity[i] * voices[i] if (active[i] and community[i]) else 0.0
    organizing_sum = _pairwise(row)
    # 8. community reach
    for i in range(n):
        row[i] = voices[i] if (active[i] and community[i]) else 0.0
    engaged_sum = _pairwise(row)

    # 9. membership
    tie_work = np.dot(tie_work_matrix, capacity)
    typical_desire = (1.0 + p[SELF_SELECTION]) / 2.0
    memory = p[MEMORY]
    new_satisfaction = satisfaction.copy()
    new_active = active.copy()
    for i in range(n):
        if not active[i]:
            continue
        letdowns = 0
        for j in range(n):
            if broken[j, i]:
                letdowns += 1
        stake = 1.0 if community[i] else p[INSTITUTION_STAKE]
        intrinsic = desire[i] / typical_desire
        per_budget = max(time_budget[i], 1e-9)
        now = (intrinsic * (p[TIE_VALUE] * (tie_work[i] / per_partner) + p[OUTCOME_VALUE] * stake * outcome)
               + p[VOICE_VALUE] * voices[i]
               + p[FUNDING_VALUE] * grant_time[i] / per_budget
               - p[TIME_VALUE] * load[i] / per_budget
               - p[LETDOWN_VALUE] * letdowns / per_partner)
        new_satisfaction[i] = memory * satisfaction[i] + (1.0 - memory) * now
        if new_satisfaction[i] < 0.0 and u_leave[i] < p[LEAVE_RATE]:
            new_active[i] = False

    # apply: departures, collapse, ties of departed members
    remaining = 0
    for i in range(n):
        if new_active[i]:
            remaining += 1
    collapsed_now = 0
    mean_trust = 0.0
    if not collapsed_before and remaining < p[MIN_MEMBERS]:
        collapsed_now = 1
        among = np.empty(n * n)
        k = 0
        for i in range(n):
            for j in range(n):
                if i != j and active[i] and active[j]:
                    among[k] = trust[i, j]
                    k += 1
        if k > 0:
            mean_trust = _pairwise(among[:k]) / k
        new_active[:] = False
    departures = 0
    for i in range(n):
        if active[i] and not new_active[i]:
            departures += 1
        if not new_active[i]:
            for j in range(n):
                new_level[i, j] = -1
                new_level[j, i] = -1
                new_months[i, j] = 0
                new_months[j, i] = 0

    sums = np.array([at_table, work_sum, float(tied_pairs), organizing_sum, engaged_sum, mean_trust])
    counts = np.array([n_kept, n_broken, departures, collapsed_now], dtype=np.int64)
    return new_trust, new_level, new_months, new_capacity, new_active, new_satisfaction, sums, counts


@njit(_RECORD_SIGNATURE, **_JIT)
def _record_stats(trust, level, capacity, guarding, identity, active, community, budget, p):
    """The recorder's row from one state: ``[mean trust, pairs at each of the 4 levels, mean capacity, shared turf,
    community power share, active members]``, each summed as :meth:`sim.record.Recorder.record` sums it."""
    n = active.shape[0]
    out = np.zeros(9)
    if n * (n - 1) > 0:
        off = np.empty(n * (n - 1))
        k = 0
        for i in range(n):
            for j in range(n):
                if i != j:
                    off[k] = trust[i, j]
                    k += 1
        out[0] = _pairwise(off) / k
    else:
        out[0] = np.nan
    unshared = np.empty(n)
    for i in range(n):
        unshared[i] = (1.0 - guarding[i]) * (1.0 - identity[i])
    shared = np.empty(n * (n - 1) // 2)
    k = 0
    for i in range(n):
        for j in range(i + 1, n):
            lv = level[i, j]
            if 0 <= lv < 4:
                out[1 + lv] += 1
            value = 0.0
            if lv >= 0:
                mutual_will = min(trust[i, j] * unshared[i], trust[j, i] * unshared[j])
                demanded = p[TURF_REQUIRED + lv - 1] if lv > 0 else 0.0
                value = min(mutual_will, demanded)
            shared[k] = value
            k += 1
    out[5] = _pairwise(capacity) / n
    out[6] = _pairwise(shared) / k if k else 0.0
    weights = _authority(active, community, int(p[MODE]), p[COMMUNITY_SHARE], p[LEAD_SHARE],
                         _lead_agency(budget, community))
    held = np.empty(n)
    rest = np.empty(n)
    n_held = 0
    n_rest = 0
    for i in range(n):
        power = weights[i] * capacity[i] if active[i] else 0.0
        if community[i]:
            held[n_held] = power
            n_held += 1
        else:
            rest[n_rest] = power
            n_rest += 1
    held_sum = _pairwise(held[:n_held])
    total = held_sum + _pairwise(rest[:n_rest])
    out[7] = held_sum / total if total > 0 else 0.0
    active_count = 0
    for i in range(n):
        if active[i]:
            active_count += 1
    out[8] = active_count
    return out


# ----------------------------------------------------------------------------- a region's partnerships

# The partnership-level rules, compiled from the rule functions themselves (one source for both paths).
_goals = njit(**_JIT)(phases.advance)
_adoption_chance = njit(**_JIT)(phases.adoption_chance)
_updated_outcome = njit(**_JIT)(phases.updated_outcome)
_reach = njit(**_JIT)(phases.reach_from_engagement)


@njit(**_JIT)
def _decision_efficiency(voices_at_table, deliberation_capacity, backbone_staffed, two):
    """:func:`sim.rules.governance.decision_efficiency` with its square taken as Python takes it.

    Python's ``x ** 2`` calls the C library's ``pow``; compiled, a constant exponent becomes ``x * x``,
    which can differ from ``pow`` in the last bit. ``two`` (2.0, passed in at run time) keeps the call.
    """
    capacity = deliberation_capacity * (1.5 if backbone_staffed else 1.0)
    return 1.0 / (1.0 + (voices_at_table / capacity) ** two)
_advance_grant = njit(**_JIT)(funding.advance_grant)

# Columns of a record row, where sim.record.COLUMNS puts them; the record_stats figures go to _STATS_COLUMNS
# in the order _record_stats returns them.
(C_STEP, C_TRUST, C_NET, C_COORD, C_COOP, C_COLLAB, C_CAPACITY, C_TURF, C_PHASE, C_OUTCOME, C_POWER, C_ACTIVE,
 C_FUNDING, C_FUNDED, C_WORK, C_EFFICIENCY, C_KEPT, C_BROKEN, C_DEPARTURES) = (record.COLUMNS.index(name) for name in (
    "step", "mean_trust", "n_networking", "n_coordinating", "n_cooperating", "n_collaborating", "mean_capacity",
    "shared_turf", "phase", "community_outcome", "community_power_share", "active_members", "funding", "funded",
    "joint_work", "decision_efficiency", "commitments_kept", "commitments_broken", "departures"))
_STATS_COLUMNS = (C_TRUST, C_NET, C_COORD, C_COOP, C_COLLAB, C_CAPACITY, C_TURF, C_POWER, C_ACTIVE)
# Offsets into the partnership-level parameter vector (pack_partnership).
(Q_DELIBERATION, Q_BACKBONE, Q_BACKBONE_SHARE, Q_AMOUNT, Q_ADVOCACY, Q_MEASUREMENT, Q_ASSESSMENT_WORK,
 Q_DEMONSTRATION_WORK, Q_POLICY_WORK, Q_RECEPTIVITY, Q_ADOPTION_RATE, Q_REACH_FLOOR, Q_OUTCOME_GAIN,
 Q_OUTCOME_DECAY, Q_PUBLIC_UPKEEP, Q_GRANT_MONTHS, Q_RENEWAL, Q_TWO) = range(18)
Q_SIZE = 18
_SCALE = phases.SCALE


def pack_partnership(params: Params) -> np.ndarray:
    """The partnership-level parameters :func:`region_month` reads, at the ``Q_*`` offsets."""
    gov, part, community, fund = params.governance, params.partnership, params.community, params.funding
    q = np.zeros(Q_SIZE)
    q[Q_DELIBERATION], q[Q_BACKBONE], q[Q_BACKBONE_SHARE] = gov.deliberation_capacity, gov.mode == "backbone", gov.backbone_share
    q[Q_AMOUNT], q[Q_ADVOCACY] = fund.monthly_amount, part.advocacy
    q[Q_MEASUREMENT] = params.collective_impact.shared_measurement
    q[Q_ASSESSMENT_WORK], q[Q_DEMONSTRATION_WORK], q[Q_POLICY_WORK] = (part.assessment_work, part.demonstration_work,
                                                                       part.policy_work)
    q[Q_RECEPTIVITY], q[Q_ADOPTION_RATE] = params.public_sector.receptivity, params.public_sector.adoption_rate
    q[Q_REACH_FLOOR], q[Q_OUTCOME_GAIN] = community.reach_without_community, community.outcome_gain
    q[Q_OUTCOME_DECAY], q[Q_PUBLIC_UPKEEP] = community.outcome_decay, community.public_upkeep
    q[Q_GRANT_MONTHS], q[Q_RENEWAL] = fund.grant_months, fund.renewal_probability
    q[Q_TWO] = 2.0  # see _decision_efficiency
    return q


@njit(**_JIT)
def region_month(live, dissolved, org_start, pair_start, rec_start, draw_start,
                 community, budget, base_time, sector, capacity, capacity_start, guarding, identity, desire, active,
                 satisfaction, trust, level, months_at, draws,
                 phase, assessment, evidence, policy, outcome, funded, grant_month, grants_received, funding_end,
                 scale_step, collapse_step, formed_step, records, month, p, q):
    """One month of each partnership ``live[i]`` (its draws at ``draw_start[i]``) and of each dissolved one,
    in place in the flat arrays of :class:`sim.region.table.PartnershipTable`: :func:`advance_fast` and
    :meth:`sim.record.Recorder.record` for each, with the same operations in the same order.

    Returns per live partnership ``[money, work, program work, decision efficiency, kept, broken, departures,
    collapsed now, mean trust among its members (for the cause), funded at the month's start]``.
    """
    out = np.zeros((live.size, 10))
    for i in range(live.size):
        k = live[i]
        o0 = org_start[k]
        n = org_start[k + 1] - o0
        o1 = o0 + n
        p0 = pair_start[k]
        nn = n * n
        d0 = draw_start[i]
        local = month - formed_step[k]
        was_funded = funded[k]
        (new_trust, new_level, new_months, new_capacity, new_active, new_satisfaction, sums, counts) = _month(
            community[o0:o1], budget[o0:o1], base_time[o0:o1], sector[o0:o1], capacity[o0:o1], capacity_start[o0:o1],
            guarding[o0:o1], identity[o0:o1], desire[o0:o1], active[o0:o1], satisfaction[o0:o1],
            trust[p0:p0 + nn].reshape((n, n)), level[p0:p0 + nn].reshape((n, n)), months_at[p0:p0 + nn].reshape((n, n)),
            draws[d0:d0 + nn].reshape((n, n)), draws[d0 + nn:d0 + 2 * nn].reshape((n, n)),
            draws[d0 + 2 * nn:d0 + 2 * nn + n], draws[d0 + 2 * nn + n:d0 + 3 * nn + n].reshape((n, n)),
            draws[d0 + 3 * nn + n:d0 + 4 * nn + n].reshape((n, n)), draws[d0 + 4 * nn + n:d0 + 5 * nn + n].reshape((n, n)),
            draws[d0 + 5 * nn + n:d0 + 5 * nn + 2 * n], was_funded, outcome[k], collapse_step[k] >= 0, p)
        renewal_draw = draws[d0 + 5 * nn + 2 * n]
        adoption_draw = draws[d0 + 5 * nn + 2 * n + 1]
        at_table, work_sum, tied_pairs, organizing_sum, engaged_sum, mean_trust = (
            sums[0], sums[1], sums[2], sums[3], sums[4], sums[5])

        # The partnership's scalars, as advance_fast computes them.
        staffed = q[Q_BACKBONE] > 0.0 and was_funded and q[Q_BACKBONE_SHARE] > 0
        efficiency = _decision_efficiency(at_table, q[Q_DELIBERATION], staffed, q[Q_TWO])
        money = q[Q_AMOUNT] if was_funded else 0.0
        pairs_possible = n * (n - 1) // 2
        work = 0.0 if (pairs_possible <= 0 or tied_pairs == 0.0) else efficiency * work_sum / pairs_possible
        community_start = 0
        for j in range(o0, o1):
            if community[j]:
                community_start += 1
        organizing = organizing_sum / community_start if community_start else 0.0
        old_phase = phase[k]
        new_phase, new_assessment, new_evidence, new_policy, program_work = _goals(
            old_phase, assessment[k], evidence[k], policy[k], work, q[Q_ADVOCACY], organizing, q[Q_MEASUREMENT],
            q[Q_ASSESSMENT_WORK], q[Q_DEMONSTRATION_WORK])
        if adoption_draw < _adoption_chance(new_phase, new_policy, q[Q_POLICY_WORK], q[Q_RECEPTIVITY],
                                            q[Q_ADOPTION_RATE]):
            new_phase = _SCALE
            scale_step[k] = local
        reach = _reach(engaged_sum, community_start, q[Q_REACH_FLOOR])
        outcome[k] = _updated_outcome(outcome[k], program_work, reach, old_phase == _SCALE, q[Q_OUTCOME_GAIN],
                                      q[Q_OUTCOME_DECAY], q[Q_PUBLIC_UPKEEP])
        phase[k], assessment[k], evidence[k], policy[k] = new_phase, new_assessment, new_evidence, new_policy
        collapsed_now = counts[3] > 0
        if collapsed_now:
            collapse_step[k] = local
        # The grant clock (sim.rules.funding.close_month).
        still_funded, new_grant_month, renewed = _advance_grant(was_funded, grant_month[k], int(q[Q_GRANT_MONTHS]),
                                                                q[Q_RENEWAL], renewal_draw)
        if collapse_step[k] >= 0:
            still_funded, renewed = False, False
        if was_funded and not still_funded and funding_end[k] < 0:
            funding_end[k] = local
        funded[k], grant_month[k] = still_funded, new_grant_month
        if renewed:
            grants_received[k] += 1

        # Apply: the new organization and pair arrays into the table.
        for j in range(n):
            capacity[o0 + j] = new_capacity[j]
            active[o0 + j] = new_active[j]
            satisfaction[o0 + j] = new_satisfaction[j]
        trust[p0:p0 + nn] = new_trust.ravel()
        level[p0:p0 + nn] = new_level.ravel()
        months_at[p0:p0 + nn] = new_months.ravel()

        # The record row (sim.record.Recorder.record).
        stats = _record_stats(new_trust, new_level, new_capacity, guarding[o0:o1], identity[o0:o1], new_active,
                              community[o0:o1], budget[o0:o1], p)
        row = records[rec_start[k] + local]
        row[C_STEP] = local
        for c in range(len(_STATS_COLUMNS)):
            row[_STATS_COLUMNS[c]] = stats[c]
        row[C_PHASE] = new_phase
        row[C_OUTCOME] = outcome[k]
        row[C_FUNDING] = money
        row[C_FUNDED] = 1.0 if still_funded else 0.0
        row[C_WORK] = work
        row[C_EFFICIENCY] = efficiency
        row[C_KEPT] = counts[0]
        row[C_BROKEN] = counts[1]
        row[C_DEPARTURES] = counts[2]
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = money, work, program_work, efficiency
        out[i, 4], out[i, 5], out[i, 6] = counts[0], counts[1], counts[2]
        out[i, 7] = 1.0 if collapsed_now else 0.0
        out[i, 8] = mean_trust
        out[i, 9] = 1.0 if was_funded else 0.0

    # Dissolved partnerships: no members, so only the community outcome moves (sim.step.advance's first branch);
    # their record row repeats the organizations' figures of the row before, with no money, work or commitments.
    for i in range(dissolved.size):
        k = dissolved[i]
        local = month - formed_step[k]
        outcome[k] = _updated_outcome(outcome[k], 0.0, 0.0, phase[k] == _SCALE, q[Q_OUTCOME_GAIN],
                                      q[Q_OUTCOME_DECAY], q[Q_PUBLIC_UPKEEP])
        row = records[rec_start[k] + local]
        row[:] = records[rec_start[k] + local - 1]
        row[C_STEP] = local
        row[C_OUTCOME] = outcome[k]
        row[C_FUNDED] = 1.0 if funded[k] else 0.0
        for c in (C_FUNDING, C_WORK, C_EFFICIENCY, C_KEPT, C_BROKEN, C_DEPARTURES):
            row[c] = 0.0
    return out


def _tie_region_month_cache_to_rules() -> None:
    """Make numba's on-disk cache of :func:`region_month` stale when the rule modules compiled into it change.

    numba checks a cached function against its own file (this one), not against functions it calls from
    other files; region_month compiles in ``sim.rules.phases`` and ``sim.rules.funding`` and takes its column
    positions from ``sim.record.COLUMNS``. Their sources' digest is added to the stamp numba stores in each cache index and compares on every load (per
    interpreter, fixed at import). If numba's cache object is not as expected, nothing changes.
    """
    import hashlib
    import inspect

    try:
        sources = "".join(inspect.getsource(m) for m in (phases, funding, record))
        digest = hashlib.sha256(sources.encode()).hexdigest()
        cache_file = region_month._cache._cache_file
        cache_file._source_stamp = (cache_file._source_stamp, digest)
    except (AttributeError, OSError, TypeError):
        pass


_tie_region_month_cache_to_rules()


# ----------------------------------------------------------------------------- wrappers

_DTYPES_MONTH = (np.bool_, np.float64, np.float64, np.int64, np.float64, np.float64, np.float64, np.float64, np.float64,
                 np.bool_, np.float64, np.float64, np.int8, np.int32, np.float64, np.float64, np.float64, np.float64,
                 np.float64, np.float64, np.float64)
_DTYPES_RECORD = (np.float64, np.int8, np.float64, np.float64, np.float64, np.bool_, np.bool_, np.float64)


def _call(kernel, dtypes, arrays, scalars):
    """Call a kernel; arrays of another dtype or layout than its signature are converted first (copies)."""
    try:
        return kernel(*arrays, *scalars)
    except TypeError:
        converted = [np.ascontiguousarray(a, dtype=d) for a, d in zip(arrays, dtypes)]
        return kernel(*converted, *scalars)


def advance_fast(state: State, params: Params, draws: StepDraws, month: int) -> tuple[State, StepFacts]:
    """One month through the compiled kernel: the same contract and results as :func:`sim.step.advance`."""
    orgs, pairs, pship = state.orgs, state.pairs, state.partnership
    if not orgs.active.any():
        return advance(state, params, draws, month)  # after a collapse only the outcome moves: numpy's few calls
    funded = bool(pship.funded)
    (new_trust, new_level, new_months, new_capacity, new_active, new_satisfaction, sums, counts) = _call(
        _month, _DTYPES_MONTH,
        (orgs.community, orgs.budget, orgs.base_time, orgs.sector, orgs.capacity, orgs.capacity_start, orgs.guarding,
         orgs.identity, orgs.desire, orgs.active, orgs.satisfaction, pairs.trust, pairs.level, pairs.months_at_level,
         draws.interact, draws.keep, draws.exclusion, draws.rivalry, draws.climb, draws.fall, draws.leave),
        (funded, float(pship.community_outcome), pship.collapse_step is not None, pack(params)))
    at_table, work_sum, tied_pairs, organizing_sum, engaged_sum, mean_trust = sums.tolist()
    kept, broken, departures, collapsed_now = counts.tolist()

    # The partnership's scalars, as sim.step.advance computes them (mostly with the same rule functions).
    gov, fund, community = params.governance, params.funding, params.community
    count = state.count
    staffed = funding.backbone_staffed(gov.mode, funded, gov.backbone_share)
    efficiency = governance.decision_efficiency(at_table, gov.deliberation_capacity, staffed)
    money = fund.monthly_amount if funded else 0.0
    pairs_possible = count * (count - 1) // 2
    work = 0.0 if (pairs_possible <= 0 or not tied_pairs) else efficiency * work_sum / pairs_possible
    community_start = int(np.count_nonzero(orgs.community))
    organizing = organizing_sum / community_start if community_start else 0.0
    phase, assessment, evidence, policy, program_work, scale_step = phases.month_of_goals(
        pship, work, organizing, params, draws.adoption, month)
    reach = phases.reach_from_engagement(engaged_sum, community_start, community.reach_without_community)
    outcome = phases.updated_outcome(pship.community_outcome, program_work, reach, pship.phase == phases.SCALE,
                                     community.outcome_gain, community.outcome_decay, community.public_upkeep)

    collapse_step, cause = pship.collapse_step, pship.collapse_cause
    if collapsed_now:
        collapse_step, cause = month, membership.collapse_cause(mean_trust, funded)
    still_funded, grant_month, renewed, funding_end_step = funding.close_month(
        funded, pship.grant_month, pship.funding_end_step, month, collapse_step is not None,
        fund.grant_months, fund.renewal_probability, draws.renewal)

    new_state = State(
        orgs=OrgState(sector=orgs.sector, community=orgs.community, budget=orgs.budget, base_time=orgs.base_time,
                      capacity=new_capacity, capacity_start=orgs.capacity_start, guarding=orgs.guarding,
                      identity=orgs.identity, desire=orgs.desire, active=new_active, satisfaction=new_satisfaction),
        pairs=PairState(trust=new_trust, level=new_level, months_at_level=new_months),
        partnership=PartnershipState(
            phase=phase, assessment=assessment, evidence=evidence, policy=policy, community_outcome=outcome,
            funded=still_funded, grant_month=grant_month, grants_received=pship.grants_received + int(renewed),
            funding_end_step=funding_end_step, scale_step=scale_step, collapse_step=collapse_step, collapse_cause=cause),
    )
    facts = StepFacts(money=money, work=work, program_work=program_work, decision_efficiency=efficiency,
                      kept=kept, broken=broken, departures=departures)
    return new_state, facts


def record_stats(state: State, params: Params) -> np.ndarray:
    """:func:`_record_stats` on a state (see :meth:`sim.record.Recorder.record`)."""
    orgs, pairs = state.orgs, state.pairs
    return _call(_record_stats, _DTYPES_RECORD,
                 (pairs.trust, pairs.level, orgs.capacity, orgs.guarding, orgs.identity, orgs.active, orgs.community,
                  orgs.budget), (pack(params),))


def warm_up() -> None:
    """Compile (or load from numba's cache) both kernels on a tiny state."""
    from sim.params import from_dict
    from sim.state import initial_state

    params = from_dict({"organizations": {"count": 3}, "partnership": {"min_members": 2}})
    rng = np.random.default_rng(0)
    state = initial_state(params, rng)
    advance_fast(state, params, StepDraws.sample(rng, state.count), 1)
    record_stats(state, params)
