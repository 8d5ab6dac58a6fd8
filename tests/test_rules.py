"""Known-answer tests of the pure rule functions in :mod:`sim.rules` (and sector allocation).

Every number here is an argument chosen for a hand calculation, not a model default.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from sim.draws import symmetric_events
from sim.params import SECTORS
from sim.rules import capacity, continuum, funding, governance, membership, phases, trust
from sim.state import NO_TIE, allocate_sectors

unit = st.floats(0.0, 1.0, allow_nan=False)


def pair(a, b=None, diagonal=0.0, dtype=float):
    """2x2 matrix ``[[diagonal, a], [b, diagonal]]`` (b defaults to a)."""
    b = a if b is None else b
    return np.array([[diagonal, a], [b, diagonal]], dtype=dtype)


def ties(level):
    """Symmetric 2x2 level matrix with no tie on the diagonal."""
    return pair(level, diagonal=NO_TIE, dtype=np.int8)


# =========================================================================== trust

def updated(t, kept=None, broken=None, gain=0.0, loss=0.0, excluded=None, dominance=None, exclusion_loss=0.0,
            rivals=None, rivalry_loss=0.0):
    t = np.asarray(t, dtype=float)
    n = t.shape[0]
    none = np.zeros((n, n), dtype=bool)
    return trust.updated_trust(t, none if kept is None else kept, none if broken is None else broken, gain, loss,
                               np.zeros(n, dtype=bool) if excluded is None else excluded,
                               np.zeros(n) if dominance is None else dominance, exclusion_loss,
                               none if rivals is None else rivals, rivalry_loss)


@pytest.mark.parametrize("t, gain", [(0.5, 0.1), (0.0, 0.05), (0.9, 0.3), (1.0, 0.5)])
def test_one_kept_commitment_closes_gain_of_the_distance(t, gain):
    kept = pair(False, dtype=bool)
    kept[1, 0] = True  # 1 kept its commitment to 0: 0 trusts 1 more
    new = updated(pair(t, 0.2), kept=kept, gain=gain)
    assert_allclose(new[0, 1], t + gain * (1 - t))
    assert_allclose(new[1, 0], 0.2)


@pytest.mark.parametrize("t, loss", [(0.5, 0.3), (1.0, 0.5), (0.2, 1.0), (0.0, 0.4)])
def test_one_broken_commitment_loses_loss_of_trust(t, loss):
    broken = pair(False, dtype=bool)
    broken[1, 0] = True
    new = updated(pair(t, 0.7), broken=broken, loss=loss)
    assert_allclose(new[0, 1], t - loss * t)
    assert_allclose(new[1, 0], 0.7)


def test_kept_and_broken_act_on_the_truster_side():
    kept = np.array([[False, True], [False, False]])  # 0 kept its commitment to 1
    new = updated(pair(0.4, 0.6), kept=kept, gain=0.5)
    assert_allclose(new, [[0.0, 0.4], [0.6 + 0.5 * 0.4, 0.0]])


@pytest.mark.parametrize("t, gain, loss", [(0.5, 0.05, 0.3), (0.8, 0.1, 0.2), (0.35, 0.05, 0.3)])
def test_asymmetry_one_broken_undoes_more_than_one_kept(t, gain, loss):
    assert loss > gain
    mask = np.array([[False, False], [True, False]])
    after_kept = updated(pair(t), kept=mask, gain=gain, loss=loss)
    after_broken = updated(after_kept, broken=mask, gain=gain, loss=loss)
    expected = (t + gain * (1 - t)) * (1 - loss)
    assert_allclose(after_broken[0, 1], expected)
    assert after_broken[0, 1] < t


def test_asymmetry_known_numbers():
    mask = np.array([[False, False], [True, False]])
    after = updated(updated(pair(0.5), kept=mask, gain=0.05, loss=0.3), broken=mask, gain=0.05, loss=0.3)
    assert_allclose(after[0, 1], 0.3675)


def test_exclusion_scales_with_dominance_of_the_decider():
    t = np.full((3, 3), 0.5)
    np.fill_diagonal(t, 0.0)
    new = updated(t, excluded=np.array([True, False, False]), dominance=np.array([0.0, 1.0, 0.5]), exclusion_loss=0.2)
    assert_allclose(new, [[0.0, 0.5 * 0.8, 0.5 * 0.9], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]])


def test_rivalry_hits_both_directions():
    rivals = pair(True, diagonal=False, dtype=bool)
    new = updated(pair(0.6, 0.4), rivals=rivals, rivalry_loss=0.25)
    assert_allclose(new, pair(0.45, 0.3))


def test_exclusion_and_rivalry_multiply():
    rivals = pair(True, diagonal=False, dtype=bool)
    new = updated(pair(0.6), excluded=np.array([True, False]), dominance=np.array([0.0, 1.0]), exclusion_loss=0.5,
                  rivals=rivals, rivalry_loss=0.25)
    assert_allclose(new[0, 1], 0.6 * 0.5 * 0.75)
    assert_allclose(new[1, 0], 0.6 * 0.75)


def test_kept_then_exclusion_then_rivalry_order():
    kept = np.array([[False, False], [True, False]])
    rivals = pair(True, diagonal=False, dtype=bool)
    new = updated(pair(0.5), kept=kept, gain=0.2, excluded=np.array([True, False]), dominance=np.array([0.0, 1.0]),
                  exclusion_loss=0.1, rivals=rivals, rivalry_loss=0.1)
    assert_allclose(new[0, 1], (0.5 + 0.2 * 0.5) * 0.9 * 0.9)


def test_diagonal_stays_zero():
    t = np.full((3, 3), 0.5)
    everything = np.ones((3, 3), dtype=bool)
    new = updated(t, kept=everything, gain=1.0)
    assert_array_equal(np.diag(new), 0.0)
    assert_allclose(new[~np.eye(3, dtype=bool)], 1.0)


def test_trust_is_clipped_to_unit_interval():
    new = updated(np.array([[0.0, 1.3], [-0.2, 0.0]]))
    assert_allclose(new, [[0.0, 1.0], [0.0, 0.0]])


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 6), data=st.data(), gain=unit, loss=unit, exclusion_loss=unit, rivalry_loss=unit)
def test_updated_trust_stays_in_unit_interval(n, data, gain, loss, exclusion_loss, rivalry_loss):
    t = data.draw(hnp.arrays(float, (n, n), elements=unit))
    kept = data.draw(hnp.arrays(bool, (n, n)))
    broken = data.draw(hnp.arrays(bool, (n, n))) & ~kept
    excluded = data.draw(hnp.arrays(bool, n))
    dominance = data.draw(hnp.arrays(float, n, elements=unit))
    upper = np.triu(data.draw(hnp.arrays(bool, (n, n))), k=1)
    new = trust.updated_trust(t, kept, broken, gain, loss, excluded, dominance, exclusion_loss, upper | upper.T,
                              rivalry_loss)
    assert np.all((new >= 0) & (new <= 1))
    assert_array_equal(np.diag(new), 0.0)
    # a pair with no event keeps its trust
    quiet = ~(kept.T | broken.T | upper | upper.T | (excluded[:, None] & (dominance[None, :] > 0)))
    np.fill_diagonal(quiet, False)
    assert_allclose(new[quiet], t[quiet])


@pytest.mark.parametrize("strain", [0.0, 0.5, 1.0])
def test_keep_probability_unstrained_is_reliability(strain):
    p = trust.keep_probability(0.9, np.array([strain, strain]), np.zeros((2, 2)))
    assert_allclose(p, 0.9)


def test_keep_probability_strain_two_halves_it():
    p = trust.keep_probability(0.8, np.array([2.0, 1.0]), np.zeros((2, 2)))
    assert_allclose(p[0], 0.4)
    assert_allclose(p[1], 0.8)


def test_keep_probability_gap_share_is_broken():
    # the share ``gap`` of i's commitments to j is hedged and broken: a half gap halves it, a full gap leaves nothing
    gap = np.array([[0.0, 1.0], [0.5, 0.0]])
    p = trust.keep_probability(0.8, np.array([2.0, 1.0]), gap)
    assert_allclose(p, [[0.4, 0.0], [0.8 * 0.5, 0.8]])


def test_keep_probability_divides_by_strain():
    p = trust.keep_probability(0.9, np.array([3.0]), np.zeros((1, 1)))
    assert_allclose(p, [[0.3]])


TRUST_NEED = np.array([0.0, 0.4, 0.5, 0.8])
TURF_NEED = np.array([0.0, 0.0, 0.2, 0.4])


def test_commitment_gap_networking_is_zero():
    gap = trust.commitment_gap(ties(0), pair(0.0), pair(0.0), TRUST_NEED, TURF_NEED)
    assert_array_equal(gap, 0.0)


def test_commitment_gap_trust_shortfall_as_fraction_of_need():
    # level 2 needs trust 0.5; mutual trust 0.25 is half short; willingness meets the turf need
    gap = trust.commitment_gap(ties(2), pair(0.25), pair(0.3), TRUST_NEED, TURF_NEED)
    assert_allclose(gap, pair(0.5))


def test_commitment_gap_takes_the_larger_of_trust_and_turf():
    willingness = np.array([[0.0, 0.1], [0.0, 0.0]])  # 0 offers half the turf, 1 offers none
    gap = trust.commitment_gap(ties(3), pair(0.6), willingness, TRUST_NEED, TURF_NEED)
    assert_allclose(gap, [[0.0, 0.75], [1.0, 0.0]])


def test_commitment_gap_zero_when_requirements_met_and_without_tie():
    assert_array_equal(trust.commitment_gap(ties(3), pair(0.9), pair(0.9), TRUST_NEED, TURF_NEED), 0.0)
    assert_array_equal(trust.commitment_gap(ties(NO_TIE), pair(0.0), pair(0.0), TRUST_NEED, TURF_NEED), 0.0)


def test_commitment_outcomes():
    interacting = np.array([[False, True], [True, False]])
    kept, broken = trust.commitment_outcomes(interacting, pair(0.5), np.array([[0.0, 0.4], [0.6, 0.1]]))
    assert_array_equal(kept, [[False, True], [False, False]])
    assert_array_equal(broken, [[False, False], [True, False]])


# =========================================================================== continuum

MONTHS = np.array([0.0, 4.0, 8.0, 12.0])
TRUST_REQ = np.array([0.0, 0.3, 0.5, 0.7])
TURF_REQ = np.array([0.0, 0.1, 0.3, 0.5])
TIME_COST = np.array([0.02, 0.04, 0.07, 0.12])


def moves(level, months=100, trust_=0.9, will=0.9, slack=(1.0, 1.0), overload=(0.0, 0.0), climb_rate=0.5,
          fall_rate=0.5, hold_margin=0.1, climb=0.0, fall=0.99, lower_draws=0.0):
    """level_moves for one pair of organizations; the pair's draws sit in the upper triangle."""
    climb_draws = np.array([[0.5, climb], [lower_draws, 0.5]])
    fall_draws = np.array([[0.5, fall], [lower_draws, 0.5]])
    return continuum.level_moves(ties(level), pair(months, dtype=np.int32), pair(trust_), pair(will), np.array(slack),
                                 np.array(overload), MONTHS, TRUST_REQ, TURF_REQ, TIME_COST, climb_rate, fall_rate,
                                 hold_margin, climb_draws, fall_draws)


