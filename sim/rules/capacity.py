"""Capacity: power as the capacity to produce intended results, and the time it buys (ODD 7.3).

Sources: power as "the capacity to produce intended results", collaborating as
"enhancing each other's capacity", mutual learning, and over-extension that
"fosters incompetence" (Himmelman n.d.).

Capacity grows from collaborating partners (in proportion to their capacity)
and from taking part in decisions (mutual learning, in proportion to voice); it
shrinks when an organization's load exceeds its time budget, and drifts back
toward where it started. The time an organization can give the partnership is
its own staff time scaled by capacity, the time residents volunteer to a
community organization in proportion to its say, and the staff time its grant
money buys.
"""

from __future__ import annotations

from sim.jit import rule

CAPACITY_MIN, CAPACITY_MAX = 0.01, 1.0
COLLABORATING = 3  # sim.rules.continuum.COLLABORATING (rules of one module do not import another's constants)


@rule
def time_budget(base_time: float, capacity: float, voice: float, is_community: bool, ownership_time: float,
                grant_time: float) -> float:
    """Time units a month an organization can give the partnership.

    Its own staff time scaled by capacity; community organizations add the
    time residents volunteer, which grows with their say (ownership rather than
    buy-in, Schmitz 2014); plus the staff time its share of the grant buys.
    """
    in_community = 1.0 if is_community else 0.0
    own = base_time * (0.5 + capacity) * (1.0 + ownership_time * voice * in_community)
    return own + grant_time


@rule
def member_load(tie_time: float, meeting: float, promised: float, reporting: float) -> float:
    """Staff time the partnership asks of a member: its ties and meetings, times what was promised for the
    money (the funder's expectation ratio while it pays; doing more with less, Himmelman n.d.), plus reporting."""
    return promised * (tie_time + meeting) + reporting


@rule
def overload(load: float, budget: float) -> float:
    """Relative overload: how far the load exceeds the time budget (0 when it fits)."""
    return max(load / budget - 1.0, 0.0)


@rule
def strain(load: float, budget: float) -> float:
    """What a member has promised over the time it has to deliver it (above 1: over-promised)."""
    return load / budget


@rule
def slack(budget: float, load: float) -> float:
    """Time a member has to spare for a heavier tie."""
    return budget - load


@rule
def collaborator_capacity(partner_level: int, partner_capacity: float) -> float:
    """What a partner adds to a member's capacity gain: its capacity if the pair collaborates (enhancing each
    other's capacity, Himmelman n.d.), nothing otherwise."""
    return partner_capacity if partner_level == COLLABORATING else 0.0


@rule
def effort(budget: float, load: float) -> float:
    """Share of what its ties ask that a member can staff (1 when the load fits the budget)."""
    return min(1.0, budget / max(load, 1e-12))


@rule
def within_range(capacity: float) -> float:
    """Capacity kept within its range: an organization is weakened, never emptied, and never beyond full."""
    return min(max(capacity, CAPACITY_MIN), CAPACITY_MAX)


@rule
def updated_capacity(capacity: float, capacity_start: float, collaborators_capacity: float, voice: float,
                     overload: float, partner_gain: float, learning_rate: float, overextension_loss: float,
                     recovery: float, partners_possible: int) -> float:
    """New capacity from the old; ``collaborators_capacity`` sums the capacity of its collaborating partners."""
    from_partners = partner_gain * collaborators_capacity / max(partners_possible, 1)
    from_learning = learning_rate * voice
    growth = (from_partners + from_learning) * (1.0 - capacity)
    change = growth - overextension_loss * overload + recovery * (capacity_start - capacity)
    return within_range(capacity + change)
