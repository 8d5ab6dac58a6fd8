"""Who decides: formal authority, voice, exclusion, and what deciding costs (ODD 7.1).

Sources: power-sharing from collaborative betterment to collaborative
empowerment (Himmelman n.d.); lead agency, backbone and shared governance
(Schmitz 2014; Provan & Kenis 2008); inclusion at every table, and decision-making
that grows long as membership passes about twenty organizations (a practitioner's
comment in Schmitz 2014).

Authority is a share of the partnership's decisions: the community
organizations together hold ``community_share`` of it, the institutions the
rest. Under a lead agency the largest institution holds ``lead_share`` of the
institutions' part. Voice is authority relative to an equal share (1 = a full
equal say); a member with less than an equal say is left out of a decision with
probability ``1 - voice`` and then trusts the deciders less.
"""

from __future__ import annotations

import numpy as np

from sim.jit import rule
from sim.packed import BACKBONE, LEAD_AGENCY

# A staffed backbone convenes and prepares: the table holds half again as many voices, and its staff
# carry half the meeting load (Schmitz 2014).
BACKBONE_MEETING_SHARE = 0.5


@rule
def lead_agency(budget, community) -> int:
    """The lead agency: the institution with the largest budget (the largest member if there is none; first on ties)."""
    lead = -1
    for i in range(budget.shape[0]):
        if not community[i] and (lead < 0 or budget[i] > budget[lead]):
            lead = i
    if lead < 0:
        lead = 0
        for i in range(budget.shape[0]):
            if budget[i] > budget[lead]:
                lead = i
    return lead


@rule
def community_share_held(n_community: int, n_institutions: int, community_share: float) -> float:
    """The share of authority the community's organizations hold together: all of it if only they are left,
    none if none of them is."""
    if n_community == 0:
        return 0.0
    if n_institutions == 0:
        return 1.0
    return community_share


@rule
def authority(is_community: bool, is_lead: bool, lead_splits: bool, held_share: float, lead_share: float,
              n_community: int, n_institutions: int) -> float:
    """Formal decision authority of one active member; the authorities of all active members sum to 1.

    ``lead_splits``: a lead agency governs, it is still an active member and not the only institution; then
    the lead holds ``lead_share`` of the institutions' part and the other institutions split the rest.
    """
    if is_community:
        return held_share / n_community
    institutional = 1.0 - held_share
    if lead_splits:
        if is_lead:
            return institutional * lead_share
        return institutional * (1.0 - lead_share) / (n_institutions - 1)
    return institutional / n_institutions


@rule
def lead_splits_authority(mode: int, lead_active: bool, lead_is_community: bool, n_institutions: int) -> bool:
    """Whether a lead agency holds a share of its own (if it leaves, the institutions split equally)."""
    return mode == LEAD_AGENCY and lead_active and not lead_is_community and n_institutions > 1


@rule
def authorities(active, community, budget, mode: int, community_share: float, lead_share: float, founding: int):
    """Every member's formal authority (0 for those who left); over the active members they sum to 1. The lead
    agency is one of the ``founding`` members (the first rows), never a candidate who joined later."""
    n = active.shape[0]
    n_active = 0
    n_community = 0
    for i in range(n):
        if active[i]:
            n_active += 1
            if community[i]:
                n_community += 1
    n_institutions = n_active - n_community
    lead = lead_agency(budget[:founding], community[:founding])
    held = community_share_held(n_community, n_institutions, community_share)
    splits = lead_splits_authority(mode, active[lead], community[lead], n_institutions)
    out = np.zeros(n)
    for i in range(n):
        if active[i]:
            out[i] = authority(community[i], i == lead, splits, held, lead_share, n_community, n_institutions)
    return out


# Authority within this of an equal share is an equal share (1/n times n can round to just below 1).
EQUAL_SAY_TOLERANCE = 1e-9


@rule
def voice(authority: float, n_active: int) -> float:
    """Authority relative to an equal share, capped at 1 (a full equal say)."""
    relative = authority * n_active
    return 1.0 if relative >= 1.0 - EQUAL_SAY_TOLERANCE else relative


@rule
def deliberation_weight(voice: float, is_community: bool, capacity: float, inclusion_cost: float) -> float:
    """How much one voice weighs at the table.

    A community voice weighs ``1 + inclusion_cost * (1 - capacity)``: orientation,
    translation and different ways of knowing take time, less of it as the
    organization's capacity grows through taking part.
    """
    in_community = 1.0 if is_community else 0.0
    return voice * (1.0 + inclusion_cost * in_community * (1.0 - capacity))


@rule
def voices_at_table(weighted_voices: float, mode: int, lead_deliberation: float) -> float:
    """The summed deliberation weights, times ``lead_deliberation`` under a lead agency (the lead prepares
    decisions)."""
    return lead_deliberation * weighted_voices if mode == LEAD_AGENCY else weighted_voices


@rule
def backbone_staffed(mode: int, funded: bool, backbone_share: float) -> bool:
    """A backbone has dedicated staff only while grant money pays for them."""
    return mode == BACKBONE and funded and backbone_share > 0


@rule
def decision_efficiency(voices_at_table: float, deliberation_capacity: float, staffed: bool,
                        backbone_deliberation: float) -> float:
    """Share of work time not lost to deciding: ``1 / (1 + (voices / capacity)^2)``.

    A staffed backbone convenes and prepares, so the table holds half again as many voices.
    """
    capacity = deliberation_capacity * (backbone_deliberation if staffed else 1.0)
    crowding = voices_at_table / capacity
    return 1.0 / (1.0 + crowding * crowding)


@rule
def meeting_load(voices_heard: float, meeting_time: float, staffed: bool) -> float:
    """Staff time each member spends in meetings per month, per voice heard; a backbone's staff carry half of it."""
    return meeting_time * voices_heard * (BACKBONE_MEETING_SHARE if staffed else 1.0)


@rule
def exclusion_chance(voice: float) -> float:
    """Chance an active member is left out of this month's decision: ``1 - voice``."""
    return 1.0 - voice


@rule
def exclusion_trust_loss(exclusion_loss: float, mutual_respect: float) -> float:
    """Trust an excluded member loses in the deciders: mutual respect reveals and heals the hurt (Himmelman n.d.)."""
    return exclusion_loss * (1.0 - mutual_respect)


@rule
def authority_excess(authority: float, n_active: int) -> float:
    """Authority above an equal share; divided by the largest excess it is how much a member is one of the deciders."""
    return max(authority - 1.0 / n_active, 0.0)


@rule
def dominance(excess: float, top_excess: float) -> float:
    """How much a member is one of the deciders, 0..1: its authority above an equal share, scaled so the top is 1
    (all 0 if nobody holds more than an equal share)."""
    return excess / top_excess if top_excess > 0 else excess


@rule
def exclusion_hit(trust_loss: float, excluded: bool, dominance: float) -> float:
    """Share of its trust in a decider that a member left out of the decision loses: the loss times how much the
    other is one of the deciders (0 if it was not left out)."""
    return trust_loss * dominance if excluded else 0.0


@rule
def community_power_share(held_power: float, other_power: float) -> float:
    """The community's share of decision power, where power is authority used with capacity."""
    total = held_power + other_power  # summed this way the share cannot round above 1
    return held_power / total if total > 0 else 0.0
