"""Why members stay or walk away, and when the partnership has collapsed (ODD 7.8).

Sources: collaboration means sharing risks, responsibilities, resources and
rewards (seed 000); every relationship costs staff time; funders' money draws
members in and its end draws them out (seeds 001, 002); ownership rather than
buy-in (seed 003); the community's stake in community-wide outcomes (seed 003).

Each month a member weighs what membership gives it (the joint work of its
ties and the community outcome, valued in proportion to its desire to work
with others; its say; the grant money it receives; its stake in the community outcome is whole for
community organizations, a third for institutions) against
the staff time it costs and the commitments partners broke to it (one partner
doing the work while others take the credit, seed 001). A running average of that balance below zero makes it
walk away with chance ``leave_rate``. Fewer active members than
``min_members`` is collapse.
"""

from __future__ import annotations

from sim.jit import rule

INSTITUTION_STAKE = 1.0 / 3.0
# Codes into sim.state.COLLAPSE_CAUSES.
CAUSE_TRUST, CAUSE_FUNDING, CAUSE_WALKED = 0, 1, 2
# Mean trust among the last members below which a collapse is put down to trust.
TRUST_BREAKDOWN = 0.25


@rule
def typical_desire(self_selection: float) -> float:
    """Mean desire of members who join on their own terms (uniform above ``self_selection``)."""
    return (1.0 + self_selection) / 2.0


@rule
def tie_work_worth(work_at_levels_times_capacity: float, partners_possible: int) -> float:
    """What an organization's ties give it: the raw joint work of each tie times the partner's capacity, per
    possible partner."""
    return work_at_levels_times_capacity / max(partners_possible, 1)


@rule
def satisfaction_now(tie_work: float, desire: float, typical_desire: float, is_community: bool, outcome: float,
                     voice: float, grant_time: float, load: float, budget: float, letdowns: int,
                     partners_possible: int, tie_value: float, voice_value: float, funding_value: float,
                     outcome_value: float, time_value: float, letdown_value: float) -> float:
    """This month's balance of what membership gives an organization and what it costs.

    ``letdowns`` counts the commitments partners broke to it this month. ``desire``
    (0..1) is how much it wants to work with others at all: it scales the worth of
    joint work and outcomes, relative to ``typical_desire``.
    """
    stake = 1.0 if is_community else INSTITUTION_STAKE
    intrinsic = desire / typical_desire
    per_budget = max(budget, 1e-9)
    return (intrinsic * (tie_value * tie_work + outcome_value * stake * outcome) + voice_value * voice
            + funding_value * grant_time / per_budget
            - time_value * load / per_budget - letdown_value * letdowns / max(partners_possible, 1))


@rule
def running_satisfaction(previous: float, now: float, memory: float) -> float:
    """Satisfaction remembered: ``memory`` of the old, the rest this month's."""
    return memory * previous + (1.0 - memory) * now


@rule
def leave_chance(satisfaction: float, leave_rate: float) -> float:
    """Chance a member walks away this month: ``leave_rate`` while its running satisfaction is below zero."""
    return leave_rate if satisfaction < 0.0 else 0.0


@rule
def collapsed(remaining: int, min_members: int) -> bool:
    """Fewer active members than ``min_members`` is collapse."""
    return remaining < min_members


@rule
def collapse_cause(mean_trust: float, funded: bool) -> int:
    """Why the partnership fell below its minimum membership (a code into ``sim.state.COLLAPSE_CAUSES``)."""
    if mean_trust < TRUST_BREAKDOWN:
        return CAUSE_TRUST
    if not funded:
        return CAUSE_FUNDING
    return CAUSE_WALKED
