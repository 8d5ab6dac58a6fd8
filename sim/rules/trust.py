"""Trust: slow to build through kept commitments, quick to fall on broken ones (ODD 7.4).

Sources: trust grows through kept commitments, shared information and small
joint wins, and falls fast on broken promises, exclusion and over-promising
(Himmelman n.d.; Axner n.d.; Schmitz 2014); the asymmetry of trust (Slovic 1993); the trust-building
loop (Vangen & Huxham 2003); rivalry under competitive, isolated-impact funding
(Schmitz 2014).

``trust[i, j]`` is i's trust in j. In a month a pair exchanges commitments
with a probability set by its level; j's kept commitment to i raises
``trust[i, j]`` by ``gain * (1 - trust)``, a broken one lowers it by
``loss * trust``. With ``loss > gain`` one broken promise undoes several kept ones.
"""

from __future__ import annotations

from sim.jit import rule

# A culture of learning from failure halves the trust a broken commitment costs, at its fullest (Schmitz 2014).
LEARNING_RELIEF = 0.5


@rule
def interaction_chance(interaction_rate: float, continuous_communication: float) -> float:
    """Chance a tied pair exchanges commitments this month: its level's rate, raised by continuous communication."""
    return min(interaction_rate * (1.0 + continuous_communication), 1.0)


@rule
def commitment_gap(trust_required: float, turf_required: float, mutual_trust: float, willingness: float) -> float:
    """How far the pair's level demands more trust or turf than i gives j, as a fraction of the demand (0..1).

    Judged against what the level really demands, whatever a mandate let the pair skip.
    """
    trust_gap = max(trust_required - mutual_trust, 0.0) / trust_required if trust_required > 0 else 0.0
    turf_gap = max(turf_required - willingness, 0.0) / turf_required if turf_required > 0 else 0.0
    return max(trust_gap, turf_gap)


@rule
def hedged(gap: float, same_standards: float) -> float:
    """The part of a commitment gap that is hedged: holding everyone to the same standard calls out the rest.

    Source: "hold everyone accountable to the same standard" (Schmitz 2014).
    """
    return gap * (1.0 - same_standards)


@rule
def keep_probability(reliability: float, strain: float, gap: float) -> float:
    """Chance i keeps its commitment to j.

    ``strain`` is what i has promised over the time it has to deliver (its load
    over its time budget, times the funder's expectation ratio): above 1 it
    keeps a commitment with chance ``reliability / strain``. ``gap`` (0..1) is the
    hedged share of its commitments, broken.
    """
    return reliability / max(strain, 1.0) * (1.0 - gap)


@rule
def breach_loss(loss: float, learning_culture: float) -> float:
    """Fraction of trust one broken commitment costs; a culture of learning from failure softens it."""
    return loss * (1.0 - LEARNING_RELIEF * learning_culture)


@rule
def updated_trust(trust: float, kept_by_partner: bool, broken_by_partner: bool, gain: float, loss: float,
                  exclusion_hit: float, rivals: bool, rivalry_loss: float) -> float:
    """i's new trust in j from the old: j's kept or broken commitment to i, exclusion, and rivalry.

    A kept commitment closes ``gain`` of the distance to full trust, a broken one
    costs ``loss`` of the trust there is. ``exclusion_hit`` is the share of its trust
    in j that i loses for being left out of a decision j dominated
    (:func:`sim.rules.governance.exclusion_trust_loss` times j's dominance, 0 if i
    was not excluded). Rivals for the same grant lose ``rivalry_loss`` of their trust.
    """
    kept = 1.0 if kept_by_partner else 0.0
    broken = 1.0 if broken_by_partner else 0.0
    rival = 1.0 if rivals else 0.0
    new = trust + gain * (1.0 - trust) * kept - loss * trust * broken
    new = new * (1.0 - exclusion_hit)
    new = new * (1.0 - rivalry_loss * rival)
    return min(max(new, 0.0), 1.0)


@rule
def moves(at_table_i: bool, at_table_j: bool) -> bool:
    """Whether i's trust in j can move this month: only while both are at the table. Those who left keep the trust
    they carried away, and so do candidates not yet in: a pair with a side away exchanges no commitments, is
    excluded from no decision of the other's and competes with it for no grant, so :func:`updated_trust` would
    give its trust back unchanged (``tests/test_rules.py`` checks that it does)."""
    return at_table_i and at_table_j


@rule
def rivalry_chance(same_sector: bool, competition: float) -> float:
    """Chance two active members compete for the same grant this month: same-sector pairs, in a competitive,
    isolated-impact funding climate (Schmitz 2014)."""
    return competition if same_sector else 0.0