@pytest.mark.parametrize("level", [0, 1, 2])
def test_pair_meeting_every_requirement_climbs_with_draw_below_rate(level):
    assert_array_equal(moves(level, climb=0.49), pair(1, dtype=np.int8))


@pytest.mark.parametrize("climb", [0.5, 0.51, 0.99])
def test_pair_does_not_climb_with_draw_at_or_above_rate(climb):
    assert_array_equal(moves(1, climb=climb), 0)


@pytest.mark.parametrize("override", [
    dict(months=3),                # months at level 0 < 4 needed for coordinating
    dict(trust_=0.29),             # trust below 0.3 needed
    dict(will=0.09),               # turf below 0.1 needed
    dict(slack=(0.01, 1.0)),       # one side lacks 0.04 - 0.02 of time
    dict(slack=(1.0, 0.019)),
], ids=["months", "trust", "turf", "time-first", "time-second"])
def test_pair_missing_a_requirement_does_not_climb(override):
    assert_array_equal(moves(0, climb=0.0, **override), 0)


def test_climb_requirements_are_inclusive():
    assert_array_equal(moves(0, months=4, trust_=0.3, will=0.1, slack=(0.02, 0.02), climb=0.0), pair(1, dtype=np.int8))


def test_pair_below_trust_falls_with_draw_below_fall_rate():
    # cooperating needs 0.5; 0.35 is more than the 0.1 margin below
    assert_array_equal(moves(2, trust_=0.35, fall=0.49), pair(-1, dtype=np.int8))
    assert_array_equal(moves(2, trust_=0.35, fall=0.5), 0)


