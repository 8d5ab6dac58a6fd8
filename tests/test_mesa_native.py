"""The models the way Mesa users build them: ``rng=None`` is fresh entropy (and the seed used is recorded), flat
keyword parameters, Mesa's ``scenario``, a DataCollector with the time series, and ``mesa.batch_run``."""

from __future__ import annotations

import pickle

import mesa
import numpy as np
import pandas as pd
import pytest
from mesa.experimental.scenarios import Scenario

import sim
from sim.errors import ScenarioError
from sim.keywords import key_for
from sim.model import PartnershipModel
from sim.record import COLUMNS
from sim.region.model import ECOSYSTEM_COLUMNS, EcosystemModel
from sim.seeds import MAX_SEED, model_seed

SHORT = {"steps": 12}


# --------------------------------------------------------------------------- seeds

def test_rng_none_draws_a_fresh_seed_and_records_it():
    first, second = PartnershipModel(**SHORT), PartnershipModel(**SHORT)
    assert first.seed != second.seed
    for model in (first, second):
        assert 0 <= model.seed <= MAX_SEED and model.params.seed == model.seed
        model.finish()
        assert model.summary()["seed"] == model.seed
    again = PartnershipModel(**SHORT, rng=first.seed)
    again.finish()
    pd.testing.assert_frame_equal(again.timeseries(), first.timeseries())


def test_rng_as_mesa_takes_it():
    assert model_seed(7) == 7 and model_seed(np.int64(7)) == 7
    assert model_seed(np.random.SeedSequence(7)) == 7  # a plain SeedSequence is its entropy: the same run as rng=7
    assert model_seed(np.random.default_rng(3)) == model_seed(np.random.default_rng(3))
    assert model_seed(np.random.SeedSequence(7).spawn(1)[0]) != 7
    for bad in (-1, MAX_SEED + 1, 1.5, "3", True):
        with pytest.raises(ScenarioError, match="rng"):
            model_seed(bad, "PartnershipModel", "rng")


def test_params_seed_is_used_only_when_passed_as_rng():
    params = sim.load_scenario("baseline", {"steps": 12, "seed": 11})
    assert PartnershipModel(params, rng=params.seed).seed == 11
    assert PartnershipModel(params).seed != 11  # None: fresh, as in Mesa
    assert sim.run(params).summary["seed"] == 11  # sim.run (and the command line) keep the scenario's seed


# --------------------------------------------------------------------------- keyword parameters

def test_keyword_parameters_by_tail_underscores_or_dots():
    model = PartnershipModel(grant_months=60, community_decision_share=0.5, rng=3)
    expected = sim.load_scenario("baseline", {"funding.grant_months": 60,
                                              "governance.community_decision_share": 0.5, "seed": 3})
    assert model.params == expected
    assert PartnershipModel(funding_grant_months=60, rng=3).params.funding.grant_months == 60
    assert PartnershipModel(**{"funding.grant_months": 60}, rng=3).params.funding.grant_months == 60
    base = sim.load_scenario("empowerment")
    assert PartnershipModel(base, steps=12, rng=1).params == sim.load_scenario("empowerment", {"steps": 12, "seed": 1})


def test_numpy_values_from_a_grid_are_taken_as_plain_values():
    model = PartnershipModel(grant_months=np.int64(48), renewal_probability=np.float64(0.5), rng=1, **SHORT)
    assert model.params.funding.grant_months == 48 and type(model.params.funding.grant_months) is int


@pytest.mark.parametrize("name, problem", [
    ("grant_monts", "unknown parameter (did you mean funding.grant_months?)"),
    ("grant_months_x", "unknown parameter"),
    ("organizations", "ambiguous"),  # ecosystem.organizations, and the organizations section
    ("funding", "is a section"),
    ("seed", "not a parameter keyword"),
])
def test_a_keyword_that_names_no_one_parameter_is_one_line(name, problem):
    with pytest.raises(ScenarioError) as caught:
        PartnershipModel(**{name: 1})
    message = str(caught.value)
    assert "PartnershipModel" in message and name in message and problem in message
    assert "\n" not in message
    assert str(pickle.loads(pickle.dumps(caught.value))) == message


def test_every_parameter_has_a_keyword_that_names_it():
    from sim.params import describe

    for key, *_ in describe():
        if key == "seed":
            continue  # Mesa's rng= (tested above)
        assert key_for(key, "test") == key
        assert key_for(key.replace(".", "_"), "test") == key


