"""Known-answer tests of the scalar rules in :mod:`sim.rules` (and of ``sim.month.happens``, sector allocation).

Every rule is a small function on scalars (per pair or per organization; ``governance.lead_agency`` and
``governance.authorities`` take the member arrays), compiled by numba or plain Python under
``NUMBA_DISABLE_JIT=1``. Every number here is an argument chosen for a hand calculation from the equations
of docs/ODD.md section 7, not a model default. How the month combines the rules (order, draws, symmetry)
is tested on the month itself in ``tests/test_properties.py``.
"""

from __future__ import annotations

import copy
import inspect
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from sim.month import happens
from sim.packed import BACKBONE, LEAD_AGENCY, SHARED
from sim.params import SECTORS
from sim.rules import (capacity, continuum, funding, governance, initial, joining, leadership, membership, phases,
                       trust)
from sim.state import allocate_sectors

unit = st.floats(0.0, 1.0, allow_nan=False)
PROPERTY = settings(max_examples=60, deadline=None)
MODES = (LEAD_AGENCY, BACKBONE, SHARED)


# =========================================================================== every rule is tested

RULE_MODULES = (capacity, continuum, funding, governance, initial, joining, leadership, membership, phases, trust)


def public_rules(module):
    """Names of the functions ``module`` defines (compiled or not), not those it imports."""
    for name, value in vars(module).items():
        function = getattr(value, "py_func", value)
        if not name.startswith("_") and inspect.isfunction(function) and function.__module__ == module.__name__:
            yield name


def test_every_rule_is_called_by_a_test_in_this_file():
    # A guard for the rule set, not for the rules: a rule added to sim/rules/ without a known-answer test fails here.
    source = Path(__file__).read_text()
    called = set(re.findall(r"\b(\w+)\.(\w+)\(", source))
    missing = [f"{m.__name__}.{name}" for m in RULE_MODULES for name in public_rules(m)
               if (m.__name__.rsplit(".", 1)[1], name) not in called]
    assert not missing
    assert len(list(public_rules(governance))) >= 10  # the scan itself finds the rules


# =========================================================================== the month's small sums

# Each of these names one step of arithmetic the month does between rules, so that the month only combines rules.

def test_strain_and_slack_of_a_members_time():
    assert_allclose(capacity.strain(0.75, 0.5), 1.5)
    assert_allclose(capacity.slack(0.5, 0.2), 0.3)
    assert_allclose(capacity.slack(0.2, 0.5), -0.3)  # over-promised: no slack, and the month cannot step up


def test_only_a_collaborating_partner_adds_to_capacity_gain():
    assert capacity.collaborator_capacity(capacity.COLLABORATING, 0.7) == 0.7
    for level in range(capacity.COLLABORATING):
        assert capacity.collaborator_capacity(level, 0.7) == 0.0
    assert capacity.COLLABORATING == continuum.COLLABORATING


def test_extra_time_is_the_next_levels_tie_time_less_this_levels():
    cost = (0.0, 0.1, 0.3, 0.6)
    assert_allclose(continuum.extra_time(0, cost, 2), 0.05)
    assert_allclose(continuum.extra_time(2, cost, 2), 0.15)
    assert continuum.extra_time(3, cost, 2) == 0.0  # nothing above collaborating


def test_staff_time_need_and_grant_value():
    assert_allclose(funding.staff_time(5000.0, 10000.0), 0.5)
    assert_allclose(funding.need(0.8, 0.3, 10000.0), 5000.0)
    assert funding.need(0.2, 0.3, 10000.0) == 0.0  # its own staff cover its ties
    assert_allclose(funding.grant_value(36, 2500.0), 90000.0)
    assert funding.months_left(36, 30) == 6


def test_affordable_holds_exactly_one_whole_grant():
    assert funding.affordable(90000.0, 36, 2500.0)
    assert not funding.affordable(89999.0, 36, 2500.0)


def test_dominance_scales_authority_above_an_equal_share_to_the_top():
    assert_allclose(governance.dominance(0.1, 0.4), 0.25)
    assert governance.dominance(0.4, 0.4) == 1.0
    assert governance.dominance(0.0, 0.0) == 0.0  # nobody above an equal share: nobody dominates


def test_exclusion_hit_only_when_left_out_and_scaled_by_dominance():
    assert_allclose(governance.exclusion_hit(0.2, True, 0.5), 0.1)
    assert governance.exclusion_hit(0.2, False, 1.0) == 0.0
    assert governance.exclusion_hit(0.2, True, 0.0) == 0.0  # left out by equals: no decider to blame


def test_evidence_and_policy_case_shares():
    assert_allclose(phases.evidence_share(3.0, 4.0), 0.75)
    assert_allclose(phases.evidence_share(6.0, 4.0), 1.5)  # beyond the demonstration; results_score clips it
    assert_allclose(phases.policy_case_share(1.0, 4.0), 0.25)


def test_organizing_contribution_is_capacity_used_with_say():
    assert_allclose(phases.organizing_contribution(0.5, 0.4), 0.2)
    assert phases.organizing_contribution(0.9, 0.0) == 0.0  # capacity without a say organizes nothing


def test_tie_worth_is_the_levels_joint_work_times_partner_capacity():
    work = (0.0, 0.1, 0.4, 1.0)
    assert_allclose(membership.tie_worth(2, work, 0.5), 0.2)
    assert membership.tie_worth(0, work, 1.0) == 0.0


def test_letdown_and_stall_costs():
    assert_allclose(membership.letdown_cost(0.3, 2, 4), 0.15)
    assert_allclose(membership.letdown_cost(0.3, 1, 0), 0.3)  # no possible partner: counted as one
    assert_allclose(membership.stall_cost(0.4, 0.5), 0.2)


def test_convening_shortfall_is_the_champions_worth():
    assert_allclose(membership.convening_shortfall(0.2, 0.6, 0.1), 0.1)
    assert membership.convening_shortfall(0.2, 0.6, 0.6) == 0.0


def test_usual_money_and_funding_shortfall():
    assert membership.usual_money(0.3, 0.0) == 0.3  # the grant ended: the member misses its usual money
    assert membership.usual_money(0.3, 0.5) == 0.5  # it receives more than usual: no shortfall to count
    assert_allclose(membership.funding_shortfall(0.5, 0.2), 0.3)
    assert membership.funding_shortfall(0.2, 0.5) == 0.0


# =========================================================================== how organizations start (initial)

def test_own_staff_time_and_capacity_at_the_reference_budget_and_tenfold():
    budgets = np.array([25_000.0, 250_000.0, 25_000_000.0, 1_000.0])
    assert_allclose(initial.own_staff_time(budgets), [0.1, 0.1 + initial.OWN_TIME_PER_DECADE,
                                                      0.1 + 3 * initial.OWN_TIME_PER_DECADE, 0.1])
    assert_allclose(initial.starting_capacity(budgets), [0.3, 0.42, 0.66, 0.3 + 0.12 * np.log10(0.04)])
    assert initial.starting_capacity(np.array([1e12]))[0] == 0.9
    assert initial.starting_capacity(np.array([1.0]))[0] == 0.05


def test_turf_guarded_rises_with_competition_and_falls_with_a_common_agenda():
    habit = np.array([0.1, 0.4, 0.9])
    assert_allclose(initial.turf_guarded(habit, 0.0, 0.0), habit)
    assert_allclose(initial.turf_guarded(habit, 0.5, 0.0), [0.25, 0.55, 1.0])  # 0.9 + 0.15 clipped to 1
    assert_allclose(initial.turf_guarded(habit, 0.0, 1.0), [0.0, 0.1, 0.6])  # 0.1 - 0.3 clipped to 0


def test_lowest_desire_only_without_a_mandate():
    assert initial.lowest_desire(False, 0.4) == 0.4
    assert initial.lowest_desire(True, 0.4) == 0.0


def test_starting_trust_is_mean_plus_history_plus_spread_clipped():
    noise = np.array([0.0, 1.0, -1.0, 10.0, -10.0])
    assert_allclose(initial.starting_trust(0.3, 0.1, 0.2, noise), [0.4, 0.6, 0.2, 1.0, 0.0])


