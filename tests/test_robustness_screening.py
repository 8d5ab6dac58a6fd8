"""What findings rest on (robustness) and which parameters decide outcomes (screening): verdicts with known answers,
the factors screened, small end-to-end runs, and a posterior ensemble in a sweep."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.robustness import Effect, load_robustness, verdict, write_robustness
from sim.calibration.screening import SCALE, element_factor, load_screening, overrides_of, write_screening
from sim.cli import main
from sim.errors import ScenarioError
from sim.experiments import load_spec, run_sweep
from sim.scenarios import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def effect(mean, low, high):
    return Effect(mean, low, high, 40)


@pytest.mark.parametrize("found, expect, word", [
    (effect(0.20, 0.10, 0.30), "higher", "holds"),
    (effect(0.05, 0.01, 0.09), "higher", "weakens"),  # on the right side but less than half the baseline's 0.2
    (effect(0.20, -0.05, 0.45), "higher", "weakens"),  # the interval reaches 0
    (effect(-0.20, -0.30, -0.10), "higher", "reverses"),
    (effect(-0.20, -0.30, -0.10), "lower", "holds"),
    (effect(0.15, 0.05, 0.25), "lower", "reverses"),
])
def test_verdicts_known_answers(found, expect, word):
    baseline = effect(0.2, 0.1, 0.3) if expect == "higher" else effect(-0.2, -0.3, -0.1)
    assert verdict(found, baseline, expect) == word


def test_paired_interval_is_a_t_interval():
    e = Effect.of(np.array([1.0, 2.0, 3.0, 4.0]), 0.95)
    assert e.mean == 2.5 and e.n == 4
    assert e.high - e.mean == pytest.approx(3.182446 * np.std([1, 2, 3, 4], ddof=1) / 2, rel=1e-5)


def test_the_shipped_robustness_spec_covers_the_couplings_named_in_the_issue():
    spec = load_robustness(ROOT / "calibration" / "robustness.toml")
    keys = {key for _, settings in spec.assumptions for key in settings}
    for key in ("membership.ownership_time", "community.reach_without_community", "organizations.self_selection",
                "funding.allocation", "membership.tie_value", "membership.voice_value", "membership.funding_value",
                "membership.time_value", "membership.leadership_value", "membership.stall_value"):
        assert key in keys, key
    assert len(spec.findings) >= 7


def test_robustness_end_to_end_small(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('''description = "small"
root_seed = 3
replicates = 3
steps = 60
[findings.longer]
claim = "longer grants"
scenario = "baseline"
metric = "grants_received"
expect = "higher"
a = {"funding.grant_months" = 60, "funding.renewal_probability" = 1.0}
b = {"funding.grant_months" = 12, "funding.renewal_probability" = 1.0}
[assumptions]
"no renewal" = {"funding.renewal_probability" = 0.0}
"equal money" = {"funding.allocation" = "equal"}
''')
    spec = load_robustness(path)
    paths = write_robustness(spec, tmp_path / "out", workers=1)
    table = pd.read_csv(paths[0])
    assert list(table["assumption"]) == ["as the defaults have it", "no renewal", "equal money"]
    # 12-month grants renewed every time are received more often than 60-month ones in 60 months: the finding as
    # stated ("higher") reverses, and an assumption that the arms set themselves is not judged.
    assert table.loc[0, "verdict"] == "reverses"
    assert table.loc[1, "verdict"].startswith("n/a")
    assert "What breaks each finding" in paths[1].read_text()


def test_a_bad_robustness_spec_is_one_line(tmp_path, capsys):
    path = tmp_path / "r.toml"
    path.write_text('description = "x"\nroot_seed = 1\nreplicates = 3\n[findings.f]\nclaim = "c"\nscenario = "baseline"\n'
                    'metric = "survival"\nexpect = "higher"\na = {"funding.grant_months" = 60}\n'
                    'b = {"funding.grant_months" = 24}\n[assumptions]\nx = {"membership.tie_value" = 0.0}\n')
    assert main(["robustness", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "findings.f.metric" in err and "Traceback" not in err


def test_every_numeric_parameter_is_screened_or_named_as_excluded():
    from sim.experiments.spec import _leaf_field
    from sim.params import describe

    spec = load_screening(ROOT / "calibration" / "screening.toml")
    screened = {(element_factor(f.key) or (f.key.removesuffix(SCALE),))[0] for f in spec.factors}
    for key, *_ in describe():
        tp, _ = _leaf_field(key)
        if tp in (int, float, tuple) and key not in ("seed", "steps"):
            assert key in screened or key in spec.excluded, key
    assert "membership.memory" in screened and "continuum.climb_rate" in screened  # modelling choices included


def test_a_list_parameter_is_scaled_as_one_factor_within_its_range():
    spec = load_screening(ROOT / "calibration" / "screening.toml")
    base = load_scenario(spec.scenario)
    factors = tuple(f for f in spec.factors if f.key in ("continuum.trust_required*", "membership.launch_patience"))
    out = overrides_of(factors, np.array([1.5, 20.4]), base)
    assert out["continuum.trust_required"] == pytest.approx([0.525, 0.825, 1.0])  # 0.75 x 1.5 clipped to 1: still in order
    assert out["membership.launch_patience"] == 20
    load_scenario(spec.scenario, out)


def test_a_list_of_weights_is_screened_element_by_element_so_that_its_mix_changes():
    spec = load_screening(ROOT / "calibration" / "screening.toml")
    base = load_scenario(spec.scenario)
    keys = [f.key for f in spec.factors]
    assert "continuum.purpose_mix*" not in keys  # scaled as a whole, normalized weights would not change at all
    assert [k for k in keys if k.startswith("continuum.purpose_mix")] == [f"continuum.purpose_mix[{i}]" for i in range(4)]
    factors = tuple(f for f in spec.factors if f.key in ("continuum.purpose_mix[1]", "continuum.purpose_mix[3]"))
    out = overrides_of(factors, np.array([0.5, 1.5]), base)
    default = list(base.continuum.purpose_mix)
    assert out["continuum.purpose_mix"] == pytest.approx([default[0], default[1] * 0.5, default[2], default[3] * 1.5])
    shares = np.array(out["continuum.purpose_mix"]) / sum(out["continuum.purpose_mix"])
    assert not np.allclose(shares, np.array(default) / sum(default))  # the proportions moved
    load_scenario(spec.scenario, out)


def test_screening_reduced_runs_and_names_deciding_parameters(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('''description = "small"
scenario = "baseline"
root_seed = 5
replicates = 2
trajectories = 2
outcomes = ["reached_scale", "final_community_outcome"]
exclude = ["ecosystem.*", "funding.budget", "other_funders.*", "collective_impact.*", "governance.mutual_respect",
           "funding.renewal_probability", "continuum.*", "trust.*", "capacity.*", "leadership.*", "organizations.*"]
[sobol]
top = 2
samples = 4
replicates = 1
''')
    spec = load_screening(path)
    paths = write_screening(spec, tmp_path / "out", workers=1)
    text = paths[-1].read_text()
    assert "The parameters that decide each outcome" in text and "reached_scale" in text
    morris = pd.read_csv(paths[0])
    assert set(morris["parameter"]) == {f.key for f in spec.factors}


def test_a_zero_default_needs_a_range_or_an_exclusion(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('description = "x"\nscenario = "baseline"\nroot_seed = 1\nreplicates = 1\ntrajectories = 1\n'
                    'outcomes = ["collapsed"]\n')
    with pytest.raises(ScenarioError, match="ranges"):
        load_screening(path)


def test_a_study_draws_each_replicates_parameters_from_a_posterior(tmp_path):
    (tmp_path / "posterior.csv").write_text(
        "particle,weight,distance,membership.time_value,membership.launch_patience\n"
        "0,0.0,1.0,0.3,10\n1,0.5,1.0,0.6,20\n2,0.5,1.0,0.9,25\n")
    study = tmp_path / "study.toml"
    study.write_text('description = "ensemble"\nscenario = "baseline"\nposterior = "posterior.csv"\nreplicates = 4\n'
                     'steps = 24\nroot_seed = 9\n[levers]\n"funding.grant_months" = [12, 24]\n')
    spec = load_spec(study)
    out = run_sweep(spec, tmp_path / "out", workers=1, progress=False)
    runs = pd.read_parquet(out / "runs.parquet").sort_values("run_id")
    assert set(runs["posterior_particle"]) <= {1, 2}  # particle 0 has no weight
    by_point = runs.pivot(index="replicate", columns="design_point", values="posterior_particle")
    assert (by_point[0] == by_point[1]).all()  # the same particle for a replicate at every design point: paired
    expected = {1: (0.6, 20), 2: (0.9, 25)}
    for _, row in runs.iterrows():
        assert (row["membership.time_value"], row["membership.launch_patience"]) == expected[row["posterior_particle"]]
    # the same spec draws the same particles
    again = run_sweep(load_spec(study), tmp_path / "again", workers=1, progress=False)
    assert (pd.read_parquet(again / "runs.parquet").sort_values("run_id")["posterior_particle"].to_numpy()
            == runs["posterior_particle"].to_numpy()).all()


def test_a_posterior_that_clashes_with_the_study_is_one_line(tmp_path, capsys):
    (tmp_path / "posterior.csv").write_text("particle,weight,distance,funding.grant_months\n0,1.0,1.0,24\n")
    study = tmp_path / "study.toml"
    study.write_text('description = "x"\nscenario = "baseline"\nposterior = "posterior.csv"\nreplicates = 2\n'
                     'root_seed = 1\n[levers]\n"funding.grant_months" = [12, 24]\n')
    assert main(["sweep", str(study), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "posterior" in err and "also varied" in err
