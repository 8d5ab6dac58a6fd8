"""Starting from data (issue 14): the formats, the mapping onto the model, the rules that fill the gaps, the raw
answers kept beside the model's values, the factor sheet's parameters, sweeps and regions from data, and the shipped
example coalition."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from datasets import FACTORS, ROSTER, SURVEY, write_data
from sim.cli import main
from sim.inputdata import start as start_data
from sim.inputdata.factors import FACTORS as FACTOR_LIST
from sim.inputdata.factors import MAPPINGS
from sim.inputdata.load import load
from sim.errors import ScenarioError
from sim.params import LEVELS, SECTORS
from sim.run import starting_data
from sim.state import NO_TIE, NOT_JOINED, State, allocate_sectors, draw_purposes, initial_state

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "examples" / "coalition" / "coalition.toml"


@dataclass
class Begun:
    state: State
    tables: dict


def begin(scenario: Path, seed: int | None = None, **overrides):
    """The scenario's parameters and its month 0 built from its data (what lies beyond the data drawn from a
    generator seeded ``seed``, default the scenario's), with the tables of answers."""
    params = sim.load_scenario(scenario, overrides or None)
    founding = start_data.build(starting_data(scenario), params)
    state = founding.state(params, np.random.default_rng(params.seed if seed is None else seed))
    return params, Begun(state, founding.tables(state))


def row(ids: str) -> dict:
    return {org_id: k for k, org_id in enumerate(ids)}


# --------------------------------------------------------------------------- the mapping

def test_levels_map_by_rank_not_by_name(tmp_path):
    """PARTNER's cooperative < coordinated < integrated: the second, third and fourth rank of the codebook, so
    'cooperative' is coordinating and 'coordinated' is cooperating, the reverse of what their names suggest."""
    survey = ("respondent,partner,level\nA,B,cooperative\nB,A,cooperative\nA,C,coordinated\nC,A,coordinated\n"
              "B,C,integrated\nC,B,integrated\nD,E,none\nE,D,none\n")
    _, begun = begin(write_data(tmp_path, survey=survey))
    level = begun.state.pairs.level
    i = row("ABCDE")
    assert LEVELS[level[i["A"], i["B"]]] == "coordinating"
    assert LEVELS[level[i["A"], i["C"]]] == "cooperating"
    assert LEVELS[level[i["B"], i["C"]]] == "collaborating"
    assert LEVELS[level[i["D"], i["E"]]] == "networking"


def test_a_codebook_of_its_own_maps_its_levels_by_rank(tmp_path):
    survey = "respondent,partner,level\nA,B,Close\nA,C,some\n"
    _, begun = begin(write_data(tmp_path, survey=survey, data='levels = ["none", "some", "close"]\n'))
    i = row("ABCDE")
    assert begun.state.pairs.level[i["A"], i["B"]] == 2 and begun.state.pairs.level[i["A"], i["C"]] == 1


def test_trust_stays_directed_and_rescales_the_survey_scale(tmp_path):
    params, begun = begin(write_data(tmp_path))
    trust = begun.state.pairs.trust
    i = row("ABCDE")
    assert trust[i["A"], i["B"]] == 1.0          # A rated B 4, 4, 4 on 1..4
    assert trust[i["B"], i["A"]] == 0.0          # B rated A 1, 1, 1
    assert trust[i["A"], i["C"]] == pytest.approx(2 / 3)   # one item answered: 3 on 1..4
    assert trust[i["B"], i["C"]] == pytest.approx(2 / 3)   # the mean of 2, 3, 4