def test_convener_is_the_largest_institution_under_a_lead_agency_else_the_most_capable():
    community = np.array([True, False, False, True])
    budget = np.array([9e6, 1e6, 3e6, 5e5])
    capacity = np.array([0.2, 0.8, 0.5, 0.8])
    assert initial.convener(True, community, budget, capacity) == 2
    assert initial.convener(False, community, budget, capacity) == 1  # ties go to the first
    assert initial.convener(True, np.ones(4, dtype=bool), budget, capacity) == 0  # no institution: the largest


# =========================================================================== who joins (joining)

def test_a_partnership_needs_members_below_its_founding_size_or_without_a_founding_sector():
    assert joining.needs_members(9, 12, False)
    assert not joining.needs_members(12, 12, False)
    assert joining.needs_members(12, 12, True)


def test_invitations_need_a_need_a_candidate_and_convening():
    assert_allclose(joining.invite_chance(True, True, 0.3, 0.5), 0.15)
    assert joining.invite_chance(False, True, 0.3, 1.0) == 0.0
    assert joining.invite_chance(True, False, 0.3, 1.0) == 0.0
    assert joining.invite_chance(True, True, 0.3, 0.0) == 0.0  # nobody convenes, nobody invites


def test_a_missing_sector_comes_first_then_a_founding_member_then_trust():
    missing = joining.candidate_priority(True, False, 0.0)
    founding = joining.candidate_priority(False, True, 1.0)
    trusted = joining.candidate_priority(False, False, 1.0)
    assert missing > founding > trusted > joining.candidate_priority(False, False, 0.2)
    assert joining.accept_chance(0.7) == 0.7


def test_founding_core_is_the_convener_and_those_who_trust_it_most():
    trust_in_convener = np.array([0.9, 0.0, 0.4, 0.8, 0.4])  # the convener is row 1: its own entry does not count
    assert_array_equal(initial.founding_core(trust_in_convener, 1, 3), [True, True, False, True, False])
    assert initial.founding_core(trust_in_convener, 1, 10).all()


# =========================================================================== purpose (continuum)

def test_pairs_climb_only_below_their_purpose():
    assert continuum.below_purpose(1, 3)
    assert not continuum.below_purpose(2, 2)
    assert not continuum.below_purpose(3, 2)  # above it (a purpose never shrinks, but a mandate may push)


def test_a_purpose_grows_only_once_reached_and_never_beyond_collaborating():
    assert continuum.purpose_growth_chance(2, 2, 0.05) == 0.05
    assert continuum.purpose_growth_chance(1, 2, 0.05) == 0.0
    assert continuum.purpose_growth_chance(3, 3, 0.05) == 0.0


# =========================================================================== leadership styles

STYLES = (leadership.POSITIONAL, leadership.COLLABORATIVE, leadership.EXPERT, leadership.CHARISMATIC)


def test_a_collaborative_champion_builds_more_trust_and_eases_inclusion():
    assert_allclose(leadership.trust_gain(0.1, leadership.COLLABORATIVE, 0.5, True), 0.15)
    assert_allclose(leadership.inclusion_cost(1.5, leadership.COLLABORATIVE, 0.5, True), 1.0)
    for style in (leadership.POSITIONAL, leadership.EXPERT, leadership.CHARISMATIC):
        assert leadership.trust_gain(0.1, style, 0.5, True) == 0.1
        assert leadership.inclusion_cost(1.5, style, 0.5, True) == 1.5
    # without its champion, a style does nothing
    assert leadership.trust_gain(0.1, leadership.COLLABORATIVE, 0.5, False) == 0.1
    assert leadership.inclusion_cost(1.5, leadership.COLLABORATIVE, 0.5, False) == 1.5


def test_launch_by_style():
    assert_allclose([leadership.launch_factor(style, 0.5, True) for style in STYLES], [1.0, 0.8, 1.25, 1.5])
    assert all(leadership.launch_factor(style, 0.5, False) == 1.0 for style in STYLES)
    assert all(leadership.launch_factor(style, 0.0, True) == 1.0 for style in STYLES)


def test_more_leaves_with_a_charismatic_founder():
    assert_allclose(leadership.champion_bond(0.2, leadership.CHARISMATIC, 0.5), 0.4)
    assert leadership.champion_bond(0.6, leadership.CHARISMATIC, 1.0) == 1.0  # at most all of it
    assert all(leadership.champion_bond(0.2, style, 0.5) == 0.2 for style in STYLES[:3])


# =========================================================================== happens

def generator_pair(seed):
    """A generator and an independent copy in the same state."""
    rng = np.random.default_rng(seed)
    return rng, copy.deepcopy(rng)


@pytest.mark.parametrize("chance", [0.0, -0.25, -np.inf])
def test_happens_never_at_or_below_zero_and_draws_nothing(chance):
    rng, untouched = generator_pair(11)
    assert not happens(rng, chance)
    assert rng.bit_generator.state == untouched.bit_generator.state


@pytest.mark.parametrize("chance", [1.0, 1.5, np.inf])
def test_happens_always_at_or_above_one_and_draws_nothing(chance):
    rng, untouched = generator_pair(11)
    assert happens(rng, chance)
    assert rng.bit_generator.state == untouched.bit_generator.state


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), chance=st.floats(0.0, 1.0, exclude_min=True, exclude_max=True))
def test_happens_draws_exactly_one_uniform_between_zero_and_one(seed, chance):
    rng, reference = generator_pair(seed)
    assert happens(rng, chance) == (reference.random() < chance)
    assert rng.bit_generator.state == reference.bit_generator.state


def test_happens_follows_the_draw_both_ways():
    # the first uniform of seed 0 is 0.6369616873214543: below 0.7, not below 0.6
    assert np.random.default_rng(0).random() == pytest.approx(0.6369616873214543)
    assert happens(np.random.default_rng(0), 0.7)
    assert not happens(np.random.default_rng(0), 0.6)


# =========================================================================== trust

def updated(t, kept=False, broken=False, gain=0.0, loss=0.0, exclusion_hit=0.0, rivals=False, rivalry_loss=0.0):
    return trust.updated_trust(t, kept, broken, gain, loss, exclusion_hit, rivals, rivalry_loss)


@pytest.mark.parametrize("t, gain", [(0.5, 0.1), (0.0, 0.05), (0.9, 0.3), (1.0, 0.5)])
def test_one_kept_commitment_closes_gain_of_the_distance(t, gain):
    assert_allclose(updated(t, kept=True, gain=gain, loss=0.9), t + gain * (1 - t))


@pytest.mark.parametrize("t, loss", [(0.5, 0.3), (1.0, 0.5), (0.2, 1.0), (0.0, 0.4)])
def test_one_broken_commitment_loses_loss_of_trust(t, loss):
    assert_allclose(updated(t, broken=True, gain=0.9, loss=loss), t - loss * t)


def test_no_commitment_leaves_trust_alone():
    assert updated(0.4, gain=0.5, loss=0.5, rivalry_loss=0.5) == 0.4


@pytest.mark.parametrize("t, gain, loss", [(0.5, 0.05, 0.3), (0.8, 0.1, 0.2), (0.35, 0.05, 0.3)])
def test_asymmetry_one_broken_undoes_more_than_one_kept(t, gain, loss):
    assert loss > gain
    after = updated(updated(t, kept=True, gain=gain, loss=loss), broken=True, gain=gain, loss=loss)
    assert_allclose(after, (t + gain * (1 - t)) * (1 - loss))
    assert after < t


def test_asymmetry_known_numbers():
    # 0.5 -> 0.5 + 0.05 * 0.5 = 0.525 -> 0.525 * 0.7 = 0.3675
    assert_allclose(updated(updated(0.5, kept=True, gain=0.05, loss=0.3), broken=True, gain=0.05, loss=0.3), 0.3675)


def test_exclusion_takes_its_share_of_trust():
    # exclusion_hit = exclusion_trust_loss * dominance of the decider: 0.2 * 1.0, then 0.2 * 0.5
    assert_allclose(updated(0.5, exclusion_hit=0.2), 0.4)
    assert_allclose(updated(0.5, exclusion_hit=governance.exclusion_trust_loss(0.2, 0.0) * 0.5), 0.45)


