"""The executable specification: one month of the model in plain Python, one organization and one pair at a time.

``advance_reference(state, params, draws, month)`` takes the same inputs and
returns the same outputs as :func:`sim.step.advance`, but states every rule of
docs/ODD.md (sections 3 and 7) directly, as readable loops over organizations,
over unordered pairs ``i < j`` (interaction events, levels, rivalry, climbing
and falling) and over ordered pairs ``(i, j)`` (trust, commitments kept and
broken, willingness, exclusion from decisions), with Python floats and ints.
It is not a second model: it exists so that the vectorized step can be checked
against the rules as written (``tests/test_reference.py``), and so that anyone
can read what one month does without decoding array tricks.

It consumes the same pre-drawn uniforms (docs/ODD.md section 3, "Draws first"):
``draws.interact[i, j]``, ``draws.rivalry[i, j]``, ``draws.climb[i, j]`` and
``draws.fall[i, j]`` only for ``i < j`` (the upper triangle; both sides of the
pair see the same event); ``draws.keep[i, j]`` for the directed commitment of
``i`` to ``j``; ``draws.exclusion[i]`` and ``draws.leave[i]`` per organization;
``draws.renewal`` and ``draws.adoption`` once.

Everything is computed from the old state first and applied after (section 3):
no rule sees another rule's result from the same month, except the public
sector's adoption decision, which sees this month's phase progress (7.6).

It never mutates its inputs. It imports only the state and draw containers and
the facts record; every rule and every constant is restated here from the ODD
(constants from section 7.9), so that a change to the code that the ODD does not
describe shows up as a failing comparison.

Where docs/ODD.md and the code differ in a detail, this module follows the code
and says so in a comment marked "code detail".
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.draws import StepDraws
from sim.params import Params
from sim.state import OrgState, PairState, State
from sim.step import StepFacts

# ----------------------------------------------------------------------------- constants (ODD sections 2, 7.9)

NO_TIE = -1
NETWORKING, COORDINATING, COOPERATING, COLLABORATING = 0, 1, 2, 3
TOP_LEVEL = COLLABORATING

ASSESSMENT, DEMONSTRATION, ADVOCACY, SCALE = 0, 1, 2, 3

CAPACITY_MIN, CAPACITY_MAX = 0.01, 1.0
BACKBONE_DELIBERATION = 1.5      # a staffed backbone holds half again as many voices (7.1)
BACKBONE_MEETING_SHARE = 0.5     # backbone staff carry half the meeting load (7.1)
LEAD_AGENCY_DELIBERATION = 0.5   # voices at the table halved under a lead agency (7.1)
MANDATE_TRUST_FACTOR = 0.5       # a mandate cuts trust requirements half as much as months and turf (7.2)
CI_BOOST = 0.5                   # collective impact boosts per unit of the knob (7.4, 7.6)
ORGANIZING_BASE = 0.5            # advocacy counts half even with no organizing power (7.6)
INSTITUTION_STAKE = 1.0 / 3.0    # institutions' stake in the community outcome (7.8)
TRUST_BREAKDOWN = 0.25           # mean trust below which a collapse is put down to trust (7.8)

CAUSE_TRUST = "trust broke down"
CAUSE_FUNDING = "funding ended with no way to sustain"
CAUSE_WALKED = "members walked away"


def _clip(x: float, low: float, high: float) -> float:
    return min(max(x, low), high)


# ----------------------------------------------------------------------------- 7.1 governance

def lead_agency(budget: list[float], community: list[bool]) -> int:
    """7.1: the institution with the largest budget among all that started (the largest member if there is none).

    Ties go to the lowest index.
    """
    institutions = [i for i in range(len(budget)) if not community[i]]
    candidates = institutions if institutions else list(range(len(budget)))
    best = candidates[0]
    for i in candidates:
        if budget[i] > budget[best]:
            best = i
    return best


def authority(active: list[bool], community: list[bool], mode: str, share: float, lead_share: float,
              lead: int) -> list[float]:
    """7.1 Authority ``w_i``: the community organizations hold ``s`` between them, the institutions the rest."""
    n = len(active)
    C = [i for i in range(n) if active[i] and community[i]]
    I = [i for i in range(n) if active[i] and not community[i]]
    w = [0.0] * n
    if not C and not I:
        return w
    s = share
    if not C:
        s = 0.0
    elif not I:
        s = 1.0
    for i in C:
        w[i] = s / len(C)
    institutional = 1.0 - s
    if mode == "lead_agency" and lead in I and len(I) > 1:
        for i in I:
            w[i] = institutional * (1.0 - lead_share) / (len(I) - 1)
        w[lead] = institutional * lead_share
    else:
        # shared, backbone, or a lead agency that has left (or is the only institution): equal split
        for i in I:
            w[i] = institutional / len(I)
    return w


def voice(w_i: float, active_i: bool, n_active: int) -> float:
    """7.1 Voice: ``v_i = min(1, w_i · n_A)`` for active members, 0 otherwise."""
    return min(w_i * n_active, 1.0) if active_i else 0.0


def voices_at_table(v: list[float], community: list[bool], capacity: list[float], inclusion_cost: float,
                    mode: str) -> float:
    """7.1 ``V = Σ v_i · (1 + inclusion_cost · [community] · (1 − cap_i))``, halved under a lead agency."""
    V = 0.0
    for i in range(len(v)):
        in_community = 1.0 if community[i] else 0.0
        V += v[i] * (1.0 + inclusion_cost * in_community * (1.0 - capacity[i]))
    return LEAD_AGENCY_DELIBERATION * V if mode == "lead_agency" else V


def backbone_staffed(mode: str, funded: bool, backbone_share: float) -> bool:
    """7.1 A backbone has dedicated staff only while grant money pays for them."""
    return mode == "backbone" and funded and backbone_share > 0


def decision_efficiency(V: float, deliberation_capacity: float, staffed: bool) -> float:
    """7.1 ``E = 1 / (1 + (V / D)²)``, ``D = deliberation_capacity · (1.5 if backbone staffed)``."""
    D = deliberation_capacity * (BACKBONE_DELIBERATION if staffed else 1.0)
    return 1.0 / (1.0 + (V / D) ** 2)


def meeting_load(v: list[float], meeting_time: float, staffed: bool) -> float:
    """7.1 ``M = meeting_time · Σ v_i`` (unweighted voices), halved when a backbone is staffed."""
    return meeting_time * sum(v) * (BACKBONE_MEETING_SHARE if staffed else 1.0)


def excluded_from_decision(active_i: bool, v_i: float, u_exclusion_i: float) -> bool:
    """7.1 Exclusion: an active member is left out when ``u_i < 1 − v_i``."""
    return active_i and u_exclusion_i < 1.0 - v_i


def dominance(w: list[float], active: list[bool], n_active: int) -> list[float]:
    """7.1 ``d_j = max(w_j − 1/n_A, 0) / max_k max(w_k − 1/n_A, 0)`` (all 0 if nobody holds more than an equal share)."""
    excess = [max(w[j] - 1.0 / n_active, 0.0) if active[j] else 0.0 for j in range(len(w))]
    top = max(excess)
    return [e / top for e in excess] if top > 0 else excess


# ----------------------------------------------------------------------------- 7.2 funding

def requirements(params: Params, funded: bool) -> tuple[list[float], list[float], list[float]]:
    """7.2 Requirements to step up to each level, networking first, cut by a mandate while the money flows.

    ``k = mandate_pressure`` if mandated and funded; coordinating and cooperating
    need ``(1 − k)`` of the months and turf and ``(1 − k/2)`` of the trust;
    collaborating keeps its full requirements.
    """
    c = params.continuum
    k = params.funding.mandate_pressure if (params.funding.mandated and funded) else 0.0
    cut = [0.0, k, k, 0.0]
    months = [0.0, *c.months_required]
    trust = [0.0, *c.trust_required]
    turf = [0.0, *c.turf_required]
    months_needed = [months[l] * (1.0 - cut[l]) for l in range(4)]
    trust_needed = [trust[l] * (1.0 - MANDATE_TRUST_FACTOR * cut[l]) for l in range(4)]
    turf_needed = [turf[l] * (1.0 - cut[l]) for l in range(4)]
    return months_needed, trust_needed, turf_needed


def grant_dollars(money: float, w: list[float], staffed: bool, backbone_share: float) -> list[float]:
    """7.2 ``g_i = m · (1 − backbone_share if backbone staffed else 1) · w_i / Σ_k w_k``."""
    total = sum(w)
    if money <= 0 or total <= 0:
        return [0.0] * len(w)
    to_members = money * (1.0 - backbone_share if staffed else 1.0)
    return [to_members * w_i / total for w_i in w]


def advance_grant(funded: bool, grant_month: int, grant_months: int, renewal_probability: float,
                  u_renewal: float) -> tuple[bool, int, bool]:
    """7.2 Grant clock: ``(funded, grant_month, renewed)`` after this month."""
    if not funded:
        return False, grant_month, False
    grant_month += 1
    if grant_month < grant_months:
        return True, grant_month, False
    if u_renewal < renewal_probability:
        return True, 0, True
    return False, grant_month, False


# ----------------------------------------------------------------------------- 7.3 load, time budget, capacity

def time_budget(base_time_i: float, cap_i: float, v_i: float, community_i: bool, ownership_time: float,
                grant_time_i: float) -> float:
    """7.3 ``budget_i = base_time_i · (0.5 + cap_i) · (1 + ownership_time · v_i · [community]) + grant_time_i``."""
    in_community = 1.0 if community_i else 0.0
    return base_time_i * (0.5 + cap_i) * (1.0 + ownership_time * v_i * in_community) + grant_time_i


def updated_capacity(cap_i: float, cap_start_i: float, collaborating_partner_caps: list[float], v_i: float,
                     overload_i: float, partner_gain: float, learning_rate: float, overextension_loss: float,
                     recovery: float, partners_possible: int) -> float:
    """7.3 Capacity: gains from collaborating partners and from taking part in decisions, loss from
    over-extension, drift back toward the start; clipped to 0.01 – 1."""
    from_partners = partner_gain * sum(collaborating_partner_caps) / max(partners_possible, 1)
    learning = learning_rate * v_i
    growth = (from_partners + learning) * (1.0 - cap_i)
    change = growth - overextension_loss * overload_i + recovery * (cap_start_i - cap_i)
    return _clip(cap_i + change, CAPACITY_MIN, CAPACITY_MAX)


# ----------------------------------------------------------------------------- 7.4 trust

def willingness(trust_ij: float, guarding_i: float, identity_i: float) -> float:
    """Section 2: ``W[i, j] = trust[i, j] · (1 − guarding_i) · (1 − identity_i)``.

    Code detail: the code multiplies trust by the product ``(1 − g)(1 − id)``.
    """
    return trust_ij * ((1.0 - guarding_i) * (1.0 - identity_i))


def interaction_chance(level: int, interaction_rate: list[float], continuous_communication: float) -> float:
    """7.4 ``q_ℓ = min(1, interaction_rate[ℓ] · (1 + continuous_communication))``; untied pairs never interact."""
    if level == NO_TIE:
        return 0.0
    return min(interaction_rate[level] * (1.0 + continuous_communication), 1.0)


def commitment_gap(level: int, mutual_trust: float, will_ij: float, full_trust_required: list[float],
                   full_turf_required: list[float]) -> float:
    """7.4 How far the level's full (unmandated) demands exceed what i offers j, as a fraction of the demand."""
    if level == NO_TIE:
        return 0.0
    need_trust = full_trust_required[level]
    need_turf = full_turf_required[level]
    trust_gap = max(need_trust - mutual_trust, 0.0) / need_trust if need_trust > 0 else 0.0
    turf_gap = max(need_turf - will_ij, 0.0) / need_turf if need_turf > 0 else 0.0
    return max(trust_gap, turf_gap)