def test_a_gap_takes_the_partners_answer_then_the_draw(tmp_path):
    params, begun = begin(write_data(tmp_path))
    trust, table = begun.state.pairs.trust, begun.tables["start_relationships.csv"]
    i = row("ABCDE")
    assert trust[i["C"], i["A"]] == trust[i["A"], i["C"]]   # C did not respond: A's answer about the pair
    assert trust[i["C"], i["B"]] == trust[i["B"], i["C"]]
    source = table.set_index(["respondent", "partner"])["trust_source"]
    assert source["C", "A"] == "partner's answer" and source["A", "B"] == "answered"
    assert source["D", "E"] == "drawn" and source["E", "D"] == "drawn"
    # the draw is the random start's, from the data's own generator: same seed, same trust
    rng = np.random.default_rng(1)
    rng.standard_normal(5), rng.random(5), rng.random(5)
    history = params.organizations.history_spread * float(rng.standard_normal())
    noise = rng.standard_normal((5, 5))
    expected = np.clip(params.organizations.initial_trust + history + params.organizations.trust_spread * noise, 0, 1)
    assert trust[i["D"], i["E"]] == expected[i["D"], i["E"]]


def test_a_pair_goes_as_far_as_its_more_reluctant_side(tmp_path):
    _, begun = begin(write_data(tmp_path))
    level, table = begun.state.pairs.level, begun.tables["start_relationships.csv"]
    i = row("ABCDE")
    assert level[i["A"], i["B"]] == level[i["B"], i["A"]] == 1   # cooperative (1) against coordinated (2): the lower
    assert level[i["A"], i["D"]] == level[i["D"], i["A"]] == 2   # only D answered: coordinated
    assert level[i["B"], i["C"]] == 0                             # B left the level blank, C did not respond
    source = table.set_index(["respondent", "partner"])["level_source"]
    assert source["A", "B"] == "both answered (the lower)" and source["A", "D"] == "partner's answer"
    assert (begun.state.pairs.level == begun.state.pairs.level.T).all()
    assert (np.diag(begun.state.pairs.level) == -1).all() and not begun.state.pairs.months_at_level.any()


def test_the_roster_sets_what_it_gives_and_the_rules_fill_the_rest(tmp_path):
    params, begun = begin(write_data(tmp_path))
    orgs, table = begun.state.orgs, begun.tables["start_organizations.csv"]
    i = row("ABCDE")
    assert [SECTORS[s] for s in orgs.sector[:5]] == ["beneficiary", "nonprofit", "public_agency", "grassroots", "business"]
    assert orgs.budget[i["A"]] == 30000.0 and table["budget_source"][i["D"]] == "drawn"
    assert orgs.capacity[i["B"]] == orgs.capacity_start[i["B"]] == 0.6 and orgs.desire[i["B"]] == 0.8
    assert orgs.desire[i["A"]] >= params.organizations.self_selection     # drawn above the least desire
    assert list(orgs.community[:5]) == [True, False, False, True, False]  # from the sector, E's 'no' as given
    assert list(table["sector_answer"]) == ["beneficiary", "nonprofit", "public_agency", "grassroots", "business",
                                            "", "", "", ""]                # then the pool, drawn by the run


def test_size_places_a_budget_at_its_sectors_decile(tmp_path):
    roster = "id,sector,size\nA,nonprofit,small\nB,nonprofit,medium\nC,nonprofit,large\n"
    params, begun = begin(write_data(tmp_path, roster=roster, survey=None), **{"partnership.min_members": 2})
    spread = params.organizations.size_spread
    assert list(begun.state.orgs.budget[:3]) == pytest.approx([2e6 * np.exp(-spread * 1.2815515655446004), 2e6,
                                                           2e6 * np.exp(spread * 1.2815515655446004)])


