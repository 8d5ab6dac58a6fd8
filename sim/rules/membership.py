"""Why members stay or walk away, and when the partnership has collapsed.

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

import numpy as np

INSTITUTION_STAKE = 1.0 / 3.0
CAUSE_TRUST = "trust broke down"
CAUSE_FUNDING = "funding ended with no way to sustain"
CAUSE_WALKED = "members walked away"
# Mean trust among the last members below which a collapse is put down to trust.
TRUST_BREAKDOWN = 0.25


def satisfaction_now(level: np.ndarray, capacity: np.ndarray, desire: np.ndarray, typical_desire: float,
                     voices: np.ndarray, grant_time: np.ndarray,
                     outcome: float, community: np.ndarray, load: np.ndarray, budget: np.ndarray, letdowns: np.ndarray,
                     work_per_level: np.ndarray, partners_possible: int, tie_value: float, voice_value: float,
                     funding_value: float, outcome_value: float, time_value: float, letdown_value: float) -> np.ndarray:
    """This month's balance of what membership gives an organization and what it costs.

    ``letdowns[i]`` counts the commitments partners broke to i this month.
    ``desire[i]`` (0..1) is how much i wants to work with others at all: it
    scales the worth of joint work and outcomes, relative to ``typical_desire``,
    the mean desire of members who join on their own terms.
    """
    tied = level >= 0
    tie_work = np.where(tied, work_per_level[np.where(tied, level, 0)], 0.0) @ capacity / max(partners_possible, 1)
    stake = np.where(community, 1.0, INSTITUTION_STAKE)
    intrinsic = desire / typical_desire
    return (intrinsic * (tie_value * tie_work + outcome_value * stake * outcome) + voice_value * voices
            + funding_value * grant_time / np.maximum(budget, 1e-9)
            - time_value * load / np.maximum(budget, 1e-9) - letdown_value * letdowns / max(partners_possible, 1))


def running_satisfaction(previous: np.ndarray, now: np.ndarray, memory: float, active: np.ndarray) -> np.ndarray:
    return np.where(active, memory * previous + (1.0 - memory) * now, previous)


def leaving(satisfaction: np.ndarray, active: np.ndarray, leave_rate: float, draws: np.ndarray) -> np.ndarray:
    return active & (satisfaction < 0.0) & (draws < leave_rate)


def collapse_cause(mean_trust: float, funded: bool) -> str:
    """Why the partnership fell below its minimum membership."""
    if mean_trust < TRUST_BREAKDOWN:
        return CAUSE_TRUST
    if not funded:
        return CAUSE_FUNDING
    return CAUSE_WALKED
