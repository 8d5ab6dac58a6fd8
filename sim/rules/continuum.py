"""The continuum: networking, coordinating, cooperating, collaborating, one step at a time (ODD 7.5).

Sources: Himmelman's working-together strategies and their time, trust and turf
requirements (Himmelman n.d.); the Community Tool Box's progression from networking to
collaboration (Axner n.d.; Working Together n.d.).

A pair steps up one level when it has spent the required months at its level,
its mutual trust (the lower of the two directions) meets the next level's
requirement, both sides are willing to share the turf that level demands, and
both have the staff time for the heavier tie; it then moves with chance
``climb_rate``. It steps down one level, with chance ``fall_rate``, when trust
or willingness sinks more than ``hold_margin`` below its level's requirement,
and with chance ``fall_rate * overload`` when a side is over-extended. No pair
ever moves more than one level in a month.
"""

from __future__ import annotations

from sim.jit import rule

NETWORKING, COORDINATING, COOPERATING, COLLABORATING = 0, 1, 2, 3
TOP = COLLABORATING
# A mandate cuts the trust needed to step up half as much as the months and turf (Axner n.d.).
MANDATE_TRUST_FACTOR = 0.5


@rule
def willingness(trust: float, guarding: float, identity: float) -> float:
    """Share of its turf i will share with j: its trust in j, less what it guards and its pride."""
    return trust * ((1.0 - guarding) * (1.0 - identity))


@rule
def mutual(a: float, b: float) -> float:
    """The lower of the two directions of a pair measure: a pair moves only as far as both sides go."""
    return min(a, b)


@rule
def mandated_cut(level: int, mandate: float) -> float:
    """How much a mandate in force cuts the requirements to step up to ``level``: coordinating and
    cooperating only; a funder cannot order partners to enhance each other's capacity (collaborating)."""
    return mandate if (level == COORDINATING or level == COOPERATING) else 0.0


@rule
def months_needed(level: int, months_required: tuple, mandate: float) -> float:
    """Months at the level below before a pair may step up to ``level`` (0 for networking)."""
    if level == NETWORKING:
        return 0.0
    return months_required[level - 1] * (1.0 - mandated_cut(level, mandate))


@rule
def trust_needed(level: int, trust_required: tuple, mandate: float) -> float:
    """Mutual trust needed to step up to (and hold) ``level``."""
    if level == NETWORKING:
        return 0.0
    return trust_required[level - 1] * (1.0 - MANDATE_TRUST_FACTOR * mandated_cut(level, mandate))


@rule
def turf_needed(level: int, turf_required: tuple, mandate: float) -> float:
    """Mutual willingness to share turf needed to step up to (and hold) ``level``."""
    if level == NETWORKING:
        return 0.0
    return turf_required[level - 1] * (1.0 - mandated_cut(level, mandate))


@rule
def tie_time(level: int, time_cost: tuple, partners_possible: int) -> float:
    """Staff time a tie at ``level`` costs each side a month: the level's cost split over the possible partners.

    A member's relationships cost what its level mix costs, whatever the partnership's size:
    large partnerships pay for size in deliberation, not in pairwise upkeep.
    """
    return time_cost[level] / max(partners_possible, 1)


@rule
def extra_time(level: int, time_cost: tuple, partners_possible: int) -> float:
    """Staff time a tie at ``level`` would cost each side more at the next level up (0 at the top)."""
    above = min(level + 1, TOP)
    return tie_time(above, time_cost, partners_possible) - tie_time(level, time_cost, partners_possible)


@rule
def can_step_up(level: int, months_at_level: int, mutual_trust: float, mutual_willingness: float,
                slack_i: float, slack_j: float, months_next: float, trust_next: float, turf_next: float,
                extra_time: float) -> bool:
    """Whether a pair meets every requirement of the next level: time at its level, trust, turf, and the staff
    time the heavier tie takes on both sides."""
    return (level < TOP and months_at_level >= months_next and mutual_trust >= trust_next
            and mutual_willingness >= turf_next and slack_i >= extra_time and slack_j >= extra_time)


@rule
def below_purpose(level: int, purpose: int) -> bool:
    """Whether a pair's purpose needs more than its level: only then does it try to step up (no level is better
    than another; the one the purpose needs is the right one)."""
    return level < purpose


@rule
def purpose_growth_chance(level: int, purpose: int, purpose_growth: float) -> float:
    """Monthly chance that a pair at the level its purpose needs finds a purpose that needs the next level."""
    if level < purpose or purpose >= TOP:
        return 0.0
    return purpose_growth


@rule
def fall_chance(level: int, mutual_trust: float, mutual_willingness: float, trust_here: float, turf_here: float,
                hold_margin: float, fall_rate: float, overload_i: float, overload_j: float) -> float:
    """Chance a pair steps down a level this month (none at networking): ``fall_rate`` once trust or turf sinks
    more than ``hold_margin`` below what the level demands, else ``fall_rate`` times the more overloaded side's
    relative overload."""
    if level == NETWORKING:
        return 0.0
    failing = mutual_trust < trust_here - hold_margin or mutual_willingness < turf_here - hold_margin
    if failing:
        return fall_rate
    return fall_rate * min(max(overload_i, overload_j), 1.0)


@rule
def shared_turf(level: int, mutual_willingness: float, turf_demanded: float) -> float:
    """Turf a tied pair actually shares: what its level demands, as far as both sides are willing."""
    if level == NETWORKING:
        return 0.0
    return min(mutual_willingness, turf_demanded)
