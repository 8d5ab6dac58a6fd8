"""Why partnerships end, and how they last: each road to the end, each funder rule and each new lever shows in
behaviour across seeded replicates, and the test fails when its mechanism is switched off (tests/knockouts.py).

The roads are not labels given by a threshold: a departure is put down to the cause that alone would have kept
the member (sim.rules.membership), and a partnership's end to most of the departures before it.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

import sim
from sim.model import PartnershipModel
from sim.record import FINAL_STATUSES
from sim.run import resolve
from sim.seeds import replicate_seeds
from sim.state import ROADS

ALPHA = 0.01


def arm(scenario="baseline", replicates=60, root=1101, **overrides):
    return [sim.run(scenario, seed=seed, overrides=overrides) for seed in replicate_seeds(root, replicates)]


def models(scenario="baseline", replicates=40, root=1102, **overrides):
    out = []
    for seed in replicate_seeds(root, replicates):
        _, params = resolve(scenario, seed=seed, overrides=overrides)
        model = PartnershipModel(params, rng=params.seed)
        model.finish()
        out.append(model)
    return out


def more_often(a: int, n_a: int, b: int, n_b: int) -> float:
    """One-sided Fisher exact p-value that arm a has the larger share."""
    return stats.fisher_exact([[a, n_a - a], [b, n_b - b]], alternative="greater").pvalue


def greater(a, b):
    return stats.mannwhitneyu(a, b, alternative="greater").pvalue


def count(results, predicate) -> int:
    return sum(1 for r in results if predicate(r.summary))


def departure_reasons(model_list) -> list[str]:
    reasons = []
    for model in model_list:
        orgs = model.state.orgs
        left = orgs.left_step >= 0
        ended_at = model.state.partnership.end_step
        # voluntary departures only: not the members released when the partnership ended
        voluntary = left & (orgs.left_step != (ended_at if ended_at is not None else -2))
        reasons += [ROADS[r] for r in orgs.left_reason[voluntary]]
    return reasons


# --------------------------------------------------------------------------- the roads

# A hard start: distrust, a long needs and resources assessment, a short grant's worth of patience.
HARD_START = {"organizations.initial_trust": 0.15, "partnership.assessment_work": 2.0, "funding.grant_months": 60}


def test_partnerships_that_cannot_get_through_their_first_phase_fail_to_launch_while_funded():
    patient = arm(**HARD_START, **{"membership.stall_value": 0.0})
    impatient = arm(**HARD_START, **{"membership.stall_value": 0.6})
    failed = lambda s: s["end_cause"] == "failed to launch" and s["end_step"] <= 60  # noqa: E731
    assert more_often(count(impatient, failed), 60, count(patient, failed), 60) < ALPHA
    assert all(r.summary["final_phase"] == "assessment" for r in impatient if failed(r.summary))


def test_losing_the_champion_drives_members_away():
    """Where members value what the convener does, a champion who leaves, and a long vacancy, drive some away."""
    valued = {"membership.leadership_value": 1.0, "membership.time_value": 1.0, "leadership.vacancy_months": 24.0}
    steady = models(**valued, **{"leadership.turnover": 0.0})
    churning = models(**valued, **{"leadership.turnover": 0.08})
    lost = lambda reasons: sum(reason == "lost its champion" for reason in reasons)  # noqa: E731
    assert lost(departure_reasons(steady)) == 0
    assert lost(departure_reasons(churning)) >= 10
    without_champion = [m.recorder.column("champion").mean() for m in churning]
    assert np.mean(without_champion) < 0.8  # the champion was often away


def test_broken_commitments_drive_members_away_as_trust_breaking_down():
    reliable = models(**{"trust.reliability": 0.98})
    unreliable = models(**{"trust.reliability": 0.55, "membership.letdown_value": 3.0})
    broke = lambda reasons: sum(reason == "trust broke down" for reason in reasons)  # noqa: E731
    assert broke(departure_reasons(unreliable)) > 3 * max(broke(departure_reasons(reliable)), 1)


def satisfaction_drop_at_the_grants_end(funding_value: float, replicates: int = 40):
    """Per run: how far the running satisfaction of small (under $100k) and of large members fell from the grant's
    last months to half a year after, among members still in then."""
    small, large = [], []
    for seed in replicate_seeds(1103, replicates):
        _, params = resolve("baseline", seed=seed, overrides={"funding.grant_months": 36, "funding.allocation": "equal",
                                                              "membership.funding_value": funding_value,
                                                              "membership.leave_rate": 0.0})
        model = PartnershipModel(params, rng=params.seed)
        for _ in range(35):
            model.step()
        before = model.state.orgs.satisfaction.copy()
        for _ in range(6):
            model.step()
        orgs = model.state.orgs
        drop = before - orgs.satisfaction
        dependent = orgs.budget < 100_000
        small.append(drop[orgs.active & dependent].mean())
        large.append(drop[orgs.active & ~dependent].mean())
    return np.array(small), np.array(large)


def test_when_the_money_ends_the_members_who_depended_on_it_are_shaken_most():
    """Resource dependence: with the money split equally, a $25k group's share is much of its income, a $20M
    agency's is not. The more members value the money they depend on (funding_value), the further the small
    organizations' satisfaction falls when the grant ends, and hardly the large ones'."""
    small_low, large_low = satisfaction_drop_at_the_grants_end(0.0)
    small_high, large_high = satisfaction_drop_at_the_grants_end(1.5)
    assert stats.wilcoxon((small_high - small_low) - (large_high - large_low), alternative="greater").pvalue < ALPHA
    assert np.mean(small_high - small_low) > 3 * abs(np.mean(large_high - large_low))


def test_members_who_leave_when_the_money_ends_are_put_down_to_it():
    ended = models(**{"funding.grant_months": 36, "funding.allocation": "equal"})
    after = []
    for model in ended:
        orgs = model.state.orgs
        end = model.state.partnership.end_step
        voluntary = (orgs.left_step > 36) & (orgs.left_step <= 48) & (orgs.left_step != (end if end is not None else -2))
        after += [ROADS[r] for r in orgs.left_reason[voluntary]]
    assert len(after) >= 10
    assert after.count("funding ended") > len(after) / 2


def test_a_partnership_at_scale_may_close_with_its_goals_met():
    setting = {"funding.grant_months": 60, "public_sector.receptivity": 0.9}
    staying = arm(**setting, **{"partnership.close_on_success": 0.0})
    closing = arm(**setting, **{"partnership.close_on_success": 0.1})
    assert count(staying, lambda s: s["goals_met"]) == 0
    met = [r.summary for r in closing if r.summary["goals_met"]]
    assert len(met) >= 5
    assert all(s["reached_scale"] and s["goals_met_step"] > s["scale_step"] for s in met)
    assert all(s["final_status"] == "closed with its goals met" and not s["collapsed"] for s in met)


# --------------------------------------------------------------------------- funders

def renewed_and_evidence(results):
    ended = [r for r in results if r.summary["grant_end_step"] is None or r.summary["grant_end_step"] > 36]
    kept = [r.timeseries["evidence"].iloc[35] for r in results if r.summary["grants_received"] > 1]
    dropped = [r.timeseries["evidence"].iloc[35] for r in results if r.summary["grants_received"] == 1
               and r.summary["grant_end_step"] == 36]
    return ended, kept, dropped


def test_a_funder_that_renews_on_results_renews_the_partnerships_that_show_results():
    results = arm(replicates=100, **{"funding.renewal": "results", "funding.renewal_probability": 1.0})
    _, kept, dropped = renewed_and_evidence(results)
    assert len(kept) >= 10 and len(dropped) >= 10
    assert greater(kept, dropped) < ALPHA


def test_a_funder_that_never_renews_or_has_no_budget_left_renews_nothing():
    never = arm(replicates=20, **{"funding.renewal": "none", "funding.renewal_probability": 1.0})
    broke = arm(replicates=20, **{"funding.renewal_probability": 1.0, "funding.budget": 36 * 30000.0})
    always = arm(replicates=20, **{"funding.renewal_probability": 1.0})
    assert all(r.summary["grants_received"] == 1 for r in never + broke)
    assert all(r.summary["grants_received"] > 1 for r in always if not r.summary["ended"])


def test_other_funders_keep_members_in_partnerships_that_plan_for_it():
    """Sustainability planning (Feinberg et al. 2008): partnerships that apply to other funders as their grant runs
    out keep money, and so keep the members that depend on it (compared run by run on the same seeds)."""
    equal_split = {"funding.allocation": "equal", "partnership.close_on_success": 0.0}  # success closes nothing here
    alone = arm(replicates=100, **equal_split, **{"other_funders.count": 0})
    planning = arm(replicates=100, **equal_split, **{"other_funders.count": 3, "other_funders.award_rate": 0.5,
                                                     "other_funders.planning_months": 12})
    kept = lambda results: np.array([r.summary["members_end"] for r in results], dtype=float)  # noqa: E731
    assert stats.wilcoxon(kept(planning) - kept(alone), alternative="greater").pvalue < ALPHA
    assert np.mean([r.summary["funding_sources"] for r in planning]) > 1.5


def test_the_public_budget_takes_over_part_of_the_work_once_the_innovation_is_adopted():
    setting = {"funding.grant_months": 60, "public_sector.receptivity": 0.9, "partnership.close_on_success": 0.0}
    results = arm(**setting)
    scaled = [r for r in results if r.summary["reached_scale"] and not r.summary["ended"]]
    assert len(scaled) >= 5
    share = results[0].params.public_sector.takeover_share * results[0].params.funding.monthly_amount
    for r in scaled:
        after = r.timeseries.iloc[r.summary["scale_step"] + 1:]
        after = after[after["active_members"] > 0]
        assert (after["funding"] >= share - 1e-9).all()
    none = arm(**setting, **{"public_sector.takeover_share": 0.0})
    sources = lambda rs: [r.summary["funding_sources"] for r in rs if r.summary["reached_scale"]]  # noqa: E731
    assert np.mean(sources(results)) > np.mean(sources(none))


# --------------------------------------------------------------------------- levers

def community_money_share(model) -> float:
    orgs = model.state.orgs
    return orgs.received[orgs.community].sum() / orgs.received.sum()


def test_money_can_be_split_apart_from_authority():
    """funding.allocation and governance.community_decision_share are separate levers: split equally, the
    community's money does not follow its say."""
    for share in (0.1, 0.5):
        equal = models(replicates=10, **{"funding.allocation": "equal", "governance.community_decision_share": share,
                                         "membership.leave_rate": 0.0, "steps": 12})
        # the members at the table (leave_rate 0: nobody leaves, so no candidate is invited)
        expected = [m.state.orgs.community[m.state.orgs.joined_step >= 0].mean() for m in equal]
        np.testing.assert_allclose([community_money_share(m) for m in equal], expected, rtol=1e-9)
    by_authority = models(replicates=10, **{"governance.community_decision_share": 0.1, "membership.leave_rate": 0.0,
                                            "steps": 12})
    np.testing.assert_allclose([community_money_share(m) for m in by_authority], 0.1, rtol=1e-9)


