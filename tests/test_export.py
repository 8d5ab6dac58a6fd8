"""What a run exports beyond its time series: one row per organization, the network at chosen months as GraphML,
and a region's partnerships as a Kaplan-Meier survival curve with censoring."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import sim
from sim import output
from sim.cli import main
from sim.errors import ScenarioError
from sim.experiments.analysis import kaplan_meier
from sim.export import ORGANIZATION_COLUMNS, STATUSES
from sim.params import LEVELS, SECTORS

STEPS = 48


@pytest.fixture(scope="module")
def result():
    return sim.run("baseline", seed=4, steps=STEPS, network_months=[STEPS, 0, 24, 24])


# --------------------------------------------------------------------------- organizations

def test_one_row_per_organization_agreeing_with_the_final_state(result):
    table, orgs = result.organizations, result.state.orgs
    assert list(table.columns) == list(ORGANIZATION_COLUMNS)
    assert list(table["organization"]) == list(range(orgs.sector.size))
    assert set(table["sector"]) <= set(SECTORS) and set(table["status"]) <= set(STATUSES)
    members = table["status"] == "member"
    assert (members.to_numpy() == orgs.active).all()
    assert int(members.sum()) == result.timeseries["active_members"].iloc[-1]
    left = table[table["status"] == "left"]
    assert left["left_step"].notna().all() and left["left_reason"].notna().all()
    assert table.loc[members, "left_step"].isna().all()
    assert table["convener"].sum() == 1
    np.testing.assert_allclose(table["capacity"], orgs.capacity)
    assert sim.run("region", steps=3, overrides={"ecosystem.organizations": 40, "ecosystem.neighbourhood_size": 20,
                                                 "organizations.count": 4, "partnership.min_members": 2}
                   ).organizations is None


# --------------------------------------------------------------------------- networks

def test_networks_at_the_months_asked_for_change_nothing_else(result):
    assert sorted(result.networks) == [0, 24, STEPS]
    plain = sim.run("baseline", seed=4, steps=STEPS)
    pd.testing.assert_frame_equal(plain.timeseries, result.timeseries)
    assert plain.summary == result.summary and plain.networks == {}


def test_a_network_is_the_state_at_its_month(result):
    from sim.model import PartnershipModel

    model = PartnershipModel(result.params, rng=result.params.seed)
    model.run_to(24)
    graph, pairs = result.networks[24], model.state.pairs
    assert graph.graph["month"] == 24 and graph.number_of_nodes() == pairs.level.shape[0]
    ties = [(i, j) for i, j in zip(*np.nonzero(pairs.level >= 0)) if i != j]
    assert sorted(graph.edges) == sorted((int(i), int(j)) for i, j in ties)
    for i, j in ties[:20]:
        edge = graph.edges[int(i), int(j)]
        assert edge["level"] == LEVELS[pairs.level[i, j]] and edge["trust"] == pairs.trust[i, j]
    assert [graph.nodes[i]["member"] for i in graph] == list(model.state.orgs.active)


def test_graphml_round_trips_and_is_written_byte_identically(result, tmp_path):
    paths = output.write_run(result, tmp_path / "a")
    output.write_run(sim.run("baseline", seed=4, steps=STEPS, network_months=[0, 24, STEPS]), tmp_path / "b")
    written = sorted(p.relative_to(tmp_path / "a").as_posix() for p in paths if p.suffix == ".graphml")
    assert written == [f"networks/month_{m}.graphml" for m in (0, 24, STEPS)]
    for name in written:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    back = nx.read_graphml(tmp_path / "a" / "networks" / "month_24.graphml", node_type=int)
    graph = result.networks[24]
    assert back.graph["month"] == 24 and list(back.nodes(data=True)) == list(graph.nodes(data=True))
    assert list(back.edges(data=True)) == list(graph.edges(data=True))
    organizations = pd.read_csv(tmp_path / "a" / "organizations.csv")
    assert list(organizations.columns) == list(ORGANIZATION_COLUMNS)


@pytest.mark.parametrize("months, problem", [([-1], "not a month of the run"), ([STEPS + 1], "not a month"),
                                              ([1.5], "not a month"), ([True], "not a month")])
def test_months_outside_the_run_are_refused(months, problem):
    with pytest.raises(ScenarioError, match=problem):
        sim.run("baseline", steps=STEPS, network_months=months)


def test_the_command_writes_networks_and_refuses_bad_months_in_one_line(tmp_path, capsys):
    assert main(["run", "baseline", "--steps", "12", "--network-months", "0,12", "--out", str(tmp_path / "ok")]) == 0
    assert sorted(p.name for p in (tmp_path / "ok" / "networks").iterdir()) == ["month_0.graphml", "month_12.graphml"]
    capsys.readouterr()
    for bad in ("0,x", "13"):
        assert main(["run", "baseline", "--steps", "12", "--network-months", bad, "--out", str(tmp_path / "bad")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("partnersim: error: --network-months: ")
    assert not (tmp_path / "bad").exists()


# --------------------------------------------------------------------------- Kaplan-Meier

def test_kaplan_meier_known_answer_with_greenwood_band():
    # Six lifetimes, three censored (+): 6, 6+, 10, 13+, 16, 20+. S = 5/6 after 6, x 3/4 after 10, x 1/2 after 16.
    durations = [6, 6, 10, 13, 16, 20]
    events = [True, False, True, False, True, False]
    curve = kaplan_meier(durations, events).set_index("month")
    assert curve.loc[5, "survival"] == 1.0
    assert curve.loc[6, "survival"] == pytest.approx(5 / 6)
    assert curve.loc[10, "survival"] == pytest.approx(5 / 8)
    assert curve.loc[16, "survival"] == pytest.approx(5 / 16)
    assert (curve.loc[6, "at_risk"], curve.loc[6, "events"], curve.loc[6, "censored"]) == (6, 1, 1)
    # Greenwood: Var S = S^2 * sum d / (n (n - d)) over the event times so far.
    variance = (5 / 8) ** 2 * (1 / (6 * 5) + 1 / (4 * 3))
    half = 1.959963984540054 * math.sqrt(variance)
    assert (curve.loc[10, "ci_low"], curve.loc[10, "ci_high"]) == pytest.approx((5 / 8 - half, min(1.0, 5 / 8 + half)))


def test_censoring_is_not_survival_to_the_end():
    """Counting the censored as survivors to the end (the naive share) overstates survival; Kaplan-Meier does not."""
    durations = np.array([5, 10, 10, 10, 10, 30])
    events = np.array([True, True, False, False, False, True])
    curve = kaplan_meier(durations, events, horizon=30).set_index("month")
    naive = 1 - events[durations <= 30].sum() / durations.size
    assert curve.loc[30, "survival"] == 0.0 < naive
    none = kaplan_meier([3, 4], [False, False])
    assert (none["survival"] == 1.0).all() and none["ci_low"].isna().all()
    with pytest.raises(ValueError):
        kaplan_meier([1, -2], [True, True])


def test_a_regions_lifetimes_are_censored_at_the_end_of_the_run():
    region = sim.run("region", steps=40, overrides={"ecosystem.organizations": 300, "ecosystem.grants_per_call": 6})
    durations, collapsed = output.region_lifetimes(region)
    table = region.partnerships
    assert durations.size == len(table) and (collapsed == table["collapsed"].to_numpy()).all()
    still = (~table["collapsed"] & table["end_step"].isna()).to_numpy()
    np.testing.assert_array_equal(durations[still], 40 - table["formed_step"].to_numpy()[still])
    assert (durations >= 0).all()