def test_rivalry_costs_rivalry_loss_only_between_rivals():
    assert_allclose(updated(0.6, rivals=True, rivalry_loss=0.25), 0.45)
    assert updated(0.6, rivals=False, rivalry_loss=0.25) == 0.6


def test_exclusion_and_rivalry_multiply():
    assert_allclose(updated(0.6, exclusion_hit=0.5, rivals=True, rivalry_loss=0.25), 0.6 * 0.5 * 0.75)


def test_kept_then_exclusion_then_rivalry_order():
    new = updated(0.5, kept=True, gain=0.2, exclusion_hit=0.1, rivals=True, rivalry_loss=0.1)
    assert_allclose(new, (0.5 + 0.2 * 0.5) * 0.9 * 0.9)


def test_trust_moves_only_between_two_members_at_the_table():
    assert trust.moves(True, True)
    assert not trust.moves(True, False) and not trust.moves(False, True) and not trust.moves(False, False)


@PROPERTY
@given(t=unit, gain=unit, loss=unit, exclusion_loss=unit, top_excess=unit, rivalry_loss=unit)
def test_a_pair_with_a_side_away_would_keep_its_trust(t, gain, loss, exclusion_loss, top_excess, rivalry_loss):
    # The month skips updated_trust where trust.moves says no; this is what it would have given there: a side
    # away from the table made no commitment (kept or broken), is no decider (no authority above an equal share)
    # and is nobody's rival, whether or not the member at the table was left out of a decision.
    for excluded in (False, True):
        hit = governance.exclusion_hit(exclusion_loss, excluded, governance.dominance(0.0, top_excess))
        assert updated(t, False, False, gain, loss, hit, False, rivalry_loss) == t


def test_trust_is_clipped_to_unit_interval():
    assert updated(1.3) == 1.0
    assert updated(-0.2) == 0.0
    assert updated(0.5, broken=True, loss=1.0, exclusion_hit=1.0) == 0.0


@PROPERTY
@given(t=unit, kept=st.booleans(), broken=st.booleans(), gain=unit, loss=unit, exclusion_hit=unit,
       rivals=st.booleans(), rivalry_loss=unit)
def test_updated_trust_stays_in_unit_interval(t, kept, broken, gain, loss, exclusion_hit, rivals, rivalry_loss):
    new = updated(t, kept, broken, gain, loss, exclusion_hit, rivals, rivalry_loss)
    assert 0.0 <= new <= 1.0
    if not (kept or broken or exclusion_hit or rivals):
        assert new == t
    if not broken:
        assert new >= updated(t, False, False, gain, loss, exclusion_hit, rivals, rivalry_loss)
    if not kept:
        assert new <= updated(t, False, False, gain, loss, exclusion_hit, rivals, rivalry_loss)


def test_interaction_chance_raised_by_continuous_communication_and_capped():
    assert_allclose(trust.interaction_chance(0.3, 0.0), 0.3)
    assert_allclose(trust.interaction_chance(0.3, 0.5), 0.45)
    assert trust.interaction_chance(0.9, 1.0) == 1.0


def test_commitment_gap_is_zero_when_nothing_is_required():
    # networking: no trust or turf is required
    assert trust.commitment_gap(0.0, 0.0, 0.0, 0.0) == 0.0


def test_commitment_gap_trust_shortfall_as_fraction_of_need():
    # needs trust 0.5; mutual trust 0.25 is half short; willingness 0.3 meets the turf need of 0.2
    assert_allclose(trust.commitment_gap(0.5, 0.2, 0.25, 0.3), 0.5)


def test_commitment_gap_takes_the_larger_of_trust_and_turf():
    # trust short by 0.2 of 0.8 (0.25), turf short by 0.3 of 0.4 (0.75)
    assert_allclose(trust.commitment_gap(0.8, 0.4, 0.6, 0.1), 0.75)
    assert_allclose(trust.commitment_gap(0.8, 0.4, 0.6, 0.0), 1.0)


def test_commitment_gap_zero_when_requirements_met():
    assert trust.commitment_gap(0.8, 0.4, 0.8, 0.4) == 0.0
    assert trust.commitment_gap(0.8, 0.4, 0.9, 0.9) == 0.0


def test_same_standards_calls_out_hedging():
    assert_allclose(trust.hedged(0.4, 0.0), 0.4)
    assert_allclose(trust.hedged(0.8, 0.75), 0.2)
    assert trust.hedged(0.8, 1.0) == 0.0


@pytest.mark.parametrize("strain", [0.0, 0.5, 1.0])
def test_keep_probability_unstrained_is_reliability(strain):
    assert_allclose(trust.keep_probability(0.9, strain, 0.0), 0.9)


def test_keep_probability_divides_by_strain():
    assert_allclose(trust.keep_probability(0.8, 2.0, 0.0), 0.4)
    assert_allclose(trust.keep_probability(0.9, 3.0, 0.0), 0.3)


def test_keep_probability_gap_share_is_broken():
    # the hedged share of i's commitments is broken: a half gap halves it, a full gap leaves nothing
    assert_allclose(trust.keep_probability(0.8, 1.0, 0.5), 0.4)
    assert_allclose(trust.keep_probability(0.8, 2.0, 0.5), 0.2)
    assert trust.keep_probability(0.8, 1.0, 1.0) == 0.0


def test_breach_loss_halved_by_a_full_learning_culture():
    assert_allclose(trust.breach_loss(0.3, 0.0), 0.3)
    assert_allclose(trust.breach_loss(0.3, 0.5), 0.225)
    assert_allclose(trust.breach_loss(0.3, 1.0), 0.15)


def test_rivalry_only_within_a_sector():
    assert trust.rivalry_chance(True, 0.4) == 0.4
    assert trust.rivalry_chance(False, 0.4) == 0.0


# =========================================================================== continuum

MONTHS = (4.0, 8.0, 12.0)
TRUST_REQ = (0.3, 0.5, 0.7)
TURF_REQ = (0.1, 0.3, 0.5)
TIME_COST = (0.02, 0.04, 0.07, 0.12)
NETWORKING, COORDINATING, COOPERATING, COLLABORATING = range(4)


def test_willingness_and_mutual():
    assert_allclose(continuum.willingness(0.8, 0.5, 0.5), 0.8 * 0.5 * 0.5)
    assert_allclose(continuum.willingness(0.4, 0.0, 0.25), 0.4 * 0.75)
    assert continuum.mutual(0.8, 0.4) == 0.4
    assert continuum.mutual(0.4, 0.8) == 0.4


@pytest.mark.parametrize("level, cut", [(NETWORKING, 0.0), (COORDINATING, 0.6), (COOPERATING, 0.6),
                                        (COLLABORATING, 0.0)])
def test_mandate_cuts_coordinating_and_cooperating_only(level, cut):
    assert continuum.mandated_cut(level, 0.6) == cut


def requirements(mandate):
    return ([continuum.months_needed(lv, MONTHS, mandate) for lv in range(4)],
            [continuum.trust_needed(lv, TRUST_REQ, mandate) for lv in range(4)],
            [continuum.turf_needed(lv, TURF_REQ, mandate) for lv in range(4)])


def test_requirements_without_a_mandate():
    months, trust_, turf = requirements(0.0)
    assert_allclose(months, [0.0, 4.0, 8.0, 12.0])
    assert_allclose(trust_, [0.0, 0.3, 0.5, 0.7])
    assert_allclose(turf, [0.0, 0.1, 0.3, 0.5])


def test_requirements_under_a_mandate():
    # k = 0.5 cuts months and turf by half and trust by a quarter, for coordinating and cooperating only
    months, trust_, turf = requirements(0.5)
    assert_allclose(months, [0.0, 2.0, 4.0, 12.0])
    assert_allclose(trust_, [0.0, 0.3 * 0.75, 0.5 * 0.75, 0.7])
    assert_allclose(turf, [0.0, 0.05, 0.15, 0.5])


