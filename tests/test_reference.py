"""``partnersim params [SECTION]``: every parameter with its default, range, unit, meaning and source, as TOML."""

from __future__ import annotations

import tomllib

import pytest

from sim.cli import main
from sim.params import Params, describe, from_dict, to_dict
from sim.reference import TOP_LEVEL, listing, sections


def test_the_listing_is_a_scenario_file_of_the_defaults(capsys):
    assert main(["params"]) == 0
    text = capsys.readouterr().out
    assert tomllib.loads(text) == to_dict(Params())
    assert from_dict({**tomllib.loads(text), "description": "defaults"}) == from_dict({"description": "defaults"})


def test_every_parameter_is_listed_with_its_meaning_range_unit_and_source():
    text = listing()
    for key, _, allowed, unit, doc, source in describe():
        name = key.rpartition(".")[2]
        entry = next(i for i, line in enumerate(text.splitlines()) if line.startswith(f"{name} = ")
                     and key.rpartition(".")[0] in _table_of(text, i))
        comment = text.splitlines()[entry - 2: entry]
        assert comment[0] == f"# {doc}"
        assert f"allowed: {allowed}" in comment[1]
        assert (f"unit: {unit}" in comment[1]) == bool(unit)
        assert (f"source: {source}" in comment[1]) == bool(source)


def _table_of(text: str, line_number: int) -> str:
    """The table a line belongs to ("" at the top)."""
    for line in reversed(text.splitlines()[:line_number]):
        if line.startswith("["):
            return line.strip("[]")
    return ""


@pytest.mark.parametrize("section", [TOP_LEVEL, *sections()])
def test_a_section_lists_its_own_parameters(section, capsys):
    assert main(["params", section]) == 0
    data = tomllib.loads(capsys.readouterr().out)
    expected = to_dict(Params())
    if section == TOP_LEVEL:
        assert data == {k: v for k, v in expected.items() if not isinstance(v, dict)}
        return
    for part in section.split("."):
        expected, data = expected[part], data[part]
    assert data == expected


def test_a_bad_section_is_one_line_listing_the_sections(capsys):
    assert main(["params", "fundng"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("partnersim: error: params: fundng: no such section (did you mean funding?); allowed: top | ")
    assert all(name in err for name in sections())