def test_pair_below_turf_falls():
    assert_array_equal(moves(2, will=0.15, fall=0.0), pair(-1, dtype=np.int8))


def test_pair_within_hold_margin_holds():
    assert_array_equal(moves(2, trust_=0.45, will=0.25, fall=0.0, climb=0.0), 0)


def test_overloaded_pair_falls_with_chance_scaled_by_overload():
    assert_array_equal(moves(2, overload=(0.5, 0.0), fall=0.24), pair(-1, dtype=np.int8))
    assert_array_equal(moves(2, overload=(0.0, 0.5), fall=0.26, climb=0.99), 0)
    assert_array_equal(moves(2, overload=(3.0, 0.0), fall=0.49), pair(-1, dtype=np.int8))


def test_a_fall_excludes_a_climb():
    assert_array_equal(moves(1, overload=(1.0, 1.0), fall=0.0, climb=0.0), pair(-1, dtype=np.int8))


def test_networking_never_falls():
    assert_array_equal(moves(0, trust_=0.0, will=0.0, overload=(5.0, 5.0), fall=0.0, climb=0.99), 0)


def test_collaborating_never_climbs():
    assert_array_equal(moves(3, months=10_000, trust_=1.0, will=1.0, climb=0.0, climb_rate=1.0), 0)


def test_no_tie_never_moves():
    assert_array_equal(moves(NO_TIE, climb=0.0, fall=0.0, trust_=1.0), 0)
    assert_array_equal(moves(NO_TIE, climb=0.0, fall=0.0, trust_=0.0, overload=(9.0, 9.0)), 0)


def test_only_upper_triangle_draws_are_used():
    # lower-triangle draws say "move", upper-triangle say "stay": nothing moves, in either direction
    assert_array_equal(moves(1, climb=0.99, fall=0.99, lower_draws=0.0, trust_=0.9), 0)
    assert_array_equal(moves(1, climb=0.0, fall=0.99, lower_draws=0.99), pair(1, dtype=np.int8))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 7), data=st.data(), climb_rate=unit, fall_rate=unit, hold_margin=unit)
def test_level_moves_are_symmetric_single_steps(n, data, climb_rate, fall_rate, hold_margin):
    upper = np.triu(data.draw(hnp.arrays(np.int8, (n, n), elements=st.integers(-1, 3))), k=1)
    level = (upper + upper.T).astype(np.int8)
    np.fill_diagonal(level, NO_TIE)
    months_upper = np.triu(data.draw(hnp.arrays(np.int32, (n, n), elements=st.integers(0, 30))), k=1)
    months = months_upper + months_upper.T
    raw_trust = data.draw(hnp.arrays(float, (n, n), elements=unit))
    raw_will = data.draw(hnp.arrays(float, (n, n), elements=unit))
    slack = data.draw(hnp.arrays(float, n, elements=st.floats(-1.0, 1.0)))
    overload = data.draw(hnp.arrays(float, n, elements=st.floats(0.0, 3.0)))
    climb = data.draw(hnp.arrays(float, (n, n), elements=unit))
    fall = data.draw(hnp.arrays(float, (n, n), elements=unit))
    move = continuum.level_moves(level, months, continuum.mutual(raw_trust), continuum.mutual(raw_will), slack, overload,
                                 MONTHS, TRUST_REQ, TURF_REQ, TIME_COST, climb_rate, fall_rate, hold_margin, climb, fall)
    assert_array_equal(move, move.T)
    assert set(np.unique(move)) <= {-1, 0, 1}
    assert_array_equal(move[level == NO_TIE], 0)
    assert np.all(move[level == 0] >= 0)
    assert np.all(move[level == 3] <= 0)
    new_level, _ = continuum.apply_moves(level, months, move)
    assert np.all((new_level >= -1) & (new_level <= 3))
    assert_array_equal(new_level[level == NO_TIE], NO_TIE)


