"""Trust: slow to build through kept commitments, quick to fall on broken ones.

Sources: trust grows through kept commitments, shared information and small
joint wins, and falls fast on broken promises, exclusion and over-promising
(seeds 000, 001, 003); the asymmetry of trust (Slovic 1993); the trust-building
loop (Vangen & Huxham 2003); rivalry under competitive, isolated-impact funding
(seed 003).

``trust[i, j]`` is i's trust in j. In a month a pair exchanges commitments
with a probability set by its level; j's kept commitment to i raises
``trust[i, j]`` by ``gain * (1 - trust)``, a broken one lowers it by
``loss * trust``. With ``loss > gain`` one broken promise undoes several kept ones.
"""

from __future__ import annotations

import numpy as np


def keep_probability(reliability: float, strain: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """``p[i, j]``: chance i keeps its commitment to j.

    ``strain[i]`` is what i has promised over the time it has to deliver (its
    load over its time budget, times the funder's expectation ratio): above 1
    it keeps a commitment with chance ``reliability / strain``.
    ``gap[i, j]`` (0..1) is how far the pair's level demands more trust or turf
    than i gives j: that share of its commitments is hedged and broken.
    """
    return reliability / np.maximum(strain, 1.0)[:, None] * (1.0 - gap)


def commitment_gap(level: np.ndarray, mutual_trust: np.ndarray, willingness: np.ndarray,
                   trust_required: np.ndarray, turf_required: np.ndarray) -> np.ndarray:
    """How far the level's demands exceed what i offers j, as a fraction of the demand (0..1).

    ``trust_required`` and ``turf_required`` have one entry per level, networking first.
    """
    tied = level >= 0
    safe_level = np.where(tied, level, 0)
    need_trust = trust_required[safe_level]
    need_turf = turf_required[safe_level]
    trust_gap = np.where(need_trust > 0, np.maximum(need_trust - mutual_trust, 0.0) / np.where(need_trust > 0, need_trust, 1.0), 0.0)
    turf_gap = np.where(need_turf > 0, np.maximum(need_turf - willingness, 0.0) / np.where(need_turf > 0, need_turf, 1.0), 0.0)
    return np.where(tied, np.maximum(trust_gap, turf_gap), 0.0)


def hedged(gap: np.ndarray | float, same_standards: float):
    """The part of a commitment gap that is hedged: holding everyone to the same standard calls out the rest.

    Source: "hold everyone accountable to the same standard" (seed 003).
    """
    return gap * (1.0 - same_standards)


def commitment_outcomes(interacting: np.ndarray, keep_prob: np.ndarray, keep_draws: np.ndarray):
    """``(kept, broken)`` boolean matrices; ``kept[i, j]``: i kept a commitment to j this month."""
    keeps = keep_draws < keep_prob
    return interacting & keeps, interacting & ~keeps


def updated_trust(trust: np.ndarray, kept: np.ndarray, broken: np.ndarray, gain: float, loss: float,
                  excluded: np.ndarray, dominance: np.ndarray, exclusion_loss: float,
                  rivals: np.ndarray, rivalry_loss: float) -> np.ndarray:
    """New trust from the old: partners' kept and broken commitments, exclusion, and rivalry.

    ``kept[j, i]`` changes ``trust[i, j]``, hence the transposes. An excluded
    member i loses ``exclusion_loss * dominance[j]`` of its trust in each
    decider j. Rival pairs (``rivals`` symmetric) each lose ``rivalry_loss``.
    """
    kept_by_partner = kept.T
    broken_by_partner = broken.T
    new = trust + gain * (1.0 - trust) * kept_by_partner - loss * trust * broken_by_partner
    new = new * (1.0 - exclusion_loss * excluded[:, None] * dominance[None, :])
    new = new * (1.0 - rivalry_loss * rivals)
    np.fill_diagonal(new, 0.0)
    return np.clip(new, 0.0, 1.0)