def keep_probability(reliability: float, strain_i: float, gap_ij: float) -> float:
    """7.4 ``p_ij = reliability / max(1, strain_i) · (1 − gap_ij)``."""
    return reliability / max(strain_i, 1.0) * (1.0 - gap_ij)


def updated_trust(T: float, kept_ji: bool, broken_ji: bool, gain: float, loss_: float, excluded_i: bool,
                  d_j: float, exclusion_loss: float, rivals_ij: bool, rivalry_loss: float) -> float:
    """7.4 Update of i's trust in j (``kept_ji``/``broken_ji``: j's commitment to i this month)."""
    T_new = T + gain * (1.0 - T) * float(kept_ji) - loss_ * T * float(broken_ji)
    T_new = T_new * (1.0 - exclusion_loss * float(excluded_i) * d_j)
    T_new = T_new * (1.0 - rivalry_loss * float(rivals_ij))
    return _clip(T_new, 0.0, 1.0)


# ----------------------------------------------------------------------------- 7.5 continuum

def level_move(level: int, months_at_level: int, T_m: float, W_m: float, slack_i: float, slack_j: float,
               overload_i: float, overload_j: float, months_needed: list[float], trust_needed: list[float],
               turf_needed: list[float], c: list[float], climb_rate: float, fall_rate: float, hold_margin: float,
               u_climb: float, u_fall: float) -> int:
    """7.5 The pair's move this month: +1, 0 or −1, judged on the old trust and willingness."""
    if level == NO_TIE:
        return 0
    l = level
    n = min(l + 1, TOP_LEVEL)
    extra = c[n] - c[l]
    has_time = slack_i >= extra and slack_j >= extra
    can_climb = (l < TOP_LEVEL
                 and months_at_level >= months_needed[n]
                 and T_m >= trust_needed[n]
                 and W_m >= turf_needed[n]
                 and has_time)
    failing = T_m < trust_needed[l] - hold_margin or W_m < turf_needed[l] - hold_margin
    if failing:
        fall_chance = fall_rate
    else:
        fall_chance = fall_rate * min(max(overload_i, overload_j), 1.0)
    falls = l > NETWORKING and u_fall < fall_chance
    climbs = can_climb and not falls and u_climb < climb_rate
    return 1 if climbs else (-1 if falls else 0)


