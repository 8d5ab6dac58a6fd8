"""Helpful errors: a key without its section or a near miss suggests the key meant; every mistake at once."""

from __future__ import annotations

import pytest

import sim
from sim.cli import main
from sim.errors import ScenarioError, ScenarioErrors


def test_a_key_without_its_section_suggests_the_full_key():
    with pytest.raises(ScenarioError) as caught:
        sim.load_scenario("baseline", {"grant_months": 60})
    assert str(caught.value).startswith("--set: grant_months: unknown key (did you mean funding.grant_months?); allowed: ")


def test_a_near_miss_suggests_the_closest_name(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('description = "x"\n[funding]\nrenewal_probabilty = 0.5\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        sim.load_scenario(path)
    assert "funding.renewal_probabilty: unknown key (did you mean funding.renewal_probability?)" in str(caught.value)


def test_no_suggestion_for_a_name_like_nothing():
    with pytest.raises(ScenarioError) as caught:
        sim.load_scenario("baseline", {"colour": "blue"})
    assert "did you mean" not in str(caught.value)


THREE_MISTAKES = '''\
description = "three mistakes"
grant_months = 60

[funding]
renewal_probability = 1.5

[governance]
mode = "anarchy"
'''


def test_a_file_with_three_mistakes_reports_all_three(tmp_path):
    path = tmp_path / "three.toml"
    path.write_text(THREE_MISTAKES, encoding="utf-8")
    with pytest.raises(ScenarioErrors) as caught:
        sim.load_scenario(path)
    assert [e.key for e in caught.value.errors] == ["grant_months", "funding.renewal_probability", "governance.mode"]
    assert all(e.source == str(path) and e.allowed for e in caught.value.errors)


def test_the_command_prints_one_line_per_mistake_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "three.toml"
    path.write_text(THREE_MISTAKES, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and all(line.startswith(f"partnersim: error: {path}: ") for line in lines)
    assert "grant_months: unknown key (did you mean funding.grant_months?); allowed: " in lines[0]
    assert "funding.renewal_probability: 1.5 is out of range; allowed: a number from 0.0 to 1.0" in lines[1]
    assert "governance.mode: unknown value 'anarchy'; allowed: " in lines[2]
    assert not out.exists()


def test_several_overrides_are_all_checked():
    with pytest.raises(ScenarioErrors) as caught:
        sim.load_scenario("baseline", {"funding.grant_monthz": 1, "governance.mdoe": "shared"})
    assert [e.key for e in caught.value.errors] == ["funding.grant_monthz", "governance.mdoe"]
    assert "did you mean governance.mode?" in str(caught.value.errors[1])


def test_inconsistent_parameters_are_all_reported():
    with pytest.raises(ScenarioErrors) as caught:
        sim.load_scenario("baseline", {"partnership.min_members": 20, "continuum.trust_required": [0.9, 0.5, 0.4]})
    assert {e.key for e in caught.value.errors} == {"partnership.min_members", "continuum.trust_required"}