def test_a_roster_of_only_the_sectors_a_random_start_deals_is_that_random_start(tmp_path):
    """The fill rules are the random start's draws in its order: given nothing, the data reproduce its organizations
    (founding members and the pool's candidates), trust and levels bit for bit. Purposes come from the run's
    generator, not the data's, so they are the one thing that differs."""
    params = sim.load_scenario("baseline")
    count, pool = params.organizations.count, params.membership.pool
    mix = vars(params.organizations.sector_mix)
    sectors = np.concatenate((allocate_sectors(count, mix), allocate_sectors(pool, mix)))
    roster = "id,member,sector,budget\n" + "".join(f"o{k},{'yes' if k < count else 'no'},{SECTORS[s]},\n"
                                                   for k, s in enumerate(sectors))
    scenario = write_data(tmp_path, roster=roster, survey=None, data=f"seed = {params.seed}\n")
    from_params = sim.load_scenario(scenario)
    assert (from_params.organizations.count, from_params.membership.pool) == (count, pool)
    founding = start_data.build(starting_data(scenario), from_params)
    from_data = founding.state(from_params, np.random.default_rng(7))
    drawn = initial_state(params, np.random.default_rng(params.seed))
    for name in from_data.orgs._fields:
        assert np.array_equal(getattr(from_data.orgs, name), getattr(drawn.orgs, name)), name
    for name in ("trust", "level", "months_at_level"):
        assert np.array_equal(getattr(from_data.pairs, name), getattr(drawn.pairs, name)), name
    assert np.array_equal(from_data.pairs.purpose, draw_purposes(params, np.random.default_rng(7), count + pool))
    assert from_data.partnership == drawn.partnership


def test_the_start_is_the_same_whatever_the_runs_seed(tmp_path):
    """What the data describe is filled from the data's generator; only what lies beyond them (the pairs'
    purposes, a drawn pool) follows the run's seed."""
    scenario = write_data(tmp_path)
    first, second = sim.run(scenario, seed=3), sim.run(scenario, seed=4)
    assert first.timeseries.iloc[0].equals(second.timeseries.iloc[0])
    assert not first.timeseries.equals(second.timeseries)
    ours = [name for name in first.start_tables["start_relationships.csv"].columns if not name.startswith("purpose")]
    a, b = (result.start_tables["start_relationships.csv"] for result in (first, second))
    assert a[ours].equals(b[ours]) and not a["purpose"].equals(b["purpose"])
    data_rows = slice(0, 5)  # the roster's organizations; the four after them are the pool, drawn by the run
    a, b = (result.start_tables["start_organizations.csv"] for result in (first, second))
    assert len(a) == 5 + 4 and a.iloc[data_rows].equals(b.iloc[data_rows]) and not a.iloc[5:].equals(b.iloc[5:])
    assert list(a["id"][5:]) == ["pool1", "pool2", "pool3", "pool4"] and set(a["member"][5:]) == {"no"}


# --------------------------------------------------------------------------- members, candidates and purposes

CANDIDATES = ROSTER.replace("id,name,sector", "id,name,member,sector").replace(",Tenants United,", ",Tenants United,,")
CANDIDATES = (CANDIDATES.replace(",Youth Services,", ",Youth Services,no,").replace(",Health Department,", ",Health Department,yes,")
              .replace(",Block Club,", ",Block Club,,").replace(",Corner Store,", ",Corner Store,No,"))


def test_members_are_founders_at_the_table_and_candidates_are_the_pool(tmp_path):
    """B and E are candidates: they come after the members (the model counts its first organizations.count as
    founding members), are not at the table, have no level until they join, and are the whole pool."""
    params, begun = begin(write_data(tmp_path, roster=CANDIDATES))
    assert (params.organizations.count, params.membership.pool) == (3, 2)
    orgs, pairs, table = begun.state.orgs, begun.state.pairs, begun.tables["start_organizations.csv"]
    assert list(table["id"]) == ["A", "C", "D", "B", "E"] and list(table["member"]) == ["yes"] * 3 + ["no"] * 2
    assert list(orgs.active) == [True, True, True, False, False]
    assert list(orgs.joined_step) == [0, 0, 0, NOT_JOINED, NOT_JOINED]
    assert (pairs.level[3:, :] == NO_TIE).all() and (pairs.level[:, 3:] == NO_TIE).all()
    assert pairs.level[0, 1] == 3 and pairs.level[0, 2] == 2   # A-C integrated (A's answer), A-D coordinated (D's)
    assert pairs.trust[0, 3] == 1.0 and pairs.trust[3, 0] == 0.0   # A about B, B about A: answers kept for candidates
    relationships = begun.tables["start_relationships.csv"].set_index(["respondent", "partner"])
    assert relationships.loc[("A", "B"), "level_source"] == "with a candidate (no level until it joins)"
    assert relationships.loc[("A", "B"), "level_answer"] == "cooperative" and relationships.loc[("A", "B"), "level"] == ""
    with pytest.raises(ScenarioError, match="membership.pool: set by the data's roster"):
        sim.load_scenario(write_data(tmp_path, roster=CANDIDATES), {"membership.pool": 6})