# ----------------------------------------------------------------------------- 7.6 goals and scale, 7.7 outcome

def joint_work(level: list[list[int]], capacity: list[float], effort: list[float], omega: list[float],
               efficiency: float) -> float:
    """7.6 ``J = E · Σ_{i<j tied} ω_ℓ · (cap_i + cap_j)/2 · min(effort_i, effort_j) / (N(N − 1)/2)``."""
    n = len(capacity)
    pairs_possible = n * (n - 1) // 2
    total = 0.0
    any_tied = False
    for i in range(n):
        for j in range(i + 1, n):
            l = level[i][j]
            if l == NO_TIE:
                continue
            any_tied = True
            total += omega[l] * 0.5 * (capacity[i] + capacity[j]) * min(effort[i], effort[j])
    if pairs_possible <= 0 or not any_tied:
        return 0.0
    return efficiency * total / pairs_possible


def phase_progress(phase: int, assessment: float, evidence: float, policy: float, J: float, a: float, O: float,
                   sm: float, assessment_work: float, demonstration_work: float):
    """7.6 Phase progress: ``(phase, assessment, evidence, policy, program_work)``; no carry-over."""
    program_work = 0.0
    boost = 1.0 + CI_BOOST * sm
    if phase == ASSESSMENT:
        assessment += J
        if assessment >= assessment_work:
            phase = DEMONSTRATION
    elif phase == DEMONSTRATION:
        evidence += J * boost
        program_work = J
        if evidence >= demonstration_work and a > 0:
            phase = ADVOCACY
    elif phase == ADVOCACY:
        program_work = J * (1.0 - a)
        evidence += program_work * boost
        policy += J * a * (ORGANIZING_BASE + O) * boost
    else:  # scale: the policy is won, all the work goes to the program
        program_work = J
        evidence += J * boost
    return phase, assessment, evidence, policy, program_work


