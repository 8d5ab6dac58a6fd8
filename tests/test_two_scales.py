"""One question, two scales: the two-scale study (spec, sweep, report) and the agree / disagree / unclear logic."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import sim
from sim.cli import main
from sim.experiments import ScaledSpec, load_spec
from sim.experiments import two_scales as ts
from sim.profile import FORMATION_COLUMNS

REPO_ROOT = Path(__file__).resolve().parent.parent
STUDY = REPO_ROOT / "experiments" / "mandate_two_scales.toml"


# --------------------------------------------------------------------------- the logic, on made-up numbers

@pytest.mark.parametrize("a, b, expected", [
    ((0.01, 0.05), (0.02, 0.09), ts.AGREE),          # both above zero
    ((-0.3, -0.1), (-0.2, -0.01), ts.AGREE),         # both below
    ((0.03, 0.06), (-0.33, -0.26), ts.DISAGREE),     # opposite sides: the mandate's collapse at the two scales
    ((-0.33, -0.26), (0.03, 0.06), ts.DISAGREE),
    ((-0.05, 0.01), (-0.2, -0.1), ts.UNCLEAR),       # one interval includes zero
    ((0.0, 0.04), (-0.2, -0.1), ts.UNCLEAR),         # touching zero is not clear of it
    ((-0.01, 0.01), (-0.02, 0.02), ts.UNCLEAR),      # neither is clear
    ((math.nan, math.nan), (0.1, 0.2), ts.UNCLEAR),  # cannot be computed
])
def test_agreement_reads_the_intervals_not_the_estimates(a, b, expected):
    assert ts.agreement(a, b) == expected


def test_gap_adds_the_half_widths_in_quadrature():
    a = {"difference": 0.0, "ci_low": -0.3, "ci_high": 0.3}
    b = {"difference": 5.0, "ci_low": 4.6, "ci_high": 5.4}
    value, low, high, verdict = ts.gap(a, b)
    assert (value, verdict) == (5.0, ts.DIFFERS)
    assert (low, high) == pytest.approx((4.5, 5.5))
    assert ts.gap(a, {"difference": 0.2, "ci_low": -0.2, "ci_high": 0.6})[3] == ts.ALIKE
    assert ts.gap(a, {"difference": math.nan, "ci_low": math.nan, "ci_high": math.nan})[3] == ts.UNKNOWN


def _made_up(region_collapse: tuple[float, float], region_members: tuple[float, float]) -> dict[str, pd.DataFrame]:
    """Single partnerships: a lever that raises collapse from 10% to 30% and lowers scale from 40% to 20%, at 12
    members, with members' desire 0.75 -> 0.50; regions: collapse and members per run as given, scale 0.30 -> 0.15,
    desire 0.66 -> 0.41 (the same fall as single partnerships), nothing else changing."""
    n = 200
    lever = np.repeat([False, True], n)
    hits = lambda share: np.arange(n) < round(share * n)  # noqa: E731 - exactly that share of the arm
    partnership = pd.DataFrame({
        "funding.mandated": lever,
        "collapsed": np.concatenate([hits(0.10), hits(0.30)]),
        "reached_scale": np.concatenate([hits(0.40), hits(0.20)]),
        "formation.share_cooperating": np.concatenate([hits(0.9), hits(0.9)]).astype(float),
        "formation.months_to_cooperating": np.tile(np.linspace(20, 30, n), 2),
        "formation.member_desire": np.where(lever, 0.50, 0.75) + np.tile(np.linspace(-0.05, 0.05, n), 2),
        "formation.members": np.full(2 * n, 12.0),
        "formation.community_convener": np.zeros(2 * n),
        "formation.convener_capacity": np.tile(np.linspace(0.6, 0.8, n), 2),
    })
    m = 40
    arm = np.repeat([False, True], m)
    spread = np.tile(np.linspace(-0.02, 0.02, m), 2)
    region = pd.DataFrame({
        "funding.mandated": arm,
        "share_collapsed": np.where(arm, region_collapse[1], region_collapse[0]) + spread,
        "share_reached_scale": np.where(arm, 0.15, 0.30) + spread,
        "formation.share_cooperating": np.full(2 * m, 0.8) + spread,
        "formation.months_to_cooperating": np.full(2 * m, 25.0) + 10 * spread,
        "formation.member_desire": np.where(arm, 0.41, 0.66) + spread,
        "formation.members": np.where(arm, region_members[1], region_members[0]) + 10 * spread,
        "formation.community_convener": np.zeros(2 * m),
        "formation.convener_capacity": np.full(2 * m, 0.7) + spread,
    })
    return {"partnership": partnership, "region": region}


def verdicts(table: pd.DataFrame) -> dict[str, str]:
    return table.drop_duplicates("measure").set_index("measure")["verdict"].to_dict()


def test_a_known_disagreement_is_found_and_explained_by_the_candidate_that_differs():
    table = ts.compare(_made_up(region_collapse=(0.50, 0.10), region_members=(5.0, 10.0)), "funding.mandated")
    assert list(table.columns) == list(ts.CSV_COLUMNS)
    assert verdicts(table) == {"collapse": ts.DISAGREE, "scale": ts.AGREE, "cooperating": ts.UNCLEAR,
                               "months_to_cooperating": ts.UNCLEAR, "desire": ts.ALIKE, "members": ts.DIFFERS,
                               "community_convener": ts.ALIKE, "convener_capacity": ts.ALIKE}
    collapse = table[table["measure"] == "collapse"].set_index("scale")
    assert collapse.loc["partnership", "difference"] == pytest.approx(0.20)
    assert collapse.loc["partnership", "method"] == "Newcombe"
    assert collapse.loc["region", "difference"] == pytest.approx(-0.40)
    assert collapse.loc["region", "method"] == "Welch"
    members = table[table["measure"] == "members"].iloc[0]
    assert members["gap"] == pytest.approx(5.0) and members["gap_low"] > 4.5

    text = ts.section({"funding.mandated": table}, {"partnership": {"scenario": "baseline", "runs_per_arm": "200"},
                                                    "region": {"scenario": "region", "runs_per_arm": "40"}})
    assert text.startswith("## Two scales")
    assert "**Share collapsed: the scales disagree.**" in text
    assert "raises it by 20.0 points" in text and "lowers it by 40.0 points" in text
    assert "### Why the scales disagree" in text
    size = next(line for line in text.splitlines() if line.startswith("- **Size**"))
    assert "from 12.0 to 12.0 for single partnerships" in size and "from 5.0 to 10.0" in size
    assert "**a candidate explanation**" in size
    who = next(line for line in text.splitlines() if line.startswith("- **Who partners**"))
    assert "does not explain the disagreement" in who


def agreeing(table: pd.DataFrame) -> pd.DataFrame:
    """Every outcome agreeing (the months and cooperating shares of the made-up frames are unclear by design)."""
    table = table.copy()
    table.loc[table["role"] == "outcome", "verdict"] = ts.AGREE
    return table


def test_when_the_scales_agree_no_explanation_is_offered():
    table = ts.compare(_made_up(region_collapse=(0.10, 0.40), region_members=(5.0, 10.0)), "funding.mandated")
    assert verdicts(table)["collapse"] == ts.AGREE
    text = ts.section({"funding.mandated": table}, {})
    assert "**Share collapsed: the scales agree.**" in text
    assert "Why the scales disagree" not in text and "What differs between the scales" in text
    assert "candidate explanation**" not in text and "does not explain" not in text
    text = ts.section({"funding.mandated": agreeing(table)}, {})
    assert "The scales agree on every outcome" in text and "What differs" not in text


def test_an_effect_clear_at_one_scale_only_is_unclear():
    table = ts.compare(_made_up(region_collapse=(0.30, 0.30), region_members=(5.0, 5.0)), "funding.mandated")
    assert verdicts(table)["collapse"] == ts.UNCLEAR
    assert verdicts(table)["members"] == ts.ALIKE
    assert "makes no clear difference for a region's partnerships" in "\n".join(ts.outcome_sentences(table))


# --------------------------------------------------------------------------- the formation profile

def test_noting_formation_changes_no_run():
    tiny_region = {"ecosystem.organizations": 200, "ecosystem.neighbourhood_size": 100, "steps": 24}
    for scenario, overrides in (("baseline", {"steps": 24}), ("region", tiny_region)):
        for mandated in (False, True):
            settings = {**overrides, "funding.mandated": mandated}
            plain = sim.run(scenario, seed=3, overrides=settings)
            watched = sim.run(scenario, seed=3, overrides=settings, formation=True)
            assert plain.formation is None
            assert watched.summary == plain.summary and watched.timeseries.equals(plain.timeseries)
            assert set(watched.formation) == set(FORMATION_COLUMNS)
    region = sim.run("region", seed=3, overrides=tiny_region, formation=True)
    frame = region.partnerships  # the region's own table agrees with what the profile read at formation
    assert region.formation["formation.partnerships"] == len(frame) > 0
    assert region.formation["formation.members"] == pytest.approx(frame["members"].mean())
    assert region.formation["formation.community_convener"] == pytest.approx(
        frame["convener_sector"].isin(["grassroots", "beneficiary"]).mean())
    single = sim.run("baseline", seed=3, overrides={"steps": 24}, formation=True).formation
    assert single["formation.partnerships"] == 1.0 and single["formation.members"] == 12.0
    # The founding members of an organic partnership chose to partner (desire above organizations.self_selection).
    assert single["formation.member_desire"] > 0.5


# --------------------------------------------------------------------------- the study, end to end

def reduced_study(directory: Path) -> Path:
    """The shipped study, as it is, with fewer runs and smaller, shorter regions."""
    text = STUDY.read_text(encoding="utf-8")
    text, found = re.subn(r"(?m)^replicates = 1000$", "replicates = 12", text)
    assert found == 1
    text, found = re.subn(r"(?m)^replicates = 40$", "replicates = 3", text)
    assert found == 1
    text, found = re.subn(r"(?m)^steps = 120$", "steps = 36", text)
    assert found == 1
    text += '"ecosystem.organizations" = 300\n"ecosystem.neighbourhood_size" = 100\n'
    path = directory / "mandate_two_scales.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_study_asks_the_mandate_question_at_both_scales():
    spec = load_spec(STUDY)
    assert isinstance(spec, ScaledSpec) and spec.compared == ("funding.mandated",)
    partnership, region = spec.scale("partnership"), spec.scale("region")
    assert (partnership.kind, region.kind) == ("partnership", "region")
    assert partnership.formation and region.formation
    assert partnership.replicates >= 1000 and region.replicates >= 40  # enough for 95% intervals of a few points
    assert partnership.steps == region.steps == 120
    assert region.fixed == {"ecosystem.calls": 1, "ecosystem.grants_per_call": 20}  # one cohort, followed 120 months
    assert partnership.root_seed != region.root_seed
    assert load_spec("mandate_two_scales").hash == spec.hash  # by its name, as every shipped study


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("two_scales")
    out = directory / "out"
    assert main(["sweep", str(reduced_study(directory)), "--out", str(out), "--workers", "1"]) == 0
    assert main(["report", str(out)]) == 0
    return out


def test_the_reduced_study_runs_end_to_end_and_the_reports_say_whether_the_scales_agree(study, capsys):
    for scale, runs in (("partnership", 24), ("region", 6)):
        table = pq.read_table(study / scale / "runs.parquet")
        assert table.num_rows == runs and set(FORMATION_COLUMNS) <= set(table.column_names)
    summary = (study / "report" / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# Two-scale report: mandate_two_scales")
    assert "## Two scales" in summary and "| Share collapsed |" in summary
    assert re.search(r"\*\*(agree|disagree|unclear)\*\*", summary)
    for scale in ("partnership", "region"):
        own = (study / "report" / scale / "summary.md").read_text(encoding="utf-8")
        assert "## Two scales" in own and "| Share collapsed |" in own
    frame = pd.read_csv(study / "report" / ts.CSV)
    assert list(frame.columns) == list(ts.CSV_COLUMNS)
    assert set(frame["scale"]) == {"partnership", "region"}
    assert set(frame.loc[frame["role"] == "outcome", "verdict"]) <= {ts.AGREE, ts.DISAGREE, ts.UNCLEAR}
    assert (study / "report" / ts.FIGURE).is_file()


def test_the_study_is_not_run_twice_into_one_folder_but_resumes(study, tmp_path, capsys):
    spec = reduced_study(tmp_path)
    assert main(["sweep", str(spec), "--out", str(study), "--workers", "1"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["sweep", str(spec), "--out", str(study), "--workers", "1", "--resume"]) == 0
    assert "30 runs done (24 single partnerships, 6 regions)" in capsys.readouterr().out


def test_a_two_scale_folder_missing_a_scale_cannot_be_reported(study, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(study, copy, ignore=shutil.ignore_patterns("report"))
    (copy / "region" / "runs.parquet").unlink()
    assert main(["report", str(copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "region" in err and "--resume" in err
    assert not (copy / "report").exists()


# --------------------------------------------------------------------------- bad specs

BAD = [
    ('scenario = "baseline"\n', "", "scenario", "a scenario for each scale"),
    ("", ("[scales.partnership]", "[scales.partnershp]"), "scales.partnershp", "partnership, region"),
    ("", ("scenario = \"region\"", "scenario = \"region\"\nseed = 4"), "scales.region.seed",
     "scenario, replicates, steps, fixed"),
    ("", ("scenario = \"region\"", "scenario = \"baseline\""), "scales.region.scenario", "a region scenario"),
    ("", ("scenario = \"baseline\"", "scenario = \"region\""), "scales.partnership.scenario",
     "a single-partnership scenario"),
    ("", ('"funding.mandated" = [false, true]', '"funding.mandated" = [true]'), "levers", "a lever with two values"),
    ("", ('"ecosystem.calls" = 1', '"ecosystem.calls" = -1'), "scales.region.fixed.ecosystem.calls", "an integer"),
    ("", ("replicates = 40", "replicates = 0"), "scales.region.replicates", "an integer from 1"),
    ("", ('"funding.mandated" = [false, true]', '"funding.mandated" = [false, 3]'), "levers.funding.mandated",
     "true | false"),
    ("", ("[levers]", '[design]\nmethod = "sobol"\nsamples = 4\n[levers]'), "design.method", "grid"),
    ("[outputs]\nformation = false\n", "", "outputs.formation", "true"),
    ("policies = 3\n", "", "policies", "[levers]"),
]


@pytest.mark.parametrize("prefix, change, key, allowed", BAD, ids=[case[2] for case in BAD])
def test_a_bad_two_scale_spec_exits_2_with_one_line_naming_file_key_and_what_is_allowed(tmp_path, capsys, prefix, change,
                                                                                       key, allowed):
    text = STUDY.read_text(encoding="utf-8")
    if change:
        assert change[0] in text
        text = text.replace(change[0], change[1], 1)
    if prefix.startswith("[outputs]"):
        text += prefix
    else:
        text = prefix + text
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"partnersim: error: {path}: {key}: ") and "allowed: " in err and allowed in err, err
    assert not (tmp_path / "out").exists()


def test_formation_is_an_output_any_sweep_may_ask_for(tmp_path, capsys):
    body = ('description = "x"\nscenario = "baseline"\nreplicates = 2\nsteps = 12\nroot_seed = 1\n'
            '[levers]\n"funding.mandated" = [false, true]\n[outputs]\nformation = "yes"\n')
    path = tmp_path / "spec.toml"
    path.write_text(body, encoding="utf-8")
    assert main(["sweep", str(path), "--out", str(tmp_path / "bad")]) == 2
    assert "outputs.formation: expected true or false" in capsys.readouterr().err
    path.write_text(body.replace('"yes"', "true"), encoding="utf-8")
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1"]) == 0
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert runs["formation.members"].tolist() == [12.0] * 4