def test_without_a_member_column_the_pool_is_drawn_by_the_run(tmp_path):
    scenario = write_data(tmp_path, scenario="[membership]\npool = 3\n")
    params = sim.load_scenario(scenario)
    assert (params.organizations.count, params.membership.pool) == (5, 3)
    assert sim.load_scenario(scenario, {"membership.pool": 0}).membership.pool == 0   # the scenario's to change
    _, first = begin(scenario, seed=1)
    _, second = begin(scenario, seed=2)
    assert first.state.count == 8 and not first.state.orgs.active[5:].any()
    assert np.array_equal(first.state.pairs.trust[:5, :5], second.state.pairs.trust[:5, :5])
    assert not np.array_equal(first.state.orgs.budget[5:], second.state.orgs.budget[5:])


def test_every_roster_member_is_at_the_table_under_gradual_inclusion(tmp_path):
    """Gradual inclusion seats a core of the founding members; a roster says who is at the table already."""
    params, begun = begin(write_data(tmp_path), **{"membership.inclusion": "gradual", "membership.core_size": 2})
    assert begun.state.orgs.active[:5].all() and (begun.state.orgs.joined_step[:5] == 0).all()
    assert (begun.state.pairs.level[:5, :5][~np.eye(5, dtype=bool)] >= 0).all()
    assert sim.run(write_data(tmp_path), steps=3, overrides={"membership.inclusion": "gradual"}).summary[
        "members_start"] == 5


def test_a_purpose_column_sets_purposes_by_rank_and_the_rest_are_drawn(tmp_path):
    survey = ("respondent,partner,level,purpose\nA,B,cooperative,integrated\nB,A,coordinated,coordinated\n"
              "A,C,,cooperative\nD,E,none,\n")
    params, begun = begin(write_data(tmp_path, survey=survey), seed=11, **{"membership.pool": 0})
    purpose, table = begun.state.pairs.purpose, begun.tables["start_relationships.csv"]
    i = row("ABCDE")
    assert purpose[i["A"], i["B"]] == purpose[i["B"], i["A"]] == 2    # both given: the lower (coordinated, rank 2)
    assert purpose[i["A"], i["C"]] == purpose[i["C"], i["A"]] == 1    # one side: cooperative is rank 1
    drawn = draw_purposes(params, np.random.default_rng(11), 5)        # the rest: the run's generator's draw
    assert purpose[i["D"], i["E"]] == drawn[i["D"], i["E"]] and purpose[i["B"], i["C"]] == drawn[i["B"], i["C"]]
    source = table.set_index(["respondent", "partner"])["purpose_source"]
    assert source["A", "B"] == "both given (the lower)" and source["C", "A"] == "partner's row"
    assert source["D", "E"] == "drawn (the run's generator)"


def test_the_data_size_the_partnership_and_an_override_of_the_size_is_refused(tmp_path):
    scenario = write_data(tmp_path, scenario="[organizations]\ncount = 12\n")
    assert sim.load_scenario(scenario).organizations.count == 5
    with pytest.raises(ScenarioError, match="organizations.count: set by the data's roster"):
        sim.load_scenario(scenario, {"organizations.count": 7})


# --------------------------------------------------------------------------- the factor sheet