def test_apply_moves_resets_clock_on_move_and_ticks_otherwise():
    level = np.array([[-1, 1, 2], [1, -1, 0], [2, 0, -1]], dtype=np.int8)
    months = np.array([[0, 5, 7], [5, 0, 3], [7, 3, 0]], dtype=np.int32)
    move = np.array([[0, 1, -1], [1, 0, 0], [-1, 0, 0]], dtype=np.int8)
    new_level, new_months = continuum.apply_moves(level, months, move)
    assert_array_equal(new_level, [[-1, 2, 1], [2, -1, 0], [1, 0, -1]])
    assert_array_equal(new_months, [[0, 0, 0], [0, 0, 4], [0, 4, 0]])
    assert new_level.dtype == np.int8 and new_months.dtype == np.int32


def test_apply_moves_leaves_no_tie_alone():
    level = np.array([[-1, -1], [-1, -1]], dtype=np.int8)
    new_level, new_months = continuum.apply_moves(level, np.array([[0, 9], [9, 0]], dtype=np.int32), pair(1, dtype=np.int8))
    assert_array_equal(new_level, -1)
    assert_array_equal(new_months, 0)


def test_load_sums_tie_costs():
    level = np.array([[-1, 0, 2], [0, -1, -1], [2, -1, -1]], dtype=np.int8)
    assert_allclose(continuum.load(level, TIME_COST), [0.02 + 0.07, 0.02, 0.07])


def test_load_of_isolated_members_is_zero():
    level = np.full((3, 3), NO_TIE, dtype=np.int8)
    assert_array_equal(continuum.load(level, TIME_COST), 0.0)


def test_willingness_and_mutual():
    t = np.array([[0.0, 0.8], [0.4, 0.0]])
    will = continuum.willingness(t, np.array([0.5, 0.0]), np.array([0.5, 0.25]))
    assert_allclose(will, [[0.0, 0.8 * 0.5 * 0.5], [0.4 * 0.75, 0.0]])
    assert_allclose(continuum.mutual(t), pair(0.4))


# =========================================================================== governance

COMMUNITY = np.array([True, True, False, False, False])
ALL = np.ones(5, dtype=bool)


def test_authority_shared_splits_each_part_equally():
    w = governance.authority(ALL, COMMUNITY, "shared", 0.3, 0.6, lead=2)
    assert_allclose(w, [0.15, 0.15, 0.7 / 3, 0.7 / 3, 0.7 / 3])
    assert_allclose(w.sum(), 1.0)


def test_authority_backbone_is_like_shared():
    assert_allclose(governance.authority(ALL, COMMUNITY, "backbone", 0.3, 0.6, lead=2),
                    governance.authority(ALL, COMMUNITY, "shared", 0.3, 0.6, lead=2))


def test_authority_lead_agency_gets_lead_share_of_institutions():
    w = governance.authority(ALL, COMMUNITY, "lead_agency", 0.3, 0.6, lead=3)
    assert_allclose(w, [0.15, 0.15, 0.7 * 0.2, 0.7 * 0.6, 0.7 * 0.2])
    assert_allclose(w.sum(), 1.0)


def test_authority_departed_lead_falls_back_to_equal_split():
    active = np.array([True, True, True, False, True])
    w = governance.authority(active, COMMUNITY, "lead_agency", 0.3, 0.6, lead=3)
    assert_allclose(w, [0.15, 0.15, 0.35, 0.0, 0.35])


def test_authority_only_active_members():
    active = np.array([True, False, True, True, False])
    w = governance.authority(active, COMMUNITY, "shared", 0.4, 0.5, lead=2)
    assert_allclose(w, [0.4, 0.0, 0.3, 0.3, 0.0])


def test_authority_all_to_institutions_without_active_community():
    active = np.array([False, False, True, True, False])
    w = governance.authority(active, COMMUNITY, "shared", 0.9, 0.5, lead=2)
    assert_allclose(w, [0.0, 0.0, 0.5, 0.5, 0.0])


def test_authority_all_to_community_without_active_institutions():
    active = np.array([True, True, False, False, False])
    w = governance.authority(active, COMMUNITY, "lead_agency", 0.1, 0.5, lead=2)
    assert_allclose(w, [0.5, 0.5, 0.0, 0.0, 0.0])


def test_authority_nobody_active():
    assert_array_equal(governance.authority(np.zeros(5, dtype=bool), COMMUNITY, "shared", 0.3, 0.5, lead=2), 0.0)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(1, 10), mode=st.sampled_from(["shared", "backbone", "lead_agency"]),
       share=unit, lead_share=unit)
def test_authority_sums_to_one_over_active(data, n, mode, share, lead_share):
    active = data.draw(hnp.arrays(bool, n))
    community = data.draw(hnp.arrays(bool, n))
    lead = data.draw(st.integers(0, n - 1))
    w = governance.authority(active, community, mode, share, lead_share, lead)
    assert np.all(w >= 0)
    assert_array_equal(w[~active], 0.0)
    assert_allclose(w.sum(), 1.0 if active.any() else 0.0)
    if active.any() and (active & community).any() and (active & ~community).any():
        assert_allclose(w[community].sum(), share, atol=1e-12)


def test_lead_agency_index_is_largest_institution():
    budget = np.array([9e9, 1e6, 5e6, 2e6])
    assert governance.lead_agency_index(budget, np.array([True, False, False, False])) == 2
    assert governance.lead_agency_index(budget, np.array([True, True, True, True])) == 0


def test_voice_is_authority_over_equal_share_capped():
    w = governance.authority(ALL, COMMUNITY, "shared", 0.3, 0.5, lead=2)
    assert_allclose(governance.voice(w, ALL), [0.75, 0.75, 1.0, 1.0, 1.0])
    active = np.array([True, True, False, False, False])
    assert_allclose(governance.voice(np.array([0.2, 0.8, 0.0, 0.0, 0.0]), active), [0.4, 1.0, 0.0, 0.0, 0.0])


