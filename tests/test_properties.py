"""Property tests: invariants of every month of every run over random parameters and random states, and the month
itself (what it draws and in which order, how it combines the rules, its determinism).

Parameter sets are drawn as plain dicts of the knobs that move the model across its thresholds and validated by
:func:`sim.params.from_dict`; every other parameter keeps its (still calibrated) default. One test also draws every
parameter from its declared range (read from the dataclass metadata). The compiled month mutates the model's
arrays in place, so a month's "before" is a copy of the state.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from collections import Counter
from typing import get_type_hints

import mesa
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from strategies import section_strategy

import sim
from sim.agents import Organization
from sim.errors import ScenarioError
from sim.model import PartnershipModel
from sim.params import ACCOUNTABILITY, GOVERNANCE_MODES, LEVELS, PHASES, SECTORS, CollectiveImpact, Params, from_dict
from sim.record import COLUMNS, SUMMARY_KEYS
from sim.rules import governance
from sim.state import NO_TIE, initial_state

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
unit = st.floats(0.0, 1.0, allow_nan=False)
COLLECTIVE_IMPACT = tuple(f.name for f in dataclasses.fields(CollectiveImpact))


def requirements(highest):
    """Three requirements up the continuum, non-decreasing, none above ``highest``."""
    return st.lists(st.floats(0.0, highest), min_size=3, max_size=3).map(sorted)


@st.composite
def param_dicts(draw, min_count=2, min_steps=1):
    """The knobs that move a run across the model's thresholds, each over its range: the continuum's requirements,
    trust, mandates and their pressure, every governance mode and backbone share, funders that expect more than
    they pay for, competition, the collective impact conditions, the phases' work and the public sector.

    Half the runs are promising (few members, long runs, easy requirements, high trust, a receptive public sector)
    so that random runs keep climbing to collaborating and passing every phase to scale; the other half draw every
    knob over its whole range.
    """
    promising = draw(st.booleans())

    def pick(anything, favourable):
        return draw(favourable if promising else anything)

    count = pick(st.integers(min_count, 25), st.integers(min_count, max(min_count, 8)))
    return {
        "description": "hypothesis",
        "steps": pick(st.integers(min_steps, 60), st.integers(max(min_steps, 36), 60)),
        "seed": draw(st.integers(0, 2**63 - 1)),
        "organizations": {
            "count": count,
            "initial_trust": pick(unit, st.floats(0.7, 1.0)),
            "trust_spread": pick(st.floats(0.0, 0.5), st.floats(0.0, 0.1)),
        },
        "continuum": {
            "months_required": pick(*(st.lists(st.integers(0, most), min_size=3, max_size=3) for most in (24, 8))),
            "trust_required": pick(requirements(1.0), requirements(0.6)),
            "turf_required": pick(requirements(1.0), requirements(0.3)),
            "climb_rate": draw(unit),
            "fall_rate": draw(unit),
        },
        "funding": {
            "grant_months": pick(st.integers(0, 120), st.integers(1, 24)),  # promising grants end (and may be renewed)
            "renewal_probability": draw(unit),
            "mandated": pick(st.booleans(), st.sampled_from((True, True, False))),  # mostly mandated: climbs it allows
            "mandate_pressure": draw(unit),
            "expectation_ratio": pick(st.floats(0.25, 5.0), st.floats(0.25, 1.5)),
            "competition": pick(unit, st.floats(0.0, 0.3)),
            "accountability": draw(st.sampled_from(ACCOUNTABILITY)),
        },
        "governance": {
            "mode": draw(st.sampled_from(GOVERNANCE_MODES)),
            "community_decision_share": draw(unit),
            "lead_share": draw(unit),
            "backbone_share": draw(unit),
        },
        "collective_impact": {name: draw(unit) for name in COLLECTIVE_IMPACT},
        "public_sector": {"receptivity": pick(unit, st.floats(0.6, 1.0)),
                          "adoption_rate": pick(unit, st.floats(0.6, 1.0))},
        "partnership": {
            "advocacy": pick(unit, st.floats(0.2, 1.0)),
            "min_members": pick(st.integers(2, count), st.just(2)),
            "assessment_work": pick(st.floats(0.0, 10.0), st.floats(0.0, 1.0)),
            "demonstration_work": pick(st.floats(0.01, 20.0), st.floats(0.01, 2.0)),
            "policy_work": pick(st.floats(0.01, 20.0), st.floats(0.01, 1.0)),
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

def named_arrays(state):
    """Every array of a state, by group and field name."""
    for group in ("orgs", "pairs", "partnerships"):
        arrays = getattr(state, group)
        for name, value in zip(arrays._fields, arrays):
            yield f"{group}.{name}", value


def assert_state_sane(state, count):
    orgs, pairs, pship = state.orgs, state.pairs, state.partnership
    for name, value in named_arrays(state):
        assert value.shape[0] == (1 if name.startswith("partnerships") else count), name
        if value.dtype.kind == "f":
            assert np.all(np.isfinite(value)), name
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
    # departed members have no ties; two members still in are tied (networking pairs never fall)
    both_in = orgs.active[:, None] & orgs.active[None, :] & ~np.eye(count, dtype=bool)
    assert np.all(pairs.level[~both_in] == NO_TIE)
    assert np.all(pairs.level[both_in] >= 0)
    assert np.all(pairs.months_at_level[~both_in] == 0)
    # capacity
    assert np.all((orgs.capacity > 0.0) & (orgs.capacity <= 1.0))
    # outcome
    assert 0.0 <= pship.community_outcome <= 1.0


def mutual_willingness(state, i, j):
    orgs, trust = state.orgs, state.pairs.trust
    return min(trust[i, j] * ((1.0 - orgs.guarding[i]) * (1.0 - orgs.identity[i])),
               trust[j, i] * ((1.0 - orgs.guarding[j]) * (1.0 - orgs.identity[j])))


def assert_climbs_met_their_requirements(before, after, params, seen):
    """Every climb met the next level's months, trust and turf, cut by a mandate in force only for coordinating
    and cooperating (docs/ODD.md 7.2, 7.5); counts the climbs only a mandate allowed."""
    c, f = params.continuum, params.funding
    lb, la = before.pairs.level, after.pairs.level
    climbed = np.triu((lb >= 0) & (la == lb + 1), k=1)
    for i, j in zip(*np.nonzero(climbed)):
        lv = int(lb[i, j])
        cut = f.mandate_pressure if (f.mandated and before.partnerships.funded[0] and lv + 1 in (1, 2)) else 0.0
        months = before.pairs.months_at_level[i, j]
        mutual_trust = min(before.pairs.trust[i, j], before.pairs.trust[j, i])
        willing = mutual_willingness(before, i, j)
        assert months >= c.months_required[lv] * (1.0 - cut) - 1e-9
        assert mutual_trust >= c.trust_required[lv] * (1.0 - 0.5 * cut) - 1e-12
        assert willing >= c.turf_required[lv] * (1.0 - cut) - 1e-12
        if months < c.months_required[lv] or mutual_trust < c.trust_required[lv] or willing < c.turf_required[lv]:
            seen["a climb only a mandate allowed"] += 1


def assert_month_sane(before, after, params, seen):
    """What one month may change: single symmetric level steps, months at level, departures, frozen leavers."""
    lb, la = before.pairs.level.astype(int), after.pairs.level.astype(int)
    still_tied = (lb >= 0) & (la >= 0)
    change = la - lb
    assert np.all(np.abs(change[still_tied]) <= 1)
    # a tie never forms after it is lost; a newcomer's ties start at networking
    newcomer = (before.orgs.joined_step < 0) & (after.orgs.joined_step >= 0)
    assert newcomer.sum() <= 1
    new_pair = newcomer[:, None] | newcomer[None, :]
    assert np.all(la[(lb == NO_TIE) & ~new_pair] == NO_TIE)
    assert np.all(la[(lb == NO_TIE) & new_pair & (la != NO_TIE)] == 0)
    # months at level restart on a move and tick otherwise
    mb, ma = before.pairs.months_at_level, after.pairs.months_at_level
    assert np.all(ma[still_tied & (change != 0)] == 0)
    assert_array_equal(ma[still_tied & (change == 0)], mb[still_tied & (change == 0)] + 1)
    # departed members never return; their trust (both ways), capacity and satisfaction stay frozen (so do a
    # candidate's until it joins)
    gone = ~before.orgs.active & ~newcomer
    assert not np.any(after.orgs.active & gone)
    for name in ("capacity", "satisfaction"):
        assert_array_equal(getattr(after.orgs, name)[gone], getattr(before.orgs, name)[gone], err_msg=name)
    assert_array_equal(after.pairs.trust[gone, :], before.pairs.trust[gone, :])
    assert_array_equal(after.pairs.trust[:, gone], before.pairs.trust[:, gone])
    # the phase only moves forward; scale is permanent
    assert after.partnerships.phase[0] >= before.partnerships.phase[0]
    assert_climbs_met_their_requirements(before, after, params, seen)
    seen.update(f"level {LEVELS[lv]}" for lv in np.unique(la[la >= 0]))
    seen[f"phase {PHASES[after.partnerships.phase[0]]}"] += 1
    if np.any(change[still_tied] < 0):
        seen["a fall"] += 1


def run_checked(params, seen=None):
    """Run the model month by month, checking every state and every month's change; counts in ``seen`` what the
    run reached."""
    seen = Counter() if seen is None else seen
    count = params.organizations.count + params.membership.pool  # founding members, then candidates
    model = PartnershipModel(params, rng=params.seed)
    assert_state_sane(model.state, count)
    while model.running:
        before = model.state.copy()
        model.step()
        assert_state_sane(model.state, count)
        assert_month_sane(before, model.state, params, seen)
    assert model.month == params.steps
    return model


def assert_timeseries_sane(ts, params):
    assert list(ts.columns) == list(COLUMNS)
    assert len(ts) == params.steps + 1
    assert_array_equal(ts["step"].to_numpy(), np.arange(params.steps + 1))
    numeric = ts.select_dtypes(include="number")
    assert np.all(np.isfinite(numeric.to_numpy(dtype=float)))
    for column in ("community_power_share", "community_outcome", "mean_trust", "decision_efficiency"):
        values = ts[column].to_numpy()
        assert np.all((values >= 0.0) & (values <= 1.0)), column
    active = ts["active_members"].to_numpy()
    at_start = params.membership.core_size if params.membership.inclusion == "gradual" else params.organizations.count
    assert active[0] == at_start
    joined = np.diff(active) + ts["departures"].to_numpy()[1:]
    assert np.all((joined == 0) | (joined == 1))  # at most one member joins a month
    levels = ts[["n_networking", "n_coordinating", "n_cooperating", "n_collaborating"]].sum(axis=1).to_numpy()
    assert_array_equal(levels, active * (active - 1) // 2)
    phase = np.array([PHASES.index(p) for p in ts["phase"]])
    assert np.all(np.diff(phase) >= 0)


def assert_money_conserved(ts, summary, params):
    """Money flows exactly while the grant pays (and, once the innovation is adopted, from the public budget),
    never returns once stopped, and grants account for every month."""
    amount, grant_months, steps = params.funding.monthly_amount, params.funding.grant_months, params.steps
    money = ts["funding"].to_numpy()
    funded = ts["funded"].to_numpy()
    at_scale = (ts["phase"] == "scale").to_numpy() & (ts["active_members"] > 0).to_numpy()
    public = np.where(at_scale[:-1], params.public_sector.takeover_share * amount, 0.0)
    assert money[0] == 0.0
    # money flows in month s exactly when the grant was active after month s - 1, plus other funders' grants
    # flowing that month and the public budget's share
    others = ts["grants_flowing"].to_numpy()[1:] - funded[:-1]
    assert np.all(others >= 0) and np.all(others <= params.other_funders.count)
    other_money = others * params.other_funders.monthly_amount
    assert_allclose(money[1:], np.where(funded[:-1], amount, 0.0) + other_money + public, rtol=1e-12, atol=1e-6)
    assert np.all(np.diff(funded.astype(int)) <= 0)
    end = summary["grant_end_step"]
    months_active = steps if end is None else min(end, steps)
    assert_allclose((money[1:] - public - other_money).sum(), amount * months_active, rtol=1e-12, atol=1e-6)
    grants = summary["grants_received"]
    # each renewal follows a full grant; the last grant may be cut short by a collapse or the end of the run
    assert (grants - 1) * grant_months <= months_active <= grants * grant_months
    collapse = summary["end_step"]  # any end stops the money: a collapse or a closure with its goals met
    if params.funding.renewal_probability == 0.0:
        expected = min(grant_months, steps, collapse if collapse is not None else steps) if amount > 0 else 0
        assert months_active == expected
        assert grants == (1 if grant_months > 0 and amount > 0 else 0)
    if params.funding.renewal_probability == 1.0 and collapse is None and grant_months > 0 and amount > 0:
        assert months_active == steps  # a certain renewal never lets the money stop


def assert_summary_sane(summary, params):
    assert set(summary) == set(SUMMARY_KEYS)
    assert summary["steps"] == params.steps
    assert summary["seed"] == params.seed
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text)["steps"] == params.steps
    for key in ("final_community_outcome", "peak_community_outcome", "final_mean_trust", "community_power_share",
                "initial_community_power_share"):
        assert 0.0 <= summary[key] <= 1.0, key


def checked_run(params, seen=None):
    """A run whose every month was checked, its time series, money and summary checked too."""
    seen = Counter() if seen is None else seen
    model = run_checked(params, seen)
    ts = model.timeseries()
    summary = model.summary()
    assert_timeseries_sane(ts, params)
    assert_money_conserved(ts, summary, params)
    assert_summary_sane(summary, params)
    if summary["collapsed"]:
        seen["collapse"] += 1
    if summary["grants_received"] > 1:
        seen["a renewal"] += 1
    return model, ts, summary


# --------------------------------------------------------------------------- properties

@SETTINGS
@given(params=valid_params())
def test_invariants_hold_every_month(params):
    seen = Counter()
    model, ts, summary = checked_run(params, seen)
    for what in seen:
        event(what)
    assert summary["final_active_members"] == int(model.state.orgs.active.sum())
    if summary["collapsed"]:
        assert summary["final_active_members"] == 0
        assert not ts["funded"].iloc[-1]


@SETTINGS
@given(params=any_params())
def test_invariants_hold_over_all_parameters(params):
    checked_run(params)


# What the random runs must keep reaching, so that the invariants are checked across every threshold.
COVERAGE = (*(f"level {name}" for name in LEVELS), *(f"phase {name}" for name in PHASES),
            "a climb only a mandate allowed", "a fall", "collapse", "a renewal")


def test_random_runs_reach_every_level_phase_and_mandated_climb():
    seen = Counter()

    @settings(max_examples=80, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(params=valid_params())
    def explore(params):
        checked_run(params, seen)

    explore()
    missing = [what for what in COVERAGE if not seen[what]]
    assert not missing, f"the parameter strategy no longer reaches {missing}; it reached {dict(seen)}"


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


def assert_states_equal(a, b):
    for (name, va), (_, vb) in zip(named_arrays(a), named_arrays(b), strict=True):
        assert va.dtype == vb.dtype, name
        assert_array_equal(va, vb, err_msg=name)
    assert a.partnership == b.partnership


def continued(params, state, generator_state, month, last_row):
    """A fresh model that takes up ``state`` at ``month`` with its generator in ``generator_state``, and the
    record's row of that month (``last_row``): an ended partnership's next row repeats it (sim.record.repeat_row)."""
    model = PartnershipModel(params, rng=params.seed)
    model.start_from(state)
    model.month = month  # start_from counts months from 0; month-stamped fields must match the original's
    model.recorder.records[month] = last_row
    model.rng.bit_generator.state = copy.deepcopy(generator_state)
    return model


@SETTINGS
@given(params=valid_params(), months=st.integers(0, 24))
def test_the_next_month_depends_only_on_the_state_and_the_generator(params, months):
    model = PartnershipModel(params, rng=params.seed)
    for _ in range(min(months, params.steps - 1)):
        model.step()
    snapshot = model.state.copy()
    generator_state = copy.deepcopy(model.rng.bit_generator.state)
    last_row = model.recorder.records[model.month].copy()
    first = continued(params, snapshot.copy(), generator_state, model.month, last_row)
    second = continued(params, snapshot.copy(), generator_state, model.month, last_row)
    for m in (model, first, second):
        m.step()
    assert_states_equal(first.state, second.state)
    # nothing the model holds besides state and generator matters (and, for the row, the row before)
    assert_states_equal(first.state, model.state)
    assert first.rng.bit_generator.state == model.rng.bit_generator.state
    row = model.month
    assert first.recorder.records[row].tobytes() == model.recorder.records[row].tobytes()
    assert_state_sane(first.state, params.organizations.count + params.membership.pool)


@SETTINGS
@given(params=valid_params(), months_stepped=st.integers(0, 60))
def test_stepping_month_by_month_equals_finishing_in_one_call(params, months_stepped):
    stepped = PartnershipModel(params, rng=params.seed)
    while stepped.running:
        stepped.step()
    finished = PartnershipModel(params, rng=params.seed)
    for _ in range(min(months_stepped, params.steps)):
        finished.step()
    finished.finish()
    assert not finished.running and finished.month == stepped.month == params.steps
    assert stepped.recorder.records.tobytes() == finished.recorder.records.tobytes()
    assert_array_equal(stepped.recorder.first_at_level, finished.recorder.first_at_level)
    assert_states_equal(stepped.state, finished.state)
    assert stepped.rng.bit_generator.state == finished.rng.bit_generator.state


def test_initial_state_is_drawn_from_the_generator_only():
    params = from_dict({"organizations": {"count": 6}, "partnership": {"min_members": 2}})
    a = initial_state(params, np.random.default_rng(5))
    b = initial_state(params, np.random.default_rng(5))
    assert_states_equal(a, b)


# --------------------------------------------------------------------------- the month on random states

@st.composite
def random_states(draw):
    """A model whose state is randomized where the rules branch: any symmetric levels among members still in,
    months at level, trust, departures, phase and the grant clock."""
    params = draw(valid_params())
    model = PartnershipModel(params, rng=params.seed)
    orgs, pairs, ps = model.state.orgs, model.state.pairs, model.state.partnerships
    n = orgs.sector.size  # the founding members, then the candidates (never active before they join)
    in_now = draw(hnp.arrays(bool, n, elements=st.sampled_from((True, True, True, False))))  # mostly in
    orgs.active[:] = in_now & (orgs.joined_step >= 0)
    both_in = orgs.active[:, None] & orgs.active[None, :] & ~np.eye(n, dtype=bool)
    level = np.triu(draw(hnp.arrays(np.int8, (n, n), elements=st.integers(0, 3))), k=1)
    months = np.triu(draw(hnp.arrays(np.int32, (n, n), elements=st.integers(0, 30))), k=1)
    pairs.level[:] = np.where(both_in, level + level.T, NO_TIE)
    pairs.months_at_level[:] = np.where(both_in, months + months.T, 0)
    pairs.trust[:] = draw(hnp.arrays(float, (n, n), elements=unit))
    np.fill_diagonal(pairs.trust, 0.0)
    ps.phase[0] = draw(st.integers(0, 3))
    if ps.funded[0]:
        ps.grant_month[0] = draw(st.integers(0, params.funding.grant_months - 1))
    model.start_from(model.state)
    return model


@SETTINGS
@given(model=random_states())
def test_level_moves_are_symmetric_single_steps(model):
    before = model.state.copy()
    model.step()
    assert_state_sane(model.state, model.state.orgs.sector.size)
    assert_month_sane(before, model.state, model.params, Counter())


# --------------------------------------------------------------------------- the month on hand-made states

ONLY_NONPROFITS = {sector: 1.0 if sector == "nonprofit" else 0.0 for sector in SECTORS}
# Every chance 0 or 1: institutions of one sector with equal say (no exclusion), no competition, no
# interactions, reliable members, no climbing or falling, nobody leaving, no renewal, no adoption, no backlash, no
# staff turnover, no closing on success.
QUIET = {
    "steps": 12,
    "organizations": {"count": 3, "sector_mix": ONLY_NONPROFITS, "size_spread": 0.0, "identity_strength": 0.0,
                      "initial_trust": 0.5, "trust_spread": 0.0, "history_spread": 0.0},
    "partnership": {"min_members": 2, "advocacy_risk": 0.0, "close_on_success": 0.0},
    "trust": {"reliability": 1.0},
    "continuum": {"interaction_rate": [0.0, 0.0, 0.0, 0.0], "climb_rate": 0.0, "fall_rate": 0.0,
                  "purpose_mix": [0.0, 0.0, 0.0, 1.0], "purpose_growth": 0.0},  # every purpose needs collaborating
    "funding": {"competition": 0.0, "renewal_probability": 0.0},
    "membership": {"leave_rate": 0.0, "pool": 0},  # the members only: nobody to invite
    "leadership": {"turnover": 0.0, "liaison_turnover": 0.0},
    "public_sector": {"receptivity": 0.0},
}


def merged(base, overrides):
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        out[key] = merged(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def hand_model(overrides=None, *, trust=None, level=None, months=0, guarding=None, funded=True):
    """A quiet model (every chance 0 or 1 unless ``overrides`` say otherwise) in a hand-made state."""
    params = from_dict(merged(QUIET, overrides or {}))
    model = PartnershipModel(params, rng=params.seed)
    orgs, pairs, ps = model.state.orgs, model.state.pairs, model.state.partnerships
    if trust is not None:
        pairs.trust[:] = trust
        np.fill_diagonal(pairs.trust, 0.0)
    if level is not None:
        pairs.level[:] = level
        np.fill_diagonal(pairs.level, NO_TIE)
    pairs.months_at_level[:] = np.where(pairs.level >= 0, months, 0)
    if guarding is not None:
        orgs.guarding[:] = guarding
    if not funded:
        ps.funded[0] = False
        ps.funding_end[0] = 0
    model.start_from(model.state)
    return model


def generator_copy(model):
    return copy.deepcopy(model.rng)


def test_a_month_draws_nothing_when_every_chance_is_certain():
    # climbing with climb_rate 1 and nothing else uncertain: the pairs climb to collaborating without a draw
    model = hand_model({"continuum": {"climb_rate": 1.0, "months_required": [0, 0, 0]}}, trust=0.9)
    untouched = generator_copy(model)
    model.finish()
    assert np.all(model.state.pairs.level[~np.eye(3, dtype=bool)] == 3)
    assert model.rng.bit_generator.state == untouched.bit_generator.state


def test_rivalry_and_interaction_draw_once_per_pair_in_pair_order():
    model = hand_model({"organizations": {"count": 4}, "funding": {"competition": 0.5},
                        "trust": {"rivalry_loss": 0.5, "gain": 0.5},
                        "continuum": {"interaction_rate": [0.5, 0.0, 0.0, 0.0]}})
    reference = generator_copy(model)
    model.step()
    trust = model.state.pairs.trust
    interacting = 0
    for i in range(4):
        for j in range(i + 1, 4):
            rivals = reference.random() < 0.5
            exchanged = reference.random() < 0.5
            interacting += exchanged
            # both sides keep (reliable, unstrained, no gap at networking) and both see the same events
            expected = (0.5 + 0.5 * 0.5 * exchanged) * (1.0 - 0.5 * rivals)
            assert_allclose([trust[i, j], trust[j, i]], expected, err_msg=f"pair {i}, {j}")
    assert model.rng.bit_generator.state == reference.bit_generator.state
    assert model.timeseries()["commitments_kept"].iloc[1] == 2 * interacting


def test_climbs_draw_once_per_qualifying_pair_in_pair_order():
    model = hand_model({"organizations": {"count": 4}, "continuum": {"climb_rate": 0.5, "months_required": [0, 0, 0]}},
                       trust=0.9, months=5)
    reference = generator_copy(model)
    model.step()
    level, months = model.state.pairs.level, model.state.pairs.months_at_level
    for i in range(4):
        for j in range(i + 1, 4):
            climbs = reference.random() < 0.5
            assert level[i, j] == level[j, i] == int(climbs), f"pair {i}, {j}"
            assert months[i, j] == months[j, i] == (0 if climbs else 6)
    assert model.rng.bit_generator.state == reference.bit_generator.state


def overloaded_pair(fall_rate):
    """Two members tied at coordinating, so overloaded (no grant, a coordinating tie costing 2.0 against a budget
    of about 0.2) that they fall for sure, and yet qualified to climb: no requirements, and cooperating costs
    less time than coordinating."""
    return hand_model({"organizations": {"count": 2},
                       "funding": {"monthly_amount": 0.0},
                       "continuum": {"time_cost": [0.0, 2.0, 0.0, 0.0], "months_required": [0, 0, 0],
                                     "trust_required": [0.0, 0.0, 0.0], "turf_required": [0.0, 0.0, 0.0],
                                     "climb_rate": 1.0, "fall_rate": fall_rate}},
                      level=1, funded=False)


def test_a_fall_excludes_a_climb():
    climbing = overloaded_pair(fall_rate=0.0)
    climbing.step()
    assert climbing.state.pairs.level[0, 1] == 2  # the pair does qualify to climb
    falling = overloaded_pair(fall_rate=1.0)
    falling.step()
    assert falling.state.pairs.level[0, 1] == falling.state.pairs.level[1, 0] == 0


MANDATED = {"funding": {"mandated": True, "mandate_pressure": 1.0},
            "continuum": {"time_cost": [0.0, 0.0, 0.0, 0.0], "climb_rate": 1.0, "fall_rate": 1.0}}
# pair (0, 1) coordinating, (0, 2) cooperating, (1, 2) networking
MIXED_LEVELS = np.array([[NO_TIE, 1, 2], [1, NO_TIE, 0], [2, 0, NO_TIE]])


@pytest.mark.parametrize("mandated, funded, expected", [
    (True, True, [[NO_TIE, 2, 2], [2, NO_TIE, 1], [2, 1, NO_TIE]]),
    (False, True, MIXED_LEVELS),
    (True, False, MIXED_LEVELS),
], ids=["mandate-in-force", "no-mandate", "grant-over"])
def test_a_mandate_in_force_cuts_the_months_for_coordinating_and_cooperating_only(mandated, funded, expected):
    # no pair has spent a month at its level; a full mandate waives the months for coordinating and cooperating,
    # but not the 18 for collaborating, and only while the money flows
    model = hand_model(merged(MANDATED, {"funding": {"mandated": mandated}}), trust=0.9, level=MIXED_LEVELS,
                       funded=funded)
    model.step()
    assert_array_equal(model.state.pairs.level, expected)


@pytest.mark.parametrize("funded, expected_level", [(True, 1), (False, 0)], ids=["mandate-in-force", "grant-over"])
def test_a_mandate_holds_pairs_on_reduced_trust_until_the_money_stops(funded, expected_level):
    # trust 0.2 holds coordinating under a full mandate (needs 0.35 / 2, less the 0.1 margin), but not once the
    # money stops and the full 0.35 returns; fall_rate 1 makes the fall certain
    model = hand_model(MANDATED, trust=0.2, level=1, funded=funded)
    model.step()
    assert np.all(model.state.pairs.level[~np.eye(3, dtype=bool)] == expected_level)


@pytest.mark.parametrize("same_standards, kept, broken", [(0.0, 0, 6), (1.0, 6, 0)])
def test_commitments_are_judged_against_the_full_requirements(same_standards, kept, broken):
    # members guarding all their turf at coordinating: a full mandate waives the turf they must share to hold the
    # level, but their commitments are still judged against the 0.5 coordinating demands, a full gap: every
    # commitment is hedged and broken, unless everyone is held to the same standard
    model = hand_model(merged(MANDATED, {"continuum": {"interaction_rate": [0.0, 1.0, 1.0, 1.0], "climb_rate": 0.0,
                                                       "turf_required": [0.5, 0.5, 0.5]},
                                         "collective_impact": {"same_standards": same_standards}}),
                       trust=0.9, level=1, guarding=1.0)
    untouched = generator_copy(model)
    model.step()
    row = model.timeseries().iloc[1]
    assert (row["commitments_kept"], row["commitments_broken"]) == (kept, broken)
    assert row["n_coordinating"] == 3  # the mandate holds the level
    assert model.rng.bit_generator.state == untouched.bit_generator.state


def test_the_month_writes_into_the_models_arrays():
    model = hand_model({"continuum": {"climb_rate": 1.0, "months_required": [0, 0, 0]}}, trust=0.9)
    arrays = [value for _, value in named_arrays(model.state)]
    level = model.state.pairs.level.copy()
    model.step()
    assert all(a is b for a, b in zip(arrays, (value for _, value in named_arrays(model.state))))
    assert not np.array_equal(model.state.pairs.level, level)


# --------------------------------------------------------------------------- Mesa agents

def leaving_params(count=12):
    """Members that gain nothing from membership and pay for their time walk away, a few each month."""
    return from_dict({
        "steps": 24,
        "organizations": {"count": count},
        "partnership": {"min_members": 2},
        "membership": {"tie_value": 0.0, "voice_value": 0.0, "funding_value": 0.0, "outcome_value": 0.0,
                       "time_value": 100.0, "leave_rate": 0.2, "pool": 0},
    })


def test_agents_are_mesa_agents_reading_the_arrays():
    params = from_dict({"steps": 6, "organizations": {"count": 7}, "partnership": {"min_members": 2}})
    model = PartnershipModel(params, rng=params.seed)
    assert isinstance(model, mesa.Model)
    everyone = params.organizations.count + params.membership.pool  # the members and the candidates
    assert len(model.agents) == everyone
    assert sorted(agent.index for agent in model.agents) == list(range(everyone))
    assert len({agent.unique_id for agent in model.agents}) == everyone
    for _month in range(params.steps + 1):
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
    model = PartnershipModel(params, rng=params.seed)
    sizes = [len(model.agents.select(lambda a: a.active))]
    while model.running:
        model.step()
        active = model.agents.select(lambda a: a.active)
        assert len(active) == int(model.state.orgs.active.sum())
        assert all(model.state.orgs.active[a.index] for a in active)
        sizes.append(len(active))
    assert len(model.agents) == params.organizations.count  # departed members stay agents, just inactive (no pool)
    assert sizes[0] == params.organizations.count
    assert all(b <= a for a, b in zip(sizes, sizes[1:]))
    assert sizes[-1] < sizes[0]


# --------------------------------------------------------------------------- a bug found before, kept fixed

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
    # summed as sim.record.power_share sums them: the community's power and the rest apart
    held = rest = 0.0
    for weight, capacity, community in zip(POWER_WEIGHTS, POWER_CAPACITY, POWER_COMMUNITY):
        if community:
            held += weight * capacity
        else:
            rest += weight * capacity
    assert governance.community_power_share(held, rest) == 1.0
    assert governance.community_power_share(float(np.sum(POWER_WEIGHTS * POWER_CAPACITY)), 0.0) == 1.0


@settings(max_examples=60, deadline=None)
@given(held=st.floats(0.0, 10.0), rest=st.floats(0.0, 10.0))
def test_community_power_share_stays_in_unit_interval(held, rest):
    assert 0.0 <= governance.community_power_share(held, rest) <= 1.0
