"""Property tests over random valid parameter sets: invariants that hold every month of every run.

Parameter sets are drawn as plain dicts of a handful of knobs and validated by
:func:`sim.params.from_dict`; every other parameter keeps its (still calibrated) default.
One test also draws every parameter from its declared range (read from the dataclass metadata).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from typing import get_type_hints
from unittest import mock

import mesa
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from strategies import section_strategy

import sim
from sim.agents import Organization
from sim.draws import StepDraws
from sim.errors import ScenarioError
from sim.model import PartnershipModel
from sim.params import GOVERNANCE_MODES, LEVELS, Params, from_dict
from sim.record import COLUMNS, SUMMARY_KEYS
from sim.rules import funding
from sim.state import NO_TIE, initial_state
from sim.step import advance, community_power_share

# community_power_share can exceed 1 by one rounding error (see test_community_power_share_never_exceeds_one);
# tolerated here so that the invariants test checks everything else.
ROUNDING = {"community_power_share": 0.0, "community_outcome": 0.0, "mean_trust": 0.0, "decision_efficiency": 0.0}
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
unit = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def param_dicts(draw, min_count=2, min_steps=1):
    count = draw(st.integers(min_count, 25))
    return {
        "description": "hypothesis",
        "steps": draw(st.integers(min_steps, 60)),
        "seed": draw(st.integers(0, 2**63 - 1)),
        "organizations": {
            "count": count,
            "initial_trust": draw(unit),
            "trust_spread": draw(st.floats(0.0, 0.5)),
        },
        "funding": {
            "grant_months": draw(st.integers(0, 120)),
            "renewal_probability": draw(unit),
            "mandated": draw(st.booleans()),
            "expectation_ratio": draw(st.floats(0.25, 5.0)),
            "competition": draw(unit),
        },
        "governance": {
            "mode": draw(st.sampled_from(GOVERNANCE_MODES)),
            "community_decision_share": draw(unit),
        },
        "public_sector": {"receptivity": draw(unit)},
        "partnership": {
            "advocacy": draw(unit),
            "min_members": draw(st.integers(2, count)),
        },
    }


def valid_params(**kw):
    return param_dicts(**kw).map(from_dict)


@st.composite
def any_params(draw):
    """Every parameter anywhere in its allowed range; only size and length are kept small."""
    data = {name: draw(section_strategy(get_type_hints(Params)[name]))
            for name in (f.name for f in dataclasses.fields(Params)) if dataclasses.is_dataclass(get_type_hints(Params)[name])}
    count = draw(st.integers(2, 20))
    data["organizations"]["count"] = count
    data["partnership"]["min_members"] = draw(st.integers(2, count))
    if data["governance"].get("power_sharing", "custom") != "custom":
        data["governance"].pop("community_decision_share", None)
    data["steps"] = draw(st.integers(1, 40))
    data["seed"] = draw(st.integers(0, 2**63 - 1))
    try:
        return from_dict(data)
    except ScenarioError:
        assume(False)


# --------------------------------------------------------------------------- checks

def assert_state_sane(state, count):
    orgs, pairs, pship = state.orgs, state.pairs, state.partnership
    # nothing non-finite anywhere
    for group in (orgs, pairs):
        for f in dataclasses.fields(group):
            value = getattr(group, f.name)
            assert value.shape[0] == count, f.name
            if value.dtype.kind == "f":
                assert np.all(np.isfinite(value)), f.name
    for f in dataclasses.fields(pship):
        value = getattr(pship, f.name)
        if isinstance(value, float):
            assert math.isfinite(value), f.name
    # trust
    assert np.all((pairs.trust >= 0.0) & (pairs.trust <= 1.0))
    assert_array_equal(np.diag(pairs.trust), 0.0)
    # level
    assert_array_equal(pairs.level, pairs.level.T)
    assert set(np.unique(pairs.level)) <= {-1, 0, 1, 2, 3}
    assert_array_equal(np.diag(pairs.level), NO_TIE)
    assert_array_equal(pairs.months_at_level, pairs.months_at_level.T)
    assert np.all(pairs.months_at_level >= 0)
    # departed members have no ties
    gone = ~orgs.active
    assert np.all(pairs.level[gone, :] == NO_TIE)
    assert np.all(pairs.level[:, gone] == NO_TIE)
    # capacity
    assert np.all((orgs.capacity > 0.0) & (orgs.capacity <= 1.0))
    # outcome
    assert 0.0 <= pship.community_outcome <= 1.0


def run_checked(params):
    """Run the model month by month, checking invariants; also capture every grant allocation."""
    count = params.organizations.count
    allocations = []
    real_allocate = funding.allocate

    def spy(monthly_amount, weights, staffed_backbone, backbone_share):
        dollars = real_allocate(monthly_amount, weights, staffed_backbone, backbone_share)
        allocations.append((monthly_amount, staffed_backbone, backbone_share, weights.copy(), dollars.copy()))
        return dollars

    with mock.patch.object(funding, "allocate", spy):
        model = PartnershipModel(params)
        assert_state_sane(model.state, count)
        ever_left = np.zeros(count, dtype=bool)
        while model.running:
            before = model.state
            model.step()
            after = model.state
            assert after is not before
            assert_state_sane(after, count)
            # |level change| <= 1 for every pair still tied
            still_tied = (before.pairs.level >= 0) & (after.pairs.level >= 0)
            change = after.pairs.level.astype(int) - before.pairs.level.astype(int)
            assert np.all(np.abs(change[still_tied]) <= 1)
            # a tie never forms after it is lost
            assert np.all(after.pairs.level[before.pairs.level == NO_TIE] == NO_TIE)
            # departed members never return
            ever_left |= ~before.orgs.active
            assert not np.any(after.orgs.active & ever_left)
        assert model.month == params.steps
    return model, allocations


def assert_timeseries_sane(ts, params):
    assert list(ts.columns) == list(COLUMNS)
    assert len(ts) == params.steps + 1
    assert_array_equal(ts["step"].to_numpy(), np.arange(params.steps + 1))
    numeric = ts.select_dtypes(include="number")
    assert np.all(np.isfinite(numeric.to_numpy(dtype=float)))
    for column in ("community_power_share", "community_outcome", "mean_trust", "decision_efficiency"):
        values = ts[column].to_numpy()
        assert np.all((values >= 0.0) & (values <= 1.0 + ROUNDING[column])), column
    active = ts["active_members"].to_numpy()
    assert active[0] == params.organizations.count
    assert np.all(np.diff(active) <= 0)
    assert np.all(ts["departures"].to_numpy()[1:] == -np.diff(active))
    levels = ts[["n_networking", "n_coordinating", "n_cooperating", "n_collaborating"]].sum(axis=1).to_numpy()
    assert_array_equal(levels, active * (active - 1) // 2)


def assert_money_conserved(ts, summary, params, allocations):
    amount = params.funding.monthly_amount
    steps = params.steps
    money = ts["funding"].to_numpy()
    funded = ts["funded"].to_numpy()
    assert money[0] == 0.0
    # money flows in month s exactly when the grant was active after month s - 1
    assert_allclose(money[1:], np.where(funded[:-1], amount, 0.0))
    end = summary["funding_end_step"]
    months_active = steps if end is None else min(end, steps)
    assert_allclose(money.sum(), amount * months_active, rtol=1e-12)
    assert money.sum() <= amount * steps * (1 + 1e-12) + 1e-6
    assert months_active <= summary["grants_received"] * params.funding.grant_months
    if params.funding.renewal_probability == 0.0:
        collapse = summary["collapse_step"]
        expected = min(params.funding.grant_months, steps, collapse if collapse is not None else steps) if amount > 0 else 0
        assert months_active == expected
        assert summary["grants_received"] == (1 if params.funding.grant_months > 0 and amount > 0 else 0)
    # what members received never exceeds what flowed
    paid = 0.0
    for monthly, staffed, share, weights, dollars in allocations:
        assert np.all(dollars >= 0.0)
        expected = monthly * (1.0 - share if staffed else 1.0) if weights.sum() > 0 and monthly > 0 else 0.0
        assert_allclose(dollars.sum(), expected, rtol=1e-9, atol=1e-6)
        paid += dollars.sum()
    assert paid <= money.sum() * (1 + 1e-12) + 1e-6


def assert_summary_sane(summary, params):
    assert set(summary) == set(SUMMARY_KEYS)
    assert summary["steps"] == params.steps
    assert summary["seed"] == params.seed
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text)["steps"] == params.steps
    for key in ("final_community_outcome", "peak_community_outcome", "final_mean_trust"):
        assert 0.0 <= summary[key] <= 1.0, key
    for key in ("community_power_share", "initial_community_power_share"):
        assert 0.0 <= summary[key] <= 1.0 + ROUNDING["community_power_share"], key


# --------------------------------------------------------------------------- properties

def checked_run(params):
    """A run whose every month was checked, its time series, money and summary checked too."""
    model, allocations = run_checked(params)
    ts = model.timeseries()
    summary = model.summary()
    assert_timeseries_sane(ts, params)
    assert_money_conserved(ts, summary, params, allocations)
    assert_summary_sane(summary, params)
    return model, ts, summary


@SETTINGS
@given(params=valid_params())
def test_invariants_hold_every_month(params):
    model, ts, summary = checked_run(params)
    assert summary["final_active_members"] == int(model.state.orgs.active.sum())
    if summary["collapsed"]:
        assert summary["final_active_members"] == 0
        assert not ts["funded"].iloc[-1]


@SETTINGS
@given(params=any_params())
def test_invariants_hold_over_all_parameters(params):
    checked_run(params)


@SETTINGS
@given(params=valid_params())
def test_same_params_and_seed_give_identical_runs(params):
    first = sim.run(params)
    second = sim.run(params)
    pd.testing.assert_frame_equal(first.timeseries, second.timeseries)
    assert json.dumps(first.summary, sort_keys=True) == json.dumps(second.summary, sort_keys=True)


@SETTINGS
@given(params=valid_params(min_count=4, min_steps=12))
def test_different_seeds_give_different_runs(params):
    first = sim.run(params).timeseries
    second = sim.run(params, seed=(params.seed + 1) % 2**63).timeseries
    assert not first.equals(second)


@SETTINGS
@given(params=valid_params(), months=st.integers(0, 24), draw_seed=st.integers(0, 2**32 - 1))
def test_advance_is_pure_and_deterministic(params, months, draw_seed):
    model = PartnershipModel(params)
    for _ in range(min(months, params.steps)):
        model.step()
    state = model.state
    draws = StepDraws.sample(np.random.default_rng(draw_seed), state.count)
    state_before = copy.deepcopy(state)
    draws_before = copy.deepcopy(draws)
    first, facts_first = advance(state, params, draws, model.month + 1)
    second, facts_second = advance(state, params, draws, model.month + 1)
    assert_states_equal(first, second)
    assert facts_first == facts_second
    assert_states_equal(state, state_before)
    for f in dataclasses.fields(draws):
        assert_array_equal(getattr(draws, f.name), getattr(draws_before, f.name))
    assert_state_sane(first, state.count)


def assert_states_equal(a, b):
    for group in ("orgs", "pairs"):
        ga, gb = getattr(a, group), getattr(b, group)
        for f in dataclasses.fields(ga):
            va, vb = getattr(ga, f.name), getattr(gb, f.name)
            assert va.dtype == vb.dtype, f"{group}.{f.name}"
            assert_array_equal(va, vb, err_msg=f"{group}.{f.name}")
    assert a.partnership == b.partnership


def test_initial_state_is_drawn_from_the_generator_only():
    params = from_dict({"organizations": {"count": 6}, "partnership": {"min_members": 2}})
    a = initial_state(params, np.random.default_rng(5))
    b = initial_state(params, np.random.default_rng(5))
    assert_states_equal(a, b)


# --------------------------------------------------------------------------- Mesa agents

def leaving_params(count=12):
    """Members that gain nothing from membership and pay for their time walk away, a few each month."""
    return from_dict({
        "steps": 24,
        "organizations": {"count": count},
        "partnership": {"min_members": 2},
        "membership": {"tie_value": 0.0, "voice_value": 0.0, "funding_value": 0.0, "outcome_value": 0.0,
                       "time_value": 100.0, "leave_rate": 0.2},
    })


def test_agents_are_mesa_agents_reading_the_arrays():
    params = from_dict({"steps": 6, "organizations": {"count": 7}, "partnership": {"min_members": 2}})
    model = PartnershipModel(params)
    assert isinstance(model, mesa.Model)
    assert len(model.agents) == params.organizations.count
    assert sorted(agent.index for agent in model.agents) == list(range(params.organizations.count))
    assert len({agent.unique_id for agent in model.agents}) == params.organizations.count
    for month in range(params.steps + 1):
        orgs = model.state.orgs
        for agent in model.agents:
            assert isinstance(agent, (Organization, mesa.Agent))
            i = agent.index
            assert agent.capacity == orgs.capacity[i]
            assert agent.budget == orgs.budget[i]
            assert agent.active == bool(orgs.active[i])
            assert agent.satisfaction == orgs.satisfaction[i]
            assert agent.is_community == bool(orgs.community[i])
            for other in model.agents:
                assert agent.trust_in(other) == model.state.pairs.trust[i, other.index]
                level = model.state.pairs.level[i, other.index]
                assert agent.level_with(other) == (None if level < 0 else LEVELS[level])
        model.step()


def test_selecting_active_agents_shrinks_as_members_leave():
    params = leaving_params()
    model = PartnershipModel(params)
    sizes = [len(model.agents.select(lambda a: a.active))]
    while model.running:
        model.step()
        active = model.agents.select(lambda a: a.active)
        assert len(active) == int(model.state.orgs.active.sum())
        assert all(model.state.orgs.active[a.index] for a in active)
        sizes.append(len(active))
    assert len(model.agents) == params.organizations.count  # departed members stay agents, just inactive
    assert sizes[0] == params.organizations.count
    assert all(b <= a for a, b in zip(sizes, sizes[1:]))
    assert sizes[-1] < sizes[0]


# --------------------------------------------------------------------------- known bug

# Found by test_invariants_hold_every_month: every active member is a community organization (lead_agency mode,
# community_decision_share 1.0, 19 members of which 8 community), so the share should be exactly 1.
POWER_WEIGHTS = np.array([0.125, 0.125, 0.125, *[0.0] * 11, 0.125, 0.125, 0.125, 0.125, 0.125])
POWER_CAPACITY = np.array([0.33061584781631814, 0.36282427370432146, 0.3404971235146124, 0.5060375261617426,
                           0.5434465171939797, 0.5827375207431877, 0.5678567539144873, 0.49903047879437457,
                           0.47561250447194237, 0.6223850710990793, 0.6500937723388498, 0.5514349870136679,
                           0.5670016782957735, 0.5241787435435312, 0.2694701115431424, 0.2773086073938042,
                           0.28681272839651906, 0.3171618115708955, 0.3434647491512948])
POWER_COMMUNITY = POWER_WEIGHTS > 0


def test_community_power_share_never_exceeds_one():
    share = community_power_share(POWER_WEIGHTS, POWER_CAPACITY, POWER_COMMUNITY, np.ones(19, dtype=bool))
    assert 0.0 <= share <= 1.0