@PROPERTY
@given(mandate=unit)
def test_a_mandate_never_raises_a_requirement_and_never_touches_collaborating(mandate):
    cut, full = requirements(mandate), requirements(0.0)
    for needed, needed_without in zip(cut, full):
        assert all(a <= b for a, b in zip(needed, needed_without))
        assert needed[COLLABORATING] == needed_without[COLLABORATING]
        assert needed[NETWORKING] == 0.0


def test_tie_time_splits_the_level_cost_over_possible_partners():
    assert_allclose(continuum.tie_time(COOPERATING, TIME_COST, 4), 0.07 / 4)
    assert_allclose(continuum.tie_time(NETWORKING, TIME_COST, 1), 0.02)
    assert_allclose(continuum.tie_time(COLLABORATING, TIME_COST, 0), 0.12)  # no partners possible: divided by 1


def can_climb(level=NETWORKING, months=100, mutual_trust=0.9, mutual_will=0.9, slack=(1.0, 1.0)):
    """can_step_up against the unmandated requirements of the next level, with the tie's extra time."""
    nxt = min(level + 1, COLLABORATING)
    extra = continuum.tie_time(nxt, TIME_COST, 1) - continuum.tie_time(level, TIME_COST, 1)
    return continuum.can_step_up(level, months, mutual_trust, mutual_will, slack[0], slack[1],
                                 continuum.months_needed(nxt, MONTHS, 0.0), continuum.trust_needed(nxt, TRUST_REQ, 0.0),
                                 continuum.turf_needed(nxt, TURF_REQ, 0.0), extra)


@pytest.mark.parametrize("level", [NETWORKING, COORDINATING, COOPERATING])
def test_pair_meeting_every_requirement_can_climb(level):
    assert can_climb(level)


@pytest.mark.parametrize("override", [
    dict(months=3),                # months at networking 3 < 4 needed for coordinating
    dict(mutual_trust=0.29),       # trust below 0.3 needed
    dict(mutual_will=0.09),        # turf below 0.1 needed
    dict(slack=(0.01, 1.0)),       # one side lacks the 0.04 - 0.02 more time
    dict(slack=(1.0, 0.019)),
], ids=["months", "trust", "turf", "time-first", "time-second"])
def test_pair_missing_a_requirement_cannot_climb(override):
    assert not can_climb(NETWORKING, **override)


def test_climb_requirements_are_inclusive():
    assert can_climb(NETWORKING, months=4, mutual_trust=0.3, mutual_will=0.1, slack=(0.02, 0.02))


def test_collaborating_never_climbs():
    assert not can_climb(COLLABORATING, months=10_000, mutual_trust=1.0, mutual_will=1.0)


def fall(level=COOPERATING, mutual_trust=0.9, mutual_will=0.9, hold_margin=0.1, fall_rate=0.5, overload=(0.0, 0.0)):
    return continuum.fall_chance(level, mutual_trust, mutual_will, continuum.trust_needed(level, TRUST_REQ, 0.0),
                                 continuum.turf_needed(level, TURF_REQ, 0.0), hold_margin, fall_rate, overload[0],
                                 overload[1])


def test_pair_failing_trust_or_turf_falls_with_fall_rate():
    # cooperating needs trust 0.5 and turf 0.3; more than the 0.1 margin below either fails
    assert fall(mutual_trust=0.35) == 0.5
    assert fall(mutual_will=0.15) == 0.5


def test_pair_within_hold_margin_holds():
    assert fall(mutual_trust=0.45, mutual_will=0.25) == 0.0
    # exactly the margin below is still holding (0.5 - 0.25 and 0.3 - 0.25 are exact in binary)
    assert fall(mutual_trust=0.25, mutual_will=0.05, hold_margin=0.25) == 0.0


def test_overloaded_pair_falls_with_chance_scaled_by_the_more_overloaded_side():
    assert_allclose(fall(overload=(0.5, 0.2)), 0.25)
    assert_allclose(fall(overload=(0.2, 0.5)), 0.25)
    assert fall(overload=(3.0, 0.0)) == 0.5  # capped at fall_rate


def test_networking_never_falls():
    assert fall(NETWORKING, mutual_trust=0.0, mutual_will=0.0, fall_rate=1.0, overload=(5.0, 5.0)) == 0.0


def test_shared_turf_is_what_the_level_demands_as_far_as_both_are_willing():
    assert continuum.shared_turf(NETWORKING, 0.9, 0.3) == 0.0
    assert continuum.shared_turf(COOPERATING, 0.2, 0.3) == 0.2
    assert continuum.shared_turf(COOPERATING, 0.5, 0.3) == 0.3


# =========================================================================== governance

COMMUNITY = np.array([True, True, False, False, False])
# the community's huge budget does not make it the lead: the lead agency is the largest institution, index 3
BUDGET = np.array([9e9, 1e4, 1e6, 5e6, 2e6])
ALL = np.ones(5, dtype=bool)


def authorities_of(active, mode, share, lead_share, community=COMMUNITY, budget=BUDGET, founding=None):
    founding = active.size if founding is None else founding
    out = governance.authorities(active, community, budget, mode, share, lead_share, founding)
    assert out.shape == active.shape
    return out


def test_the_lead_agency_is_a_founding_member_never_a_candidate_who_joined_later():
    # rows 3 and 4 joined later: the largest institution among the founders 0..2 is row 2, not row 3
    lead_mode = governance.LEAD_AGENCY
    out = authorities_of(ALL, lead_mode, 0.4, 0.5, founding=3)
    assert_allclose(out[2], 0.6 * 0.5)
    assert_allclose(out[[3, 4]], 0.6 * 0.5 / 2)
    assert_allclose(authorities_of(ALL, lead_mode, 0.4, 0.5)[3], 0.6 * 0.5)  # all founders: row 3 leads


def test_lead_agency_is_the_largest_institution():
    budget = np.array([9e9, 1e6, 5e6, 2e6])
    assert governance.lead_agency(budget, np.array([True, False, False, False])) == 2
    # no institution: the largest member
    assert governance.lead_agency(budget, np.array([True, True, True, True])) == 0
    # ties go to the first
    assert governance.lead_agency(np.array([1.0, 5.0, 5.0]), np.array([False, False, False])) == 1
    assert governance.lead_agency(np.array([1.0, 5.0, 5.0]), np.array([True, True, True])) == 1


def test_community_share_held():
    assert governance.community_share_held(2, 3, 0.4) == 0.4
    assert governance.community_share_held(0, 3, 0.4) == 0.0
    assert governance.community_share_held(2, 0, 0.4) == 1.0
    assert governance.community_share_held(0, 0, 0.4) == 0.0


def test_authority_of_one_member():
    # s = 0.3, 2 community organizations, 3 institutions, lead_share 0.6
    assert_allclose(governance.authority(True, False, True, 0.3, 0.6, 2, 3), 0.15)
    assert_allclose(governance.authority(False, False, False, 0.3, 0.6, 2, 3), 0.7 / 3)
    assert_allclose(governance.authority(False, True, True, 0.3, 0.6, 2, 3), 0.7 * 0.6)
    assert_allclose(governance.authority(False, False, True, 0.3, 0.6, 2, 3), 0.7 * 0.4 / 2)
    # is_lead counts only when the lead splits
    assert_allclose(governance.authority(False, True, False, 0.3, 0.6, 2, 3), 0.7 / 3)


def test_lead_splits_authority_only_under_an_active_institutional_lead_with_others():
    assert governance.lead_splits_authority(LEAD_AGENCY, True, False, 2)
    assert not governance.lead_splits_authority(SHARED, True, False, 2)
    assert not governance.lead_splits_authority(BACKBONE, True, False, 2)
    assert not governance.lead_splits_authority(LEAD_AGENCY, False, False, 2)
    assert not governance.lead_splits_authority(LEAD_AGENCY, True, True, 2)
    assert not governance.lead_splits_authority(LEAD_AGENCY, True, False, 1)


def test_authorities_shared_split_each_part_equally():
    w = authorities_of(ALL, SHARED, 0.3, 0.6)
    assert_allclose(w, [0.15, 0.15, 0.7 / 3, 0.7 / 3, 0.7 / 3])
    assert_allclose(w.sum(), 1.0)


