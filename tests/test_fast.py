"""The compiled month (``sim.fast.advance_fast``, numba) against the vectorized one (``sim.step.advance``).

Same inputs, same outputs: every array and partnership field to ``rtol=1e-9,
atol=1e-12`` (ints, bools and None exactly) on the randomized states of
``tests/test_reference.py``, month by month through every scenario, and whole
runs (``sim.run``) with identical time series and summaries whichever kernel
ran them. The recorder's compiled row (``sim.fast.record_stats``) against its
numpy row. Kernel selection (``sim.step.resolve_kernel``) and its fallback to
numpy without numba run whether numba is installed or not; everything else is
skipped without it.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from test_reference import SETTINGS, assert_inputs_untouched, assert_same_facts, assert_same_state, cases, small_params

import sim
import sim.step
from sim.draws import StepDraws
from sim.model import PartnershipModel
from sim.params import from_dict
from sim.record import Recorder
from sim.scenarios import load_scenario
from sim.state import NO_TIE, State, initial_state
from sim.step import advance, resolve_kernel

SCENARIOS = ("baseline", "betterment", "empowerment", "collective_impact", "ctc_like", "lead_agency_dominance",
             "mandated_shotgun", "more_with_less")


@pytest.fixture(scope="module")
def fast():
    pytest.importorskip("numba")
    import sim.fast
    return sim.fast


def _fast():
    """sim.fast inside hypothesis tests (which cannot take function-scoped fixtures); skips without numba."""
    pytest.importorskip("numba")
    import sim.fast
    return sim.fast


# --------------------------------------------------------------------------- one month

@SETTINGS
@given(cases())
def test_one_month_matches_numpy(case):
    params, state, draws, month = case
    fast = _fast()
    expected, expected_facts = advance(state.copy(), params, draws, month)
    got, got_facts = fast.advance_fast(state.copy(), params, draws, month)
    assert_same_state(got, expected)
    assert_same_facts(got_facts, expected_facts)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_advance_fast_does_not_mutate_its_inputs(case):
    params, state, draws, month = case
    fast = _fast()
    before, draws_before, params_before = state.copy(), copy.deepcopy(draws), copy.deepcopy(params)
    new, _ = fast.advance_fast(state, params, draws, month)
    assert_inputs_untouched(before, state)
    for f in dataclasses.fields(StepDraws):
        assert_array_equal(getattr(draws, f.name), getattr(draws_before, f.name))
    assert params == params_before
    # the arrays it computes are fresh; the ones no rule changes are shared, as advance shares them
    for name in ("capacity", "active", "satisfaction"):
        assert not np.shares_memory(getattr(state.orgs, name), getattr(new.orgs, name)) or not state.orgs.active.any()
    for f in dataclasses.fields(new.pairs):
        assert not np.shares_memory(getattr(state.pairs, f.name), getattr(new.pairs, f.name)) or not state.orgs.active.any()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_other_dtypes_and_layouts_give_the_same_month(case):
    """Arrays the kernel's signature does not take (Fortran order, wider integers) are converted, not miscompiled."""
    params, state, draws, month = case
    fast = _fast()
    odd = state.copy()
    odd.pairs.trust = np.asfortranarray(odd.pairs.trust)
    odd.pairs.level = odd.pairs.level.astype(np.int64)
    odd.orgs.sector = odd.orgs.sector.astype(np.int32)
    odd_draws = dataclasses.replace(draws, keep=np.asfortranarray(draws.keep))
    expected, expected_facts = advance(state.copy(), params, draws, month)
    got, got_facts = fast.advance_fast(odd, params, odd_draws, month)
    if state.orgs.active.any():  # after a collapse both return the input arrays as they are
        assert got.pairs.level.dtype == np.int8
        assert_same_state(got, expected)
    assert_same_facts(got_facts, expected_facts)


def _state(params, seed=3) -> State:
    return initial_state(params, np.random.default_rng(seed))


def _both(state, params, draws, month):
    expected, expected_facts = advance(state.copy(), params, draws, month)
    got, got_facts = sim.fast.advance_fast(state.copy(), params, draws, month)
    assert_same_state(got, expected)
    assert_same_facts(got_facts, expected_facts)
    return got, got_facts


