"""Named policies: a ``policies`` design compares bundles of settings by name against a reference policy."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.errors import ScenarioError, ScenarioErrors
from sim.experiments import build_design, load_spec
from sim.experiments.design import policy_of_points

HEADER = """\
description = "Two grant policies."
scenario = "baseline"
replicates = 2
steps = 12
root_seed = 5
"""
TWO = HEADER + """
[design]
method = "policies"
reference = "short and rich"
[policies."long and lean"]
"funding.grant_months" = 60
"funding.monthly_amount" = 7500
[policies."short and rich"]
"funding.grant_months" = 36
"funding.monthly_amount" = 12500
[policies."short, rich, renewed"]
"funding.grant_months" = 36
"funding.monthly_amount" = 12500
"funding.renewal_probability" = 0.5
[uncertainties]
"organizations.initial_trust" = [0.2, 0.4]
[fixed]
"organizations.count" = 6
"""


def spec_file(tmp_path: Path, body: str, name: str = "policies.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_policies_may_repeat_values_and_keep_their_order(tmp_path):
    spec = load_spec(spec_file(tmp_path, TWO))
    assert spec.method == "policies" and spec.reference == "short and rich"
    assert [name for name, _ in spec.policies] == ["long and lean", "short and rich", "short, rich, renewed"]
    months = next(k for k in spec.knobs if k.key == "funding.grant_months")
    assert months.values == (60, 36, 36) and months.role == "lever"
    renewal = next(k for k in spec.knobs if k.key == "funding.renewal_probability")
    assert renewal.values == (0.0, 0.0, 0.5)  # left out: the scenario's value
    design = build_design(spec)
    assert design.n_points == 6
    points = [design.point(i) for i in range(design.n_points)]
    assert [p["funding.grant_months"] for p in points] == [60, 60, 36, 36, 36, 36]
    assert [p["organizations.initial_trust"] for p in points] == [0.2, 0.4] * 3
    names = [name for name, _ in spec.policies]
    assert policy_of_points(range(6), names, 6) == [n for n in names for _ in range(2)]


def test_reference_defaults_to_the_first_policy(tmp_path):
    spec = load_spec(spec_file(tmp_path, TWO.replace('reference = "short and rich"\n', "")))
    assert spec.reference == "long and lean"


@pytest.mark.parametrize("change, key, problem", [
    (('reference = "short and rich"', 'reference = "short and ritch"'), "design.reference",
     "no policy named 'short and ritch' (did you mean short and rich?)"),
    (('"funding.renewal_probability" = 0.5', '"funding.renewal_probability" = 0.0'), "policies.short, rich, renewed",
     "the same settings as policy 'short and rich'"),
    (('"funding.grant_months" = 60', '"funding.grant_months" = -60'), "policies.long and lean.funding.grant_months",
     "out of range"),
    (('"funding.grant_months" = 60', '"funding.grant_monts" = 60'), "policies.long and lean.funding.grant_monts",
     "did you mean funding.grant_months?"),
    (('"organizations.count" = 6', '"funding.monthly_amount" = 6'), "policies.long and lean.funding.monthly_amount",
     "also in [fixed]"),
    (('method = "policies"', 'method = "grid"'), "policies", 'need method = "policies"'),
    (('[uncertainties]', '[levers]\n"governance.mode" = ["shared", "backbone"]\n[uncertainties]'), "levers",
     "takes its levers from [policies]"),
])
def test_bad_policies_name_file_key_and_what_is_allowed(tmp_path, change, key, problem):
    path = spec_file(tmp_path, TWO.replace(*change))
    with pytest.raises(ScenarioError) as caught:
        load_spec(path)
    assert str(caught.value).startswith(f"{path}: {key}: "), str(caught.value)
    assert problem in str(caught.value)


def test_a_spec_with_several_mistakes_reports_them_all(tmp_path):
    body = HEADER + """
[design]
method = "grid"
[levers]
"funding.grant_month" = [12, 24]
"governance.mode" = ["shared", "nowhere"]
[uncertainties]
"organizations.initial_trust" = [0.2, 7.0]
"""
    path = spec_file(tmp_path, body)
    with pytest.raises(ScenarioErrors) as caught:
        load_spec(path)
    keys = [e.key for e in caught.value.errors]
    assert keys == ["levers.funding.grant_month", "levers.governance.mode", "uncertainties.organizations.initial_trust"]
    assert "did you mean funding.grant_months?" in caught.value.errors[0].problem


def test_unknown_top_level_spec_keys_suggest_the_closest(tmp_path):
    path = spec_file(tmp_path, HEADER + "[lever]\n\"funding.grant_months\" = [12, 24]\n[desing]\nmethod = \"grid\"\n")
    with pytest.raises(ScenarioErrors) as caught:
        load_spec(path)
    assert [str(e) for e in caught.value.errors] == [
        f"{path}: lever: unknown key (did you mean levers?); allowed: " + ", ".join(__import__("sim.experiments.spec", fromlist=["x"]).SPEC_KEYS),
        f"{path}: desing: unknown key (did you mean design?); allowed: " + ", ".join(__import__("sim.experiments.spec", fromlist=["x"]).SPEC_KEYS),
    ]


def test_sweep_takes_a_study_by_its_bare_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # not the repository: the shipped studies are found all the same
    out = tmp_path / "out"
    assert main(["sweep", "funder_policies", "--replicates", "1", "--steps", "6", "--workers", "1", "--out", str(out)]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 8 and set(runs["funding.grant_months"]) == {36, 60}


def test_sweep_names_the_studies_when_the_name_is_unknown(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "grant_timline", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("partnersim: error: grant_timline: no such study; allowed: a sweep spec TOML file or one of: ")
    assert "grant_timeline" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