def test_deliberation_counts_inclusion_cost():
    voices = np.array([0.5, 1.0, 1.0])
    community = np.array([True, False, False])
    capacity = np.array([0.25, 0.5, 0.5])
    # the community voice weighs 1 + 2.0 * (1 - 0.25) = 2.5; institutions' voices weigh 1
    shared = governance.deliberation(voices=voices, community=community, capacity=capacity, inclusion_cost=2.0, mode="shared")
    assert_allclose(shared, 0.5 * 2.5 + 2.0)
    lead = governance.deliberation(voices=voices, community=community, capacity=capacity, inclusion_cost=2.0,
                                   mode="lead_agency")
    assert_allclose(lead, 0.5 * (0.5 * 2.5 + 2.0))


def test_deliberation_inclusion_cost_vanishes_at_full_capacity():
    voices = np.array([1.0, 1.0])
    community = np.array([True, True])
    assert_allclose(governance.deliberation(voices=voices, community=community, capacity=np.ones(2), inclusion_cost=5.0,
                                            mode="shared"), 2.0)


@pytest.mark.parametrize("capacity", [1.0, 7.5, 20.0])
def test_decision_efficiency_is_half_at_capacity(capacity):
    assert_allclose(governance.decision_efficiency(capacity, capacity, False), 0.5)
    assert_allclose(governance.decision_efficiency(1.5 * capacity, capacity, True), 0.5)
    assert_allclose(governance.decision_efficiency(0.0, capacity, False), 1.0)
    assert_allclose(governance.decision_efficiency(2 * capacity, capacity, False), 0.2)


def test_meeting_load():
    assert_allclose(governance.meeting_load(10.0, 0.01, False), 0.1)
    assert_allclose(governance.meeting_load(10.0, 0.01, True), 0.05)


def test_exclusion_chance_is_one_minus_voice():
    voices = np.array([0.25, 0.25, 1.0, 0.0])
    active = np.array([True, True, True, False])
    assert_array_equal(governance.exclusion(voices, active, np.array([0.7, 0.8, 0.0, 0.0])), [True, False, False, False])


def test_dominance_scales_excess_authority_to_top_one():
    assert_allclose(governance.dominance(np.array([0.5, 0.25, 0.25, 0.0]), np.ones(4, dtype=bool)), [1.0, 0.0, 0.0, 0.0])
    assert_allclose(governance.dominance(np.array([0.4, 0.35, 0.15, 0.1]), np.ones(4, dtype=bool)), [1.0, 2 / 3, 0.0, 0.0])


def test_dominance_zero_when_equal_or_nobody_active():
    assert_array_equal(governance.dominance(np.full(4, 0.25), np.ones(4, dtype=bool)), 0.0)
    assert_array_equal(governance.dominance(np.array([0.5, 0.5]), np.zeros(2, dtype=bool)), 0.0)


def test_dominance_ignores_inactive():
    w = np.array([0.5, 0.5, 0.0, 0.9])
    assert_allclose(governance.dominance(w, np.array([True, True, True, False])), [1.0, 1.0, 0.0, 0.0])


# =========================================================================== funding

def test_advance_grant_counts_months():
    assert funding.advance_grant(True, 0, 3, 0.0, 0.0) == (True, 1, False)
    assert funding.advance_grant(True, 1, 3, 0.0, 0.0) == (True, 2, False)


def test_advance_grant_renews_on_draw_below_probability():
    assert funding.advance_grant(True, 2, 3, 0.5, 0.49) == (True, 0, True)


@pytest.mark.parametrize("draw, p", [(0.5, 0.5), (0.9, 0.5), (0.0, 0.0)])
def test_advance_grant_stops_otherwise(draw, p):
    assert funding.advance_grant(True, 2, 3, p, draw) == (False, 3, False)


@pytest.mark.parametrize("draw", [0.0, 0.5])
def test_advance_grant_never_restarts(draw):
    assert funding.advance_grant(False, 3, 3, 1.0, draw) == (False, 3, False)
    assert funding.advance_grant(False, 0, 3, 1.0, draw) == (False, 0, False)


@pytest.mark.parametrize("grant_months", [1, 2, 5])
def test_grant_without_renewal_pays_exactly_its_months(grant_months):
    funded, month, paid = True, 0, 0
    for _ in range(3 * grant_months + 2):
        paid += funded
        funded, month, _ = funding.advance_grant(funded, month, grant_months, 0.0, 0.0)
    assert paid == grant_months


def test_grant_with_renewal_pays_grant_months_per_grant():
    funded, month, paid, grants = True, 0, 0, 1
    renew = iter([0.1, 0.1, 0.9])  # renewed twice, then stops
    for _ in range(20):
        paid += funded
        ending = funded and month + 1 >= 4
        funded, month, renewed = funding.advance_grant(funded, month, 4, 0.5, next(renew) if ending else 0.7)
        grants += renewed
    assert grants == 3
    assert paid == 12


def test_allocate_sums_to_monthly_amount():
    w = np.array([0.1, 0.2, 0.3, 0.4, 0.0])
    dollars = funding.allocate(1000.0, w, False, 0.2)
    assert_allclose(dollars, [100.0, 200.0, 300.0, 400.0, 0.0])
    assert_allclose(dollars.sum(), 1000.0)


def test_allocate_minus_backbone_share_when_staffed():
    w = np.array([0.25, 0.25, 0.5])
    dollars = funding.allocate(1000.0, w, True, 0.2)
    assert_allclose(dollars, [200.0, 200.0, 400.0])
    assert_allclose(dollars.sum(), 800.0)


def test_allocate_normalises_weights():
    assert_allclose(funding.allocate(900.0, np.array([1.0, 2.0]), False, 0.5), [300.0, 600.0])