def test_factor_scores_set_their_parameters_by_the_stated_rules(tmp_path):
    base = sim.load_scenario(write_data(tmp_path / "plain"))
    params = sim.load_scenario(write_data(tmp_path / "scored", factors=FACTORS))
    assert params.governance.mutual_respect == (4.5 - 1) / 4         # the mean of 5 and 4 (both wordings)
    assert params.organizations.initial_trust == pytest.approx(
        base.organizations.initial_trust + base.organizations.history_spread * (2 - 3))
    assert params.organizations.history_spread == 0.0
    assert params.continuum == base.continuum and params.collective_impact == base.collective_impact  # not scored


def test_the_factor_sheet_replaces_the_files_value_and_an_override_replaces_both(tmp_path):
    scenario = write_data(tmp_path, factors=FACTORS, scenario="[governance]\nmutual_respect = 0.1\n")
    assert sim.load_scenario(scenario).governance.mutual_respect == 0.875
    assert sim.load_scenario(scenario, {"governance.mutual_respect": 0.2}).governance.mutual_respect == 0.2


def test_every_mapping_names_a_factor_and_a_parameter_and_gives_values_in_range():
    keys = {key for _, key, _ in FACTOR_LIST}
    described = {key for key, *_ in sim.params.describe()}
    base = sim.load_scenario("baseline")
    for mapping in MAPPINGS:
        assert mapping.factor in keys and mapping.parameter in described and mapping.basis
        for score in (1.0, 3.0, 5.0):
            value = mapping.rule(score, base)
            sim.load_scenario("baseline", {mapping.parameter: value})   # within the parameter's range


def test_the_factor_table_is_written_beside_the_run(tmp_path):
    result = sim.run(write_data(tmp_path, factors=FACTORS), steps=3)
    table = result.start_tables["start_factors.csv"]
    respect = table[table["factor"] == "mutual_respect"].iloc[0]
    assert respect["answers"] == 2 and respect["score"] == 4.5 and respect["parameter"] == "governance.mutual_respect"
    assert table[table["factor"] == "flexibility"].iloc[0]["rule"] == "sets no parameter"


# --------------------------------------------------------------------------- the command line and the files written

