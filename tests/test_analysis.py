"""Sweep analysis: known answers for the statistics, sensitivity on analytic functions, scenario discovery on a
planted box, and the report end to end on a results directory built here from a handful of runs."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.cli import main
from sim.experiments import analysis
from sim.experiments.analysis import (
    cliffs_delta, cohens_d, design_point_means, effect_size, morris_indices, newcombe_interval, share_table,
    sobol_indices, survival_curve, two_arm_effects, welch_interval, wilson_interval,
)
from sim.experiments.discovery import discover
from sim.experiments.reporting import ReportError, load_study, write_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- Wilson

@pytest.mark.parametrize("successes, n, low, high", [
    (5, 10, 0.2366, 0.7634),     # symmetric about one half
    (0, 10, 0.0, 0.2775),        # z^2 / (n + z^2)
    (10, 10, 0.7225, 1.0),
    (81, 263, 0.2553, 0.3662),   # Newcombe (1998), single proportions, examples
    (15, 148, 0.0624, 0.1605),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_known_answers(successes, n, low, high):
    got = wilson_interval(successes, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_zero_of_n_is_analytic():
    z2 = 1.959963984540054 ** 2
    for n in (1, 7, 40):
        assert wilson_interval(0, n) == (0.0, pytest.approx(z2 / (n + z2)))
        assert wilson_interval(n, n) == (pytest.approx(n / (n + z2)), 1.0)


def test_wilson_mirror_width_and_edge_cases():
    for s, n in [(3, 17), (0, 5), (12, 30)]:
        low, high = wilson_interval(s, n)
        mirror_low, mirror_high = wilson_interval(n - s, n)
        assert low == pytest.approx(1 - mirror_high) and high == pytest.approx(1 - mirror_low)
        assert low <= s / n <= high
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    narrow, wide = wilson_interval(5, 10, 0.90), wilson_interval(5, 10, 0.99)
    assert wide[0] < narrow[0] and wide[1] > narrow[1]
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


# --------------------------------------------------------------------------- effect sizes

@pytest.mark.parametrize("a, n_a, b, n_b, low, high", [
    (56, 70, 48, 80, 0.0524, 0.3339),   # Newcombe (1998), differences, method 10
    (9, 10, 3, 10, 0.1705, 0.8090),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0),
])
def test_newcombe_known_answers(a, n_a, b, n_b, low, high):
    difference, got_low, got_high = newcombe_interval(a, n_a, b, n_b)
    assert difference == pytest.approx(a / n_a - b / n_b)
    assert (got_low, got_high) == pytest.approx((low, high), abs=5e-5)


def test_effect_size_binary_uses_newcombe_and_drops_missing():
    a = [True] * 56 + [False] * 14 + [None] * 3
    b = [1.0] * 48 + [0.0] * 32 + [float("nan")]
    result = effect_size(a, b)
    assert result["kind"] == "binary"
    assert (result["n_a"], result["n_b"]) == (70, 80)
    assert result["difference"] == pytest.approx(0.2)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((0.0524, 0.3339), abs=5e-5)


def test_effect_size_continuous_known_answers():
    a, b = [1, 2, 3, 4, 5], [2, 4, 6, 8, 10]
    result = effect_size(a, b)
    assert result["kind"] == "continuous"
    assert result["difference"] == pytest.approx(-3.0)
    # Welch: se^2 = 2.5/5 + 10/5 = 2.5, df = 6.25 / (0.25/4 + 4/4) = 5.882; t(0.975, 5.882) = 2.4588.
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((-6.8877, 0.8877), abs=1e-4)
    from scipy import stats
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval()
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert result["cohens_d"] == pytest.approx(-1.2)      # -3 / pooled sd 2.5
    assert result["cliffs_delta"] == pytest.approx(-0.6)  # (4 pairs a > b - 19 pairs a < b) / 25
    assert cohens_d([1, 1], [1, 1]) != cohens_d([1, 1], [1, 1])  # NaN when there is no spread
    assert cliffs_delta([3], [1, 2, 3, 4]) == pytest.approx((2 - 1) / 4)


def test_two_arm_effects_higher_arm_minus_lower_per_stratum_and_pooled():
    runs = pd.DataFrame({
        "funding.mandated": [True] * 4 + [False] * 4 + [True] * 4 + [False] * 4,
        "funding.grant_months": [12] * 8 + [36] * 8,
        "collapsed": [1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    })
    table = two_arm_effects(runs, "funding.mandated", ["collapsed"], by=["funding.grant_months"])
    assert list(table["arm_a"].unique()) == [True] and list(table["arm_b"].unique()) == [False]
    by = {row["funding.grant_months"]: row for _, row in table.iterrows()}
    assert by[12]["difference"] == pytest.approx(3 / 4 - 1 / 4)
    assert by[36]["difference"] == pytest.approx(1 / 4 - 0)
    pooled = table[table["funding.grant_months"].isna()].iloc[0]
    assert pooled["difference"] == pytest.approx(4 / 8 - 1 / 8)
    months = two_arm_effects(runs, "funding.grant_months", ["collapsed"])  # numbers: 36 minus 12
    assert (months["arm_a"].iloc[0], months["arm_b"].iloc[0]) == (36, 12)
    assert months["difference"].iloc[0] == pytest.approx(1 / 8 - 4 / 8)


def test_two_arm_effects_rejects_a_three_valued_knob():
    runs = pd.DataFrame({"k": [1, 2, 3], "collapsed": [True, False, True]})
    with pytest.raises(ValueError, match="exactly 2"):
        two_arm_effects(runs, "k", ["collapsed"])


# --------------------------------------------------------------------------- shares and survival

def hand_runs() -> pd.DataFrame:
    return pd.DataFrame({
        "design_point": [0, 0, 0, 0, 1, 1, 1],
        "funding.grant_months": [12, 12, 12, 12, 48, 48, 48],
        "reached_scale": [False, False, True, False, True, True, False],
        "collapsed": [True, True, False, True, False, False, False],
        "collapse_step": [3, 5, None, 5, None, None, None],
        "sustained_after_funding": [False, False, True, None, None, True, True],
        "final_community_outcome": [0.1, 0.2, 0.3, 0.2, 0.5, 0.7, 0.6],
    })


def test_share_table_counts_and_excludes_missing():
    runs = hand_runs()
    scale = share_table(runs, ["funding.grant_months"], "reached_scale")
    assert scale[["funding.grant_months", "n", "successes"]].values.tolist() == [[12, 4, 1], [48, 3, 2]]
    assert scale["share"].tolist() == pytest.approx([0.25, 2 / 3])
    assert (scale["ci_low"].iloc[0], scale["ci_high"].iloc[0]) == pytest.approx(wilson_interval(1, 4))
    sustained = share_table(runs, ["funding.grant_months"], "sustained_after_funding")
    assert sustained[["n", "successes"]].values.tolist() == [[3, 1], [2, 2]]  # runs still funded left out
    overall = share_table(runs, [], "collapsed")
    assert overall[["n", "successes"]].values.tolist() == [[7, 3]]


def test_survival_curve_on_hand_built_runs():
    runs = hand_runs()
    curve = survival_curve(runs, ["funding.grant_months"], horizon=6)
    short = curve[curve["funding.grant_months"] == 12]
    # collapse steps 3, 5, 5 and one never: active at m if never collapsed or collapsed after m.
    assert short["month"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert short["active"].tolist() == [4, 4, 4, 3, 3, 1, 1]
    assert short["share"].tolist() == pytest.approx([1, 1, 1, 0.75, 0.75, 0.25, 0.25])
    assert (short["ci_low"].iloc[3], short["ci_high"].iloc[3]) == pytest.approx(wilson_interval(3, 4))
    long = curve[curve["funding.grant_months"] == 48]
    assert long["active"].tolist() == [3] * 7 and (long["n"] == 3).all()
    pooled = survival_curve(runs, [], horizon=6)
    assert pooled["active"].tolist() == [7, 7, 7, 6, 6, 4, 4]


def test_design_point_means():
    means = design_point_means(hand_runs(), "reached_scale", ["funding.grant_months"])
    assert means["design_point"].tolist() == [0, 1]
    assert means["funding.grant_months"].tolist() == [12, 48]
    assert means["mean"].tolist() == pytest.approx([0.25, 2 / 3])
    assert means["n"].tolist() == [4, 3]
    outcome = design_point_means(hand_runs(), "final_community_outcome")
    assert outcome["mean"].tolist() == pytest.approx([0.2, 0.6])


# --------------------------------------------------------------------------- sensitivity

def test_sobol_ishigami_analytic_indices_lie_in_the_intervals():
    from SALib.sample import sobol as saltelli
    from SALib.test_functions import Ishigami

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    X = saltelli.sample(problem, 4096, calc_second_order=False, seed=11)
    assert X.shape == (4096 * 5, 3)
    indices = sobol_indices(problem, Ishigami.evaluate(X))
    first, total = (0.3139, 0.4424, 0.0), (0.5576, 0.4424, 0.2437)
    for i, name in enumerate(problem["names"]):
        row = indices[indices["name"] == name].iloc[0]
        assert abs(row["S1"] - first[i]) <= max(1.5 * row["S1_conf"], 0.01), (name, row.to_dict())
        assert abs(row["ST"] - total[i]) <= max(1.5 * row["ST_conf"], 0.01), (name, row.to_dict())
        assert row["S1_conf"] < 0.1 and row["ST_conf"] < 0.1  # intervals tight enough to catch a wrong index
    # Ordering the test can fail on: x2 dominates alone, x3 acts only through interactions.
    assert indices["S1"].iloc[1] > indices["S1"].iloc[0] > abs(indices["S1"].iloc[2])
    assert indices["ST"].iloc[2] - indices["S1"].iloc[2] > 0.15


def test_sobol_and_morris_on_an_additive_function():
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as saltelli

    problem = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}
    X = saltelli.sample(problem, 2048, calc_second_order=False, seed=3)
    indices = sobol_indices(problem, X[:, 0] + 2 * X[:, 1])
    # Var(x1) = 1/12, Var(2 x2) = 4/12: shares 1/5 and 4/5, with no interactions (S1 = ST).
    assert indices["S1"].tolist() == pytest.approx([0.2, 0.8], abs=0.03)
    assert indices["ST"].tolist() == pytest.approx([0.2, 0.8], abs=0.03)
    X = morris_sample.sample(problem, 30, num_levels=4, seed=3)
    screening = morris_indices(problem, X, X[:, 0] + 2 * X[:, 1], num_levels=4)
    assert screening["mu_star"].tolist() == pytest.approx([1.0, 2.0])  # change over each knob's full range
    assert screening["sigma"].tolist() == pytest.approx([0.0, 0.0], abs=1e-9)


def test_sobol_of_a_constant_output_is_nan_not_an_error():
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    indices = sobol_indices(problem, np.ones(8 * 4))
    assert indices["S1"].isna().all()


# --------------------------------------------------------------------------- scenario discovery

def planted_box(seed: int, n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    runs = pd.DataFrame({"x1": rng.uniform(size=n), "x2": rng.uniform(size=n), "x3": rng.uniform(size=n)})
    inside = (runs["x1"] > 0.6) & (runs["x2"] < 0.3)
    noise = rng.uniform(size=n) < 0.05
    runs["hit"] = np.where(noise, ~inside, inside)
    return runs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_discovery_recovers_a_planted_box(seed):
    runs = planted_box(seed)
    boxes = discover(runs, ["x1", "x2", "x3"], "hit")
    assert boxes
    best = boxes[0]
    bounds = {c.knob: c for c in best.conditions}
    assert set(bounds) == {"x1", "x2"}, best.text()
    assert bounds["x1"].low == pytest.approx(0.6, abs=0.1) and bounds["x1"].high is None
    assert bounds["x2"].high == pytest.approx(0.3, abs=0.1) and bounds["x2"].low is None
    # Density and coverage are recounted from the runs.
    inside = (runs["x1"] >= bounds["x1"].low) & (runs["x2"] <= bounds["x2"].high)
    assert best.n == inside.sum()
    assert best.density == pytest.approx(runs.loc[inside, "hit"].mean())
    assert best.coverage == pytest.approx(runs.loc[inside, "hit"].sum() / runs["hit"].sum())
    assert best.density > 0.85 and best.coverage > 0.6
    assert best.text().startswith(("x1 >= ", "x2 <= ")) and "covering" in best.text()


def test_discovery_with_categories_and_grid_values():
    rng = np.random.default_rng(5)
    n = 1500
    runs = pd.DataFrame({
        "governance.mode": rng.choice(["lead_agency", "backbone", "shared"], size=n),
        "funding.grant_months": rng.choice([12, 24, 36, 48, 60, 72], size=n),
        "funding.mandated": rng.choice([True, False], size=n),
    })
    runs["reached_scale"] = ((runs["funding.grant_months"] >= 48) & (runs["governance.mode"] != "lead_agency")
                             & (rng.uniform(size=n) < 0.85))
    boxes = discover(runs, list(runs.columns[:3]), "reached_scale")
    text = boxes[0].text()
    assert "funding.grant_months >= 48" in text
    assert "governance.mode is backbone or shared" in text
    assert "reach scale" in text and "mandated" not in text
    assert discover(runs.assign(reached_scale=False), list(runs.columns[:3]), "reached_scale") == []


# --------------------------------------------------------------------------- the report, end to end

def _flatten(summary: dict) -> dict:
    row = {}
    for key, value in summary.items():
        if key in ("params", "scenario", "seed"):
            continue
        if key == "first_step_at_level":
            row.update({f"first_step_at_level.{level}": step for level, step in value.items()})
        else:
            row[key] = value
    return row


def build_results(directory: Path, levers: dict, uncertainties: dict, replicates: int, steps: int,
                  failed: int = 0, timeseries: bool = True) -> Path:
    """A results directory in the sweep's format (runs.parquet, timeseries.parquet, manifest.json) from sim.run."""
    knobs = {**levers, **uncertainties}
    rows, series, run_id = [], [], 0
    points = list(itertools.product(*knobs.values()))
    for point, values in enumerate(points):
        overrides = dict(zip(knobs, values))
        for replicate in range(replicates):
            seed = 500 + run_id
            row = {"run_id": run_id, "design_point": point, "replicate": replicate, "seed": seed, **overrides}
            if run_id < failed:
                rows.append({**row, "status": "failed", "error": "RuntimeError: planted failure", "scenario": "baseline"})
            else:
                result = sim.run("baseline", seed=seed, steps=steps, overrides=overrides)
                rows.append({**row, **_flatten(result.summary), "status": "ok", "error": None, "scenario": "baseline"})
                frame = result.timeseries
                for metric in ("community_outcome", "community_power_share", "active_members", "mean_trust"):
                    series.append(pd.DataFrame({"run_id": run_id, "step": frame["step"], "metric": metric,
                                                "value": frame[metric].astype(float)}))
            run_id += 1
    directory.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(directory / "runs.parquet", index=False)
    if timeseries:
        pd.concat(series, ignore_index=True).to_parquet(directory / "timeseries.parquet", index=False)
    spec = {"description": "A test study.", "scenario": "baseline", "replicates": replicates, "steps": steps,
            "root_seed": 1, "design": {"method": "grid"}, "levers": levers, "uncertainties": uncertainties,
            "outputs": {"timeseries": timeseries}}
    manifest = {"spec": spec, "spec_hash": "ab" * 32, "design": "grid", "design_points": len(points), "steps": steps,
                "levers": list(levers), "uncertainties": list(uncertainties), "problem": None, "status": "complete"}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def grid_results(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sweep")
    return build_results(root / "grid", {"funding.grant_months": [12, 48]}, {"organizations.initial_trust": [0.2, 0.5]},
                         replicates=4, steps=60, failed=1)


def test_report_end_to_end_on_a_grid(grid_results, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", str(grid_results), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"to {out}" in printed
    names = {p.name for p in out.iterdir()}
    expected = {"summary.md", "survival_by_grant_months.png", "outcomes_by_grant_months.png",
                "outcomes_by_initial_trust.png", "phase_grant_months_x_initial_trust.png",
                "effect_grant_months.png", "effect_initial_trust.png", "trajectories_by_grant_months.png"}
    assert expected <= names, names
    for name in expected - {"summary.md"}:
        assert (out / name).read_bytes().startswith(PNG_SIGNATURE)

    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "runs: 16 (15 succeeded, 1 failed and left out)" in summary
    assert "1 × RuntimeError: planted failure" in summary
    table = summary.split("### Per design point", 1)[1].split("\n\n", 2)[1]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| Grant")
            and not line.startswith("| :")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    assert [c[:3] for c in cells] == [["12", "0.2", "3"], ["12", "0.5", "4"], ["48", "0.2", "4"], ["48", "0.5", "4"]]
    # Each share cell agrees with the runs.
    runs = pd.read_parquet(grid_results / "runs.parquet")
    ok = runs[runs["status"] == "ok"]
    for cell in cells:
        part = ok[(ok["funding.grant_months"] == int(cell[0])) & (ok["organizations.initial_trust"] == float(cell[1]))]
        scale = int(part["reached_scale"].sum())
        low, high = wilson_interval(scale, len(part))
        assert cell[3] == f"{100 * scale / len(part):.0f}% ({100 * low:.0f}–{100 * high:.0f}%)"
        collapsed = int(part["collapsed"].sum())
        assert cell[4].startswith(f"{100 * collapsed / len(part):.0f}% (")
    for heading in ("## Two-arm comparisons", "## Scenario discovery", "## Community outcome early and late",
                    "## Figures"):
        assert heading in summary


def test_report_is_reproducible_and_defaults_into_the_results_dir(grid_results, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("runs.parquet", "manifest.json"):  # no timeseries: the report goes without its figure
        (copy / name).write_bytes((grid_results / name).read_bytes())
    first = write_report(copy)
    assert all(p.parent == copy / "report" for p in first)
    assert not (copy / "report" / "trajectories_by_grant_months.png").exists()
    before = {p.name: p.read_bytes() for p in first}
    second = write_report(copy)
    assert {p.name: p.read_bytes() for p in second} == before


def test_report_on_a_sobol_design_computes_sensitivity(tmp_path):
    from SALib.sample import sobol as saltelli

    problem = {"num_vars": 3, "names": ["funding.grant_months", "organizations.initial_trust", "partnership.advocacy"],
               "bounds": [[11.5, 72.5], [0.1, 0.6], [0.0, 1.0]]}
    X = saltelli.sample(problem, 64, calc_second_order=False, seed=2)
    rng = np.random.default_rng(4)
    rows = []
    for point, (months, trust, advocacy) in enumerate(X):
        for replicate in range(2):
            p_scale = 0.9 * (months > 48) * (advocacy > 0.3)
            collapsed = bool(rng.uniform() < 0.9 * (months < 24))
            rows.append({"run_id": len(rows), "design_point": point, "replicate": replicate, "seed": len(rows),
                         "funding.grant_months": int(round(months)), "organizations.initial_trust": trust,
                         "partnership.advocacy": advocacy, "reached_scale": bool(rng.uniform() < p_scale),
                         "collapsed": collapsed, "collapse_step": 30 if collapsed else None,
                         "funding_end_step": int(round(months)), "sustained_after_funding": not collapsed,
                         "final_community_outcome": float(trust), "status": "ok", "error": None, "scenario": "baseline"})
    directory = tmp_path / "sobol"
    directory.mkdir()
    pd.DataFrame(rows).to_parquet(directory / "runs.parquet", index=False)
    manifest = {"spec": {"description": "Synthetic Sobol study.", "scenario": "baseline", "replicates": 2, "steps": 96},
                "design": "sobol", "design_points": len(X), "steps": 96, "calc_second_order": False, "problem": problem,
                "levers": ["funding.grant_months", "partnership.advocacy"], "uncertainties": ["organizations.initial_trust"]}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    paths = write_report(directory, tmp_path / "out")
    names = {p.name for p in paths}
    assert "sensitivity.png" in names and "survival_by_grant_months.png" in names
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    sensitivity = summary.split("## Sensitivity", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip(): line for line in sensitivity.splitlines() if line.startswith("| ")}
    assert {"Grant length (months)", "Initial trust", "Effort on policy advocacy"} <= set(rows)
    # Grant length drives both outcomes; trust drives neither (its total index for collapse is near zero).
    study = load_study(directory)
    from sim.experiments.report import sensitivity_indices
    indices, reason = sensitivity_indices(study)
    assert reason is None
    collapse = indices["collapsed"].set_index("name")
    assert collapse.loc["funding.grant_months", "ST"] > 0.5
    assert collapse.loc["organizations.initial_trust", "ST"] < 0.15
    assert "### Reached scale" in summary and "grant length (months) >=" in summary


def test_report_bad_input_exits_2_with_one_line(tmp_path, capsys):
    missing = tmp_path / "nothing"
    assert main(["report", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("partnersim: error: ") and "no such directory" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no runs.parquet" in err
    assert not (empty / "report").exists()
    (empty / "runs.parquet").write_bytes(b"not parquet")
    assert main(["report", str(empty)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read" in err and "Traceback" not in err
    with pytest.raises(ReportError):
        load_study(empty)
    pd.DataFrame({"run_id": [0], "status": ["ok"]}).to_parquet(empty / "runs.parquet")
    assert main(["report", str(empty)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no column reached_scale" in err


def test_report_when_every_run_failed_exits_2(tmp_path, capsys):
    directory = tmp_path / "failed"
    directory.mkdir()
    pd.DataFrame({"run_id": [0, 1], "design_point": [0, 0], "replicate": [0, 1], "status": ["failed", "failed"],
                  "error": ["ValueError: x", "ValueError: x"]}).to_parquet(directory / "runs.parquet")
    assert main(["report", str(directory)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "all 2 runs failed" in err


def test_analysis_functions_are_pure():
    runs = hand_runs()
    before = runs.copy()
    share_table(runs, ["funding.grant_months"], "collapsed")
    survival_curve(runs, ["funding.grant_months"], 4)
    design_point_means(runs, "collapsed", ["funding.grant_months"])
    analysis.two_arm_effects(runs, "funding.grant_months", ["collapsed"])
    pd.testing.assert_frame_equal(runs, before)


def test_sobol_intervals_are_reproducible():
    """Same inputs, same bytes: the bootstrap of the confidence intervals is seeded."""
    from SALib.sample import sobol as sobol_sample

    from sim.experiments.analysis import sobol_indices

    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}
    X = sobol_sample.sample(problem, 64, calc_second_order=False, seed=3)
    Y = X[:, 0] + 2.0 * X[:, 1] ** 2
    first, second = sobol_indices(problem, Y), sobol_indices(problem, Y)
    pd.testing.assert_frame_equal(first, second)


def test_welch_interval_is_welch_satterthwaite():
    a, b = [4.1, 5.3, 6.0, 5.5, 4.8, 6.2], [3.0, 3.9, 2.2, 4.4]
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    difference = np.mean(a) - np.mean(b)
    assert welch_interval(a, b) == pytest.approx((difference, difference - half, difference + half))
    assert welch_interval([1.0, 1.0], [0.0, 0.0]) == (1.0, 1.0, 1.0)
    assert all(math.isnan(v) for v in welch_interval([1.0], [0.0, 2.0])[1:])