def test_keywords_are_validated_as_the_scenario_loader_does():
    with pytest.raises(ScenarioError, match="funding.grant_months"):
        PartnershipModel(grant_months=-5)
    with pytest.raises(ScenarioError, match="params"):
        PartnershipModel({"steps": 3})


def test_mesa_scenario_carries_parameters_and_the_seed():
    scenario = Scenario(rng=5, grant_months=48, steps=12)
    model = PartnershipModel(scenario=scenario)
    assert model.scenario is scenario
    assert (model.seed, model.params.funding.grant_months, model.params.steps) == (5, 48, 12)
    with pytest.raises(ScenarioError, match="scenario_name"):
        PartnershipModel(scenario="baseline")


# --------------------------------------------------------------------------- the DataCollector

def test_the_datacollector_holds_the_time_series_stepped_or_finished():
    stepped, finished = PartnershipModel(rng=4, **SHORT), PartnershipModel(rng=4, **SHORT)
    while stepped.running:
        stepped.step()
    finished.finish()
    series = finished.timeseries()
    for model in (stepped, finished):
        frame = model.datacollector.get_model_vars_dataframe()
        assert list(frame.columns) == ["seed", *(c for c in COLUMNS if c != "step")]
        assert len(frame) == SHORT["steps"] + 1
        assert (frame["seed"] == 4).all()
        pd.testing.assert_frame_equal(frame.drop(columns="seed").reset_index(drop=True),
                                      series.drop(columns="step").reset_index(drop=True), check_dtype=False)
    assert stepped.datacollector._collection_steps == list(range(SHORT["steps"] + 1))


def test_agent_reporters_by_argument_or_subclass():
    class WithCapacity(PartnershipModel):
        agent_reporters = {"capacity": "capacity"}

    model = WithCapacity(rng=2, **SHORT)
    while model.running:
        model.step()
    agents = model.datacollector.get_agent_vars_dataframe()
    assert list(agents.index.get_level_values("Step").unique()) == list(range(SHORT["steps"] + 1))
    last = agents.xs(SHORT["steps"], level="Step")["capacity"].to_numpy()
    np.testing.assert_allclose(last, model.state.orgs.capacity)
    finished = PartnershipModel(rng=2, agent_reporters={"capacity": "capacity"}, **SHORT)
    finished.finish()  # one compiled call: the first month and the last
    steps = finished.datacollector.get_agent_vars_dataframe().index.get_level_values("Step")
    assert list(steps.unique()) == [0, SHORT["steps"]]


# --------------------------------------------------------------------------- batch_run

def _batch(rng):
    rows = mesa.batch_run(PartnershipModel, parameters={"grant_months": [24, 48], "steps": 24}, rng=rng,
                          number_processes=2, display_progress=False)
    return pd.DataFrame(rows).sort_values(["grant_months", "iteration"]).reset_index(drop=True)


def test_batch_run_sweeps_keyword_parameters_with_fresh_or_given_seeds():
    fresh = _batch([None, None])  # two values x two iterations, in two processes
    assert len(fresh) == 4 and fresh["seed"].nunique() == 4
    assert (fresh["Step"] == 24).all()
    for _, group in fresh.groupby("grant_months"):
        assert group["mean_trust"].nunique() == 2  # the iterations differ
    given = _batch([1, 2])
    assert list(given["seed"]) == [1, 2, 1, 2]
    pd.testing.assert_frame_equal(given, _batch([1, 2]))  # and rerun identically
    single = PartnershipModel(grant_months=48, steps=24, rng=2)
    single.finish()
    row = given[(given["grant_months"] == 48) & (given["seed"] == 2)].iloc[0]
    assert row["mean_trust"] == single.timeseries()["mean_trust"].iloc[-1]


# --------------------------------------------------------------------------- the region and the classroom

def test_the_region_takes_rng_keywords_and_collects_its_series():
    first = EcosystemModel(steps=13, ecosystem_organizations=200, rng=None)
    second = EcosystemModel(steps=13, ecosystem_organizations=200)
    assert first.seed != second.seed and first.params.ecosystem.organizations == 200
    model = EcosystemModel(steps=13, ecosystem_organizations=200, rng=6)
    while model.running:
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == ["seed", *(c for c in ECOSYSTEM_COLUMNS if c != "step")]
    assert len(frame) == 14 and model.summary()["seed"] == 6


def test_the_classroom_takes_rng_like_the_others():
    from sim.classroom.lesson import ClassroomModel

    fresh = ClassroomModel(organizations=6, steps=6)
    assert all(side.model.seed == fresh.seed for side in fresh.sides)
    assert ClassroomModel(organizations=6, steps=6, rng=3).seed == 3