def test_allocate_nothing_without_money_or_weights():
    assert_array_equal(funding.allocate(0.0, np.array([0.5, 0.5]), False, 0.0), 0.0)
    assert_array_equal(funding.allocate(1000.0, np.zeros(3), False, 0.0), 0.0)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(1, 10), amount=st.floats(0.0, 1e9), staffed=st.booleans(), share=unit)
def test_allocate_creates_nothing(data, n, amount, staffed, share):
    w = data.draw(hnp.arrays(float, n, elements=unit))
    dollars = funding.allocate(amount, w, staffed, share)
    assert np.all(dollars >= 0)
    expected = amount * (1.0 - share if staffed else 1.0) if w.sum() > 0 and amount > 0 else 0.0
    assert_allclose(dollars.sum(), expected, rtol=1e-9, atol=1e-6)


def test_backbone_staffed_only_when_paid():
    assert funding.backbone_staffed("backbone", True, 0.1)
    assert not funding.backbone_staffed("backbone", False, 0.1)
    assert not funding.backbone_staffed("backbone", True, 0.0)
    assert not funding.backbone_staffed("shared", True, 0.1)


def test_funder_pressures_only_while_paying():
    assert funding.expectation_strain(1.5, True) == 1.5
    assert funding.expectation_strain(1.5, False) == 1.0
    assert funding.reporting_load("hierarchical", True, 0.05) == 0.05
    assert funding.reporting_load("hierarchical", False, 0.05) == 0.0
    assert funding.reporting_load("mutual", True, 0.05) == 0.0
    assert funding.mandate_factor(True, True, 0.6) == 0.6
    assert funding.mandate_factor(True, False, 0.6) == 0.0
    assert funding.mandate_factor(False, True, 0.6) == 0.0


# =========================================================================== phases

def advance(phase, work, assessment=0.0, evidence=0.0, policy=0.0, advocacy=0.4, organizing=0.5, measurement=0.0,
            assessment_work=1.5, demonstration_work=4.0):
    return phases.advance(phase, assessment, evidence, policy, work, advocacy, organizing, measurement, assessment_work,
                          demonstration_work)


def test_assessment_accumulates_below_threshold():
    assert_allclose(advance(phases.ASSESSMENT, 0.4, assessment=1.0), (phases.ASSESSMENT, 1.4, 0.0, 0.0, 0.0))


def test_assessment_to_demonstration_at_threshold():
    phase, assessment, evidence, policy, program = advance(phases.ASSESSMENT, 0.5, assessment=1.0)
    assert phase == phases.DEMONSTRATION
    assert_allclose((assessment, evidence, policy, program), (1.5, 0.0, 0.0, 0.0))


def test_demonstration_builds_evidence_and_program_work():
    phase, _, evidence, policy, program = advance(phases.DEMONSTRATION, 1.0, evidence=1.0, measurement=0.5)
    assert phase == phases.DEMONSTRATION
    assert_allclose((evidence, policy, program), (1.0 + 1.25, 0.0, 1.0))


def test_demonstration_to_advocacy_at_threshold():
    phase, _, evidence, _, _ = advance(phases.DEMONSTRATION, 1.0, evidence=3.0)
    assert phase == phases.ADVOCACY
    assert_allclose(evidence, 4.0)


def test_no_advocacy_phase_without_advocacy():
    phase, _, evidence, _, program = advance(phases.DEMONSTRATION, 10.0, evidence=100.0, advocacy=0.0)
    assert phase == phases.DEMONSTRATION
    assert_allclose((evidence, program), (110.0, 10.0))


def test_advocacy_builds_policy_case():
    phase, _, evidence, policy, program = advance(phases.ADVOCACY, 2.0, evidence=4.0, policy=1.0, advocacy=0.25,
                                                  organizing=0.5, measurement=1.0)
    assert phase == phases.ADVOCACY
    assert_allclose(program, 1.5)
    assert_allclose(evidence, 4.0 + 1.5 * 1.5)
    assert_allclose(policy, 1.0 + 2.0 * 0.25 * 1.0 * 1.5)


def test_scale_builds_no_policy_and_all_work_is_program():
    phase, _, evidence, policy, program = advance(phases.SCALE, 2.0, evidence=4.0, policy=1.0, advocacy=0.25,
                                                  measurement=1.0)
    assert phase == phases.SCALE
    assert_allclose((evidence, policy, program), (4.0 + 2.0 * 1.5, 1.0, 2.0))


def test_adoption_chance_known_answer():
    assert_allclose(phases.adoption_chance(phases.ADVOCACY, 2.0, 4.0, 0.5, 0.1), 0.025)
    # a case beyond the full policy case counts as the full case
    assert_allclose(phases.adoption_chance(phases.ADVOCACY, 10.0, 4.0, 0.5, 0.1), 0.05)
    assert phases.adoption_chance(phases.ADVOCACY, 1e6, 1.0, 1.0, 1.0) == 1.0


@pytest.mark.parametrize("phase", [phases.ASSESSMENT, phases.DEMONSTRATION, phases.SCALE])
def test_adoption_chance_zero_outside_advocacy(phase):
    assert phases.adoption_chance(phase, 10.0, 1.0, 1.0, 1.0) == 0.0


def test_adoption_chance_zero_without_receptivity():
    assert phases.adoption_chance(phases.ADVOCACY, 10.0, 1.0, 0.0, 1.0) == 0.0


def outcome(outcome, program_work, scaled, gain, decay, upkeep, reach=1.0):
    return phases.updated_outcome(outcome=outcome, program_work=program_work, reach=reach, scaled=scaled,
                                  outcome_gain=gain, outcome_decay=decay, public_upkeep=upkeep)


