"""One month of the model, in one documented order: compute everything from the old state, then apply.

``advance(state, params, draws, month)`` is a pure function: it reads the old
state and this month's pre-drawn uniforms and returns a new state and the
month's facts. No result depends on the order organizations are visited.

Order within a month (docs/ODD.md, "Process overview and scheduling"):

1. governance: authority, voice, deliberation, decision efficiency (active members);
2. funding: this month's grant money, split by authority; staff time it buys;
3. load and time budget of each member; over-extension and strain;
4. trust: exchanges of commitments, kept or broken; exclusion from decisions; rivalry;
5. continuum: each pair steps up, holds or steps down one level (from old trust);
6. capacity: partners, learning, over-extension, drift;
7. goals: joint work moves the phase; the public sector may adopt (scale);
8. community outcome;
9. membership: satisfaction, members walking away;
then apply all of it; check collapse; advance the grant clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sim.draws import StepDraws, symmetric_events
from sim.params import Params
from sim.rules import capacity as capacity_rules
from sim.rules import continuum, funding, governance, membership, phases, trust
from sim.state import NO_TIE, PairState, State


# Which implementation of the month a model uses (``PartnershipModel(kernel=None)`` reads this):
#   "numpy": advance below, vectorized; always available.
#   "numba": sim.fast.advance_fast, the same month as one compiled loop kernel (needs numba, the `fast` extra).
#   "auto":  numba when it imports and the partnership is at most DENSE_LIMIT organizations, else numpy.
# Both give the same results bit for bit (tests/test_fast.py); numba is several times faster on small runs.
KERNEL = "auto"
KERNELS = ("auto", "numpy", "numba")
DENSE_LIMIT = 2000
_numba_status: str | None = None  # None: not tried yet; "": sim.fast imports; else why it does not


def numba_problem() -> str:
    """Why the numba kernel cannot be used here ("" if it can). Imports numba once, on first call."""
    global _numba_status
    if _numba_status is None:
        try:
            import sim.fast  # noqa: F401  (imports numba, compiles or loads the kernels)
            _numba_status = ""
        except Exception as error:  # numba missing, built for another numpy, or failing to compile here
            _numba_status = f"{type(error).__name__}: {error}"
    return _numba_status


def resolve_kernel(kernel: str | None, count: int) -> str:
    """``"numpy"`` or ``"numba"`` for a partnership of ``count`` organizations (``None`` reads :data:`KERNEL`)."""
    kernel = KERNEL if kernel is None else kernel
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}: expected one of {', '.join(KERNELS)}")
    if kernel == "numpy":
        return "numpy"
    if kernel == "numba":
        if numba_problem():
            raise ImportError(f"kernel='numba' needs numba (pip install 'partnersim[fast]'): {numba_problem()}")
        return "numba"
    return "numba" if count <= DENSE_LIMIT and not numba_problem() else "numpy"


def advance_function(kernel: str):
    """The month function of a resolved kernel: :func:`advance` or :func:`sim.fast.advance_fast`."""
    if kernel == "numba":
        from sim.fast import advance_fast
        return advance_fast
    return advance


@dataclass(frozen=True)
class StepFacts:
    """What happened this month that is not itself state, for the record."""

    money: float                 # grant dollars that flowed this month
    work: float                  # the partnership's joint work
    program_work: float          # the part of it that reached the community
    decision_efficiency: float
    kept: int                    # commitments kept this month
    broken: int                  # commitments broken this month
    departures: int


def requirement_vectors(params: Params, funded: bool):
    """Per-level requirements to step up, networking first, cut by a funder's mandate while it pays.

    A mandate asks partners to coordinate and share resources; it cannot order
    them to enhance each other's capacity, so collaborating keeps its requirements.
    """
    c = params.continuum
    cut = funding.mandate_factor(params.funding.mandated, funded, params.funding.mandate_pressure)
    mandated_levels = np.array([0.0, cut, cut, 0.0])
    months = np.array([0.0, *c.months_required]) * (1.0 - mandated_levels)
    trust_needed = np.array([0.0, *c.trust_required]) * (1.0 - 0.5 * mandated_levels)
    turf_needed = np.array([0.0, *c.turf_required]) * (1.0 - mandated_levels)
    return months, trust_needed, turf_needed


def community_power_share(weights: np.ndarray, capacity: np.ndarray, community: np.ndarray, active: np.ndarray) -> float:
    """Decision power is formal authority used with capacity; the community's share of it."""
    power = np.where(active, weights * capacity, 0.0)
    held = power[community].sum()
    total = held + power[~community].sum()  # summed this way the share cannot round above 1
    return float(held / total) if total > 0 else 0.0