@pytest.mark.parametrize("cause, trust, funded", [
    ("trust broke down", 0.1, True),
    ("funding ended with no way to sustain", 0.6, False),
    ("members walked away", 0.6, True),
])
def test_collapse_and_its_cause(fast, cause, trust, funded):
    """Trust among the members active at the start of the month picks the cause; no renewal counted in that month."""
    params = from_dict({"organizations": {"count": 5, "initial_trust": trust, "trust_spread": 0.0},
                        "funding": {"grant_months": 12, "renewal_probability": 1.0},
                        "partnership": {"min_members": 5}, "membership": {"leave_rate": 1.0}})
    state = _state(params)
    state.partnership.funded = funded
    state.partnership.grant_month = 11
    state.orgs.active[4] = False  # a member who left earlier: not counted in the trust among members
    state.pairs.trust[4, :] = state.pairs.trust[:, 4] = 0.99
    np.fill_diagonal(state.pairs.trust, 0.0)
    state.pairs.level[4, :] = state.pairs.level[:, 4] = NO_TIE
    state.orgs.satisfaction[:] = [-5.0, 1.0, 1.0, 1.0, 1.0]
    draws = dataclasses.replace(StepDraws.sample(np.random.default_rng(2), state.count), renewal=0.0)
    new, facts = _both(state, params, draws, 12)
    assert new.partnership.collapse_step == 12 and new.partnership.collapse_cause == cause
    assert not new.orgs.active.any() and np.all(new.pairs.level == NO_TIE) and np.all(new.pairs.months_at_level == 0)
    assert not new.partnership.funded and new.partnership.grants_received == state.partnership.grants_received
    assert facts.departures == 4


def test_renewal_and_adoption(fast):
    params = from_dict({"organizations": {"count": 6, "initial_trust": 0.6},
                        "funding": {"grant_months": 12, "renewal_probability": 0.5},
                        "public_sector": {"receptivity": 1.0, "adoption_rate": 1.0},
                        "partnership": {"demonstration_work": 1.0, "policy_work": 1.0}})
    state = _state(params)
    state.partnership.grant_month = 11
    state.partnership.phase, state.partnership.evidence, state.partnership.policy = 1, 1.0, 2.0
    draws = dataclasses.replace(StepDraws.sample(np.random.default_rng(1), state.count), renewal=0.1, adoption=0.0)
    new, _ = _both(state, params, draws, 12)
    assert new.partnership.grants_received == 2 and new.partnership.grant_month == 0 and new.partnership.funded
    assert new.partnership.phase == 3 and new.partnership.scale_step == 12


@pytest.mark.parametrize("mode", ["lead_agency", "backbone", "shared"])
@pytest.mark.parametrize("lead_gone", [False, True])
@pytest.mark.parametrize("mandated", [False, True])
def test_governance_modes_lead_gone_and_mandates(fast, mode, lead_gone, mandated):
    params = from_dict({"organizations": {"count": 9, "initial_trust": 0.6},
                        "governance": {"mode": mode, "lead_share": 0.7},
                        "funding": {"mandated": mandated},
                        "collective_impact": {"common_agenda": 0.5, "shared_measurement": 0.5,
                                              "mutually_reinforcing": 0.5, "continuous_communication": 0.5,
                                              "learning_culture": 0.5}})
    state = _state(params)
    rng = np.random.default_rng(4)
    upper = np.triu(rng.integers(0, 4, (9, 9)), k=1)
    state.pairs.level = (upper + upper.T).astype(np.int8)
    np.fill_diagonal(state.pairs.level, NO_TIE)
    months = np.triu(rng.integers(0, 20, (9, 9)), k=1)
    state.pairs.months_at_level = (months + months.T).astype(np.int32)
    if lead_gone:
        lead = int(np.argmax(np.where(state.orgs.community, -np.inf, state.orgs.budget)))
        state.orgs.active[lead] = False
        state.pairs.level[lead, :] = state.pairs.level[:, lead] = NO_TIE
        state.pairs.months_at_level[lead, :] = state.pairs.months_at_level[:, lead] = 0
    for seed in range(5):
        _both(state, params, StepDraws.sample(np.random.default_rng(seed), state.count), 5)


# --------------------------------------------------------------------------- many months

