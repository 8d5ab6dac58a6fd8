"""The three basic goals as phases, and scale only through the public sector.

Sources: needs and resources assessment, innovation and demonstration, policy
advocacy and systems change; going to scale "can only be done through the
public sector" and needs community organizing power (Himmelman, seed 002).

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

import numpy as np

ASSESSMENT, DEMONSTRATION, ADVOCACY, SCALE = 0, 1, 2, 3


def joint_work(level: np.ndarray, capacity: np.ndarray, effort: np.ndarray, work_per_level: np.ndarray,
               pairs_possible: int, efficiency: float) -> float:
    """The partnership's joint work this month.

    ``effort[i]`` (0..1) is the share of what its ties ask that i can staff:
    an over-extended organization gives each tie less, and a pair works at the
    pace of its more stretched side.
    """
    tied = np.triu(level >= 0, k=1)
    if pairs_possible <= 0 or not tied.any():
        return 0.0
    rows, cols = np.nonzero(tied)
    per_pair = (work_per_level[level[rows, cols]] * 0.5 * (capacity[rows] + capacity[cols])
                * np.minimum(effort[rows], effort[cols]))
    return efficiency * float(per_pair.sum()) / pairs_possible


def organizing_power(capacity: np.ndarray, voices: np.ndarray, community: np.ndarray, active: np.ndarray,
                     community_start: int) -> float:
    """Community organizing power, 0..1: the capacity and voice of the community's own organizations."""
    if community_start == 0:
        return 0.0
    return float(np.sum(np.where(active & community, capacity * voices, 0.0))) / community_start


def community_reach(voices: np.ndarray, community: np.ndarray, active: np.ndarray, community_start: int,
                    floor: float) -> float:
    """How far the program reaches the community, ``floor`` .. 1.

    Residents are producers of outcomes, not only clients (seed 003): the work
    reaches the community through its own organizations, in proportion to
    their say. Without them, institutions reach only ``floor`` of it.
    """
    engaged = float(np.sum(np.where(active & community, voices, 0.0)))
    return reach_from_engagement(engaged, community_start, floor)


def reach_from_engagement(engaged_voices: float, community_start: int, floor: float) -> float:
    """:func:`community_reach` from the summed voices of the active community organizations."""
    engaged = engaged_voices / community_start if community_start else 0.0
    return floor + (1.0 - floor) * engaged


def advance(phase: int, assessment: float, evidence: float, policy: float, work: float, advocacy: float,
            organizing: float, measurement: float, assessment_work: float, demonstration_work: float):
    """Progress of the goals this month: ``(phase, assessment, evidence, policy, program_work)``.

    ``program_work`` is the work that reaches the community (demonstration and
    after), the rest going to assessment or advocacy.
    """
    program_work = 0.0
    if phase == ASSESSMENT:
        assessment += work
        if assessment >= assessment_work:
            phase = DEMONSTRATION
    elif phase == DEMONSTRATION:
        evidence += work * (1.0 + 0.5 * measurement)
        program_work = work
        if evidence >= demonstration_work and advocacy > 0:
            phase = ADVOCACY
    elif phase == ADVOCACY:
        program_work = work * (1.0 - advocacy)
        evidence += program_work * (1.0 + 0.5 * measurement)
        policy += work * advocacy * (0.5 + organizing) * (1.0 + 0.5 * measurement)
    else:
        # At scale the policy is won: all the work goes to the program again.
        program_work = work
        evidence += work * (1.0 + 0.5 * measurement)
    return phase, assessment, evidence, policy, program_work


def month_of_goals(pship, work: float, organizing: float, params, adoption_draw: float, month: int):
    """This month's progress on the goals and the public sector's adoption draw.

    Returns ``(phase, assessment, evidence, policy, program_work, scale_step)``.
    """
    part = params.partnership
    phase, assessment, evidence, policy, program_work = advance(
        pship.phase, pship.assessment, pship.evidence, pship.policy, work, part.advocacy, organizing,
        params.collective_impact.shared_measurement, part.assessment_work, part.demonstration_work)
    scale_step = pship.scale_step
    if adoption_draw < adoption_chance(phase, policy, part.policy_work, params.public_sector.receptivity,
                                       params.public_sector.adoption_rate):
        phase, scale_step = SCALE, month
    return phase, assessment, evidence, policy, program_work, scale_step


def adoption_chance(phase: int, policy: float, policy_work: float, receptivity: float, adoption_rate: float) -> float:
    """Monthly chance the public sector takes the innovation to scale."""
    if phase != ADVOCACY:
        return 0.0
    return receptivity * adoption_rate * min(1.0, policy / policy_work)


def updated_outcome(outcome: float, program_work: float, reach: float, scaled: bool, outcome_gain: float,
                    outcome_decay: float, public_upkeep: float) -> float:
    """Community-wide outcome, 0..1: program work (as far as it reaches the community) and, at scale,
    public delivery raise it; it decays without upkeep."""
    room = 1.0 - outcome
    gained = outcome_gain * program_work * reach * room + (public_upkeep * room if scaled else 0.0)
    return min(max(outcome + gained - outcome_decay * outcome, 0.0), 1.0)
