"""Why members stay or walk away, why a partnership ends, and what its end is put down to (ODD 7.8).

Sources: collaboration means sharing risks, responsibilities, resources and rewards (Himmelman n.d.); every
relationship costs staff time (Himmelman n.d.); funders' money draws members in and its end draws them out (Axner n.d.;
Himmelman 2016); an organization depends on a partner's money as far as that money is a share of its income
(resource dependence, Pfeffer & Salancik 1978); ownership rather than buy-in, the community's stake in
community-wide outcomes (Schmitz 2014); partnerships that stall in their first phase (MODEL.md); coalitions that
ended over funding or organizational problems, or because their goals were met (ASPE/NORC 2012).

Each month a member weighs what membership gives it against what it costs. It gives the joint work of its
ties and the community outcome (valued in proportion to its desire to work with others; its stake in the
outcome is whole for community organizations, a third for institutions), its say, a convener that convenes,
and the grant money it receives, valued by how much its organization depends on it. It costs the staff time
the partnership takes (against its time budget, grant-paid staff included), the commitments partners broke
to it, and, once the first phase has taken longer than members' patience, the sight of no progress. A
running average of that balance below zero makes it walk away with chance ``leave_rate``.

What drove it away is judged by counterfactuals: for each road to the end, how much higher its satisfaction
would have run without that cause (its usual grant money; no broken commitments; a convener with its
champion; no stall), kept as running averages like satisfaction. A departure is put down to the largest of
them if that cause alone would have kept the member content, otherwise to the partnership not being worth
its time. A partnership whose members fall below ``min_members`` has ended, for the reason most of the
recent departures had; a partnership at scale may also close because its goals are met.
"""

from __future__ import annotations

from sim.jit import rule

INSTITUTION_STAKE = 1.0 / 3.0
# Roads to the end, codes into sim.state.ROADS: a departure's reason, a partnership's end.
FAILED_TO_LAUNCH, LOST_CHAMPION, TRUST_BROKE_DOWN, FUNDING_ENDED, NOT_WORTH_THE_TIME, GOALS_MET = range(6)
# A partnership's end is put down to the departures of this many months before it (the last year).
RECENT_MONTHS = 12


@rule
def typical_desire(self_selection: float) -> float:
    """Mean desire of members who join on their own terms (uniform above ``self_selection``)."""
    return (1.0 + self_selection) / 2.0


@rule
def tie_worth(level: int, joint_work: tuple, partner_capacity: float) -> float:
    """What one tie gives a member: the joint work its level yields (without the mutually-reinforcing boost)
    times the partner's capacity."""
    return joint_work[level] * partner_capacity


@rule
def tie_work_worth(work_at_levels_times_capacity: float, partners_possible: int) -> float:
    """What an organization's ties give it: the raw joint work of each tie times the partner's capacity, per
    possible partner."""
    return work_at_levels_times_capacity / max(partners_possible, 1)


@rule
def stall_pressure(in_assessment: bool, months: int, patience: int) -> float:
    """How much the lack of progress weighs, 0..1: nothing within ``patience`` months of starting the
    assessment, then growing to its full weight at twice that; nothing once the assessment is done."""
    if not in_assessment:
        return 0.0
    return min(max((months - patience) / patience, 0.0), 1.0)


@rule
def satisfaction_now(tie_work: float, desire: float, typical_desire: float, is_community: bool, outcome: float,
                     voice: float, dependence: float, convening: float, load: float, budget: float, letdowns: int,
                     partners_possible: int, stall: float, tie_value: float, voice_value: float, funding_value: float,
                     outcome_value: float, leadership_value: float, time_value: float, letdown_value: float,
                     stall_value: float) -> float:
    """This month's balance of what membership gives an organization and what it costs.

    ``dependence`` (0..1) is the grant money's share of its income (:func:`sim.rules.funding.dependence`),
    ``convening`` (0..1) how well the partnership is convened, ``letdowns`` the commitments partners broke to it
    this month, ``stall`` (0..1) how much the lack of progress weighs. ``desire`` (0..1) is how much it wants to
    work with others at all: it scales the worth of joint work and outcomes, relative to ``typical_desire``.
    """
    stake = 1.0 if is_community else INSTITUTION_STAKE
    intrinsic = desire / typical_desire
    per_budget = max(budget, 1e-9)
    return (intrinsic * (tie_value * tie_work + outcome_value * stake * outcome) + voice_value * voice
            + funding_value * dependence + leadership_value * convening
            - time_value * load / per_budget - letdown_cost(letdown_value, letdowns, partners_possible)
            - stall_cost(stall_value, stall))


@rule
def letdown_cost(letdown_value: float, letdowns: int, partners_possible: int) -> float:
    """What the commitments partners broke to a member this month cost it (per possible partner)."""
    return letdown_value * letdowns / max(partners_possible, 1)


@rule
def stall_cost(stall_value: float, stall: float) -> float:
    """What the sight of no progress costs a member this month."""
    return stall_value * stall


@rule
def convening_shortfall(leadership_value: float, full_convening: float, convening: float) -> float:
    """What a convener without its champion costs a member this month, against the same convener with it."""
    return leadership_value * (full_convening - convening)


@rule
def usual_money(usual_grant: float, grant: float) -> float:
    """The money a member would have received this month but for the end of its grants: its usual grant, or what
    it does receive if that is more."""
    return max(usual_grant, grant)


@rule
def funding_shortfall(with_usual_money: float, now: float) -> float:
    """How much higher a member's satisfaction would have been with its usual money (never below 0)."""
    return max(with_usual_money - now, 0.0)


@rule
def running_satisfaction(previous: float, now: float, memory: float) -> float:
    """Satisfaction remembered: ``memory`` of the old, the rest this month's (also used for the running shortfalls)."""
    return memory * previous + (1.0 - memory) * now


@rule
def leave_chance(satisfaction: float, leave_rate: float) -> float:
    """Chance a member walks away this month: ``leave_rate`` while its running satisfaction is below zero."""
    return leave_rate if satisfaction < 0.0 else 0.0


@rule
def departure_reason(satisfaction: float, short_funding: float, short_trust: float, short_champion: float,
                     short_stall: float) -> int:
    """What drove a member away: the road whose running shortfall is largest, if removing that cause alone would
    have kept the member content (its shortfall makes up the deficit), else the partnership was not worth its time."""
    reason = FUNDING_ENDED
    largest = short_funding
    if short_trust > largest:
        reason, largest = TRUST_BROKE_DOWN, short_trust
    if short_champion > largest:
        reason, largest = LOST_CHAMPION, short_champion
    if short_stall > largest:
        reason, largest = FAILED_TO_LAUNCH, short_stall
    if largest > 0.0 and largest >= -satisfaction:
        return reason
    return NOT_WORTH_THE_TIME


@rule
def collapsed(remaining: int, min_members: int) -> bool:
    """Fewer active members than ``min_members`` is the end of the partnership."""
    return remaining < min_members


@rule
def close_chance(at_scale: bool, close_on_success: float) -> float:
    """Monthly chance that a partnership whose innovation is at scale decides its goals are met and closes."""
    return close_on_success if at_scale else 0.0


@rule
def functioning_core(active_members: int, founding_members: int, core_share: float, working: bool) -> bool:
    """A functioning core: at least ``core_share`` of the founding members still in, still doing joint work."""
    return working and active_members >= core_share * founding_members
