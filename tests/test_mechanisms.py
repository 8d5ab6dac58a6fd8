"""Mutuality mechanisms act the way their sources say, across seeded replicates (not one run)."""

from __future__ import annotations

import numpy as np
from scipy import stats

import sim
from sim.seeds import replicate_seeds

ALPHA = 0.01


def arm(scenario, replicates=30, **overrides):
    return [sim.run(scenario, seed=seed, overrides=overrides) for seed in replicate_seeds(77, replicates)]


def grant_trust(result):
    return result.timeseries["mean_trust"].iloc[1:37].mean()


def breach_share(result):
    during = result.timeseries.iloc[1:37]
    return during["commitments_broken"].sum() / (during["commitments_kept"].sum() + during["commitments_broken"].sum())


def test_mutual_respect_keeps_trust_when_the_community_is_left_out():
    plain = arm("betterment")
    respectful = arm("betterment", **{"governance.mutual_respect": 1.0})
    assert stats.mannwhitneyu([grant_trust(r) for r in respectful], [grant_trust(r) for r in plain],
                              alternative="greater").pvalue < ALPHA


def test_same_standards_cut_the_breaches_a_mandate_invites():
    mandated = arm("baseline", **{"funding.mandated": True})
    held = arm("baseline", **{"funding.mandated": True, "collective_impact.same_standards": 1.0})
    assert stats.mannwhitneyu([breach_share(r) for r in mandated], [breach_share(r) for r in held],
                              alternative="greater").pvalue < ALPHA
    assert np.mean([grant_trust(r) for r in held]) > np.mean([grant_trust(r) for r in mandated])