def advance(state: State, params: Params, draws: StepDraws, month: int) -> tuple[State, StepFacts]:
    orgs, pairs, pship = state.orgs, state.pairs, state.partnership
    count = state.count
    active = orgs.active
    n_active = int(active.sum())
    if n_active == 0:
        outcome = phases.updated_outcome(pship.community_outcome, 0.0, 0.0, pship.phase == phases.SCALE,
                                         params.community.outcome_gain, params.community.outcome_decay,
                                         params.community.public_upkeep)
        facts = StepFacts(0.0, 0.0, 0.0, 0.0, 0, 0, 0)
        return replace(state, partnership=replace(pship, community_outcome=outcome)), facts

    c = params.continuum
    gov = params.governance
    fund = params.funding
    # A member's relationships cost what its level mix costs, whatever the partnership's size:
    # large partnerships pay for size in deliberation, not in pairwise upkeep.
    time_cost = np.asarray(c.time_cost) / max(count - 1, 1)
    work_per_level = np.asarray(c.joint_work) * np.array([1.0, *([1.0 + 0.5 * params.collective_impact.mutually_reinforcing] * 3)])
    partners_possible = count - 1
    pairs_possible = count * (count - 1) // 2
    funded = pship.funded

    # 1. governance
    lead = governance.lead_agency_index(orgs.budget, orgs.community)
    weights = governance.authority(active, orgs.community, gov.mode, gov.community_decision_share, gov.lead_share, lead)
    voices = governance.voice(weights, active)
    at_table = governance.deliberation(voices, orgs.community, orgs.capacity, gov.inclusion_cost, gov.mode)
    staffed = funding.backbone_staffed(gov.mode, funded, gov.backbone_share)
    efficiency = governance.decision_efficiency(at_table, gov.deliberation_capacity, staffed)

    # 2. funding
    money = fund.monthly_amount if funded else 0.0
    grant_dollars = funding.allocate(money, weights, staffed, gov.backbone_share)
    grant_time = grant_dollars / fund.dollars_per_time_unit

    # 3. load and time
    meeting = governance.meeting_load(float(voices.sum()), gov.meeting_time, staffed)
    reporting = funding.reporting_load(fund.accountability, funded, fund.reporting_burden)
    # What was promised for the money multiplies what the partnership's work demands of each member
    # (the funder's expectation ratio while it pays; seed 000, doing more with less).
    promised = funding.expectation_strain(fund.expectation_ratio, funded)
    load = np.where(active, promised * (continuum.load(pairs.level, time_cost) + meeting) + reporting, 0.0)
    budget = capacity_rules.time_budget(orgs.base_time, orgs.capacity, grant_dollars, fund.dollars_per_time_unit,
                                        voices, orgs.community, params.membership.ownership_time)
    overload = np.where(active, np.maximum(load / budget - 1.0, 0.0), 0.0)
    slack = budget - load
    # Over-promising: what was promised (the inflated load) against the time there is to deliver it.
    strain = load / budget

    # 4. trust
    months_needed, trust_needed, turf_needed = requirement_vectors(params, funded)
    tied = pairs.level >= 0
    level_index = np.where(tied, pairs.level, 0)
    chance = np.minimum(np.asarray(c.interaction_rate)[level_index] * (1.0 + params.collective_impact.continuous_communication), 1.0)
    interacting = symmetric_events(draws.interact, np.where(tied, chance, 0.0))
    will = continuum.willingness(pairs.trust, orgs.guarding, orgs.identity)
    mutual_trust = continuum.mutual(pairs.trust)
    mutual_will = continuum.mutual(will)
    # Commitments are judged against what a level really demands, whatever a mandate let the pair skip.
    gap = trust.commitment_gap(pairs.level, mutual_trust, will, np.array([0.0, *c.trust_required]),
                               np.array([0.0, *c.turf_required]))
    keep_prob = trust.keep_probability(params.trust.reliability, strain,
                                       trust.hedged(gap, params.collective_impact.same_standards))
    kept, broken = trust.commitment_outcomes(interacting, keep_prob, draws.keep)
    excluded = governance.exclusion(voices, active, draws.exclusion)
    deciders = governance.dominance(weights, active)
    same_sector = (orgs.sector[:, None] == orgs.sector[None, :]) & active[:, None] & active[None, :]
    rivals = symmetric_events(draws.rivalry, np.where(same_sector, fund.competition, 0.0))
    loss = params.trust.loss * (1.0 - 0.5 * params.collective_impact.learning_culture)
    new_trust = trust.updated_trust(pairs.trust, kept, broken, params.trust.gain, loss, excluded, deciders,
                                    governance.exclusion_trust_loss(params.trust.exclusion_loss, gov.mutual_respect),
                                    rivals, params.trust.rivalry_loss)

    # 5. continuum
    move = continuum.level_moves(pairs.level, pairs.months_at_level, mutual_trust, mutual_will, slack, overload,
                                 months_needed, trust_needed, turf_needed, time_cost, c.climb_rate, c.fall_rate,
                                 c.hold_margin, draws.climb, draws.fall)
    new_level, new_months = continuum.apply_moves(pairs.level, pairs.months_at_level, move)

    # 6. capacity
    cap = params.capacity
    collaborating = pairs.level == continuum_top(c)
    new_capacity = capacity_rules.updated_capacity(orgs.capacity, orgs.capacity_start, collaborating, voices, overload, active,
                                                   cap.partner_gain, cap.learning_rate, cap.overextension_loss,
                                                   cap.recovery, partners_possible)

    # 7. goals and scale
    part = params.partnership
    effort = np.minimum(1.0, budget / np.maximum(load, 1e-12))
    work = phases.joint_work(pairs.level, orgs.capacity, effort, work_per_level, pairs_possible, efficiency)
    community_start = int(orgs.community.sum())
    organizing = phases.organizing_power(orgs.capacity, voices, orgs.community, active, community_start)
    phase, assessment, evidence, policy, program_work, scale_step = phases.month_of_goals(
        pship, work, organizing, params, draws.adoption, month)

    # 8. community outcome
    reach = phases.community_reach(voices, orgs.community, active, community_start, params.community.reach_without_community)
    outcome = phases.updated_outcome(pship.community_outcome, program_work, reach, pship.phase == phases.SCALE,
                                     params.community.outcome_gain, params.community.outcome_decay,
                                     params.community.public_upkeep)

    # 9. membership
    mem = params.membership
    letdowns = broken.sum(axis=0)
    now = membership.satisfaction_now(pairs.level, orgs.capacity, orgs.desire,
                                      (1.0 + params.organizations.self_selection) / 2.0, voices, grant_time, pship.community_outcome, orgs.community,
                                      load, budget, letdowns, np.asarray(c.joint_work), partners_possible, mem.tie_value,
                                      mem.voice_value, mem.funding_value, mem.outcome_value, mem.time_value,
                                      mem.letdown_value)
    satisfaction = membership.running_satisfaction(orgs.satisfaction, now, mem.memory, active)
    leavers = membership.leaving(satisfaction, active, mem.leave_rate, draws.leave)

    # apply
    new_active = active & ~leavers
    collapse_step, cause = pship.collapse_step, pship.collapse_cause
    if collapse_step is None and int(new_active.sum()) < part.min_members:
        members = active[:, None] & active[None, :]
        np.fill_diagonal(members, False)
        mean_trust = float(pairs.trust[members].mean()) if members.any() else 0.0
        collapse_step, cause = month, membership.collapse_cause(mean_trust, funded)
        new_active = np.zeros_like(new_active)
    gone = ~new_active
    new_level[gone, :] = NO_TIE
    new_level[:, gone] = NO_TIE
    new_months[gone, :] = 0
    new_months[:, gone] = 0

    still_funded, grant_month, renewed, funding_end_step = funding.close_month(
        funded, pship.grant_month, pship.funding_end_step, month, collapse_step is not None,
        fund.grant_months, fund.renewal_probability, draws.renewal)

    new_state = State(
        orgs=replace(orgs, capacity=new_capacity, active=new_active, satisfaction=satisfaction),
        pairs=PairState(trust=new_trust, level=new_level, months_at_level=new_months),
        partnership=replace(pship, phase=phase, assessment=assessment, evidence=evidence, policy=policy,
                            community_outcome=outcome, funded=still_funded, grant_month=grant_month,
                            grants_received=pship.grants_received + int(renewed), funding_end_step=funding_end_step,
                            scale_step=scale_step, collapse_step=collapse_step, collapse_cause=cause),
    )
    facts = StepFacts(
        money=money, work=work, program_work=program_work, decision_efficiency=efficiency,
        kept=int(kept.sum()), broken=int(broken.sum()), departures=int((active & ~new_active).sum()),
    )
    return new_state, facts


def continuum_top(c) -> int:
    return len(c.trust_required)