def test_authorities_backbone_is_like_shared():
    assert_array_equal(authorities_of(ALL, BACKBONE, 0.3, 0.6), authorities_of(ALL, SHARED, 0.3, 0.6))


def test_authorities_lead_agency_gets_lead_share_of_institutions():
    w = authorities_of(ALL, LEAD_AGENCY, 0.3, 0.6)
    assert_allclose(w, [0.15, 0.15, 0.7 * 0.2, 0.7 * 0.6, 0.7 * 0.2])
    assert_allclose(w.sum(), 1.0)


def test_authorities_departed_lead_falls_back_to_equal_split():
    active = np.array([True, True, True, False, True])
    assert_allclose(authorities_of(active, LEAD_AGENCY, 0.3, 0.6), [0.15, 0.15, 0.35, 0.0, 0.35])


def test_authorities_only_active_members():
    active = np.array([True, False, True, True, False])
    assert_allclose(authorities_of(active, SHARED, 0.4, 0.5), [0.4, 0.0, 0.3, 0.3, 0.0])


def test_authorities_all_to_institutions_without_active_community():
    active = np.array([False, False, True, True, False])
    assert_allclose(authorities_of(active, SHARED, 0.9, 0.5), [0.0, 0.0, 0.5, 0.5, 0.0])


def test_authorities_all_to_community_without_active_institutions():
    active = np.array([True, True, False, False, False])
    assert_allclose(authorities_of(active, LEAD_AGENCY, 0.1, 0.5), [0.5, 0.5, 0.0, 0.0, 0.0])


def test_authorities_nobody_active():
    assert_array_equal(authorities_of(np.zeros(5, dtype=bool), SHARED, 0.3, 0.5), 0.0)


@PROPERTY
@given(data=st.data(), n=st.integers(1, 10), mode=st.sampled_from(MODES), share=unit, lead_share=unit)
def test_authorities_of_active_members_sum_to_one(data, n, mode, share, lead_share):
    active = data.draw(hnp.arrays(bool, n))
    community = data.draw(hnp.arrays(bool, n))
    budget = data.draw(hnp.arrays(float, n, elements=st.floats(1e3, 1e8)))
    w = authorities_of(active, mode, share, lead_share, community, budget)
    assert np.all(w >= 0)
    assert_array_equal(w[~active], 0.0)
    assert_allclose(w.sum(), 1.0 if active.any() else 0.0)
    if (active & community).any() and (active & ~community).any():
        assert_allclose(w[community].sum(), share, atol=1e-12)


def test_voice_is_authority_over_equal_share_capped():
    assert_allclose(governance.voice(0.15, 5), 0.75)
    assert governance.voice(0.5, 3) == 1.0
    assert governance.voice(0.0, 4) == 0.0


def test_deliberation_weight_counts_inclusion_cost():
    # a community voice of 0.5 at capacity 0.25 weighs 0.5 * (1 + 2.0 * 0.75) = 1.25; an institution's its voice
    assert_allclose(governance.deliberation_weight(0.5, True, 0.25, 2.0), 1.25)
    assert_allclose(governance.deliberation_weight(1.0, False, 0.25, 2.0), 1.0)
    # the extra weight vanishes at full capacity
    assert_allclose(governance.deliberation_weight(1.0, True, 1.0, 5.0), 1.0)


def test_voices_at_table_halved_under_a_lead_agency():
    assert governance.voices_at_table(3.25, SHARED, 0.5) == 3.25
    assert governance.voices_at_table(3.25, BACKBONE, 0.5) == 3.25
    assert_allclose(governance.voices_at_table(3.25, LEAD_AGENCY, 0.5), 1.625)
    assert governance.voices_at_table(3.25, LEAD_AGENCY, 1.0) == 3.25


def test_backbone_staffed_only_when_paid():
    assert governance.backbone_staffed(BACKBONE, True, 0.1)
    assert not governance.backbone_staffed(BACKBONE, False, 0.1)
    assert not governance.backbone_staffed(BACKBONE, True, 0.0)
    assert not governance.backbone_staffed(SHARED, True, 0.1)
    assert not governance.backbone_staffed(LEAD_AGENCY, True, 0.1)


@pytest.mark.parametrize("deliberation_capacity", [1.0, 7.5, 20.0])
def test_decision_efficiency_is_half_at_capacity(deliberation_capacity):
    d = deliberation_capacity
    assert_allclose(governance.decision_efficiency(d, d, False, 1.5), 0.5)
    assert_allclose(governance.decision_efficiency(1.5 * d, d, True, 1.5), 0.5)
    assert_allclose(governance.decision_efficiency(1.5 * d, d, False, 1.5), 1 / (1 + 2.25))
    assert governance.decision_efficiency(0.0, d, False, 1.5) == 1.0
    assert_allclose(governance.decision_efficiency(2 * d, d, False, 1.5), 0.2)


def test_meeting_load_backbone_carries_half():
    assert_allclose(governance.meeting_load(10.0, 0.01, False), 0.1)
    assert_allclose(governance.meeting_load(10.0, 0.01, True), 0.05)


def test_exclusion_chance_is_one_minus_voice():
    assert governance.exclusion_chance(0.25) == 0.75
    assert governance.exclusion_chance(1.0) == 0.0


def test_mutual_respect_heals_the_hurt_of_exclusion():
    assert_allclose(governance.exclusion_trust_loss(0.2, 0.0), 0.2)
    assert_allclose(governance.exclusion_trust_loss(0.2, 0.5), 0.1)
    assert governance.exclusion_trust_loss(0.2, 1.0) == 0.0


def test_authority_excess_is_authority_above_an_equal_share():
    assert governance.authority_excess(0.5, 4) == 0.25
    assert governance.authority_excess(0.25, 4) == 0.0
    assert governance.authority_excess(0.1, 4) == 0.0


def test_community_power_share_known_answers():
    assert_allclose(governance.community_power_share(0.3, 0.1), 0.75)
    assert governance.community_power_share(0.2, 0.0) == 1.0
    assert governance.community_power_share(0.0, 0.4) == 0.0
    assert governance.community_power_share(0.0, 0.0) == 0.0


# =========================================================================== funding

def renewal(rule=funding.LOTTERY, funded=True, grant_month=2, grant_months=3, probability=0.4, results=1.0,
            goodwill=1.0, affordable=True):
    return funding.renewal_chance(rule, funded, grant_month, grant_months, probability, results, goodwill, affordable)


def test_renewal_is_decided_in_a_grants_last_month_while_funded():
    assert renewal() == 0.4
    assert renewal(grant_month=1) == 0.0
    assert renewal(funded=False) == 0.0
    assert renewal(probability=0.0) == 0.0


def test_renewal_rules_none_lottery_and_results():
    assert renewal(rule=funding.NONE_RULE) == 0.0
    assert renewal(rule=funding.LOTTERY, results=0.1, goodwill=0.5) == 0.4  # by lot: results do not matter
    assert_allclose(renewal(rule=funding.RESULTS, results=0.5, goodwill=0.8), 0.4 * 0.5 * 0.8)
    assert renewal(rule=funding.RESULTS, results=0.0) == 0.0


def test_no_renewal_beyond_the_budget():
    assert renewal(affordable=False) == 0.0
    assert funding.affordable(360.0, 36, 10.0)
    assert not funding.affordable(359.0, 36, 10.0)
    assert funding.affordable(np.inf, 36, 1e9)


def test_results_score_is_the_share_of_a_demonstration_clipped():
    assert funding.results_score(0.25) == 0.25
    assert funding.results_score(3.0) == 1.0
    assert funding.results_score(-1.0) == 0.0


def test_applications_start_as_money_runs_out_only_with_planning():
    assert funding.applying(12, 12, True)
    assert funding.applying(12, 0, True)
    assert not funding.applying(12, 13, True)
    assert not funding.applying(0, 0, True)  # no sustainability planning
    assert not funding.applying(12, 5, False)
    assert_allclose(funding.award_chance(0.2, 0.5, 0.5), 0.05)