def adoption_chance(phase: int, policy: float, policy_work: float, receptivity: float, adoption_rate: float) -> float:
    """7.6 ``receptivity · adoption_rate · min(1, policy / policy_work)``, only in the advocacy phase."""
    if phase != ADVOCACY:
        return 0.0
    return receptivity * adoption_rate * min(1.0, policy / policy_work)


def updated_outcome(y: float, program_work: float, reach: float, scaled: bool, outcome_gain: float,
                    outcome_decay: float, public_upkeep: float) -> float:
    """7.7 ``y' = clip(y + gain·program_work·reach·(1 − y) + [scaled]·upkeep·(1 − y) − decay·y, 0, 1)``."""
    room = 1.0 - y
    gained = outcome_gain * program_work * reach * room + (public_upkeep * room if scaled else 0.0)
    return _clip(y + gained - outcome_decay * y, 0.0, 1.0)


# ----------------------------------------------------------------------------- 7.8 membership and collapse

def satisfaction_now(tie_work_i: float, desire_i: float, typical_desire: float, community_i: bool, y: float,
                     v_i: float, grant_time_i: float, load_i: float, budget_i: float, letdowns_i: int,
                     partners_possible: int, mem) -> float:
    """7.8 This month's satisfaction ``s_i``.

    Code detail: divisions by the budget use ``max(budget, 1e-9)`` and by ``N − 1`` use ``max(N − 1, 1)``.
    """
    stake = 1.0 if community_i else INSTITUTION_STAKE
    intrinsic = desire_i / typical_desire
    per_budget = max(budget_i, 1e-9)
    return (intrinsic * (mem.tie_value * tie_work_i + mem.outcome_value * stake * y)
            + mem.voice_value * v_i
            + mem.funding_value * grant_time_i / per_budget
            - mem.time_value * load_i / per_budget
            - mem.letdown_value * letdowns_i / max(partners_possible, 1))