def _side_by_side(params, seed, months=None):
    """Both kernels from the same start with the same draws; the recorder's rows from both paths too."""
    rng = np.random.default_rng(seed)
    state = initial_state(params, rng)
    numpy_state, fast_state = state, state.copy()
    numpy_rows, fast_rows = Recorder(params.steps), Recorder(params.steps, kernel="numba")
    for month in range(1, (months or params.steps) + 1):
        draws = StepDraws.sample(rng, state.count)
        numpy_state, numpy_facts = advance(numpy_state, params, draws, month)
        fast_state, fast_facts = sim.fast.advance_fast(fast_state, params, draws, month)
        assert_same_state(fast_state, numpy_state, where=f"month {month}: ")
        assert_same_facts(fast_facts, numpy_facts, where=f"month {month}: ")
        numpy_rows.record(month, numpy_state, params, numpy_facts)
        fast_rows.record(month, fast_state, params, fast_facts)
    for name, column in numpy_rows.numeric.items():
        np.testing.assert_allclose(fast_rows.numeric[name], column, rtol=0.0, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("overrides", [{}, {"funding.grant_months": 12, "membership.leave_rate": 0.6},
                                       {"funding.grant_months": 24, "funding.renewal_probability": 0.5,
                                        "organizations.count": 30}],
                         ids=["as-is", "short-grant-leaving", "renewals-30"])
def test_every_scenario_month_by_month(fast, scenario, overrides):
    _side_by_side(load_scenario(scenario, overrides), seed=7)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_params(max_count=12), st.integers(0, 2**32 - 1))
def test_24_months_side_by_side(params, seed):
    _fast()
    _side_by_side(params, seed, months=min(24, params.steps))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_recorder_row_matches_numpy(case):
    """The compiled row sums as numpy sums: the same values (the CSV must not change with the kernel)."""
    params, state, _, _ = case
    fast = _fast()
    numpy_rows, fast_rows = Recorder(1), Recorder(1, kernel="numba")
    numpy_rows.record(0, state, params, None)
    fast_rows.record(0, state, params, None)
    for name, column in numpy_rows.numeric.items():
        assert_array_equal(fast_rows.numeric[name], column, err_msg=name)
    assert fast_rows.first_step_at_level == numpy_rows.first_step_at_level
    assert fast.record_stats(state, params).shape == (9,)


@pytest.mark.parametrize("scenario", ["baseline", "empowerment", "lead_agency_dominance", "mandated_shotgun"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_run_is_the_same_with_either_kernel(fast, scenario, seed):
    numpy_run = sim.run(scenario, seed=seed, kernel="numpy")
    numba_run = sim.run(scenario, seed=seed, kernel="numba")
    assert numba_run.summary == numpy_run.summary
    assert numba_run.timeseries.equals(numpy_run.timeseries)


def test_model_uses_the_kernel_it_was_given(fast, monkeypatch):
    params = load_scenario("baseline", {"steps": 3})
    assert PartnershipModel(params, kernel="numpy").kernel == "numpy"
    assert PartnershipModel(params, kernel="numba").kernel == "numba"
    assert PartnershipModel(params, kernel="auto").kernel == "numba"
    monkeypatch.setattr(sim.step, "KERNEL", "numpy")
    assert PartnershipModel(params).kernel == "numpy"
    assert resolve_kernel("auto", sim.step.DENSE_LIMIT) == "numba"
    assert resolve_kernel("auto", sim.step.DENSE_LIMIT + 1) == "numpy"


# --------------------------------------------------------------------------- selection without numba

def test_unknown_kernel_is_refused():
    with pytest.raises(ValueError, match="unknown kernel"):
        resolve_kernel("cuda", 12)
    with pytest.raises(ValueError):
        PartnershipModel(load_scenario("baseline", {"steps": 2}), kernel="fortran")


def test_without_numba_auto_falls_back_to_numpy(monkeypatch):
    monkeypatch.setattr(sim.step, "_numba_status", "ImportError: No module named 'numba'")
    assert resolve_kernel("auto", 12) == "numpy"
    assert resolve_kernel(None, 12) == "numpy"
    assert resolve_kernel("numpy", 12) == "numpy"
    with pytest.raises(ImportError, match="needs numba"):
        resolve_kernel("numba", 12)
    model = PartnershipModel(load_scenario("baseline", {"steps": 3}))
    assert model.kernel == "numpy" and model._advance is advance
    while model.running:
        model.step()
    assert model.recorder.filled == 4


@pytest.mark.parametrize("count", [2, 12, 31])
def test_draws_in_one_block_are_the_per_field_draws(count):
    """StepDraws.sample draws the month in one call: the same numbers, in the same order, as one call per field."""
    ours, theirs = np.random.default_rng(11), np.random.default_rng(11)
    for _ in range(3):
        draws = StepDraws.sample(ours, count)
        for name, shape in (("interact", (count, count)), ("keep", (count, count)), ("exclusion", count),
                            ("rivalry", (count, count)), ("climb", (count, count)), ("fall", (count, count)),
                            ("leave", count)):
            assert_array_equal(getattr(draws, name), theirs.random(shape), err_msg=name)
        assert draws.renewal == float(theirs.random()) and draws.adoption == float(theirs.random())
    assert ours.bit_generator.state == theirs.bit_generator.state