def test_community_first_pays_the_community_before_the_institutions():
    first = models(replicates=10, **{"funding.allocation": "community_first", "membership.leave_rate": 0.0,
                                     "steps": 12})
    equal = models(replicates=10, **{"funding.allocation": "equal", "membership.leave_rate": 0.0, "steps": 12})
    assert all(community_money_share(a) > community_money_share(b) for a, b in zip(first, equal))


def test_advocacy_before_a_closed_public_sector_costs_goodwill_and_scale():
    setting = {"funding.grant_months": 60, "public_sector.receptivity": 0.5, "partnership.advocacy": 0.6}
    safe = arm(**setting, **{"partnership.advocacy_risk": 0.0})
    risky = arm(**setting, **{"partnership.advocacy_risk": 0.5})
    assert all(r.summary["final_goodwill"] == 1.0 for r in safe)
    assert sum(r.summary["final_goodwill"] < 1.0 for r in risky) >= 10
    assert more_often(count(safe, lambda s: s["reached_scale"]), 60, count(risky, lambda s: s["reached_scale"]),
                      60) < ALPHA


# --------------------------------------------------------------------------- outcomes that mean what they say

def test_every_run_ends_in_exactly_one_status_and_sustained_needs_a_functioning_core():
    results = arm("ctc_like", replicates=60)
    for r in results:
        s = r.summary
        assert s["final_status"] in FINAL_STATUSES
        assert not (s["collapsed"] and s["goals_met"])
        assert s["ended"] == (s["collapsed"] or s["goals_met"])
        if s["sustained_after_funding"]:
            assert s["functioning_core"] and not s["ended"]
            assert s["members_end"] >= r.params.partnership.core_share * s["members_start"]
        if s["final_status"] == "remnant":
            assert not s["sustained_after_funding"] and not s["functioning_core"]
        assert s["members_start"] >= (s["members_at_grant_end"] or 0) >= s["members_end"]
    statuses = {r.summary["final_status"] for r in results}
    assert {"collapsed", "sustained"} <= statuses


def test_ctc_like_closes_partnerships_during_the_grant_as_well_as_after():
    results = arm("ctc_like", replicates=100, root=2008)
    core_lost = []
    for r in results:
        series = r.timeseries
        core = (series["active_members"] >= r.params.partnership.core_share * series["active_members"].iloc[0]) \
            & (series["joint_work"] > 0)
        lost = np.flatnonzero(~core.to_numpy()[1:])
        core_lost.append(int(lost[0]) + 1 if lost.size else None)
    during = sum(1 for m in core_lost if m is not None and m <= 36)
    after = sum(1 for m in core_lost if m is not None and m > 36)
    assert during >= 3 and after >= 3
