"""The parameters as the compiled month reads them: one flat NamedTuple of numbers.

numba compiles attribute access on a NamedTuple, so the month reads
``p.trust_gain`` where the scenario says ``trust.gain``. Strings become codes
(governance mode) and flags; lists become tuples indexed by level. Nothing is
computed here beyond that translation: every rule's arithmetic is in
:mod:`sim.rules`.
"""

from __future__ import annotations

from typing import NamedTuple

from sim.params import ALLOCATIONS, GOVERNANCE_MODES, LEADERSHIP_STYLES, RENEWAL_RULES, Params

# Governance modes as the kernels see them: the index into sim.params.GOVERNANCE_MODES.
LEAD_AGENCY = GOVERNANCE_MODES.index("lead_agency")
BACKBONE = GOVERNANCE_MODES.index("backbone")
SHARED = GOVERNANCE_MODES.index("shared")


class Packed(NamedTuple):
    # continuum (per level, networking first; the three requirements per step up)
    time_cost: tuple
    joint_work: tuple
    interaction_rate: tuple
    months_required: tuple
    trust_required: tuple
    turf_required: tuple
    climb_rate: float
    fall_rate: float
    hold_margin: float
    purpose_growth: float
    # trust
    reliability: float
    trust_gain: float
    trust_loss: float
    exclusion_loss: float
    rivalry_loss: float
    # governance
    mode: int
    community_share: float
    lead_share: float
    deliberation_capacity: float
    inclusion_cost: float
    meeting_time: float
    mutual_respect: float
    backbone_share: float
    lead_deliberation: float
    backbone_deliberation: float
    # funding: the founding funder
    grant_months: int
    monthly_amount: float
    dollars_per_time_unit: float
    renewal_rule: int
    renewal_probability: float
    allocation: int
    mandated: bool
    mandate_pressure: float
    expectation_ratio: float
    competition: float
    hierarchical: bool
    reporting_burden: float
    # other funders, the public budget
    other_monthly_amount: float
    other_grant_months: int
    award_rate: float
    planning_months: int
    takeover_share: float
    # leadership
    turnover: float
    champion_capacity: float
    trust_in_person: float
    liaison_turnover: float
    vacancy_months: float
    style: int
    style_effect: float
    # collective impact
    mutually_reinforcing: float
    shared_measurement: float
    continuous_communication: float
    learning_culture: float
    same_standards: float
    # capacity
    partner_gain: float
    learning_rate: float
    overextension_loss: float
    recovery: float
    # membership
    tie_value: float
    voice_value: float
    funding_value: float
    outcome_value: float
    time_value: float
    letdown_value: float
    leadership_value: float
    stall_value: float
    launch_patience: int
    ownership_time: float
    memory: float
    leave_rate: float
    self_selection: float
    min_members: int
    close_on_success: float
    target_members: int
    invite_rate: float
    duplicate_returns: float
    reference_scope: float
    # goals, public sector, community
    advocacy: float
    advocacy_risk: float
    backlash_cost: float
    assessment_work: float
    demonstration_work: float
    policy_work: float
    receptivity: float
    adoption_rate: float
    reach_without_community: float
    outcome_gain: float
    outcome_decay: float
    public_upkeep: float


def _floats(values) -> tuple:
    return tuple(float(v) for v in values)