def test_updated_outcome_known_answers():
    assert_allclose(outcome(0.5, 1.0, False, 0.2, 0.1, 0.05), 0.5 + 0.2 * 0.5 - 0.05)
    assert_allclose(outcome(0.5, 1.0, True, 0.2, 0.1, 0.05), 0.5 + 0.1 + 0.025 - 0.05)
    assert_allclose(outcome(0.4, 0.0, False, 0.2, 0.25, 0.05), 0.3)
    assert outcome(0.0, 0.0, False, 0.2, 0.1, 0.05) == 0.0


def test_updated_outcome_program_work_scaled_by_reach():
    assert_allclose(outcome(0.5, 1.0, False, 0.2, 0.1, 0.05, reach=0.5), 0.5 + 0.2 * 0.5 * 0.5 - 0.05)
    assert_allclose(outcome(0.5, 1.0, True, 0.2, 0.0, 0.05, reach=0.0), 0.5 + 0.05 * 0.5)


@settings(max_examples=60, deadline=None)
@given(value=unit, work=st.floats(0.0, 100.0), reach=unit, scaled=st.booleans(), gain=st.floats(0.0, 10.0), decay=unit,
       upkeep=unit)
def test_updated_outcome_stays_in_unit_interval(value, work, reach, scaled, gain, decay, upkeep):
    assert 0.0 <= outcome(value, work, scaled, gain, decay, upkeep, reach=reach) <= 1.0


def test_community_reach():
    voices = np.array([1.0, 0.5, 1.0])
    community = np.array([True, True, False])
    active = np.ones(3, dtype=bool)
    reach = phases.community_reach(voices=voices, community=community, active=active, community_start=2, floor=0.2)
    assert_allclose(reach, 0.2 + 0.8 * 0.75)
    assert_allclose(phases.community_reach(voices=voices, community=community, active=np.array([False, False, True]),
                                           community_start=2, floor=0.2), 0.2)
    assert_allclose(phases.community_reach(voices=voices, community=community, active=active, community_start=0,
                                           floor=0.3), 0.3)


def test_joint_work_known_answer():
    level = np.array([[-1, 1, 3], [1, -1, -1], [3, -1, -1]], dtype=np.int8)
    cap = np.array([0.4, 0.6, 0.8])
    effort = np.array([1.0, 0.5, 1.0])
    work_per_level = np.array([0.1, 0.5, 1.0, 2.0])
    expected = 0.8 * (0.5 * 0.5 * 0.5 + 2.0 * 0.6 * 1.0) / 3
    assert_allclose(phases.joint_work(level, cap, effort, work_per_level, 3, 0.8), expected)


def test_joint_work_zero_without_ties():
    level = np.full((3, 3), NO_TIE, dtype=np.int8)
    assert phases.joint_work(level, np.ones(3), np.ones(3), np.ones(4), 3, 1.0) == 0.0


def test_organizing_power():
    cap = np.array([0.5, 0.8, 0.9])
    voices = np.array([1.0, 0.5, 1.0])
    community = np.array([True, True, False])
    active = np.array([True, True, True])
    assert_allclose(phases.organizing_power(cap, voices, community, active, 2), (0.5 + 0.4) / 2)
    assert_allclose(phases.organizing_power(cap, voices, community, np.array([True, False, True]), 2), 0.25)
    assert phases.organizing_power(cap, voices, community, active, 0) == 0.0


# =========================================================================== membership

WORK = np.array([0.1, 0.5, 1.0, 1.6])
TYPICAL = 0.8


def satisfaction(**kw):
    args = dict(level=ties(1), capacity=np.array([0.5, 0.8]), desire=np.full(2, TYPICAL), typical_desire=TYPICAL, voices=np.array([0.5, 1.0]), grant_time=np.array([0.1, 0.0]),
                outcome=0.6, community=np.array([True, False]), load=np.array([0.25, 0.5]), budget=np.array([0.5, 1.0]),
                letdowns=np.array([2.0, 0.0]), work_per_level=WORK, partners_possible=1, tie_value=0.0, voice_value=0.0,
                funding_value=0.0, outcome_value=0.0, time_value=0.0, letdown_value=0.0)
    args.update(kw)
    return membership.satisfaction_now(**args)


@pytest.mark.parametrize("values, expected", [
    (dict(tie_value=1.0), [0.5 * 0.8, 0.5 * 0.5]),
    (dict(voice_value=2.0), [1.0, 2.0]),
    (dict(funding_value=1.0), [0.2, 0.0]),
    (dict(outcome_value=1.0), [0.6, 0.2]),
    (dict(time_value=1.0), [-0.5, -0.5]),
    (dict(letdown_value=0.5), [-1.0, 0.0]),
    (dict(tie_value=1.0, voice_value=2.0, funding_value=1.0, outcome_value=1.0, time_value=1.0, letdown_value=0.5),
     [0.4 + 1.0 + 0.2 + 0.6 - 0.5 - 1.0, 0.25 + 2.0 + 0.0 + 0.2 - 0.5]),
], ids=["ties", "voice", "funding", "outcome", "time", "letdowns", "all"])
def test_satisfaction_now_known_answers(values, expected):
    assert_allclose(satisfaction(**values), expected)


def test_desire_scales_joint_work_and_outcome_only():
    half = TYPICAL / 2
    values = dict(tie_value=1.0, voice_value=2.0, funding_value=1.0, outcome_value=1.0, time_value=1.0, letdown_value=0.5)
    got = satisfaction(desire=np.array([half, 0.0]), **values)
    assert_allclose(got, [0.5 * (0.4 + 0.6) + 1.0 + 0.2 - 0.5 - 1.0, 0.0 + 2.0 + 0.0 - 0.5])


def test_satisfaction_ties_divided_by_partners_possible():
    assert_allclose(satisfaction(tie_value=1.0, partners_possible=4), [0.1, 0.0625])
    assert_allclose(satisfaction(letdown_value=1.0, partners_possible=4), [-0.5, 0.0])
    assert_allclose(satisfaction(tie_value=1.0, level=ties(NO_TIE)), [0.0, 0.0])


