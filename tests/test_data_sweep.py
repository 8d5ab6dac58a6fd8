"""Sweeps over real data (issue 14, item 3): the data reach the workers, every run starts from the same state and
the runs' seeds drive only what happens after; bad data stop a sweep before it starts."""

from __future__ import annotations

import json

import pandas as pd

import sim
from datasets import SURVEY, write_data
from sim.cli import main
from test_data_errors import add, one_line


def test_a_sweep_starts_every_run_from_the_same_data_in_its_workers(tmp_path):
    from sim.experiments import load_spec, run_sweep

    write_data(tmp_path)
    spec_path = tmp_path / "sweep.toml"
    spec_path.write_text('description = "policies over one coalition"\nscenario = "coalition.toml"\nreplicates = 2\n'
                         'steps = 12\nroot_seed = 5\n[levers]\n"funding.grant_months" = [6, 24]\n'
                         '"collective_impact.common_agenda" = [0.0, 0.9]\n'
                         '[outputs]\ntimeseries = true\n', encoding="utf-8")
    spec = load_spec(spec_path)
    assert spec.start is not None and spec.base.organizations.count == 5
    run_sweep(spec, tmp_path / "out", workers=2, progress=False)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    series = pd.read_parquet(tmp_path / "out" / "timeseries.parquet")
    assert (runs["status"] == "ok").all() and (runs["members_start"] == 5).all()
    at_start = series[series["step"] == 0].pivot(index="run_id", columns="metric", values="value")
    # the same start in every run; the common agenda (a policy acting on turf at the start) is all that differs
    agenda = runs.set_index("run_id")["collective_impact.common_agenda"]
    for value, runs_at in at_start.groupby(agenda):
        assert (runs_at.nunique() == 1).all(), value
    assert at_start["mean_trust"].nunique() == 1
    single = sim.run(spec.base, seed=int(runs["seed"][0]), overrides={"funding.grant_months": 6,
                                                                     "collective_impact.common_agenda": 0.0},
                     data=spec.start)
    first = runs[(runs["funding.grant_months"] == 6) & (runs["collective_impact.common_agenda"] == 0.0)].iloc[0]
    assert single.summary["final_mean_trust"] == first["final_mean_trust"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["data"]["sha256"] == spec.start.digest


def test_a_sweep_on_bad_data_is_refused_before_it_starts(tmp_path, capsys):
    write_data(tmp_path, survey=add(SURVEY, "B,B,none,2,2,2"))
    spec = tmp_path / "sweep.toml"
    spec.write_text('description = "x"\nscenario = "coalition.toml"\nreplicates = 1\nroot_seed = 1\n'
                    '[levers]\n"funding.grant_months" = [6, 12]\n', encoding="utf-8")
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--workers", "1"]) == 2
    one_line(capsys.readouterr().err, ["ties.csv: row 7, column partner: the respondent itself"])
    assert not (tmp_path / "out").exists()
    write_data(tmp_path)
    spec.write_text(spec.read_text().replace('"funding.grant_months" = [6, 12]', '"organizations.count" = [4, 5]'))
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--workers", "1"]) == 2
    one_line(capsys.readouterr().err, ["levers.organizations.count", "set by the data's roster"])


def test_a_sweep_over_an_export_continues_every_run_from_the_same_month(tmp_path):
    from sim.inputdata.export import write_export
    from sim.experiments import load_spec, run_sweep

    whole = sim.run("ctc_like", steps=24, export_month=12)
    write_export(whole.export, tmp_path / "m12")
    scenario = sim.scenarios.scenario_path("ctc_like").read_text(encoding="utf-8")
    (tmp_path / "from_m12.toml").write_text(scenario + '\n[data]\nfolder = "m12"\n', encoding="utf-8")
    spec_path = tmp_path / "sweep.toml"
    spec_path.write_text('description = "policies from month 12"\nscenario = "from_m12.toml"\nreplicates = 3\n'
                         'steps = 30\nroot_seed = 8\n[levers]\n"funding.renewal_probability" = [0.0, 1.0]\n'
                         '[outputs]\ntimeseries = true\n', encoding="utf-8")
    run_sweep(load_spec(spec_path), tmp_path / "out", workers=1, progress=False)
    series = pd.read_parquet(tmp_path / "out" / "timeseries.parquet")
    trust = series[series["metric"] == "mean_trust"].pivot(index="step", columns="run_id", values="value")
    assert (trust.loc[:12].nunique(axis=1) == 1).all()          # months 0-12: the export's record, in every run
    assert (trust.loc[:12, 0] == whole.timeseries["mean_trust"].iloc[:13].to_numpy()).all()
    assert trust.loc[13:].nunique(axis=1).max() > 1              # after it, each run's own seed