def pack(params: Params) -> Packed:
    """The parameters of ``params`` the month reads. Not cached: every run of a sweep has parameters of its own
    (its seed), and hashing the whole frozen tree to look one up costs more than packing it again."""
    c, tr, gov, fund, ci = params.continuum, params.trust, params.governance, params.funding, params.collective_impact
    others, lead = params.other_funders, params.leadership
    cap, mem, part, pub, com = params.capacity, params.membership, params.partnership, params.public_sector, params.community
    return Packed(
        time_cost=_floats(c.time_cost), joint_work=_floats(c.joint_work), interaction_rate=_floats(c.interaction_rate),
        months_required=_floats(c.months_required), trust_required=_floats(c.trust_required),
        turf_required=_floats(c.turf_required), climb_rate=float(c.climb_rate), fall_rate=float(c.fall_rate),
        hold_margin=float(c.hold_margin), purpose_growth=float(c.purpose_growth),
        reliability=float(tr.reliability), trust_gain=float(tr.gain), trust_loss=float(tr.loss),
        exclusion_loss=float(tr.exclusion_loss), rivalry_loss=float(tr.rivalry_loss),
        mode=GOVERNANCE_MODES.index(gov.mode), community_share=float(gov.community_decision_share),
        lead_share=float(gov.lead_share), deliberation_capacity=float(gov.deliberation_capacity),
        inclusion_cost=float(gov.inclusion_cost), meeting_time=float(gov.meeting_time),
        mutual_respect=float(gov.mutual_respect), backbone_share=float(gov.backbone_share),
        lead_deliberation=float(gov.lead_deliberation), backbone_deliberation=float(gov.backbone_deliberation),
        grant_months=int(fund.grant_months), monthly_amount=float(fund.monthly_amount),
        dollars_per_time_unit=float(fund.dollars_per_time_unit), renewal_rule=RENEWAL_RULES.index(fund.renewal),
        renewal_probability=float(fund.renewal_probability), allocation=ALLOCATIONS.index(fund.allocation),
        mandated=bool(fund.mandated), mandate_pressure=float(fund.mandate_pressure),
        expectation_ratio=float(fund.expectation_ratio), competition=float(fund.competition),
        hierarchical=fund.accountability == "hierarchical", reporting_burden=float(fund.reporting_burden),
        other_monthly_amount=float(others.monthly_amount), other_grant_months=int(others.grant_months),
        award_rate=float(others.award_rate), planning_months=int(others.planning_months),
        takeover_share=float(pub.takeover_share),
        turnover=float(lead.turnover), champion_capacity=float(lead.champion_capacity),
        trust_in_person=float(lead.trust_in_person), liaison_turnover=float(lead.liaison_turnover),
        vacancy_months=float(lead.vacancy_months), style=LEADERSHIP_STYLES.index(lead.style),
        style_effect=float(lead.style_effect),
        mutually_reinforcing=float(ci.mutually_reinforcing), shared_measurement=float(ci.shared_measurement),
        continuous_communication=float(ci.continuous_communication), learning_culture=float(ci.learning_culture),
        same_standards=float(ci.same_standards),
        partner_gain=float(cap.partner_gain), learning_rate=float(cap.learning_rate),
        overextension_loss=float(cap.overextension_loss), recovery=float(cap.recovery),
        tie_value=float(mem.tie_value), voice_value=float(mem.voice_value), funding_value=float(mem.funding_value),
        outcome_value=float(mem.outcome_value), time_value=float(mem.time_value),
        letdown_value=float(mem.letdown_value), leadership_value=float(mem.leadership_value),
        stall_value=float(mem.stall_value), launch_patience=int(mem.launch_patience),
        ownership_time=float(mem.ownership_time), memory=float(mem.memory),
        leave_rate=float(mem.leave_rate), self_selection=float(params.organizations.self_selection),
        min_members=int(part.min_members), close_on_success=float(part.close_on_success),
        target_members=int(params.organizations.count), invite_rate=float(mem.invite_rate),
        duplicate_returns=float(part.duplicate_returns), reference_scope=float(part.reference_scope),
        advocacy=float(part.advocacy), advocacy_risk=float(part.advocacy_risk), backlash_cost=float(part.backlash_cost), assessment_work=float(part.assessment_work),
        demonstration_work=float(part.demonstration_work), policy_work=float(part.policy_work),
        receptivity=float(pub.receptivity), adoption_rate=float(pub.adoption_rate),
        reach_without_community=float(com.reach_without_community), outcome_gain=float(com.outcome_gain),
        outcome_decay=float(com.outcome_decay), public_upkeep=float(com.public_upkeep),
    )
