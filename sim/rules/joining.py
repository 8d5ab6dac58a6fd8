"""Who joins a partnership after it forms (ODD 7.13).

Sources: there is strength in numbers, of organizations too (Axner n.d.); partnerships bring in members as they
need them, and bringing the founding members in all at once or a core first and the rest gradually is a choice
with consequences (Johnston, Hicks, Nan & Auer 2011 compare the two).

A partnership needs members while it has fewer than it was founded to have (``organizations.count``), or while a
sector its founding members covered has nobody left at the table. Then, each month, its convener invites one
candidate with chance ``invite_rate`` times how fully it convenes (nobody invites when nobody convenes): first one
from a missing sector, then a founding member not yet at the table (gradual inclusion), then the candidate the
convener trusts most. The candidate accepts with chance its desire to work with others, and starts at networking
with every member. A candidate who declines is not asked again.
"""

from __future__ import annotations

from sim.jit import rule


@rule
def needs_members(active_members: int, target_members: int, founding_sector_missing: bool) -> bool:
    """Whether the partnership needs members: fewer than its founding size, or a founding sector gone."""
    return active_members < target_members or founding_sector_missing


@rule
def invite_chance(needs: bool, has_candidate: bool, invite_rate: float, convening: float) -> float:
    """Monthly chance that the convener invites a candidate: ``invite_rate`` times convening, while the
    partnership needs members and someone is left to ask."""
    if not (needs and has_candidate):
        return 0.0
    return invite_rate * convening


@rule
def candidate_priority(fills_missing_sector: bool, founding: bool, trust_from_convener: float) -> float:
    """Whom the convener asks first: a missing sector before anything, then a founding member before anyone
    else, then the one it trusts most (trust is 0..1, so it only orders candidates alike in the first two)."""
    return 4.0 * fills_missing_sector + 2.0 * founding + trust_from_convener


@rule
def accept_chance(desire: float) -> float:
    """Chance an invited organization joins: its desire to work with others."""
    return desire
