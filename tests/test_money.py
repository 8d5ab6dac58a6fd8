"""Every run reports the dollars its funder granted and spent (sim.money), for one partnership and for a region."""

import numpy as np
import pytest

import sim
from sim.money import DOLLAR_KEYS, dollars_summary


def test_dollars_summary_reports_committed_grants_and_paid_months():
    money = dollars_summary(np.array([0.0, 10_000.0, 10_000.0, 0.0]), committed=480_000.0)
    assert money == {"dollars_granted": 480_000.0, "dollars_spent": 20_000.0}


def test_other_funders_grants_are_granted_and_spent_too():
    result = sim.run("baseline", seed=3, overrides={"other_funders.count": 3, "other_funders.award_rate": 1.0,
                                                    "other_funders.planning_months": 36})
    other = result.params.other_funders
    founding = result.params.funding
    assert result.summary["funding_sources"] > 1
    assert result.summary["dollars_granted"] >= (founding.grant_months * founding.monthly_amount
                                                 + other.grant_months * other.monthly_amount)
    assert result.summary["dollars_spent"] == pytest.approx(result.timeseries["funding"].sum())


def test_a_run_spends_what_flowed_month_by_month():
    result = sim.run("baseline", seed=1, steps=60)
    funding = result.params.funding
    months_paid = int((result.timeseries["funding"] > 0).sum())
    assert result.summary["dollars_spent"] == pytest.approx(result.timeseries["funding"].sum())
    assert result.summary["dollars_spent"] == pytest.approx(months_paid * funding.monthly_amount)
    assert result.summary["dollars_granted"] == result.summary["grants_received"] * funding.grant_months * funding.monthly_amount


def test_a_grant_cut_short_by_the_run_is_granted_but_not_all_spent():
    result = sim.run("baseline", seed=1, steps=12)  # a 36-month grant, 12 months run
    assert result.summary["dollars_spent"] == pytest.approx(12 * result.params.funding.monthly_amount)
    assert result.summary["dollars_granted"] == pytest.approx(36 * result.params.funding.monthly_amount)


def test_no_grant_no_dollars():
    result = sim.run("baseline", seed=1, steps=24, overrides={"funding.monthly_amount": 0.0})
    assert result.summary["dollars_spent"] == 0.0 and result.summary["dollars_granted"] == 0.0


def test_a_region_reports_its_partnerships_money():
    result = sim.run("region", seed=1, steps=30, overrides={"ecosystem.organizations": 300})
    assert set(DOLLAR_KEYS) <= set(result.summary)
    assert result.summary["dollars_spent"] == pytest.approx(result.timeseries["funding"].sum())
    grants = int(result.partnerships["grants_received"].sum())
    funding = result.params.funding
    assert result.summary["dollars_granted"] == pytest.approx(grants * funding.grant_months * funding.monthly_amount)
    assert result.summary["dollars_granted"] >= result.summary["dollars_spent"] > 0
