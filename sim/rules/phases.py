"""The three basic goals as phases, and scale only through the public sector (ODD 7.6, 7.7).

Sources: needs and resources assessment, innovation and demonstration, policy
advocacy and systems change; going to scale "can only be done through the
public sector" and needs community organizing power (Himmelman 2016).

Joint work comes from ties: each pair yields ``joint_work[level]`` times its
members' mean capacity and the effort the more stretched side can staff, averaged over all the pairs the partnership started
with, times the decision efficiency. Work first completes the assessment, then
builds evidence in a demonstration (shared measurement makes the same work
count for more). Once the evidence is complete, a partnership that gives
effort to advocacy enters the advocacy phase: that share of its work, amplified
by the community's organizing power, builds a policy case. Each month the
public sector adopts the innovation with chance
``receptivity * adoption_rate * min(1, case / policy_work)``: that is
scale. With no advocacy or no receptivity there is no path to scale.
"""

from __future__ import annotations

from sim.jit import rule

ASSESSMENT, DEMONSTRATION, ADVOCACY, SCALE = 0, 1, 2, 3
# Collective impact conditions at their fullest add half again (Schmitz 2014).
CI_BOOST = 0.5
# Advocacy counts half even with no organizing power behind it (Himmelman 2016).
ORGANIZING_BASE = 0.5


@rule
def work_at_level(level: int, joint_work: tuple, mutually_reinforcing: float) -> float:
    """Joint work a tie yields at its level; mutually reinforcing activities add to every level above networking."""
    if level == 0:
        return joint_work[0] * 1.0
    return joint_work[level] * (1.0 + CI_BOOST * mutually_reinforcing)


@rule
def pair_work(work_at_level: float, capacity_i: float, capacity_j: float, effort_i: float, effort_j: float) -> float:
    """One tie's joint work: its level's yield, the pair's mean capacity, at the pace of its more stretched side."""
    return work_at_level * 0.5 * (capacity_i + capacity_j) * min(effort_i, effort_j)


@rule
def scope(sector_capacity, duplicate_returns: float, reference_scope: float) -> float:
    """What size brings: the resources the members bring, relative to a reference partnership's. Each sector
    adds its members' summed capacity to the power ``duplicate_returns`` (below 1, a second member of a sector
    adds less than a first member of another: complementarity), so scope grows with size, with diminishing
    returns once every sector is at the table."""
    total = 0.0
    for resources in sector_capacity:
        if resources > 0.0:
            total += resources ** duplicate_returns
    return total / reference_scope


@rule
def joint_work(pair_work_sum: float, tied_pairs: int, pairs_possible: int, efficiency: float, scope: float) -> float:
    """The partnership's joint work: its ties' mean work (over all the pairs it has had), times the scope its
    members bring, times decision efficiency."""
    if pairs_possible <= 0 or tied_pairs == 0:
        return 0.0
    return efficiency * scope * pair_work_sum / pairs_possible


@rule
def evidence_share(evidence: float, demonstration_work: float) -> float:
    """The evidence gathered as a share of what a demonstration needs (beyond 1 after it)."""
    return evidence / demonstration_work


@rule
def policy_case_share(policy: float, policy_work: float) -> float:
    """The policy case built as a share of a full case."""
    return policy / policy_work


@rule
def organizing_contribution(capacity: float, voice: float) -> float:
    """What one active community organization adds to the community's organizing power: its capacity used with
    its say."""
    return capacity * voice


@rule
def organizing_power(community_capacity_voice: float, community_start: int) -> float:
    """Community organizing power, 0..1: the capacity times voice of the community's own active organizations,
    over the number it started with."""
    if community_start == 0:
        return 0.0
    return community_capacity_voice / community_start


@rule
def reach_from_engagement(engaged_voices: float, community_start: int, floor: float) -> float:
    """How far the program reaches the community, ``floor`` .. 1.

    Residents are producers of outcomes, not only clients (Schmitz 2014): the work
    reaches the community through its own organizations, in proportion to
    their say (``engaged_voices``: the summed voices of its active organizations).
    Without them, institutions reach only ``floor`` of it.
    """
    engaged = engaged_voices / community_start if community_start else 0.0
    return floor + (1.0 - floor) * engaged


@rule
def advance(phase: int, assessment: float, evidence: float, policy: float, work: float, advocacy: float,
            organizing: float, measurement: float, assessment_work: float, demonstration_work: float,
            launch_pace: float):
    """Progress of the goals this month: ``(phase, assessment, evidence, policy, program_work)``.

    ``program_work`` is the work that reaches the community (demonstration and
    after), the rest going to assessment or advocacy. ``launch_pace`` (0..1) is the
    share of the work that moves the assessment (:func:`sim.rules.leadership.launch_pace`).
    """
    program_work = 0.0
    boost = 1.0 + CI_BOOST * measurement
    if phase == ASSESSMENT:
        assessment += work * launch_pace
        if assessment >= assessment_work:
            phase = DEMONSTRATION
    elif phase == DEMONSTRATION:
        evidence += work * boost
        program_work = work
        if evidence >= demonstration_work and advocacy > 0:
            phase = ADVOCACY
    elif phase == ADVOCACY:
        program_work = work * (1.0 - advocacy)
        evidence += program_work * boost
        policy += work * advocacy * (ORGANIZING_BASE + organizing) * boost
    else:
        # At scale the policy is won: all the work goes to the program again.
        program_work = work
        evidence += work * boost
    return phase, assessment, evidence, policy, program_work


@rule
def adoption_chance(phase: int, policy: float, policy_work: float, receptivity: float, adoption_rate: float,
                    goodwill: float) -> float:
    """Monthly chance the public sector takes the innovation to scale: its receptivity, dimmed by the goodwill
    the partnership's advocacy has cost it, times how complete the policy case is."""
    if phase != ADVOCACY:
        return 0.0
    return receptivity * goodwill * adoption_rate * min(1.0, policy_case_share(policy, policy_work))


@rule
def backlash_chance(phase: int, advocacy: float, receptivity: float, advocacy_risk: float) -> float:
    """Monthly chance that advocacy provokes a backlash (the goal least supported, because risky, Himmelman 2016): more
    likely the harder a partnership pushes and the less receptive the public sector is."""
    if phase != ADVOCACY:
        return 0.0
    return advocacy_risk * advocacy * (1.0 - receptivity)


@rule
def goodwill_after_backlash(goodwill: float, backlash_cost: float) -> float:
    """The funders' and the public sector's goodwill toward the partnership after a backlash."""
    return goodwill * (1.0 - backlash_cost)


@rule
def updated_outcome(outcome: float, program_work: float, reach: float, scaled: bool, outcome_gain: float,
                    outcome_decay: float, public_upkeep: float) -> float:
    """Community-wide outcome, 0..1: program work (as far as it reaches the community) and, at scale,
    public delivery raise it; it decays without upkeep."""
    room = 1.0 - outcome
    gained = outcome_gain * program_work * reach * room + (public_upkeep * room if scaled else 0.0)
    return min(max(outcome + gained - outcome_decay * outcome, 0.0), 1.0)