def test_the_example_coalition_runs_from_its_files(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(EXAMPLE), "--steps", "12", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "started from data: 14 members and 2 candidates" in printed
    for name in ("timeseries.csv", "summary.json", "start_organizations.csv", "start_relationships.csv",
                 "start_factors.csv"):
        assert (out / name).is_file(), name
    pairs = pd.read_csv(out / "start_relationships.csv")
    assert len(pairs) == 16 * 15
    # the raw answers beside the model's values: a PARTNER 'cooperative' answer is a coordinating pair or lower
    answered = pairs[(pairs["level_answer"] == "cooperative") & (pairs["level_source"] != "with a candidate (no level "
                                                                                          "until it joins)")]
    assert set(answered["level"]) <= {"networking", "coordinating"} and "coordinating" in set(answered["level"])
    assert pairs["level"][pairs["partner"] == "EYC15"].isna().all()   # a candidate has no level until it joins
    assert {"reliability_answer", "mission_answer", "openness_answer", "trust", "trust_source"} <= set(pairs.columns)
    assert main(["validate", str(EXAMPLE)]) == 0
    assert "14 organizations and 2 candidates from" in capsys.readouterr().out


def test_the_example_files_are_what_the_script_writes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_example", REPO_ROOT / "scripts" / "make_example_coalition.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for name, text in script.example_files().items():
        assert (REPO_ROOT / "examples" / name).read_text(encoding="utf-8") == text, name


def test_a_run_from_data_writes_the_same_bytes_twice(tmp_path, capsys):
    scenario = write_data(tmp_path / "data", factors=FACTORS)
    for out in ("a", "b"):
        assert main(["run", str(scenario), "--out", str(tmp_path / out)]) == 0
    capsys.readouterr()
    for name in ("timeseries.csv", "summary.json", "start_organizations.csv", "start_relationships.csv",
                 "start_factors.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_data_folder_replaces_the_scenarios_data_and_needs_no_data_toml(tmp_path, capsys):
    folder = tmp_path / "survey"
    folder.mkdir()
    (folder / "organizations.csv").write_text(ROSTER, encoding="utf-8")
    (folder / "relationships.csv").write_text(SURVEY, encoding="utf-8")
    assert main(["run", "baseline", "--data", str(folder), "--steps", "6", "--out", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["members_start"] == 5 and summary["params"]["organizations"]["count"] == 5
    capsys.readouterr()


# --------------------------------------------------------------------------- regions

def test_a_region_starts_from_a_roster_and_who_knows_whom(tmp_path):
    roster = "id,sector,budget\n" + "".join(f"r{k},{SECTORS[k % 5]},\n" for k in range(40))
    survey = "respondent,partner,trust\nr0,r1,0.9\nr1,r0,\nr2,r3,0.2\nr3,r2,0.7\nr5,r4,\n"
    survey += "".join(f"r{k},r{m},0.8\n" for k in range(10, 20) for m in range(10, 20) if k != m)  # a close group
    scenario = write_data(tmp_path, roster=roster, survey=survey,
                          scenario="[organizations]\ncount = 4\n[ecosystem]\norganizations = 2000\ncalls = 1\n"
                                   "grants_per_call = 2\ninvite_trust = 0.0\n")
    params = sim.load_scenario(scenario)
    assert params.ecosystem.organizations == 40
    from sim.inputdata.region import build
    from sim.region.model import EcosystemModel

    start, tables, _ = build(starting_data(scenario), params)
    model = EcosystemModel(params, rng=params.seed, start=start)
    known, trust = model.ties.lookup(np.array([0, 1, 2, 3, 4, 0]), np.array([1, 0, 3, 2, 5, 2]))
    assert list(known) == [True, True, True, True, True, False]
    assert trust[0] == 0.9 and trust[1] == 0.9 and trust[2] == 0.2 and trust[3] == 0.7   # r1 said nothing: r0's
    assert model.initial_acquainted_pairs == 3 + 45
    assert set(tables["start_ties.csv"]["trust_source"]) == {"answered", "partner's answer", "drawn"}
    result = sim.run(scenario, steps=12)
    assert result.summary["organizations"] == 40 and result.summary["partnerships_formed"] >= 1


def test_the_example_region_runs(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(REPO_ROOT / "examples" / "region" / "region.toml"), "--steps", "14", "--out", str(out)]) == 0
    assert "a region of 400 organizations" in capsys.readouterr().out
    assert (out / "start_ties.csv").is_file() and (out / "partnerships.csv").is_file()


def test_load_reads_each_file_once_while_it_is_unchanged(tmp_path):
    scenario = write_data(tmp_path)
    first = starting_data(scenario)
    assert starting_data(scenario) is first
    (tmp_path / "ties.csv").write_text(SURVEY + "E,A,none,2,2,2\n", encoding="utf-8")
    again = starting_data(scenario)
    assert again is not first and again.relationships.rows == first.relationships.rows + 1
    assert load(again.spec) is again


def test_the_data_documentation_names_every_factor_mapping_and_file():
    text = (REPO_ROOT / "docs" / "DATA.md").read_text(encoding="utf-8")
    for _, key, label in FACTOR_LIST:
        assert f"`{key}`: {label}" in text, key
    for mapping in MAPPINGS:
        assert f"| `{mapping.factor}` | `{mapping.parameter}` |" in text, mapping.parameter
    from sim.inputdata.continuation import ORG_FIELDS

    for name in ORG_FIELDS:
        assert f"`{name}`" in text, name
    odd = (REPO_ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert "### From data" in odd and "docs/DATA.md" in odd.split("## 6. Input data")[1].split("## 7.")[0]