def test_other_grants_run_their_length_and_end():
    assert funding.advance_other_grant(0, 3) == 1
    assert funding.advance_other_grant(1, 3) == 2
    assert funding.advance_other_grant(2, 3) == -1
    assert funding.advance_other_grant(-1, 3) == -1


def test_public_money_once_adopted():
    assert funding.public_money(True, 0.5, 30000.0) == 15000.0
    assert funding.public_money(False, 0.5, 30000.0) == 0.0


def test_dependence_is_the_grants_share_of_monthly_income():
    assert_allclose(funding.dependence(1000.0, 12 * 1000.0), 0.5)
    assert_allclose(funding.dependence(1000.0, 12 * 3000.0), 0.25)
    assert funding.dependence(0.0, 12 * 1000.0) == 0.0
    # a $25k group with $2,500 a month depends on it; a $20M agency with the same does not
    assert funding.dependence(2500.0, 25_000.0) > 0.5 > 100 * funding.dependence(2500.0, 20e6)


def test_advance_grant_counts_months():
    assert funding.advance_grant(True, 0, 3, False) == (True, 1)
    assert funding.advance_grant(True, 1, 3, True) == (True, 2)  # a renewal before the end changes nothing


def test_advance_grant_renews_at_the_end():
    assert funding.advance_grant(True, 2, 3, True) == (True, 0)


def test_advance_grant_stops_without_renewal():
    assert funding.advance_grant(True, 2, 3, False) == (False, 3)


@pytest.mark.parametrize("grant_month", [0, 3])
def test_advance_grant_never_restarts(grant_month):
    assert funding.advance_grant(False, grant_month, 3, True) == (False, grant_month)


@pytest.mark.parametrize("grant_months", [1, 2, 5])
def test_grant_without_renewal_pays_exactly_its_months(grant_months):
    funded, month, paid = True, 0, 0
    for _ in range(3 * grant_months + 2):
        paid += funding.money_this_month(funded, 1.0)
        funded, month = funding.advance_grant(funded, month, grant_months, False)
    assert paid == grant_months


def test_grant_with_renewal_pays_grant_months_per_grant():
    funded, month, paid, grants = True, 0, 0, 1
    decisions = iter([True, True, False])  # the funder renews twice, then stops
    for _ in range(20):
        paid += funding.money_this_month(funded, 1.0)
        renewed = renewal(funded=funded, grant_month=month, grant_months=4, probability=1.0) > 0 and next(decisions)
        funded, month = funding.advance_grant(funded, month, 4, renewed)
        grants += renewed
    assert grants == 3
    assert paid == 12


def test_money_flows_only_while_funded():
    assert funding.money_this_month(True, 1000.0) == 1000.0
    assert funding.money_this_month(False, 1000.0) == 0.0


def test_to_members_minus_backbone_share_when_staffed():
    assert_allclose(funding.to_members(1000.0, True, 0.2), 800.0)
    assert funding.to_members(1000.0, False, 0.2) == 1000.0


GRANT_ACTIVE = np.array([True, True, True, False])
GRANT_COMMUNITY = np.array([True, False, False, True])
GRANT_AUTHORITY = np.array([0.2, 0.5, 0.3, 0.0])
GRANT_CAPACITY = np.array([0.2, 0.6, 0.2, 0.9])


def grants_by(allocation, to_members=1000.0, need=(0.0, 0.0, 0.0, 0.0)):
    return funding.member_grants(allocation, to_members, GRANT_ACTIVE, GRANT_COMMUNITY, GRANT_AUTHORITY,
                                 GRANT_CAPACITY, np.array(need, dtype=float))


def test_member_grants_follow_authority_equally_or_capacity():
    assert_allclose(grants_by(funding.AUTHORITY), [200.0, 500.0, 300.0, 0.0])
    assert_allclose(grants_by(funding.EQUAL), [1000.0 / 3, 1000.0 / 3, 1000.0 / 3, 0.0])
    assert_allclose(grants_by(funding.CAPACITY), [200.0, 600.0, 200.0, 0.0])
    assert_allclose(grants_by(funding.AUTHORITY, to_members=0.0), 0.0)


def test_community_first_pays_community_need_then_splits_the_rest_equally():
    assert_allclose(grants_by(funding.COMMUNITY_FIRST, need=(400.0, 900.0, 0.0, 700.0)),
                    [400.0 + 200.0, 200.0, 200.0, 0.0])  # only active community members' need counts
    assert_allclose(grants_by(funding.COMMUNITY_FIRST, need=(5000.0, 0.0, 0.0, 0.0)), [1000.0, 0.0, 0.0, 0.0])


@PROPERTY
@given(data=st.data(), n=st.integers(1, 10), mode=st.sampled_from(MODES), share=unit, lead_share=unit,
       amount=st.floats(0.0, 1e9), funded=st.booleans(), backbone_share=unit)
def test_member_grants_add_up_to_the_money_to_members(data, n, mode, share, lead_share, amount, funded,
                                                      backbone_share):
    active = data.draw(hnp.arrays(bool, n))
    community = data.draw(hnp.arrays(bool, n))
    w = authorities_of(active, mode, share, lead_share, community, np.arange(1.0, n + 1.0))
    money = funding.money_this_month(funded, amount)
    to_members = funding.to_members(money, governance.backbone_staffed(mode, funded, backbone_share), backbone_share)
    for allocation in (funding.AUTHORITY, funding.EQUAL, funding.CAPACITY, funding.COMMUNITY_FIRST):
        need = data.draw(hnp.arrays(float, n, elements=st.floats(0.0, 1e6)))
        grants = funding.member_grants(allocation, to_members, active, community, w, np.linspace(0.1, 1.0, n), need)
        assert all(g >= 0.0 for g in grants)
        assert all(g == 0.0 for g, a in zip(grants, active) if not a)
        assert_allclose(grants.sum(), to_members if active.any() else 0.0, rtol=1e-9, atol=1e-6)
    assert to_members <= money


def test_funder_pressures_only_while_paying():
    assert funding.expectation_strain(1.5, True) == 1.5
    assert funding.expectation_strain(1.5, False) == 1.0
    assert funding.reporting_load(True, True, 0.05) == 0.05
    assert funding.reporting_load(True, False, 0.05) == 0.0
    assert funding.reporting_load(False, True, 0.05) == 0.0
    assert funding.mandate_in_force(True, True, 0.6) == 0.6
    assert funding.mandate_in_force(True, False, 0.6) == 0.0
    assert funding.mandate_in_force(False, True, 0.6) == 0.0


# =========================================================================== capacity

def test_time_budget_known_answer():
    # community: 0.1 * (0.5 + 0.5) * (1 + 1.0 * 1.0) + 0.1 grant time
    assert_allclose(capacity.time_budget(0.1, 0.5, 1.0, True, 1.0, 0.1), 0.3)
    # institution: residents' time does not apply; voice does not matter
    assert_allclose(capacity.time_budget(0.2, 0.3, 1.0, False, 1.0, 0.0), 0.16)
    assert_allclose(capacity.time_budget(0.2, 0.3, 0.5, True, 2.0, 0.0), 0.2 * 0.8 * 2.0)


def test_member_load_multiplies_ties_and_meetings_by_what_was_promised():
    assert_allclose(capacity.member_load(0.1, 0.05, 2.0, 0.05), 2.0 * 0.15 + 0.05)
    assert_allclose(capacity.member_load(0.1, 0.05, 1.0, 0.0), 0.15)


def test_overload_is_relative_excess_load():
    assert_allclose(capacity.overload(0.75, 0.5), 0.5)
    assert capacity.overload(0.5, 0.5) == 0.0
    assert capacity.overload(0.25, 0.5) == 0.0


def test_effort_is_the_share_of_the_load_the_budget_covers():
    assert_allclose(capacity.effort(0.5, 1.0), 0.5)
    assert capacity.effort(1.0, 0.5) == 1.0
    assert capacity.effort(0.5, 0.0) == 1.0