def collapse_cause(mean_trust: float, funded: bool) -> str:
    """7.8 Cause of a collapse, from the state at the start of the month."""
    if mean_trust < TRUST_BREAKDOWN:
        return CAUSE_TRUST
    if not funded:
        return CAUSE_FUNDING
    return CAUSE_WALKED


# ----------------------------------------------------------------------------- one month (section 3)

def _copy_state_with(state: State, **partnership_changes) -> State:
    copy = state.copy()
    for key, value in partnership_changes.items():
        setattr(copy.partnership, key, value)
    return copy


def advance_reference(state: State, params: Params, draws: StepDraws, month: int) -> tuple[State, StepFacts]:
    """One month, rule by rule, in the order of docs/ODD.md section 3. Same contract as ``sim.step.advance``."""
    o, p, ps = state.orgs, state.pairs, state.partnership
    N = int(o.sector.size)
    orgs = range(N)

    # Old state as plain Python values.
    sector = [int(x) for x in o.sector]
    community = [bool(x) for x in o.community]
    budget_dollars = [float(x) for x in o.budget]
    base_time = [float(x) for x in o.base_time]
    cap = [float(x) for x in o.capacity]
    cap_start = [float(x) for x in o.capacity_start]
    guarding = [float(x) for x in o.guarding]
    identity = [float(x) for x in o.identity]
    desire = [float(x) for x in o.desire]
    active = [bool(x) for x in o.active]
    S = [float(x) for x in o.satisfaction]
    T = [[float(x) for x in row] for row in p.trust]
    level = [[int(x) for x in row] for row in p.level]
    months_at = [[int(x) for x in row] for row in p.months_at_level]
    funded = bool(ps.funded)
    y = float(ps.community_outcome)

    n_active = sum(active)
    if n_active == 0:
        # Section 3: after a collapse (no active members) a month does only one thing: the community
        # outcome decays, or is upheld by the public sector if the innovation had reached scale (7.7).
        y_new = updated_outcome(y, 0.0, 0.0, ps.phase == SCALE, params.community.outcome_gain,
                                params.community.outcome_decay, params.community.public_upkeep)
        return _copy_state_with(state, community_outcome=y_new), StepFacts(0.0, 0.0, 0.0, 0.0, 0, 0, 0)

    c_par, gov, fund, mem = params.continuum, params.governance, params.funding, params.membership
    ci = params.collective_impact
    partners_possible = N - 1
    # 7.3 Cost of ties: c_ℓ = time_cost[ℓ] / max(N − 1, 1).
    c = [float(x) / max(N - 1, 1) for x in c_par.time_cost]
    u_interact = draws.interact.tolist()
    u_keep = draws.keep.tolist()
    u_rivalry = draws.rivalry.tolist()
    u_climb = draws.climb.tolist()
    u_fall = draws.fall.tolist()
    u_exclusion = draws.exclusion.tolist()
    u_leave = draws.leave.tolist()

    # 1. Governance (7.1) ------------------------------------------------------------------------------
    lead = lead_agency(budget_dollars, community)
    w = authority(active, community, gov.mode, gov.community_decision_share, gov.lead_share, lead)
    v = [voice(w[i], active[i], n_active) for i in orgs]
    V = voices_at_table(v, community, cap, gov.inclusion_cost, gov.mode)
    staffed = backbone_staffed(gov.mode, funded, gov.backbone_share)
    E = decision_efficiency(V, gov.deliberation_capacity, staffed)

    # 2. Funding (7.2) ---------------------------------------------------------------------------------
    money = fund.monthly_amount if funded else 0.0
    g = grant_dollars(money, w, staffed, gov.backbone_share)
    grant_time = [g[i] / fund.dollars_per_time_unit for i in orgs]

    # 3. Load and time budget (7.3) --------------------------------------------------------------------
    M = meeting_load(v, gov.meeting_time, staffed)
    R = fund.reporting_burden if (fund.accountability == "hierarchical" and funded) else 0.0   # 7.2 reporting
    P = fund.expectation_ratio if funded else 1.0                                               # 7.2 expectations
    load = [0.0] * N
    for i in orgs:
        if active[i]:
            ties = 0.0
            for j in orgs:
                if level[i][j] != NO_TIE:
                    ties += c[level[i][j]]
            load[i] = P * (ties + M) + R
    budget = [time_budget(base_time[i], cap[i], v[i], community[i], mem.ownership_time, grant_time[i]) for i in orgs]
    overload = [max(load[i] / budget[i] - 1.0, 0.0) if active[i] else 0.0 for i in orgs]
    slack = [budget[i] - load[i] for i in orgs]
    strain = [load[i] / budget[i] for i in orgs]
    # Code detail: effort guards against a zero load (an inactive member, or no ties and no meetings).
    effort = [min(1.0, budget[i] / max(load[i], 1e-12)) for i in orgs]

    # 4. Trust (7.4) -----------------------------------------------------------------------------------
    months_needed, trust_needed, turf_needed = requirements(params, funded)
    full_trust_required = [0.0, *c_par.trust_required]
    full_turf_required = [0.0, *c_par.turf_required]
    W = [[willingness(T[i][j], guarding[i], identity[i]) for j in orgs] for i in orgs]

    def T_m(i, j):  # mutual trust (section 2)
        return min(T[i][j], T[j][i])

    def W_m(i, j):  # mutual willingness (section 2)
        return min(W[i][j], W[j][i])

    interacting = [[False] * N for _ in orgs]
    rivals = [[False] * N for _ in orgs]
    for i in orgs:
        for j in range(i + 1, N):
            # One draw per pair (upper triangle), seen by both sides.
            q = interaction_chance(level[i][j], c_par.interaction_rate, ci.continuous_communication)
            interacting[i][j] = interacting[j][i] = u_interact[i][j] < q
            # Active same-sector pairs are rivals when u_rivalry < competition, funded or not.
            same_sector = sector[i] == sector[j] and active[i] and active[j]
            rivals[i][j] = rivals[j][i] = same_sector and u_rivalry[i][j] < fund.competition

    kept = [[False] * N for _ in orgs]     # kept[i][j]: i kept its commitment to j
    broken = [[False] * N for _ in orgs]
    for i in orgs:
        for j in orgs:
            if i == j or not interacting[i][j]:
                continue
            gap = commitment_gap(level[i][j], T_m(i, j), W[i][j], full_trust_required, full_turf_required)
            # 7.4: holding everyone to the same standard calls out that share of the hedging.
            gap = gap * (1.0 - ci.same_standards)
            if u_keep[i][j] < keep_probability(params.trust.reliability, strain[i], gap):
                kept[i][j] = True
            else:
                broken[i][j] = True

    excluded = [excluded_from_decision(active[i], v[i], u_exclusion[i]) for i in orgs]
    d = dominance(w, active, n_active)
    loss_ = params.trust.loss * (1.0 - CI_BOOST * ci.learning_culture)
    # 7.1: mutual respect reveals and heals the hurt of being left out.
    exclusion_loss = params.trust.exclusion_loss * (1.0 - params.governance.mutual_respect)
    T_new = [[0.0] * N for _ in orgs]
    for i in orgs:
        for j in orgs:
            if i == j:
                continue  # diagonal stays 0
            T_new[i][j] = updated_trust(T[i][j], kept[j][i], broken[j][i], params.trust.gain, loss_, excluded[i], d[j],
                                        exclusion_loss, rivals[i][j], params.trust.rivalry_loss)

    # 5. Continuum (7.5), on the old trust and willingness ---------------------------------------------
    level_new = [row[:] for row in level]
    months_new = [[0] * N for _ in orgs]
    for i in orgs:
        for j in range(i + 1, N):
            if level[i][j] == NO_TIE:
                continue  # no tie: level stays −1, months 0
            move = level_move(level[i][j], months_at[i][j], T_m(i, j), W_m(i, j), slack[i], slack[j],
                              overload[i], overload[j], months_needed, trust_needed, turf_needed, c,
                              c_par.climb_rate, c_par.fall_rate, c_par.hold_margin, u_climb[i][j], u_fall[i][j])
            level_new[i][j] = level_new[j][i] = level[i][j] + move
            months_new[i][j] = months_new[j][i] = months_at[i][j] + 1 if move == 0 else 0

    # 6. Capacity (7.3), from the old levels and capacities --------------------------------------------
    cp = params.capacity
    cap_new = cap[:]
    for i in orgs:
        if not active[i]:
            continue  # departed members keep their last capacity
        partner_caps = [cap[j] for j in orgs if level[i][j] == COLLABORATING]
        cap_new[i] = updated_capacity(cap[i], cap_start[i], partner_caps, v[i], overload[i], cp.partner_gain,
                                      cp.learning_rate, cp.overextension_loss, cp.recovery, partners_possible)

    # 7. Goals and scale (7.6) -------------------------------------------------------------------------
    part = params.partnership
    mr = ci.mutually_reinforcing
    omega = [c_par.joint_work[0] * 1.0] + [c_par.joint_work[l] * (1.0 + CI_BOOST * mr) for l in (1, 2, 3)]
    J = joint_work(level, cap, effort, omega, E)
    community_start = sum(community)
    if community_start:
        O = sum(cap[i] * v[i] for i in orgs if active[i] and community[i]) / community_start
    else:
        O = 0.0
    phase, assessment, evidence, policy, program_work = phase_progress(
        ps.phase, ps.assessment, ps.evidence, ps.policy, J, part.advocacy, O, ci.shared_measurement,
        part.assessment_work, part.demonstration_work)
    scale_step = ps.scale_step
    # The public sector's decision sees this month's phase progress.
    if draws.adoption < adoption_chance(phase, policy, part.policy_work, params.public_sector.receptivity,
                                        params.public_sector.adoption_rate):
        phase, scale_step = SCALE, month

    # 8. Community outcome (7.7) -----------------------------------------------------------------------
    r0 = params.community.reach_without_community
    engaged = sum(v[i] for i in orgs if active[i] and community[i]) / community_start if community_start else 0.0
    reach = r0 + (1.0 - r0) * engaged
    y_new = updated_outcome(y, program_work, reach, ps.phase == SCALE, params.community.outcome_gain,
                            params.community.outcome_decay, params.community.public_upkeep)

    # 9. Membership (7.8) ------------------------------------------------------------------------------
    typical_desire = (1.0 + params.organizations.self_selection) / 2.0
    S_new = S[:]
    leaving = [False] * N
    for i in orgs:
        if not active[i]:
            continue
        # raw joint_work here, without the mutually-reinforcing boost
        tie_work = sum(c_par.joint_work[level[i][j]] * cap[j] for j in orgs if level[i][j] != NO_TIE)
        tie_work = tie_work / max(partners_possible, 1)
        letdowns = sum(1 for j in orgs if broken[j][i])
        s = satisfaction_now(tie_work, desire[i], typical_desire, community[i], y, v[i], grant_time[i], load[i],
                             budget[i], letdowns, partners_possible, mem)
        S_new[i] = mem.memory * S[i] + (1.0 - mem.memory) * s
        leaving[i] = S_new[i] < 0.0 and u_leave[i] < mem.leave_rate

    # Apply (section 3) --------------------------------------------------------------------------------
    # 1. departing members become inactive; fewer than min_members left is a collapse.
    active_new = [active[i] and not leaving[i] for i in orgs]
    collapse_step, cause = ps.collapse_step, ps.collapse_cause
    if collapse_step is None and sum(active_new) < part.min_members:
        among = [T[i][j] for i in orgs for j in orgs if i != j and active[i] and active[j]]
        mean_trust = sum(among) / len(among) if among else 0.0
        collapse_step, cause = month, collapse_cause(mean_trust, funded)
        active_new = [False] * N
    # 2. every pair with an inactive side loses its tie.
    for i in orgs:
        for j in orgs:
            if not (active_new[i] and active_new[j]):
                level_new[i][j] = NO_TIE
                months_new[i][j] = 0
    # 3. the grant clock advances; a collapse also stops the money.
    still_funded, grant_month, renewed = advance_grant(funded, ps.grant_month, fund.grant_months,
                                                       fund.renewal_probability, draws.renewal)
    # 7.2: a collapse stops the money; a renewal in that month is not counted.
    if collapse_step is not None:
        still_funded, renewed = False, False
    funding_end_step = ps.funding_end_step
    if funded and not still_funded and funding_end_step is None:
        funding_end_step = month

    # 4. the new values replace the old.
    new_orgs = OrgState(
        sector=o.sector.copy(), community=o.community.copy(), budget=o.budget.copy(), base_time=o.base_time.copy(),
        capacity=np.array(cap_new, dtype=float), capacity_start=o.capacity_start.copy(), guarding=o.guarding.copy(),
        identity=o.identity.copy(), desire=o.desire.copy(), active=np.array(active_new, dtype=bool),
        satisfaction=np.array(S_new, dtype=float),
    )
    new_pairs = PairState(trust=np.array(T_new, dtype=float), level=np.array(level_new, dtype=np.int8),
                          months_at_level=np.array(months_new, dtype=np.int32))
    new_partnership = dataclasses.replace(
        ps, phase=phase, assessment=assessment, evidence=evidence, policy=policy, community_outcome=y_new,
        funded=still_funded, grant_month=grant_month, grants_received=ps.grants_received + int(renewed),
        funding_end_step=funding_end_step, scale_step=scale_step, collapse_step=collapse_step, collapse_cause=cause,
    )
    facts = StepFacts(
        money=money, work=J, program_work=program_work, decision_efficiency=E,
        kept=sum(kept[i][j] for i in orgs for j in orgs), broken=sum(broken[i][j] for i in orgs for j in orgs),
        departures=sum(1 for i in orgs if active[i] and not active_new[i]),
    )
    return State(orgs=new_orgs, pairs=new_pairs, partnership=new_partnership), facts
