"""The vectorized month (``sim.step.advance``) against the plain executable specification (``sim.reference``).

Both are fed the same old state, parameters and pre-drawn uniforms; they must
return the same new state (every array and partnership field: floats to
``rtol=1e-9, atol=1e-12``, ints, bools and None exactly) and the same
``StepFacts``. States are drawn small (2 – 9 organizations) from
``initial_state`` and then randomized into the regions where the rules branch:
random trust (much of it near the requirements), random symmetric levels and
months at level, departed members with their ties wiped, negative
satisfaction, phases with their accumulators near the thresholds, grants
ending, collapsed partnerships.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import get_type_hints

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from strategies import section_strategy

from sim.draws import StepDraws
from sim.errors import ScenarioError
from sim.params import GOVERNANCE_MODES, SECTORS, Params, from_dict
from sim.reference import advance_reference
from sim.scenarios import load_scenario
from sim.state import NO_TIE, State, initial_state
from sim.step import StepFacts, advance

RTOL, ATOL = 1e-9, 1e-12
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
unit = st.floats(0.0, 1.0, allow_nan=False)
PHASE_NAMES = ("assessment", "demonstration", "advocacy", "scale")
CAUSES = ("trust broke down", "funding ended with no way to sustain", "members walked away")


# --------------------------------------------------------------------------- comparison

def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)


def _assert_value_equal(name: str, a, b) -> None:
    if a is None or b is None:
        assert a is None and b is None, f"{name}: {a!r} != {b!r}"
    elif isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        assert isinstance(a, (bool, np.bool_)) and isinstance(b, (bool, np.bool_)), f"{name}: {a!r} vs {b!r}"
        assert bool(a) == bool(b), f"{name}: {a!r} != {b!r}"
    elif isinstance(a, str) or isinstance(b, str):
        assert a == b, f"{name}: {a!r} != {b!r}"
    elif isinstance(a, (int, np.integer)) and isinstance(b, (int, np.integer)):
        assert int(a) == int(b), f"{name}: {a!r} != {b!r}"
    else:
        assert _close(float(a), float(b)), f"{name}: {a!r} != {b!r}"


def assert_same_state(vectorized: State, reference: State, where: str = "") -> None:
    for group in ("orgs", "pairs"):
        x_group, y_group = getattr(vectorized, group), getattr(reference, group)
        for f in dataclasses.fields(x_group):
            x, y = getattr(x_group, f.name), getattr(y_group, f.name)
            name = f"{where}{group}.{f.name}"
            assert x.shape == y.shape, name
            assert x.dtype.kind == y.dtype.kind, f"{name}: dtype {x.dtype} vs {y.dtype}"
            if x.dtype.kind == "f":
                assert_allclose(y, x, rtol=RTOL, atol=ATOL, err_msg=name)
            else:
                assert_array_equal(y, x, err_msg=name)
    for f in dataclasses.fields(vectorized.partnership):
        _assert_value_equal(f"{where}partnership.{f.name}", getattr(vectorized.partnership, f.name),
                            getattr(reference.partnership, f.name))


def assert_same_facts(vectorized: StepFacts, reference: StepFacts, where: str = "") -> None:
    for f in dataclasses.fields(StepFacts):
        _assert_value_equal(f"{where}facts.{f.name}", getattr(vectorized, f.name), getattr(reference, f.name))


def assert_inputs_untouched(before: State, after: State) -> None:
    for group in ("orgs", "pairs"):
        for f in dataclasses.fields(getattr(before, group)):
            x, y = getattr(getattr(before, group), f.name), getattr(getattr(after, group), f.name)
            assert x.dtype == y.dtype, f.name
            assert_array_equal(y, x, err_msg=f"{group}.{f.name} was mutated")
    assert before.partnership == after.partnership


# --------------------------------------------------------------------------- strategies

@st.composite
def knob_dicts(draw, count):
    """The knobs the rules branch on, in ranges where they matter; everything else at its default."""
    weights = st.sampled_from([0.0, 0.1, 0.3, 1.0])
    mix = {name: draw(weights) for name in SECTORS}
    if sum(mix.values()) == 0:
        mix["nonprofit"] = 1.0
    sorted3 = st.lists(unit, min_size=3, max_size=3).map(sorted)
    return {
        "organizations": {
            "count": count,
            "initial_trust": draw(unit),
            "trust_spread": draw(st.floats(0.0, 0.5)),
            "size_spread": draw(st.sampled_from([0.8, 0.0])),  # 0: equal budgets within a sector (ties for the lead)
            "identity_strength": draw(unit),
            "self_selection": draw(unit),
            "sector_mix": mix,
        },
        "trust": {"gain": draw(unit), "loss": draw(unit), "reliability": draw(unit),
                  "exclusion_loss": draw(unit), "rivalry_loss": draw(unit)},
        "continuum": {
            "months_required": draw(st.lists(st.integers(0, 8), min_size=3, max_size=3).map(sorted)),
            "trust_required": draw(st.one_of(st.just([0.35, 0.55, 0.75]), sorted3)),
            "turf_required": draw(st.one_of(st.just([0.0, 0.25, 0.45]), sorted3)),
            "climb_rate": draw(st.sampled_from([0.3, 1.0]) | unit), "fall_rate": draw(unit), "hold_margin": draw(st.floats(0.0, 0.3)),
            "interaction_rate": draw(st.lists(unit, min_size=4, max_size=4)),
        },
        "capacity": {"partner_gain": draw(unit), "learning_rate": draw(st.floats(0.0, 0.2)),
                     "overextension_loss": draw(st.floats(0.0, 0.3)), "recovery": draw(st.floats(0.0, 0.2))},
        "funding": {
            "grant_months": draw(st.sampled_from([0, 1, 2, 3, 12, 36])),
            "monthly_amount": draw(st.sampled_from([0.0, 5000.0, 30000.0, 200000.0])),
            "renewal_probability": draw(st.sampled_from([0.0, 0.5, 1.0])),
            "mandated": draw(st.booleans()),
            "mandate_pressure": draw(unit),
            "expectation_ratio": draw(st.floats(0.25, 5.0)),
            "competition": draw(unit),
            "accountability": draw(st.sampled_from(["hierarchical", "mutual"])),
            "reporting_burden": draw(st.floats(0.0, 0.3)),
        },
        "governance": {
            "mode": draw(st.sampled_from(GOVERNANCE_MODES)),
            "community_decision_share": draw(unit),
            "lead_share": draw(unit),
            "deliberation_capacity": draw(st.floats(1.0, 30.0)),
            "inclusion_cost": draw(st.floats(0.0, 10.0)),
            "meeting_time": draw(st.floats(0.0, 0.05)),
            "backbone_share": draw(unit),
        },
        "collective_impact": {k: draw(unit) for k in ("common_agenda", "shared_measurement", "mutually_reinforcing",
                                                      "continuous_communication", "learning_culture")},
        "public_sector": {"receptivity": draw(st.sampled_from([0.0, 0.5, 1.0]) | unit),
                          "adoption_rate": draw(st.sampled_from([0.1, 0.5, 1.0]) | unit)},
        "partnership": {
            "advocacy": draw(st.sampled_from([0.0, 0.3, 1.0]) | unit),
            "assessment_work": draw(st.floats(0.0, 3.0)),
            "demonstration_work": draw(st.floats(0.0, 6.0)),
            "policy_work": draw(st.floats(0.01, 6.0)),
            "min_members": draw(st.integers(2, max(2, count // 2)) | st.integers(2, count)),
        },
        "membership": {"leave_rate": draw(unit), "memory": draw(st.floats(0.0, 0.99)),
                       "letdown_value": draw(st.floats(0.0, 3.0)), "time_value": draw(st.floats(0.0, 3.0)),
                       "ownership_time": draw(st.floats(0.0, 10.0))},
        "community": {"reach_without_community": draw(unit), "outcome_gain": draw(st.floats(0.0, 3.0)),
                      "outcome_decay": draw(st.floats(0.0, 0.2)), "public_upkeep": draw(st.floats(0.0, 0.2))},
    }


@st.composite
def full_range_dicts(draw, count):
    """Every parameter anywhere in its allowed range (only the size is kept small)."""
    hints = get_type_hints(Params)
    data = {f.name: draw(section_strategy(hints[f.name])) for f in dataclasses.fields(Params)
            if dataclasses.is_dataclass(hints[f.name])}
    data["organizations"]["count"] = count
    data["partnership"]["min_members"] = draw(st.integers(2, count))
    if data["governance"].get("power_sharing", "custom") != "custom":
        data["governance"].pop("community_decision_share", None)
    return data


@st.composite
def small_params(draw, max_count=9):
    count = draw(st.integers(2, max_count))
    data = draw(st.one_of(knob_dicts(count), knob_dicts(count), full_range_dicts(count)))
    try:
        return from_dict(data)
    except ScenarioError:
        assume(False)


def _near(rng: np.random.Generator, centre: float, spread: float, size=None, low=0.0, high=None):
    value = centre + spread * rng.standard_normal(size)
    return np.clip(value, low, high if high is not None else np.inf)


def randomized_state(params: Params, rng: np.random.Generator, *, departed: float, lead_gone: bool,
                     collapsed: bool) -> tuple[State, int]:
    """``initial_state`` pushed into the regions where the rules branch, keeping the model's invariants.

    Returns the state and the month the next step computes.
    """
    state = initial_state(params, rng)
    n = state.count
    orgs, pairs, pship = state.orgs, state.pairs, state.partnership
    c = params.continuum

    # trust: half uniform, half near a requirement (stepping up, holding, commitment gaps)
    thresholds = np.array([*c.trust_required, *(t - c.hold_margin for t in c.trust_required), *c.turf_required])
    near = _near(rng, rng.choice(thresholds, size=(n, n)), 0.05, low=0.0, high=1.0)
    high = rng.uniform(0.7, 1.0, (n, n))
    which = rng.integers(0, 3, (n, n))
    trust = np.choose(which, [rng.random((n, n)), near, high])
    np.fill_diagonal(trust, 0.0)
    pairs.trust = trust

    # levels and months at level: symmetric, diagonal NO_TIE
    top = rng.integers(0, 4)
    upper = np.triu(rng.integers(0, top + 1, (n, n)), k=1)
    level = (upper + upper.T).astype(np.int8)
    np.fill_diagonal(level, NO_TIE)
    months_upper = np.triu(rng.integers(0, 24, (n, n)), k=1)
    months = (months_upper + months_upper.T).astype(np.int32)
    np.fill_diagonal(months, 0)

    orgs.capacity = rng.uniform(0.01, 1.0, n)
    orgs.satisfaction = rng.normal(0.05, 0.2, n)  # some negative: those members may walk away

    # departed members: inactive, ties wiped, frozen values
    active = rng.random(n) >= departed
    if lead_gone:  # the largest institution (the lead agency under lead_agency governance) has left
        institutional_budget = np.where(orgs.community, -np.inf, orgs.budget)
        active[int(np.argmax(institutional_budget))] = False
    if collapsed:
        active[:] = False
    gone = ~active
    level[gone, :] = NO_TIE
    level[:, gone] = NO_TIE
    months[gone, :] = 0
    months[:, gone] = 0
    months[level == NO_TIE] = 0
    orgs.active = active
    pairs.level, pairs.months_at_level = level, months

    # the partnership: phase with accumulators near its thresholds; grant clock near its end
    part = params.partnership
    pship.phase = int(rng.integers(0, 4))
    pship.assessment = float(_near(rng, part.assessment_work, 0.2))
    pship.evidence = float(_near(rng, part.demonstration_work, 0.3))
    pship.policy = float(_near(rng, part.policy_work, 1.0)) if rng.random() < 0.7 else float(rng.uniform(0.0, 0.5))
    pship.community_outcome = float(rng.choice([0.0, rng.random(), 1.0], p=[0.1, 0.8, 0.1]))
    month = int(rng.integers(1, 200))
    grant_months = params.funding.grant_months
    pship.funded = bool(rng.random() < 0.7) and not collapsed
    pship.grant_month = int(rng.integers(max(grant_months - 2, 0), grant_months + 1)) if pship.funded else int(rng.integers(0, grant_months + 1))
    pship.grants_received = int(rng.integers(0, 4))
    pship.funding_end_step = None if pship.funded else int(rng.integers(0, month))
    pship.scale_step = int(rng.integers(0, month)) if pship.phase == 3 else None
    if collapsed:
        pship.collapse_step = int(rng.integers(0, month))
        pship.collapse_cause = str(rng.choice(CAUSES))
    return state, month


@st.composite
def cases(draw):
    params = draw(small_params())
    seed = draw(st.integers(0, 2**32 - 1))
    departed = draw(st.sampled_from([0.0, 0.0, 0.2, 0.5, 0.9]))
    lead_gone = draw(st.sampled_from([False] * 4 + [True]))
    collapsed = draw(st.sampled_from([False] * 9 + [True]))
    state, month = randomized_state(params, np.random.default_rng(seed), departed=departed, lead_gone=lead_gone,
                                    collapsed=collapsed)
    draws = StepDraws.sample(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), state.count)
    return params, state, draws, month


# --------------------------------------------------------------------------- tests

@SETTINGS
@given(cases())
def test_one_month_matches_reference(case):
    params, state, draws, month = case
    vectorized, vectorized_facts = advance(state.copy(), params, draws, month)
    reference, reference_facts = advance_reference(state.copy(), params, draws, month)
    assert_same_state(vectorized, reference)
    assert_same_facts(vectorized_facts, reference_facts)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_neither_mutates_its_inputs(case):
    params, state, draws, month = case
    before, draws_before, params_before = state.copy(), copy.deepcopy(draws), copy.deepcopy(params)
    advance(state, params, draws, month)
    assert_inputs_untouched(before, state)
    reference, _ = advance_reference(state, params, draws, month)
    assert_inputs_untouched(before, state)
    for f in dataclasses.fields(StepDraws):
        assert_array_equal(getattr(draws, f.name), getattr(draws_before, f.name))
    assert params == params_before
    # the reference returns fresh arrays: nothing it returns aliases its input
    for group in ("orgs", "pairs"):
        for f in dataclasses.fields(getattr(state, group)):
            assert not np.shares_memory(getattr(getattr(state, group), f.name), getattr(getattr(reference, group), f.name))
    assert reference.partnership is not state.partnership


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.integers(0, 2**32 - 1))
def test_lower_triangle_of_pair_draws_is_ignored(case, seed):
    """Pair events use only the upper triangle of ``interact``, ``rivalry``, ``climb`` and ``fall`` (section 3)."""
    params, state, draws, month = case
    n = state.count
    other = np.random.default_rng(seed).random((4, n, n))
    lower = np.tril(np.ones((n, n), dtype=bool))
    scrambled = dataclasses.replace(draws, **{
        name: np.where(lower, other[k], getattr(draws, name))
        for k, name in enumerate(("interact", "rivalry", "climb", "fall"))})
    for step in (advance, advance_reference):
        first, first_facts = step(state.copy(), params, draws, month)
        second, second_facts = step(state.copy(), params, scrambled, month)
        assert_same_state(first, second, where=f"{step.__name__}: ")
        assert_same_facts(first_facts, second_facts, where=f"{step.__name__}: ")


def _run_side_by_side(params: Params, seed: int, months: int = 24) -> None:
    rng = np.random.default_rng(seed)
    state = initial_state(params, rng)
    vectorized, reference = state, state.copy()
    for month in range(1, months + 1):
        draws = StepDraws.sample(rng, state.count)
        vectorized, vectorized_facts = advance(vectorized, params, draws, month)
        reference, reference_facts = advance_reference(reference, params, draws, month)
        assert_same_state(vectorized, reference, where=f"month {month}: ")
        assert_same_facts(vectorized_facts, reference_facts, where=f"month {month}: ")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_params(max_count=12), st.integers(0, 2**32 - 1))
def test_24_months_side_by_side(params, seed):
    _run_side_by_side(params, seed)


@pytest.mark.parametrize("scenario", ["baseline", "betterment", "empowerment", "collective_impact", "ctc_like",
                                      "lead_agency_dominance", "mandated_shotgun", "more_with_less"])
def test_24_months_side_by_side_scenarios(scenario):
    params = load_scenario(scenario, {"funding.grant_months": 12, "membership.leave_rate": 0.6})
    _run_side_by_side(params, seed=7)


def _edge_state(params: Params, seed: int = 3) -> State:
    return initial_state(params, np.random.default_rng(seed))


def test_adoption_sees_this_months_progress():
    """Section 3 / 7.6: a partnership that finishes its demonstration this month can be adopted the same month."""
    params = from_dict({"organizations": {"count": 6, "initial_trust": 0.6},
                        "public_sector": {"receptivity": 1.0, "adoption_rate": 1.0},
                        "partnership": {"demonstration_work": 1.0, "policy_work": 1.0}})
    state = _edge_state(params)
    state.partnership.phase, state.partnership.evidence, state.partnership.policy = 1, 1.0, 2.0
    draws = dataclasses.replace(StepDraws.sample(np.random.default_rng(1), state.count), adoption=0.0)
    vectorized, vectorized_facts = advance(state.copy(), params, draws, 5)
    reference, reference_facts = advance_reference(state.copy(), params, draws, 5)
    assert reference.partnership.phase == 3 and reference.partnership.scale_step == 5
    assert_same_state(vectorized, reference)
    assert_same_facts(vectorized_facts, reference_facts)


@pytest.mark.parametrize("renewal", [0.0, 0.99])
def test_collapse_in_the_grants_last_month(renewal):
    """7.2 / 7.8: a collapse in the grant's final month stops the money whatever the renewal draw;
    the cause is 'members walked away' because money flowed that month."""
    params = from_dict({"organizations": {"count": 4, "initial_trust": 0.6},
                        "funding": {"grant_months": 12, "renewal_probability": 0.5},
                        "partnership": {"min_members": 4},
                        "membership": {"leave_rate": 1.0}})
    state = _edge_state(params)
    state.partnership.grant_month = 11
    state.orgs.satisfaction[:] = [-5.0, 1.0, 1.0, 1.0]
    draws = dataclasses.replace(StepDraws.sample(np.random.default_rng(2), state.count), renewal=renewal)
    vectorized, vectorized_facts = advance(state.copy(), params, draws, 12)
    reference, reference_facts = advance_reference(state.copy(), params, draws, 12)
    assert reference.partnership.collapse_step == 12
    assert reference.partnership.collapse_cause == "members walked away"
    assert not reference.partnership.funded and reference.partnership.funding_end_step == 12
    assert not reference.orgs.active.any() and np.all(reference.pairs.level == NO_TIE)
    assert_same_state(vectorized, reference)
    assert_same_facts(vectorized_facts, reference_facts)