def test_updated_capacity_known_answers():
    # gains: 0.2 * 0.5 / 2 from partners + 0.1 * 1.0 learning, times room 0.5; no overload; at its start
    assert_allclose(capacity.updated_capacity(0.5, 0.5, 0.5, 1.0, 0.0, 0.2, 0.1, 0.05, 0.5, 2),
                    0.5 + (0.2 * 0.5 / 2 + 0.1) * 0.5)
    # partners only (no voice), overload 1 costs 0.05, drift 0.5 of the way back to 0.3
    assert_allclose(capacity.updated_capacity(0.5, 0.3, 0.5, 0.0, 1.0, 0.2, 0.1, 0.05, 0.5, 2),
                    0.5 + 0.2 * 0.5 / 2 * 0.5 - 0.05 - 0.1)
    # no possible partners: divided by 1
    assert_allclose(capacity.updated_capacity(0.5, 0.5, 0.5, 0.0, 0.0, 0.2, 0.0, 0.0, 0.0, 0), 0.5 + 0.1 * 0.5)


def test_updated_capacity_clipped():
    assert capacity.updated_capacity(0.02, 0.02, 0.0, 0.0, 10.0, 0.0, 0.0, 1.0, 0.0, 1) == capacity.CAPACITY_MIN
    assert capacity.updated_capacity(0.99, 0.99, 5.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1) == capacity.CAPACITY_MAX
    assert capacity.within_range(-0.5) == capacity.CAPACITY_MIN and capacity.within_range(1.5) == capacity.CAPACITY_MAX
    assert capacity.within_range(0.4) == 0.4


# =========================================================================== phases

JOINT_WORK = (0.1, 0.5, 1.0, 2.0)


def test_work_at_level_boosted_above_networking_by_mutually_reinforcing_activities():
    assert_allclose(phases.work_at_level(0, JOINT_WORK, 1.0), 0.1)
    assert_allclose(phases.work_at_level(2, JOINT_WORK, 0.5), 1.0 * 1.25)
    assert_allclose(phases.work_at_level(3, JOINT_WORK, 0.0), 2.0)


def test_pair_work_at_the_pace_of_the_more_stretched_side():
    assert_allclose(phases.pair_work(2.0, 0.4, 0.8, 1.0, 0.5), 2.0 * 0.6 * 0.5)


def test_joint_work_known_answer():
    # pairs (0, 1) coordinating and (0, 2) collaborating of three organizations, efficiency 0.8
    cap, effort = (0.4, 0.6, 0.8), (1.0, 0.5, 1.0)
    total = (phases.pair_work(phases.work_at_level(1, JOINT_WORK, 0.0), cap[0], cap[1], effort[0], effort[1])
             + phases.pair_work(phases.work_at_level(3, JOINT_WORK, 0.0), cap[0], cap[2], effort[0], effort[2]))
    assert_allclose(phases.joint_work(total, 2, 3, 0.8, 1.0), 0.8 * (0.5 * 0.5 * 0.5 + 2.0 * 0.6 * 1.0) / 3)
    assert_allclose(phases.joint_work(total, 2, 3, 0.8, 1.5), 1.5 * phases.joint_work(total, 2, 3, 0.8, 1.0))


def test_joint_work_zero_without_ties():
    assert phases.joint_work(0.0, 0, 3, 1.0, 1.0) == 0.0
    assert phases.joint_work(1.0, 0, 3, 1.0, 1.0) == 0.0
    assert phases.joint_work(1.0, 1, 0, 1.0, 1.0) == 0.0


def test_scope_adds_sectors_in_full_and_duplicates_with_diminishing_returns():
    # two sectors with summed capacity 0.25 and 1.0, one empty: (0.25^0.5 + 1.0^0.5) / 3
    assert_allclose(phases.scope(np.array([0.25, 1.0, 0.0]), 0.5, 3.0), 0.5)
    # returns 1: resources add in full; returns 0: each sector present counts once
    assert_allclose(phases.scope(np.array([0.25, 1.0, 0.0]), 1.0, 1.0), 1.25)
    assert_allclose(phases.scope(np.array([0.25, 1.0, 0.0]), 0.0, 1.0), 2.0)
    # complementarity: 0.8 of capacity in two sectors is more scope than in one
    assert phases.scope(np.array([0.4, 0.4]), 0.5, 1.0) > phases.scope(np.array([0.8, 0.0]), 0.5, 1.0)
    assert phases.scope(np.zeros(5), 0.5, 5.0) == 0.0


def test_organizing_power():
    # community capacity times voice 0.5 * 1.0 + 0.8 * 0.5 over the two community organizations at the start
    assert_allclose(phases.organizing_power(0.5 + 0.4, 2), 0.45)
    assert phases.organizing_power(0.9, 0) == 0.0


def test_reach_from_engagement():
    assert_allclose(phases.reach_from_engagement(1.5, 2, 0.2), 0.2 + 0.8 * 0.75)
    assert_allclose(phases.reach_from_engagement(0.0, 2, 0.2), 0.2)
    assert_allclose(phases.reach_from_engagement(0.0, 0, 0.3), 0.3)


def advance(phase, work, assessment=0.0, evidence=0.0, policy=0.0, advocacy=0.4, organizing=0.5, measurement=0.0,
            assessment_work=1.5, demonstration_work=4.0, launch_pace=1.0):
    return phases.advance(phase, assessment, evidence, policy, work, advocacy, organizing, measurement, assessment_work,
                          demonstration_work, launch_pace)


def test_launch_pace_slows_only_the_assessment():
    assert_allclose(advance(phases.ASSESSMENT, 0.4, launch_pace=0.5)[1], 0.2)
    assert_allclose(advance(phases.DEMONSTRATION, 0.4, launch_pace=0.5)[2], 0.4)


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
    assert_allclose(phases.adoption_chance(phases.ADVOCACY, 2.0, 4.0, 0.5, 0.1, 1.0), 0.025)
    assert_allclose(phases.adoption_chance(phases.ADVOCACY, 2.0, 4.0, 0.5, 0.1, 0.5), 0.0125)  # goodwill lost
    # a case beyond the full policy case counts as the full case
    assert_allclose(phases.adoption_chance(phases.ADVOCACY, 10.0, 4.0, 0.5, 0.1, 1.0), 0.05)
    assert phases.adoption_chance(phases.ADVOCACY, 1e6, 1.0, 1.0, 1.0, 1.0) == 1.0


@pytest.mark.parametrize("phase", [phases.ASSESSMENT, phases.DEMONSTRATION, phases.SCALE])
def test_adoption_chance_zero_outside_advocacy(phase):
    assert phases.adoption_chance(phase, 10.0, 1.0, 1.0, 1.0, 1.0) == 0.0


def test_adoption_chance_zero_without_receptivity():
    assert phases.adoption_chance(phases.ADVOCACY, 10.0, 1.0, 0.0, 1.0, 1.0) == 0.0


def test_advocacy_risks_a_backlash_before_a_closed_public_sector():
    assert_allclose(phases.backlash_chance(phases.ADVOCACY, 0.5, 0.2, 0.1), 0.1 * 0.5 * 0.8)
    assert phases.backlash_chance(phases.ADVOCACY, 0.5, 1.0, 0.1) == 0.0
    assert phases.backlash_chance(phases.DEMONSTRATION, 0.5, 0.2, 0.1) == 0.0
    assert_allclose(phases.goodwill_after_backlash(0.8, 0.25), 0.6)


def outcome(value, program_work, scaled, gain, decay, upkeep, reach=1.0):
    return phases.updated_outcome(value, program_work, reach, scaled, gain, decay, upkeep)


def test_updated_outcome_known_answers():
    assert_allclose(outcome(0.5, 1.0, False, 0.2, 0.1, 0.05), 0.5 + 0.2 * 0.5 - 0.05)
    assert_allclose(outcome(0.5, 1.0, True, 0.2, 0.1, 0.05), 0.5 + 0.1 + 0.025 - 0.05)
    assert_allclose(outcome(0.4, 0.0, False, 0.2, 0.25, 0.05), 0.3)
    assert outcome(0.0, 0.0, False, 0.2, 0.1, 0.05) == 0.0


