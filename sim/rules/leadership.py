"""The convener and its champion: who convenes, what convening does, and what leaves when the champion does.

Sources: the backbone organization with dedicated staff that convenes and aligns, and the lead agency
(Schmitz 2014; Provan & Kenis 2008); partnerships that stall in their first phase (MODEL.md, "partnerships often
stall in assessment"); staff turnover that takes relationships with it. The rates and shares are
assumptions (docs/ODD.md, section 7).

Every partnership has a convener: the lead agency under a lead agency, the backbone's staff under a
backbone, otherwise the member that convened it (the most capable at the start; in a region, the one
that applied). Its key person, the champion, leaves with a small monthly chance; the convener then loses
part of its capacity and the members part of their trust in it, and convening works at half strength
until a successor takes over. Every member's liaison (the person who comes to the table) changes with a small
monthly chance too, and part of the trust between it and its partners goes with the person. Convening speeds the needs and resources assessment (a partnership with no
one to convene may never launch) and is worth something to members in itself.

The champion leads in a style (Schmitz 2014; Chrislip & Larson 1994 contrast positional and collaborative leadership).
A positional leader leads from its organization's place and is the reference. A collaborative leader builds trust
on purpose and brings community voices in (kept commitments build more trust, a community voice needs less
extra deliberation) but takes longer to launch; an expert leader launches faster, knowing what to assess; a
charismatic founder launches fastest ("important for launching an initiative, but it will take other types of
leadership to build and sustain it", Schmitz 2014), and more of the partners' trust and of the convener's capacity is in
the person and leaves with it. ``style_effect`` sets how far each style departs from the reference. A style
acts only while its champion is there.
"""

from __future__ import annotations

from sim.jit import rule
from sim.rules.capacity import within_range

# A staffed backbone convenes at full strength: dedicated staff are its whole job (Schmitz 2014).
BACKBONE_CONVENING = 1.0
# Without its champion, a convener convenes at half strength until a successor takes over.
VACANT_CONVENING = 0.5
# With no convening at all, the assessment still moves at half the pace of the partnership's joint work.
UNCONVENED_LAUNCH = 0.5
# Leadership styles, codes of sim.params.LEADERSHIP_STYLES: positional is the reference the others depart from.
POSITIONAL, COLLABORATIVE, EXPERT, CHARISMATIC = 0, 1, 2, 3


@rule
def convening(convener_capacity: float, convener_effort: float, convener_active: bool, champion: bool,
              backbone_mode: bool, staffed_backbone: bool) -> float:
    """How well the partnership is convened this month, 0..1: the convener's capacity, at the effort it can staff
    (a convener stretched thin convenes less; a staffed backbone convenes fully; an unpaid backbone, or a
    convener that has left, convenes nothing), at half strength without its champion."""
    if backbone_mode:
        strength = BACKBONE_CONVENING if staffed_backbone else 0.0
    else:
        strength = convener_capacity * convener_effort if convener_active else 0.0
    return strength * (1.0 if champion else VACANT_CONVENING)


@rule
def launch_pace(convening: float) -> float:
    """The share of its joint work that moves the needs and resources assessment: half without convening, all
    of it with full convening (agreeing on what to assess takes someone to convene)."""
    return UNCONVENED_LAUNCH + (1.0 - UNCONVENED_LAUNCH) * convening


@rule
def champion_leaves_chance(champion: bool, turnover: float) -> float:
    """Monthly chance that the convener's champion leaves (staff turnover)."""
    return turnover if champion else 0.0


@rule
def successor_chance(champion: bool, vacancy_months: float) -> float:
    """Monthly chance that a successor takes the champion's place (a vacancy lasts ``vacancy_months`` on average)."""
    return 0.0 if champion else 1.0 / vacancy_months


@rule
def capacity_after_champion(capacity: float, champion_capacity: float) -> float:
    """The convener's capacity once its champion has gone, kept within capacity's range: an organization that
    loses the person who carried it (a charismatic founder's bond can reach 1) is weakened, never emptied."""
    return within_range(capacity * (1.0 - champion_capacity))


@rule
def liaison_change_chance(turnover: float) -> float:
    """Monthly chance that a member's liaison to the partnership changes (staff turnover)."""
    return turnover


@rule
def trust_after_person_left(trust: float, trust_in_person: float) -> float:
    """Trust once a person at the table (the convener's champion, or a member's liaison) has gone: that share of it
    was in the person, not the organization."""
    return trust * (1.0 - trust_in_person)


@rule
def trust_gain(gain: float, style: int, style_effect: float, champion: bool) -> float:
    """The trust a kept commitment builds: more under a collaborative champion, who builds trust on purpose."""
    return gain * (1.0 + style_effect) if champion and style == COLLABORATIVE else gain


@rule
def inclusion_cost(cost: float, style: int, style_effect: float, champion: bool) -> float:
    """The extra deliberation a community voice needs: less under a collaborative champion, who brings it in."""
    return cost / (1.0 + style_effect) if champion and style == COLLABORATIVE else cost


@rule
def launch_factor(style: int, style_effect: float, champion: bool) -> float:
    """How the champion's style speeds the launch (the needs and resources assessment): a charismatic founder
    by ``1 + style_effect``, an expert by half that; a collaborative leader slows it, including everyone first."""
    if not champion:
        return 1.0
    if style == CHARISMATIC:
        return 1.0 + style_effect
    if style == EXPERT:
        return 1.0 + 0.5 * style_effect
    if style == COLLABORATIVE:
        return 1.0 / (1.0 + 0.5 * style_effect)
    return 1.0


@rule
def champion_bond(share: float, style: int, style_effect: float) -> float:
    """The share of partners' trust, or of the convener's capacity, that is in the champion and leaves with it:
    ``1 + 2 * style_effect`` times as much for a charismatic founder (at most all of it)."""
    return min(share * (1.0 + 2.0 * style_effect), 1.0) if style == CHARISMATIC else share
