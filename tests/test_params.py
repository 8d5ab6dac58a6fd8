"""Validation of scenarios and parameters: every invalid input is a one-line ScenarioError.

Bounds and defaults are read from the dataclasses in :mod:`sim.params` (they are
still being calibrated), never written down here.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import get_type_hints

import numpy as np
import pytest
from numpy.testing import assert_allclose

import sim
from sim import params as P
from sim.errors import ScenarioError
from sim.scenarios import (OVERRIDE_SOURCE, apply_overrides, load_scenario, parse_set,
                           scenario_names, with_overrides)

SOURCE = "my-source.toml"
SCENARIO_FILES = sorted((Path(sim.__file__).resolve().parent.parent / "scenarios").glob("*.toml"))


# --------------------------------------------------------------------------- helpers

def field_of(key: str) -> dataclasses.Field:
    cls = P.Params
    parts = key.split(".")
    for depth, part in enumerate(parts):
        fields = {f.name: f for f in dataclasses.fields(cls)}
        f = fields[part]
        if depth == len(parts) - 1:
            return f
        cls = get_type_hints(cls)[part]
    raise AssertionError(key)


def meta(key: str) -> dict:
    return dict(field_of(key).metadata)


def _get(params, key: str):
    for part in key.split("."):
        params = getattr(params, part)
    return params


def default(key: str):
    return _get(P.Params(), key)


def nest(key: str, value) -> dict:
    """``nest("a.b", 1) == {"a": {"b": 1}}``."""
    *sections, name = key.split(".")
    data = {name: value}
    for section in reversed(sections):
        data = {section: data}
    return data


def leaf_keys(cls=P.Params, prefix: str = "") -> list[str]:
    keys = []
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}.{f.name}" if prefix else f.name
        if dataclasses.is_dataclass(hints[f.name]):
            keys.extend(leaf_keys(hints[f.name], key))
        else:
            keys.append(key)
    return keys


def assert_scenario_error(excinfo, source: str, key: str | None) -> str:
    """The error is a single line that names the source, the key and what is allowed."""
    error = excinfo.value
    message = str(error)
    assert isinstance(error, ScenarioError)
    assert len(message.splitlines()) == 1, repr(message)
    assert "\n" not in message and "\r" not in message
    assert source in message
    assert error.source == source
    if key:
        assert key in message
        assert error.key == key
    assert "allowed" in message
    assert error.allowed
    return message


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def below(key: str):
    low = meta(key)["low"]
    return low - 1 if isinstance(low, int) else low - 0.5


def above(key: str):
    high = meta(key)["high"]
    return high + 1 if isinstance(high, int) else high + 0.5


def decreasing_values(key: str) -> list[float]:
    m = meta(key)
    low, high = m["low"], m["high"]
    fractions = np.linspace(0.9, 0.1, m["length"])
    return [float(low + (high - low) * f) for f in fractions]


def other_share(preset: float) -> float:
    """A community share in range that differs from ``preset``."""
    m = meta("governance.community_decision_share")
    candidate = (m["low"] + m["high"]) / 2 + 0.01
    return candidate if not math.isclose(candidate, preset) else candidate + 0.1


COUNT_MIN = max(meta("organizations.count")["low"], meta("partnership.min_members")["low"])


# --------------------------------------------------------------------------- from_dict: invalid input

INVALID = [
    pytest.param({"nonsense": 1}, "nonsense", id="unknown-top-level-key"),
    pytest.param({"funding": {"nonsense": 1}}, "funding.nonsense", id="unknown-nested-key"),
    pytest.param({"organizations": {"sector_mix": {"nonsense": 1.0}}}, "organizations.sector_mix.nonsense",
                 id="unknown-doubly-nested-key"),
    pytest.param({"funding": 5}, "funding", id="section-as-scalar"),
    pytest.param({"organizations": {"sector_mix": 0.5}}, "organizations.sector_mix", id="nested-section-as-scalar"),
    pytest.param({"funding": [1, 2]}, "funding", id="section-as-list"),
    pytest.param(nest("organizations.count", "12"), "organizations.count", id="string-for-int"),
    pytest.param(nest("organizations.count", 3.5), "organizations.count", id="float-for-int"),
    pytest.param(nest("steps", True), "steps", id="bool-for-int"),
    pytest.param(nest("trust.gain", True), "trust.gain", id="bool-for-float"),
    pytest.param(nest("trust.gain", "0.1"), "trust.gain", id="string-for-float"),
    pytest.param(nest("trust.gain", math.nan), "trust.gain", id="nan-for-float"),
    pytest.param(nest("trust.gain", math.inf), "trust.gain", id="inf-for-float"),
    pytest.param(nest("funding.mandated", 1), "funding.mandated", id="number-for-bool"),
    pytest.param(nest("funding.mandated", "true"), "funding.mandated", id="string-for-bool"),
    pytest.param(nest("governance.mode", 1), "governance.mode", id="number-for-str"),
    pytest.param(nest("description", 5), "description", id="number-for-description"),
    pytest.param(nest("governance.mode", "dictator"), "governance.mode", id="unknown-governance-mode"),
    pytest.param(nest("funding.accountability", "none"), "funding.accountability", id="unknown-accountability"),
    pytest.param(nest("governance.power_sharing", "anarchy"), "governance.power_sharing", id="unknown-power-sharing"),
    pytest.param(nest("governance.power_sharing", 1), "governance.power_sharing", id="number-for-power-sharing"),
    pytest.param(nest("continuum.trust_required", 0.5), "continuum.trust_required", id="scalar-for-list"),
    pytest.param({"organizations": {"sector_mix": {f.name: 0.0 for f in dataclasses.fields(P.SectorMix)}}},
                 "organizations.sector_mix", id="all-zero-sector-mix"),
]

RANGED_KEYS = ["steps", "seed", "organizations.count", "organizations.trust_spread", "trust.gain", "funding.grant_months",
               "funding.expectation_ratio", "governance.deliberation_capacity", "partnership.policy_work",
               "membership.memory"]


@pytest.mark.parametrize("data, key", INVALID)
def test_from_dict_rejects(data, key):
    with pytest.raises(ScenarioError) as excinfo:
        P.from_dict(data, source=SOURCE)
    assert_scenario_error(excinfo, SOURCE, key)


@pytest.mark.parametrize("key", RANGED_KEYS)
@pytest.mark.parametrize("side", ["low", "high"])
def test_from_dict_rejects_out_of_range(key, side):
    value = below(key) if side == "low" else above(key)
    with pytest.raises(ScenarioError) as excinfo:
        P.from_dict(nest(key, value), source=SOURCE)
    message = assert_scenario_error(excinfo, SOURCE, key)
    assert "out of range" in message


@pytest.mark.parametrize("key", ["continuum.months_required", "continuum.trust_required", "continuum.time_cost"])
@pytest.mark.parametrize("delta", [-1, +1])
def test_from_dict_rejects_list_of_wrong_length(key, delta):
    good = list(default(key))
    value = good[:-1] if delta < 0 else good + [good[-1]]
    with pytest.raises(ScenarioError) as excinfo:
        P.from_dict(nest(key, value), source=SOURCE)
    assert_scenario_error(excinfo, SOURCE, key)


@pytest.mark.parametrize("key", ["continuum.months_required", "continuum.trust_required", "continuum.joint_work"])
@pytest.mark.parametrize("side", ["low", "high"])
def test_from_dict_rejects_list_element_out_of_range(key, side):
    value = list(default(key))
    value[-1 if side == "high" else 0] = above(key) if side == "high" else below(key)
    with pytest.raises(ScenarioError) as excinfo:
        P.from_dict(nest(key, value), source=SOURCE)
    assert_scenario_error(excinfo, SOURCE, key)


@pytest.mark.parametrize("element", ["0.5", True, 2.5], ids=["string", "bool", "fraction"])
def test_from_dict_rejects_list_element_of_wrong_type(element):
    key = "continuum.months_required"  # a list of integers
    value = list(default(key))
    value[1] = element
    with pytest.raises(ScenarioError) as excinfo:
        P.from_dict(nest(key, value), source=SOURCE)
    assert_scenario_error(excinfo, SOURCE, key)


@pytest.mark.parametrize("key", ["continuum.trust_required", "continuum.turf_required"])
def test_from_dict_rejects_decreasing_requirements(key):
    with pytest.raises(ScenarioError) as excinfo:
        P.from_dict(nest(key, decreasing_values(key)), source=SOURCE)
    message = assert_scenario_error(excinfo, SOURCE, key)
    assert "decrease" in message


def test_from_dict_rejects_min_members_above_count():
    count = COUNT_MIN + 1
    data = {"organizations": {"count": count}, "partnership": {"min_members": count + 1}}
    with pytest.raises(ScenarioError) as excinfo:
        P.from_dict(data, source=SOURCE)
    assert_scenario_error(excinfo, SOURCE, "partnership.min_members")


def test_from_dict_accepts_min_members_equal_to_count():
    count = COUNT_MIN + 1
    params = P.from_dict({"organizations": {"count": count}, "partnership": {"min_members": count}})
    assert params.partnership.min_members == params.organizations.count == count


@pytest.mark.parametrize("value", [[1], {"a": 1}], ids=["list", "table"])
def test_from_dict_rejects_unhashable_power_sharing(value):
    with pytest.raises(ScenarioError) as excinfo:
        P.from_dict(nest("governance.power_sharing", value), source=SOURCE)
    assert_scenario_error(excinfo, SOURCE, "governance.power_sharing")


def test_from_dict_rejects_huge_integer_for_float():
    with pytest.raises(ScenarioError) as excinfo:
        P.from_dict(nest("trust.gain", 10 ** 400), source=SOURCE)
    assert_scenario_error(excinfo, SOURCE, "trust.gain")


@pytest.mark.parametrize("data", [[], "x", None], ids=["list", "string", "none"])
def test_from_dict_rejects_non_table(data):
    with pytest.raises(ScenarioError) as excinfo:
        P.from_dict(data, source=SOURCE)
    assert_scenario_error(excinfo, SOURCE, None)


# --------------------------------------------------------------------------- from_dict: valid input

def test_defaults_round_trip():
    params = P.Params()
    assert P.from_dict(P.to_dict(params)) == params


def test_empty_dict_gives_defaults():
    assert P.from_dict({}) == P.Params()


@pytest.mark.parametrize("key, value", [("trust.gain", 0), ("trust.gain", 1), ("funding.monthly_amount", 1000),
                                        ("governance.deliberation_capacity", 7)])
def test_ints_accepted_for_floats(key, value):
    params = P.from_dict(nest(key, value))
    result = _get(params, key)
    assert isinstance(result, float)
    assert result == float(value)


def test_ints_accepted_in_float_lists():
    key = "continuum.trust_required"
    low = meta(key)["low"]
    params = P.from_dict(nest(key, [int(low)] * meta(key)["length"]))
    assert all(isinstance(x, float) for x in params.continuum.trust_required)
    assert params.continuum.trust_required == (float(low),) * meta(key)["length"]


@pytest.mark.parametrize("key", ["steps", "organizations.count", "trust.gain", "funding.expectation_ratio"])
def test_bounds_are_inclusive(key):
    m = meta(key)
    for value in (m["low"], m["high"]):
        data = nest(key, value)
        if key == "organizations.count":
            data["partnership"] = {"min_members": min(value, meta("partnership.min_members")["high"])}
            if value < meta("partnership.min_members")["low"]:
                continue
        assert _get(P.from_dict(data), key) == value


@pytest.mark.parametrize("preset", sorted(P.POWER_SHARING_PRESETS))
def test_power_sharing_preset_sets_share(preset):
    params = P.from_dict(nest("governance.power_sharing", preset))
    assert params.governance.power_sharing == preset
    assert_allclose(params.governance.community_decision_share, P.POWER_SHARING_PRESETS[preset])


@pytest.mark.parametrize("preset", sorted(P.POWER_SHARING_PRESETS))
def test_explicit_share_wins_over_preset(preset):
    share = other_share(P.POWER_SHARING_PRESETS[preset])
    params = P.from_dict({"governance": {"power_sharing": preset, "community_decision_share": share}})
    assert params.governance.power_sharing == "custom"
    assert_allclose(params.governance.community_decision_share, share)


@pytest.mark.parametrize("preset", sorted(P.POWER_SHARING_PRESETS))
def test_explicit_share_equal_to_preset_keeps_its_name(preset):
    share = P.POWER_SHARING_PRESETS[preset]
    params = P.from_dict({"governance": {"power_sharing": preset, "community_decision_share": share}})
    assert params.governance.power_sharing == preset
    assert_allclose(params.governance.community_decision_share, share)


def test_power_sharing_custom_keeps_share():
    share = other_share(-1.0)
    params = P.from_dict({"governance": {"power_sharing": "custom", "community_decision_share": share}})
    assert params.governance.power_sharing == "custom"
    assert_allclose(params.governance.community_decision_share, share)


def test_power_sharing_preset_share_still_validated():
    key = "governance.community_decision_share"
    with pytest.raises(ScenarioError) as excinfo:
        P.from_dict({"governance": {"power_sharing": "empowerment", "community_decision_share": above(key)}}, source=SOURCE)
    assert_scenario_error(excinfo, SOURCE, key)


def test_from_dict_does_not_mutate_input():
    data = {"governance": {"power_sharing": "empowerment"}}
    P.from_dict(data)
    assert data == {"governance": {"power_sharing": "empowerment"}}


# --------------------------------------------------------------------------- describe()

def test_describe_covers_every_leaf_with_a_doc():
    rows = list(P.describe())
    keys = [row[0] for row in rows]
    assert keys == leaf_keys()
    assert len(set(keys)) == len(keys)
    for key, value, allowed, _unit, doc, _source in rows:
        assert isinstance(doc, str) and doc.strip(), key
        assert isinstance(allowed, str) and allowed.strip(), key
        assert value == _get(P.Params(), key), key


def test_describe_allowed_names_choices():
    rows = {row[0]: row for row in P.describe()}
    for mode in P.GOVERNANCE_MODES:
        assert mode in rows["governance.mode"][2]
    for preset in P.POWER_SHARING_PRESETS:
        assert preset in rows["governance.power_sharing"][2]


# --------------------------------------------------------------------------- scenario files

@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_every_scenario_loads(path):
    by_name = load_scenario(path.stem)
    by_path = load_scenario(path)
    assert isinstance(by_name, P.Params)
    assert by_name == by_path
    assert by_name.description.strip()
    assert P.from_dict(P.to_dict(by_name)) == by_name


def test_scenario_names_match_directory():
    assert SCENARIO_FILES, "no scenarios found"
    assert scenario_names() == [p.stem for p in SCENARIO_FILES]
    assert sim.scenario_names() == scenario_names()


def test_every_scenario_is_listed_in_the_readme_and_the_odd():
    root = Path(__file__).resolve().parent.parent
    for document in ("README.md", "docs/ODD.md"):
        text = (root / document).read_text()
        missing = [name for name in scenario_names() if f"| `{name}` |" not in text]
        assert not missing, f"{document} lacks a row for {missing}"


def test_load_scenario_from_tmp_file(tmp_path):
    key = "funding.grant_months"
    value = meta(key)["low"] + 1
    path = write(tmp_path, f'description = "a test"\n[funding]\ngrant_months = {value}\n')
    params = load_scenario(path)
    assert params.funding.grant_months == value
    assert params.description == "a test"
    assert load_scenario(str(path)) == params


SCENARIO_TEXTS = [
    pytest.param('description = "x"\nnonsense = 1\n', "nonsense", id="unknown-key"),
    pytest.param('description = "x"\n[funding]\nnonsense = 1\n', "funding.nonsense", id="unknown-nested-key"),
    pytest.param('description = "x"\nfunding = 5\n', "funding", id="section-as-scalar"),
    pytest.param('description = "x"\n[organizations]\ncount = "many"\n', "organizations.count", id="string-for-int"),
    pytest.param('description = "x"\n[organizations]\ncount = 3.5\n', "organizations.count", id="float-for-int"),
    pytest.param('description = "x"\n[trust]\ngain = true\n', "trust.gain", id="bool-for-float"),
    pytest.param('description = "x"\n[trust]\ngain = nan\n', "trust.gain", id="nan-for-float"),
    pytest.param('description = "x"\n[funding]\nmandated = 1\n', "funding.mandated", id="number-for-bool"),
    pytest.param('description = "x"\n[governance]\nmode = 2\n', "governance.mode", id="number-for-str"),
    pytest.param('description = "x"\n[governance]\nmode = "dictator"\n', "governance.mode", id="unknown-mode"),
    pytest.param('description = "x"\n[governance]\npower_sharing = "anarchy"\n', "governance.power_sharing",
                 id="unknown-power-sharing"),
    pytest.param('description = "x"\n[continuum]\ntrust_required = [0.1, 0.2]\n', "continuum.trust_required",
                 id="list-wrong-length"),
    pytest.param('description = "x"\n[continuum]\ntrust_required = [0.1, 0.2, 7.0]\n', "continuum.trust_required",
                 id="list-element-out-of-range"),
    pytest.param('description = "x"\n[continuum]\ntrust_required = [0.7, 0.5, 0.3]\n', "continuum.trust_required",
                 id="decreasing-trust-required"),
    pytest.param('description = "x"\n[funding]\ngrant_months = 1979-05-27\n', "funding.grant_months", id="date-for-int"),
    pytest.param('description = "x"\nsteps = -1\n', "steps", id="out-of-range"),
]


@pytest.mark.parametrize("text, key", SCENARIO_TEXTS)
def test_load_scenario_rejects(tmp_path, text, key):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    assert_scenario_error(excinfo, str(path), key)


def test_load_scenario_rejects_all_zero_sector_mix(tmp_path):
    lines = "\n".join(f"{f.name} = 0" for f in dataclasses.fields(P.SectorMix))
    path = write(tmp_path, f'description = "x"\n[organizations.sector_mix]\n{lines}\n')
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    assert_scenario_error(excinfo, str(path), "organizations.sector_mix")


def test_load_scenario_rejects_min_members_above_count(tmp_path):
    count = COUNT_MIN + 1
    path = write(tmp_path, f'description = "x"\n[organizations]\ncount = {count}\n[partnership]\nmin_members = {count + 1}\n')
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    assert_scenario_error(excinfo, str(path), "partnership.min_members")


@pytest.mark.parametrize("text", ["steps = 10\n", 'description = ""\nsteps = 10\n', 'description = "   "\n',
                                  "description = 5\n", "[description]\nx = 1\n"],
                         ids=["missing", "empty", "blank", "number", "table"])
def test_load_scenario_requires_description(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    assert_scenario_error(excinfo, str(path), "description")


@pytest.mark.parametrize("text", ['description = "x"\nsteps = = 3\n', 'description = "unterminated\n',
                                  '[funding\ngrant_months = 3\n', 'description = "x"\ndescription = "y"\n'],
                         ids=["double-equals", "unterminated-string", "bad-table", "duplicate-key"])
def test_load_scenario_rejects_malformed_toml(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    message = assert_scenario_error(excinfo, str(path), None)
    assert "malformed TOML" in message


def test_load_scenario_rejects_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('description = "caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    assert_scenario_error(excinfo, str(path), None)


def test_error_for_key_with_carriage_return_is_one_line(tmp_path):
    path = write(tmp_path, 'description = "x"\n"bad\\rkey" = 1\n')
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    assert len(str(excinfo.value).splitlines()) == 1


def test_load_scenario_rejects_missing_file(tmp_path):
    path = tmp_path / "does_not_exist.toml"
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    assert_scenario_error(excinfo, str(path), None)


def test_load_scenario_rejects_missing_file_in_subdirectory(tmp_path):
    path = tmp_path / "sub" / "scenario"  # not .toml, but has a parent: read as a path
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    assert_scenario_error(excinfo, str(path), None)


def test_load_scenario_rejects_directory(tmp_path):
    path = tmp_path / "dir.toml"
    path.mkdir()
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    assert_scenario_error(excinfo, str(path), None)


def test_load_scenario_rejects_unknown_name():
    name = "no_such_scenario_" + "x" * 8
    assert name not in scenario_names()
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(name)
    message = assert_scenario_error(excinfo, name, None)
    for known in scenario_names():
        assert known in message


# --------------------------------------------------------------------------- --set parsing

@pytest.mark.parametrize("assignment", ["funding.grant_months", "=1", "  =1", "funding.grant_months=",
                                        "funding.grant_months=   ", "funding..grant_months=1", ".steps=1", "steps.=1",
                                        "", "="],
                         ids=["no-equals", "empty-key", "blank-key", "empty-value", "blank-value", "double-dot",
                              "leading-dot", "trailing-dot", "empty", "only-equals"])
def test_parse_set_rejects_malformed(assignment):
    with pytest.raises(ScenarioError) as excinfo:
        parse_set(assignment)
    assert_scenario_error(excinfo, OVERRIDE_SOURCE, assignment or None)


@pytest.mark.parametrize("assignment, expected", [
    ("funding.grant_months=24", ("funding.grant_months", 24)),
    (" funding.grant_months = 24 ", ("funding.grant_months", 24)),
    ("trust.gain=0.5", ("trust.gain", 0.5)),
    ("funding.mandated=true", ("funding.mandated", True)),
    ("governance.mode=backbone", ("governance.mode", "backbone")),
    ('governance.mode="lead_agency"', ("governance.mode", "lead_agency")),
    ("continuum.trust_required=[0.1, 0.2, 0.3]", ("continuum.trust_required", [0.1, 0.2, 0.3])),
    ('description="a=b"', ("description", "a=b")),
    ("description=two words", ("description", "two words")),
])
def test_parse_set_valid(assignment, expected):
    assert parse_set(assignment) == expected


# --------------------------------------------------------------------------- apply_overrides

@pytest.mark.parametrize("key", ["nonsense", "funding.nonsense", "funding.sector_mix", "nonsense.grant_months",
                                 "organizations.sector_mix.nonsense"])
def test_apply_overrides_rejects_unknown_key(key):
    with pytest.raises(ScenarioError) as excinfo:
        apply_overrides({}, {key: 1})
    message = assert_scenario_error(excinfo, OVERRIDE_SOURCE, key)
    assert "unknown key" in message


@pytest.mark.parametrize("key", ["funding", "organizations.sector_mix"])
def test_apply_overrides_rejects_section(key):
    with pytest.raises(ScenarioError) as excinfo:
        apply_overrides({}, {key: 1})
    message = assert_scenario_error(excinfo, OVERRIDE_SOURCE, key)
    assert "section" in message


@pytest.mark.parametrize("key", ["steps.x", "funding.grant_months.x", "description.text"])
def test_apply_overrides_rejects_key_through_a_value(key):
    with pytest.raises(ScenarioError) as excinfo:
        apply_overrides({}, {key: 1})
    message = assert_scenario_error(excinfo, OVERRIDE_SOURCE, key)
    assert "not a section" in message


def test_apply_overrides_sets_nested_values_without_mutating_input():
    data = {"funding": {"grant_months": 1}, "steps": 2}
    merged = apply_overrides(data, {"funding.grant_months": 5, "trust.gain": 0.5, "steps": 3})
    assert merged == {"funding": {"grant_months": 5}, "trust": {"gain": 0.5}, "steps": 3}
    assert data == {"funding": {"grant_months": 1}, "steps": 2}


def test_later_power_sharing_override_replaces_explicit_share():
    data = {"governance": {"community_decision_share": 0.3}}
    merged = apply_overrides(data, {"governance.power_sharing": "empowerment"})
    assert merged == {"governance": {"power_sharing": "empowerment"}}


def test_later_share_override_replaces_preset():
    data = {"governance": {"power_sharing": "empowerment"}}
    merged = apply_overrides(data, {"governance.community_decision_share": 0.3})
    assert merged == {"governance": {"community_decision_share": 0.3}}


# --------------------------------------------------------------------------- load_scenario / with_overrides

@pytest.mark.parametrize("preset", sorted(P.POWER_SHARING_PRESETS))
def test_set_power_sharing_replaces_explicit_share_in_file(tmp_path, preset):
    share = other_share(P.POWER_SHARING_PRESETS[preset])
    path = write(tmp_path, f'description = "x"\n[governance]\ncommunity_decision_share = {share}\n')
    assert_allclose(load_scenario(path).governance.community_decision_share, share)
    params = load_scenario(path, {"governance.power_sharing": preset})
    assert params.governance.power_sharing == preset
    assert_allclose(params.governance.community_decision_share, P.POWER_SHARING_PRESETS[preset])


@pytest.mark.parametrize("preset", sorted(P.POWER_SHARING_PRESETS))
def test_set_share_replaces_preset_in_file(tmp_path, preset):
    share = other_share(P.POWER_SHARING_PRESETS[preset])
    path = write(tmp_path, f'description = "x"\n[governance]\npower_sharing = "{preset}"\n')
    params = load_scenario(path, {"governance.community_decision_share": share})
    assert params.governance.power_sharing == "custom"
    assert_allclose(params.governance.community_decision_share, share)


def test_order_of_overrides_decides_between_preset_and_share():
    preset = sorted(P.POWER_SHARING_PRESETS)[0]
    share = other_share(P.POWER_SHARING_PRESETS[preset])
    share_last = with_overrides(P.Params(), {"governance.power_sharing": preset, "governance.community_decision_share": share})
    assert share_last.governance.power_sharing == "custom"
    assert_allclose(share_last.governance.community_decision_share, share)
    preset_last = with_overrides(P.Params(), {"governance.community_decision_share": share, "governance.power_sharing": preset})
    assert preset_last.governance.power_sharing == preset
    assert_allclose(preset_last.governance.community_decision_share, P.POWER_SHARING_PRESETS[preset])


def test_overrides_applied_on_top_of_file(tmp_path):
    path = write(tmp_path, 'description = "x"\n[funding]\ngrant_months = 12\n')
    params = load_scenario(path, {"funding.grant_months": 13, "trust.gain": 0})
    assert params.funding.grant_months == 13
    assert params.trust.gain == 0.0
    assert params.description == "x"


def test_file_errors_blamed_on_file_even_with_overrides(tmp_path):
    path = write(tmp_path, 'description = "x"\n[funding]\ngrant_months = -5\n')
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path, {"funding.grant_months": 12})
    assert_scenario_error(excinfo, str(path), "funding.grant_months")


OVERRIDE_ERRORS = [
    pytest.param({"funding.grant_months": "many"}, "funding.grant_months", id="string-for-int"),
    pytest.param({"funding.grant_months": 2.5}, "funding.grant_months", id="float-for-int"),
    pytest.param({"trust.gain": True}, "trust.gain", id="bool-for-float"),
    pytest.param({"funding.mandated": 1}, "funding.mandated", id="number-for-bool"),
    pytest.param({"governance.mode": 3}, "governance.mode", id="number-for-str"),
    pytest.param({"governance.mode": "dictator"}, "governance.mode", id="unknown-mode"),
    pytest.param({"governance.power_sharing": "anarchy"}, "governance.power_sharing", id="unknown-power-sharing"),
    pytest.param({"steps": 0.5}, "steps", id="fraction-steps"),
    pytest.param({"continuum.trust_required": [0.1]}, "continuum.trust_required", id="list-wrong-length"),
    pytest.param({"nonsense": 1}, "nonsense", id="unknown-key"),
    pytest.param({"funding": 1}, "funding", id="section"),
    pytest.param({"steps.x": 1}, "steps.x", id="through-a-value"),
]


@pytest.mark.parametrize("overrides, key", OVERRIDE_ERRORS)
def test_load_scenario_rejects_bad_override(overrides, key):
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(SCENARIO_FILES[0].stem, overrides)
    assert_scenario_error(excinfo, OVERRIDE_SOURCE, key)


@pytest.mark.parametrize("key", ["steps", "organizations.count", "trust.gain"])
@pytest.mark.parametrize("side", ["low", "high"])
def test_load_scenario_rejects_override_out_of_range(key, side):
    value = below(key) if side == "low" else above(key)
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(SCENARIO_FILES[0].stem, {key: value})
    assert_scenario_error(excinfo, OVERRIDE_SOURCE, key)


def test_override_that_breaks_consistency_is_rejected():
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(SCENARIO_FILES[0].stem, {"organizations.count": COUNT_MIN + 1, "partnership.min_members": COUNT_MIN + 2})
    assert_scenario_error(excinfo, OVERRIDE_SOURCE, "partnership.min_members")


# --------------------------------------------------------------------------- sim.run

@pytest.mark.parametrize("overrides, key", OVERRIDE_ERRORS)
def test_run_rejects_bad_override(overrides, key):
    with pytest.raises(ScenarioError) as excinfo:
        sim.run(SCENARIO_FILES[0].stem, overrides=overrides)
    assert_scenario_error(excinfo, OVERRIDE_SOURCE, key)


@pytest.mark.parametrize("overrides, key", OVERRIDE_ERRORS)
def test_run_with_params_rejects_bad_override(overrides, key):
    with pytest.raises(ScenarioError) as excinfo:
        sim.run(P.Params(), overrides=overrides)
    assert_scenario_error(excinfo, OVERRIDE_SOURCE, key)


@pytest.mark.parametrize("kwargs, key", [({"steps": 0}, "steps"), ({"seed": -1}, "seed"), ({"steps": 2.5}, "steps")])
def test_run_rejects_bad_seed_or_steps(kwargs, key):
    with pytest.raises(ScenarioError) as excinfo:
        sim.run(SCENARIO_FILES[0].stem, **kwargs)
    assert_scenario_error(excinfo, OVERRIDE_SOURCE, key)


def test_run_rejects_unknown_scenario():
    with pytest.raises(ScenarioError) as excinfo:
        sim.run("no_such_scenario_zzz", steps=1)
    assert_scenario_error(excinfo, "no_such_scenario_zzz", None)


def test_run_applies_overrides():
    count = COUNT_MIN + 2
    result = sim.run(SCENARIO_FILES[0].stem, seed=3, steps=4,
                     overrides={"organizations.count": count, "partnership.min_members": COUNT_MIN})
    assert result.params.organizations.count == count
    assert result.params.seed == 3
    assert result.params.steps == 4
    assert len(result.timeseries) == 5
    assert result.summary["seed"] == 3
    assert result.summary["params"]["organizations"]["count"] == count


@pytest.mark.parametrize("preset", sorted(P.POWER_SHARING_PRESETS))
def test_run_power_sharing_override_on_params(preset):
    base = P.from_dict({"governance": {"community_decision_share": other_share(P.POWER_SHARING_PRESETS[preset])}})
    result = sim.run(base, steps=1, overrides={"governance.power_sharing": preset})
    assert result.params.governance.power_sharing == preset
    assert_allclose(result.params.governance.community_decision_share, P.POWER_SHARING_PRESETS[preset])


@pytest.mark.parametrize("assignment, key", [
    ("nonsense=1", "nonsense"),
    ("funding.nonsense=1", "funding.nonsense"),
    ("funding=1", "funding"),
    ("steps.x=1", "steps.x"),
    ("organizations.count=many", "organizations.count"),
    ("organizations.count=3.5", "organizations.count"),
    ("trust.gain=true", "trust.gain"),
    ("funding.mandated=1", "funding.mandated"),
    ("governance.mode=dictator", "governance.mode"),
])
def test_command_line_override_end_to_end(assignment, key):
    with pytest.raises(ScenarioError) as excinfo:
        sim.run(SCENARIO_FILES[0].stem, overrides=dict([parse_set(assignment)]))
    assert_scenario_error(excinfo, OVERRIDE_SOURCE, key)