def test_updated_outcome_program_work_scaled_by_reach():
    assert_allclose(outcome(0.5, 1.0, False, 0.2, 0.1, 0.05, reach=0.5), 0.5 + 0.2 * 0.5 * 0.5 - 0.05)
    assert_allclose(outcome(0.5, 1.0, True, 0.2, 0.0, 0.05, reach=0.0), 0.5 + 0.05 * 0.5)


@PROPERTY
@given(value=unit, work=st.floats(0.0, 100.0), reach=unit, scaled=st.booleans(), gain=st.floats(0.0, 10.0),
       decay=unit, upkeep=unit)
def test_updated_outcome_stays_in_unit_interval(value, work, reach, scaled, gain, decay, upkeep):
    assert 0.0 <= outcome(value, work, scaled, gain, decay, upkeep, reach=reach) <= 1.0


# =========================================================================== membership

TYPICAL = 0.8


def satisfaction(**kw):
    """This month's satisfaction of a community organization with hand-picked figures, every value 0 unless given."""
    args = dict(tie_work=0.4, desire=TYPICAL, typical_desire=TYPICAL, is_community=True, outcome=0.6, voice=0.5,
                dependence=0.2, convening=0.7, load=0.25, budget=0.5, letdowns=2, partners_possible=1, stall=0.5,
                tie_value=0.0, voice_value=0.0, funding_value=0.0, outcome_value=0.0, leadership_value=0.0,
                time_value=0.0, letdown_value=0.0, stall_value=0.0)
    args.update(kw)
    names = inspect.signature(getattr(membership.satisfaction_now, "py_func", membership.satisfaction_now)).parameters
    return membership.satisfaction_now(*(args[name] for name in names))


@pytest.mark.parametrize("values, expected", [
    (dict(tie_value=1.0), 0.4),
    (dict(voice_value=2.0), 1.0),
    (dict(funding_value=1.0), 0.2),
    (dict(outcome_value=1.0), 0.6),
    (dict(outcome_value=1.0, is_community=False), 0.6 / 3),
    (dict(leadership_value=1.0), 0.7),
    (dict(time_value=1.0), -0.25 / 0.5),
    (dict(letdown_value=0.5), -0.5 * 2),
    (dict(stall_value=0.4), -0.2),
    (dict(tie_value=1.0, voice_value=2.0, funding_value=1.0, outcome_value=1.0, leadership_value=1.0, time_value=1.0,
          letdown_value=0.5, stall_value=0.4),
     0.4 + 1.0 + 0.2 + 0.6 + 0.7 - 0.5 - 1.0 - 0.2),
], ids=["ties", "voice", "funding", "outcome", "institution-stake", "leadership", "time", "letdowns", "stall", "all"])
def test_satisfaction_now_known_answers(values, expected):
    assert_allclose(satisfaction(**values), expected)


def test_desire_scales_joint_work_and_outcome_only():
    values = dict(tie_value=1.0, voice_value=2.0, funding_value=1.0, outcome_value=1.0, time_value=1.0,
                  letdown_value=0.5)
    assert_allclose(satisfaction(desire=TYPICAL / 2, **values), 0.5 * (0.4 + 0.6) + 1.0 + 0.2 - 0.5 - 1.0)
    assert_allclose(satisfaction(desire=0.0, **values), 1.0 + 0.2 - 0.5 - 1.0)


def test_stall_weighs_only_beyond_patience_and_only_in_assessment():
    assert membership.stall_pressure(True, 12, 12) == 0.0
    assert_allclose(membership.stall_pressure(True, 18, 12), 0.5)
    assert membership.stall_pressure(True, 40, 12) == 1.0
    assert membership.stall_pressure(False, 40, 12) == 0.0


@pytest.mark.parametrize("satisfaction_now, shortfalls, reason", [
    (-0.1, (0.3, 0.0, 0.0, 0.0), membership.FUNDING_ENDED),
    (-0.1, (0.0, 0.2, 0.05, 0.0), membership.TRUST_BROKE_DOWN),
    (-0.1, (0.0, 0.0, 0.15, 0.0), membership.LOST_CHAMPION),
    (-0.1, (0.05, 0.0, 0.0, 0.2), membership.FAILED_TO_LAUNCH),
    (-0.5, (0.2, 0.1, 0.1, 0.1), membership.NOT_WORTH_THE_TIME),  # no single cause would have kept it
    (-0.1, (0.0, 0.0, 0.0, 0.0), membership.NOT_WORTH_THE_TIME),
], ids=["money", "trust", "champion", "stall", "none-enough", "nothing"])
def test_a_departure_is_put_down_to_the_cause_that_alone_would_have_kept_the_member(satisfaction_now, shortfalls,
                                                                                    reason):
    assert membership.departure_reason(satisfaction_now, *shortfalls) == reason


def test_closing_on_success_and_a_functioning_core():
    assert membership.close_chance(True, 0.05) == 0.05
    assert membership.close_chance(False, 0.05) == 0.0
    assert membership.functioning_core(6, 12, 0.5, True)
    assert not membership.functioning_core(5, 12, 0.5, True)
    assert not membership.functioning_core(12, 12, 0.5, False)


def test_letdowns_count_per_possible_partner():
    assert_allclose(satisfaction(letdown_value=1.0, partners_possible=4), -0.5)
    assert satisfaction(letdown_value=1.0, letdowns=0) == 0.0


def test_tie_work_worth_per_possible_partner_and_typical_desire():
    assert_allclose(membership.tie_work_worth(0.8, 4), 0.2)
    assert_allclose(membership.tie_work_worth(0.8, 0), 0.8)
    assert_allclose(membership.typical_desire(0.5), 0.75)
    assert membership.typical_desire(0.0) == 0.5
    assert membership.typical_desire(1.0) == 1.0


def test_running_satisfaction():
    assert_allclose(membership.running_satisfaction(1.0, -1.0, 0.75), 0.5)
    assert membership.running_satisfaction(1.0, -1.0, 0.0) == -1.0


def test_leave_chance_only_below_zero():
    assert membership.leave_chance(-0.1, 0.3) == 0.3
    assert membership.leave_chance(0.0, 0.3) == 0.0
    assert membership.leave_chance(0.5, 0.3) == 0.0


def test_collapse_below_min_members():
    assert membership.collapsed(2, 3)
    assert not membership.collapsed(3, 3)
    assert membership.collapsed(0, 2)


# =========================================================================== leadership

def test_convening_by_the_convener_or_a_staffed_backbone_half_without_the_champion():
    assert leadership.convening(0.6, 1.0, True, True, False, False) == 0.6
    assert_allclose(leadership.convening(0.6, 0.5, True, True, False, False), 0.3)  # stretched thin
    assert leadership.convening(0.6, 1.0, True, False, False, False) == 0.3
    assert leadership.convening(0.6, 1.0, False, True, False, False) == 0.0  # the convener has left
    assert leadership.convening(0.2, 0.1, True, True, True, True) == 1.0  # a staffed backbone convenes fully
    assert leadership.convening(0.2, 1.0, True, True, True, False) == 0.0  # an unpaid backbone does not
    assert_allclose(leadership.launch_pace(0.0), 0.5)
    assert_allclose(leadership.launch_pace(1.0), 1.0)


def test_champion_turnover_succession_and_what_leaves_with_a_person():
    assert leadership.champion_leaves_chance(True, 0.02) == 0.02
    assert leadership.champion_leaves_chance(False, 0.02) == 0.0
    assert leadership.successor_chance(True, 6.0) == 0.0
    assert_allclose(leadership.successor_chance(False, 4.0), 0.25)
    assert_allclose(leadership.capacity_after_champion(0.8, 0.25), 0.6)
    # All of it in the person (champion_capacity 1, or a charismatic bond that reaches 1): the floor, not zero.
    assert_allclose(leadership.capacity_after_champion(0.8, 1.0), capacity.CAPACITY_MIN)
    assert_allclose(leadership.trust_after_person_left(0.5, 0.3), 0.35)
    assert leadership.liaison_change_chance(0.01) == 0.01


# =========================================================================== sector allocation

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
