"""Round trip (issue 14, item 5): a run's state exported at a month and read back continues exactly as the run
would have, bit for bit: the time series (rows after the month, and the record before it) and the summary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import sim
from datasets import write_data
from sim.cli import main
from sim.inputdata.export import write_export
from sim.errors import ScenarioError

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "examples" / "coalition" / "coalition.toml"

# (scenario, seed, months to export at, overrides): funding that ends and members who leave (ctc_like, seed 1
# collapses in month 40 after its grant ends in month 36), candidates of the pool who join after the export
# (ctc_like, seed 5: months 44 to 58), gradual inclusion with founding members invited before and after the export
# (baseline, seed 2), other funders and renewal on results (diversified_funding), a mandate, a backbone, a lead
# agency, the example coalition from its survey, factor scores and candidates, and a small data set whose pool is
# drawn by the run (DATASET).
DATASET = "small data set, pool drawn"
CASES = [
    ("ctc_like", 5, (0, 30, 38, 84), {}),
    ("ctc_like", 1, (36, 38), {}),
    ("baseline", 2, (12, 30), {"membership.inclusion": "gradual"}),
    ("diversified_funding", 1, (20, 71), {}),
    ("mandated_shotgun", 2, (11,), {}),
    ("collective_impact", 3, (45,), {}),
    ("lead_agency_dominance", 4, (60,), {}),
    (str(EXAMPLE), None, (0, 24, 50), {}),
    (DATASET, 6, (0, 20), {"membership.pool": 3, "partnership.min_members": 2}),
]


def exported(scenario: str, seed: int | None, month: int, folder: Path, overrides: dict | None = None):
    """The uninterrupted run (keeping its state at ``month``) and the run continued from the export on disk (no
    seed given: the export's generator continues, and with it the seed that started it). The export's roster holds
    the pool, so its size is not given again."""
    whole = sim.run(scenario, seed=seed, export_month=month, overrides=overrides)
    write_export(whole.export, folder)
    again = {key: value for key, value in (overrides or {}).items() if key != "membership.pool"}
    return whole, sim.run(scenario, data=folder, overrides=again)


@pytest.mark.parametrize("scenario, seed, months, overrides", CASES,
                         ids=[f"{Path(c[0]).stem}-{c[1]}" + ("-" + "-".join(map(str, c[3].values())) if c[3] else "")
                              for c in CASES])
def test_a_run_continued_from_its_export_is_the_uninterrupted_run(tmp_path, scenario, seed, months, overrides):
    if scenario == DATASET:
        scenario = str(write_data(tmp_path / "data"))
    for month in months:
        whole, continued = exported(scenario, seed, month, tmp_path / f"m{month}", overrides)
        after = slice(month + 1, None)
        assert continued.timeseries.iloc[after].equals(whole.timeseries.iloc[after]), month
        assert continued.timeseries.equals(whole.timeseries), month   # the record before the month comes back too
        assert json.dumps(continued.summary, sort_keys=True) == json.dumps(whole.summary, sort_keys=True), month


def test_the_cases_reach_what_they_are_there_for(tmp_path):
    """Funding that ends and members who leave on both sides of the export; candidates who join after it; a
    gradual inclusion that invites founding members on both sides of it; a pool drawn by the run."""
    whole = sim.run("ctc_like", seed=1)
    assert whole.summary["funding_end_step"] == 36 and whole.summary["collapsed"]
    assert whole.timeseries["departures"].iloc[39:].sum() > 0 and whole.timeseries["departures"].iloc[31:37].sum() > 0
    for scenario, seed, overrides, joined_after in (("ctc_like", 5, {}, 38), ("baseline", 2, {"membership.inclusion":
                                                                                              "gradual"}, 12)):
        export = sim.run(scenario, seed=seed, export_month=84, overrides=overrides).export
        joined = export.snapshot.state.orgs.joined_step
        assert (joined > joined_after).any(), scenario
    gradual = sim.run("baseline", seed=2, export_month=12, overrides={"membership.inclusion": "gradual"}).export
    founding = gradual.snapshot.state.orgs.joined_step[:gradual.params.organizations.count]
    assert (founding > 0).any() and (founding < 0).any()   # founding members invited before month 12, others not yet
    drawn = sim.run(write_data(tmp_path), seed=6, export_month=20, overrides={"membership.pool": 3}).export
    assert drawn.ids[-3:] == ("pool1", "pool2", "pool3")


def test_a_seed_given_anew_continues_from_the_same_state_with_another_future(tmp_path):
    whole, _ = exported("ctc_like", None, 20, tmp_path / "m20")
    other = sim.run("ctc_like", seed=99, data=tmp_path / "m20")
    assert other.timeseries.iloc[:21].equals(whole.timeseries.iloc[:21])
    assert not other.timeseries.iloc[21:].equals(whole.timeseries.iloc[21:])
    assert other.summary["seed"] == 99


def test_a_policy_changed_at_the_export_takes_effect_from_there(tmp_path):
    """What happens to us if the grant is not renewed? The same state at month 30, under another policy."""
    whole = sim.run("baseline", steps=60, export_month=30, overrides={"funding.renewal_probability": 1.0})
    write_export(whole.export, tmp_path / "m30")
    ended = sim.run("baseline", steps=60, data=tmp_path / "m30", overrides={"funding.renewal_probability": 0.0})
    assert ended.timeseries.iloc[:31].equals(whole.timeseries.iloc[:31])
    assert whole.summary["funding_end_step"] is None and ended.summary["funding_end_step"] == 36


def test_an_export_is_a_data_folder_of_the_documented_files(tmp_path):
    whole = sim.run("ctc_like", seed=1, export_month=38)
    paths = write_export(whole.export, tmp_path / "m38")
    assert sorted(p.name for p in paths) == ["data.toml", "organizations.csv", "relationships.csv", "state.json"]
    state = json.loads((tmp_path / "m38" / "state.json").read_text())
    assert state["month"] == 38 and state["partnership"]["funding_end"] == 36 and state["members"] == 16
    assert not all(state["organizations"]["active"][:16])   # members have left
    roster = (tmp_path / "m38" / "organizations.csv").read_text().splitlines()
    assert roster[0] == "id,name,member,sector,budget,community,capacity,desire" and len(roster) == 1 + 16 + 4
    assert [line.split(",")[2] for line in roster[1:]] == ["yes"] * 16 + ["no"] * 4   # founding members, then the pool
    relationships = (tmp_path / "m38" / "relationships.csv").read_text().splitlines()
    assert len(relationships) == 1 + 20 * 19 and relationships[0] == "respondent,partner,level,purpose,trust"
    # pairs with a member gone have no level; their trust is kept (the record averages it)
    assert any(line.split(",")[2] == "" for line in relationships[1:])


def test_the_command_line_continues_bit_for_bit(tmp_path, capsys):
    assert main(["run", "ctc_like", "--seed", "5", "--export-month", "30", "--export", str(tmp_path / "m30"),
                 "--out", str(tmp_path / "whole")]) == 0
    assert main(["run", "ctc_like", "--data", str(tmp_path / "m30"), "--out", str(tmp_path / "continued")]) == 0
    printed = capsys.readouterr().out
    assert "scenario ctc_like, seed 5" in printed and "continued from month 30" in printed
    for name in ("timeseries.csv", "summary.json", "figures/levels.png", "figures/trust.png", "figures/phases.png"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "continued" / name).read_bytes(), name
    assert main(["run", "ctc_like", "--seed", "6", "--data", str(tmp_path / "m30"), "--out",
                 str(tmp_path / "reseeded")]) == 0
    assert "a fresh generator from the run's seed" in capsys.readouterr().out


def test_exporting_the_last_month_is_the_default_and_a_longer_run_continues_it(tmp_path, capsys):
    assert main(["run", "baseline", "--steps", "24", "--export", str(tmp_path / "end"), "--out",
                 str(tmp_path / "short")]) == 0
    assert json.loads((tmp_path / "end" / "state.json").read_text())["month"] == 24
    longer = sim.run("baseline", steps=48, data=tmp_path / "end")
    whole = sim.run("baseline", steps=48)
    assert longer.timeseries.iloc[:25].equals(whole.timeseries.iloc[:25])
    assert np.array_equal(longer.timeseries["step"], np.arange(49))
    capsys.readouterr()


def test_a_continuation_needs_as_many_other_funders_and_enough_months(tmp_path):
    whole = sim.run("diversified_funding", export_month=20)
    write_export(whole.export, tmp_path / "m20")
    with pytest.raises(ScenarioError, match="other_funders.count"):
        sim.run("diversified_funding", data=tmp_path / "m20", overrides={"other_funders.count": 1})
    with pytest.raises(ScenarioError, match="steps of at least 20"):
        sim.run("diversified_funding", data=tmp_path / "m20", steps=12)