def test_running_satisfaction():
    new = membership.running_satisfaction(np.array([1.0, 1.0]), np.array([-1.0, -1.0]), 0.75, np.array([True, False]))
    assert_allclose(new, [0.5, 1.0])


def test_leaving_needs_dissatisfaction_activity_and_draw():
    sat = np.array([-0.1, -0.1, 0.0, -0.1])
    active = np.array([True, True, True, False])
    left = membership.leaving(sat, active, 0.3, np.array([0.29, 0.3, 0.0, 0.0]))
    assert_array_equal(left, [True, False, False, False])


def test_collapse_cause():
    low = membership.TRUST_BREAKDOWN - 0.01
    high = membership.TRUST_BREAKDOWN + 0.01
    assert membership.collapse_cause(low, True) == membership.CAUSE_TRUST
    assert membership.collapse_cause(low, False) == membership.CAUSE_TRUST
    assert membership.collapse_cause(high, False) == membership.CAUSE_FUNDING
    assert membership.collapse_cause(high, True) == membership.CAUSE_WALKED


# =========================================================================== capacity

def test_time_budget_known_answer():
    budget = capacity.time_budget(np.array([0.1, 0.2]), np.array([0.5, 0.3]), np.array([1000.0, 0.0]), 10_000.0,
                                  np.array([0.5, 1.0]), np.array([True, False]), 2.0)
    assert_allclose(budget, [0.1 * 1.0 * 2.0 + 0.1, 0.2 * 0.8])


def test_updated_capacity_known_answer_and_inactive_frozen():
    cap = np.array([0.5, 0.5, 0.2])
    collaborating = np.array([[False, True, False], [True, False, False], [False, False, False]])
    new = capacity.updated_capacity(cap, np.array([0.5, 0.3, 0.2]), collaborating, np.array([1.0, 0.0, 1.0]),
                                    np.array([0.0, 1.0, 0.0]), np.array([True, True, False]), 0.2, 0.1, 0.05, 0.5, 2)
    assert_allclose(new, [0.5 + (0.2 * 0.5 / 2 + 0.1) * 0.5, 0.5 + 0.2 * 0.5 / 2 * 0.5 - 0.05 - 0.1, 0.2])


def test_updated_capacity_clipped():
    new = capacity.updated_capacity(np.array([0.02, 0.99]), np.array([0.02, 0.99]), np.zeros((2, 2), dtype=bool),
                                    np.array([0.0, 1.0]), np.array([10.0, 0.0]), np.ones(2, dtype=bool), 0.0, 1.0, 1.0,
                                    0.0, 1)
    assert_allclose(new, [0.01, 1.0])


# =========================================================================== state and draws

def mix(**weights):
    return {s: weights.get(s, 0.0) for s in SECTORS}


def counts(sectors):
    return np.bincount(sectors, minlength=len(SECTORS)).tolist()


def test_allocate_sectors_largest_remainder():
    # quotas 3.5, 2.1, 1.4: floors 3, 2, 1; the one left goes to the largest remainder (0.5)
    assert counts(allocate_sectors(7, mix(grassroots=0.5, nonprofit=0.3, public_agency=0.2))) == [4, 2, 1, 0, 0]
    # quotas 2.4, 3.6: floors 2, 3; remainder to the second
    assert counts(allocate_sectors(6, mix(business=2.0, beneficiary=3.0))) == [0, 0, 0, 2, 4]


def test_allocate_sectors_ties_go_in_sector_order():
    assert counts(allocate_sectors(10, mix(grassroots=1, nonprofit=1, public_agency=1))) == [4, 3, 3, 0, 0]


def test_allocate_sectors_is_sorted_by_sector():
    sectors = allocate_sectors(9, mix(grassroots=1, nonprofit=1, business=1))
    assert_array_equal(sectors, np.sort(sectors))


@settings(max_examples=80, deadline=None)
@given(count=st.integers(1, 200), weights=st.lists(st.floats(0.0, 1.0), min_size=len(SECTORS), max_size=len(SECTORS)))
def test_allocate_sectors_sums_to_count(count, weights):
    if sum(weights) <= 0:
        weights[0] = 1.0
    w = np.array(weights)
    result = np.bincount(allocate_sectors(count, dict(zip(SECTORS, weights))), minlength=len(SECTORS))
    assert result.sum() == count
    quotas = w / w.sum() * count
    assert np.all(result >= np.floor(quotas)) and np.all(result <= np.floor(quotas) + 1)
    assert np.all(result[w == 0] == 0)


def test_symmetric_events_use_upper_triangle():
    draws = np.array([[0.0, 0.1, 0.9], [0.0, 0.0, 0.1], [0.0, 0.9, 0.0]])
    events = symmetric_events(draws, np.full((3, 3), 0.5))
    assert_array_equal(events, [[False, True, False], [True, False, True], [False, True, False]])


# --------------------------------------------------------------------------- mutuality and same standards

def test_same_standards_calls_out_hedging():
    gap = np.array([[0.0, 0.4], [0.8, 0.0]])
    assert_allclose(trust.hedged(gap, 0.0), gap)
    assert_allclose(trust.hedged(gap, 0.75), gap * 0.25)
    assert_allclose(trust.hedged(gap, 1.0), np.zeros_like(gap))


def test_mutual_respect_heals_the_hurt_of_exclusion():
    assert governance.exclusion_trust_loss(0.2, 0.0) == pytest.approx(0.2)
    assert governance.exclusion_trust_loss(0.2, 0.5) == pytest.approx(0.1)
    assert governance.exclusion_trust_loss(0.2, 1.0) == 0.0
