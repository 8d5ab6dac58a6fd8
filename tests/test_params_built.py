"""Parameters cannot be built invalid: built directly (``Params(...)``, a section, ``dataclasses.replace``) they are
checked with the same ranges and messages as a scenario file; they hold tuples and are hashable."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from sim.errors import ScenarioError, ScenarioErrors
from sim.params import Continuum, Funding, Governance, Params, Partnership, describe, from_dict, to_dict
from sim.scenarios import apply_overrides


def _section_and_name(key: str):
    *path, name = key.split(".")
    section = Params()
    for part in path:
        section = getattr(section, part)
    return section, name


def _rebuild(key: str, value):
    """``Params()`` with ``key`` set to ``value`` by building the section that holds it (and those above it)."""
    parts = key.split(".")
    sections = [Params()]
    for part in parts[:-1]:
        sections.append(getattr(sections[-1], part))
    built = dataclasses.replace(sections[-1], **{parts[-1]: value})
    for section, part in zip(reversed(sections[:-1]), reversed(parts[:-1])):
        built = dataclasses.replace(section, **{part: built})
    return built


def _message_from_file(key: str, value) -> str:
    with pytest.raises(ScenarioError) as raised:
        from_dict(apply_overrides({}, {key: value}), source="Params")
    return str(raised.value)


BOUNDED = [(key, allowed) for key, default, allowed, *_ in describe() if " from " in allowed]


@pytest.mark.parametrize("key", [key for key, _ in BOUNDED])
def test_a_value_out_of_range_is_refused_with_the_loaders_message(key):
    section, name = _section_and_name(key)
    meta = next(f.metadata for f in dataclasses.fields(section) if f.name == name)
    default = getattr(section, name)
    beyond = meta["high"] * 2 + 1
    value = tuple(type(x)(beyond) for x in default) if isinstance(default, tuple) else type(default)(beyond)
    with pytest.raises(ScenarioError) as raised:
        _rebuild(key, value)
    assert str(raised.value) == _message_from_file(key, list(value) if isinstance(value, tuple) else value)
    assert str(raised.value).startswith(f"Params: {key}: ")


def test_the_issues_example_is_refused_naming_every_mistake():
    with pytest.raises(ScenarioErrors) as raised:
        Params(steps=0, funding=Funding(grant_months=-5, renewal_probability=7.0))
    assert str(raised.value).splitlines() == [
        "Params: funding.grant_months: -5 is out of range; allowed: an integer from 0 to 600",
        "Params: funding.renewal_probability: 7.0 is out of range; allowed: a number from 0.0 to 1.0",
    ]
    with pytest.raises(ScenarioError, match=r"^Params: steps: 0 is out of range; allowed: an integer from 1 to 6000$"):
        Params(steps=0)


@pytest.mark.parametrize("build, line", [
    (lambda: Funding(renewal="sometimes"),
     "Params: funding.renewal: unknown value 'sometimes'; allowed: none | lottery | results"),
    (lambda: Funding(mandated=1), "Params: funding.mandated: expected true or false, got 1; allowed: true | false"),
    (lambda: Funding(grant_months=36.0), "Params: funding.grant_months: expected an integer, got 36.0; allowed: an integer from 0 to 600"),
    (lambda: Funding(monthly_amount=float("nan")), "Params: funding.monthly_amount: expected a finite number, got nan; allowed: a number from 0.0 to 1000000000.0"),
    (lambda: Continuum(months_required=(6, 12)), "Params: continuum.months_required: expected a list of 3 numbers, got (6, 12); allowed: a list of 3 numbers, each 0 to 240"),
    (lambda: Params(funding=Governance()), "Params: funding: expected Funding, got Governance; allowed: a sim.params.Funding"),
    (lambda: dataclasses.replace(Params(), seed=-1), "Params: seed: -1 is out of range; allowed: an integer from 0 to 9223372036854775807"),
])
def test_wrong_types_and_choices_are_refused(build, line):
    with pytest.raises(ScenarioError) as raised:
        build()
    assert str(raised.value) == line


def test_parameters_that_disagree_are_refused_with_the_loaders_message():
    with pytest.raises(ScenarioError) as raised:
        Params(partnership=Partnership(min_members=20))
    assert str(raised.value) == _message_from_file("partnership.min_members", 20)
    with pytest.raises(ScenarioError) as raised:
        Params(continuum=Continuum(trust_required=(0.5, 0.4, 0.9)))
    assert str(raised.value) == _message_from_file("continuum.trust_required", [0.5, 0.4, 0.9])


def test_a_power_sharing_preset_must_agree_with_the_share():
    with pytest.raises(ScenarioError, match=r"governance.power_sharing: 'empowerment' sets community_decision_share to 0.5, not 0.25"):
        Params(governance=Governance(power_sharing="empowerment"))
    agreed = Params(governance=Governance(power_sharing="empowerment", community_decision_share=0.5))
    assert agreed == from_dict({"governance": {"power_sharing": "empowerment"}})


def test_lists_become_tuples_and_integers_numbers():
    continuum = Continuum(months_required=[3, 9, 18], time_cost=[1, 2, 3, 4])
    assert continuum.months_required == (3, 9, 18) and type(continuum.months_required) is tuple
    assert continuum.time_cost == (1.0, 2.0, 3.0, 4.0) and all(type(x) is float for x in continuum.time_cost)
    assert type(Funding(monthly_amount=5).monthly_amount) is float


def test_parameters_are_frozen_hashable_and_equal_by_value():
    params = Params()
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.steps = 3  # type: ignore[misc]
    same = from_dict(to_dict(params))
    assert same == params and hash(same) == hash(params)
    assert {params: "default"}[same] == "default"
    assert pickle.loads(pickle.dumps(params)) == params
    assert all(not isinstance(value, list) for value in dataclasses.astuple(params))


def test_built_and_loaded_parameters_are_the_same():
    built = Params(steps=60, funding=Funding(grant_months=24, renewal="results", renewal_probability=0.5))
    loaded = from_dict({"steps": 60, "funding": {"grant_months": 24, "renewal": "results", "renewal_probability": 0.5}})
    assert built == loaded
