"""Bad data (issue 14, item 4): every mistake is one line naming the file, the row and column (or key), what is
wrong and what is allowed; the command exits with status 2 and writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from datasets import FACTORS, ROSTER, SURVEY, write_data
from sim.cli import main

REPO_ROOT = Path(__file__).resolve().parent.parent


def tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def one_line(stderr: str, fragments) -> None:
    assert "Traceback" not in stderr
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("partnersim: error: "), stderr
    for fragment in fragments:
        assert fragment in stderr, (fragment, stderr)


def add(text: str, line: str) -> str:
    return text + line + "\n"


def bad(roster=ROSTER, survey=SURVEY, factors=None, scenario="", data="", files=None):
    return dict(roster=roster, survey=survey, factors=factors, scenario=scenario, data=data, files=files or {})


CASES = {
    # the roster
    "unknown sector": (bad(roster=add(ROSTER, "F,Mosque,faith,100000,,,")),
                       ["roster.csv: row 7, column sector: unknown sector 'faith'", "allowed: grassroots, nonprofit"]),
    "missing column": (bad(roster=ROSTER.replace(",sector,", ",kind,", 1)),
                       ["roster.csv: column sector: missing (the header has id, name, kind", "allowed: columns id, sector"]),
    "no budget or size column": (bad(roster="id,sector\nA,nonprofit\nB,nonprofit\nC,business\n"),
                                 ["roster.csv: column budget: missing (and no size column either)", "allowed: a budget"]),
    "non-numeric budget": (bad(roster=ROSTER.replace("30000", "lots")),
                           ["roster.csv: row 2, column budget: 'lots' is not a number", "allowed: dollars a year"]),
    "budget of thousands written with a comma": (bad(roster=ROSTER.replace("30000", '"30,000"')),
                                                 ["row 2, column budget: '30,000' is not a number"]),
    "zero budget": (bad(roster=ROSTER.replace("30000", "0")), ["row 2, column budget: 0 is out of range"]),
    "repeated id": (bad(roster=add(ROSTER, "B,Another,nonprofit,1000,,,")),
                    ["roster.csv: row 7, column id: 'B' repeats row 3", "allowed: a unique id"]),
    "blank id": (bad(roster=add(ROSTER, ",Nameless,nonprofit,1000,,,")), ["row 7, column id: blank"]),
    "capacity out of range": (bad(roster=ROSTER.replace(",0.6,", ",1.5,")),
                              ["roster.csv: row 3, column capacity: 1.5 is out of range", "allowed: a number from 0.01 to 1"]),
    "desire out of range": (bad(roster=ROSTER.replace(",0.8", ",-0.1")), ["row 3, column desire: -0.1 is out of range"]),
    "community neither yes nor no": (bad(roster=ROSTER.replace(",no,", ",maybe,")),
                                     ["row 6, column community: unknown value 'maybe'", "allowed: yes or no"]),
    "unknown size": (bad(roster="id,sector,size\nA,nonprofit,huge\nB,business,\nC,grassroots,\n"),
                     ["row 2, column size: unknown value 'huge'", "allowed: small, medium, large"]),
    "misspelt column": (bad(roster=ROSTER.replace("capacity", "capactiy")),
                        ["roster.csv: column capactiy: unknown (did you mean capacity?)"]),
    "empty roster": (bad(roster=""), ["roster.csv: empty", "allowed: a header row"]),
    "roster of blank lines": (bad(roster="\n\n  \n"), ["roster.csv: empty"]),
    "roster with only a header": (bad(roster="id,sector,budget\n"),
                                  ["roster.csv: no rows below the header", "allowed: one row per organization"]),
    "one organization": (bad(roster="id,sector,budget\nA,nonprofit,1000\n", survey=None),
                         ["roster.csv: 1 organization", "allowed: 2 to 1000 members for one partnership"]),
    "a row longer than the header": (bad(roster=add(ROSTER, "F,Extra,nonprofit,1000,,,,")),
                                     ["roster.csv: row 7: 8 cells, the header has 7"]),
    "semicolons": (bad(roster=ROSTER.replace(",", ";")), ["roster.csv: separated by semicolons", "allowed: comma-separated"]),
    "a column twice": (bad(roster=ROSTER.replace("desire", "budget")), ["roster.csv: column budget: appears twice"]),
    "member neither yes nor no": (bad(roster="id,member,sector,budget\nA,yes,nonprofit,1\nB,later,nonprofit,1\n"
                                             "C,,business,1\n"),
                                  ["roster.csv: row 3, column member: unknown value 'later'",
                                   "allowed: yes (at the table at the start) or no (a candidate it may invite)"]),
    "one member and candidates": (bad(roster="id,member,sector,budget\nA,no,nonprofit,1\nB,yes,nonprofit,1\n"
                                             "C,no,business,1\n", survey=None),
                                  ["roster.csv: 1 member (and 2 candidates)", "allowed: 2 to 1000 members"]),
    "no member at all": (bad(roster="id,member,sector,budget\nA,no,nonprofit,1\nB,n,nonprofit,1\n", survey=None),
                         ["roster.csv: 0 members (and 2 candidates)"]),
    # the relationships table
    "partner not in the roster": (bad(survey=add(SURVEY, "A,Z,none,2,2,2")),
                                  ["ties.csv: row 7, column partner: 'Z' is not in the roster",
                                   "allowed: an id from", "roster.csv (e.g. A, B, C)"]),
    "respondent not in the roster": (bad(survey=add(SURVEY, "Q,A,none,2,2,2")),
                                     ["ties.csv: row 7, column respondent: 'Q' is not in the roster"]),
    "rating outside the scale": (bad(survey=add(SURVEY, "D,B,none,5,3,3")),
                                 ["ties.csv: row 7, column reliability: 5 is out of range",
                                  "allowed: a number from 1 to 4 (the survey's scale), or blank"]),
    "rating of zero": (bad(survey=add(SURVEY, "D,B,none,0,3,3")), ["row 7, column reliability: 0 is out of range"]),
    "non-numeric rating": (bad(survey=add(SURVEY, "D,B,none,3,high,3")),
                           ["ties.csv: row 7, column mission: 'high' is not a number"]),
    "duplicated pair": (bad(survey=add(SURVEY, "A,B,none,2,2,2")),
                        ["ties.csv: row 7, column partner: 'A' about 'B' again (first in row 2)",
                         "allowed: one row per respondent and partner"]),
    "self-tie": (bad(survey=add(SURVEY, "C,C,none,2,2,2")),
                 ["ties.csv: row 7, column partner: the respondent itself ('C')", "allowed: another organization"]),
    "unknown level": (bad(survey=add(SURVEY, "D,B,partnered,3,3,3")),
                      ["ties.csv: row 7, column level: unknown value 'partnered'",
                       "allowed: none, cooperative, coordinated, integrated (lowest first)"]),
    "missing partner column": (bad(survey="respondent,level\nA,none\n"), ["ties.csv: column partner: missing"]),
    "unknown purpose": (bad(survey="respondent,partner,purpose\nA,B,coordinated\nB,C,everything\n"),
                        ["ties.csv: row 3, column purpose: unknown value 'everything'",
                         "allowed: none, cooperative, coordinated, integrated (lowest first), or blank"]),
    "purpose as a trust item": (bad(data='ratings = ["purpose"]\n'),
                                ["data.ratings: ['purpose'] repeats a name or uses one of respondent, partner, level, "
                                 "purpose, trust"]),
    "a trust item missing": (bad(survey="respondent,partner,reliability,mission\nA,B,3,3\n"),
                             ["ties.csv: column openness: missing (the table has reliability, mission)"]),
    "trust beside the items": (bad(survey="respondent,partner,trust,reliability,mission,openness\nA,B,0.5,3,3,3\n"),
                               ["ties.csv: column reliability: given beside a trust column"]),
    "trust outside 0 to 1": (bad(survey="respondent,partner,trust\nA,B,1.5\n"),
                             ["ties.csv: row 2, column trust: 1.5 is out of range", "allowed: a number from 0 to 1"]),
    "empty relationships": (bad(survey=""), ["ties.csv: empty"]),
    "relationships with only a header": (bad(survey="respondent,partner,level\n"), ["ties.csv: no rows below the header"]),
    # the factor sheet
    "unknown factor": (bad(factors=add(FACTORS, "m3,vibes,4")),
                       ["factors.csv: row 6, column factor: unknown factor 'vibes'", "allowed: one of history"]),
    "score outside 1 to 5": (bad(factors=add(FACTORS, "m3,history,7")),
                             ["factors.csv: row 6, column score: 7 is out of range", "allowed: a number from 1 to 5"]),
    "no score at all": (bad(factors="factor,score\nhistory,\n"), ["factors.csv: column score: every score is blank"]),
    # the sectors table
    "a category mapped to no sector": (
        bad(roster=ROSTER.replace("beneficiary", "Tenant union"), data='sectors = "sectors.csv"\n',
            files={"sectors.csv": "category,sector\nTenant union,residents\n"}),
        ["sectors.csv: row 2, column sector: unknown sector 'residents'", "allowed: grassroots"]),
    "a category the table does not have": (
        bad(roster=ROSTER.replace("beneficiary", "Tenant club"), data='sectors = "sectors.csv"\n',
            files={"sectors.csv": "category,sector\nTenant union,beneficiary\n"}),
        ["roster.csv: row 2, column sector: unknown sector 'Tenant club'", "or a category of", "sectors.csv"]),
    # the [data] table
    "unknown data key": (bad(data='roster = "roster.csv"\n'), ["coalition.toml: data.roster: unknown key", "allowed: "]),
    "a file that is not there": (bad(data='factors = "nowhere.csv"\n'),
                                 ["coalition.toml: data.factors: no such file", "nowhere.csv"]),
    "levels not a list": (bad(data='levels = "cooperative"\n'), ["data.levels: expected a list of 2 to 4 labels"]),
    "a scale upside down": (bad(data="rating_scale = [4, 1]\n"), ["data.rating_scale: expected [lowest, highest]"]),
    "a negative data seed": (bad(data="seed = -1\n"), ["data.seed: -1 is out of range"]),
    "non-UTF-8 roster": (bad(files={"roster.csv": b"id,sector,budget\nA,nonprofit,1\nB,caf\xe9,1\n"}),
                         ["roster.csv: not UTF-8 text (byte ", "allowed: a CSV file in UTF-8"]),
}


def build(folder: Path, case: dict) -> Path:
    scenario = write_data(folder, roster=case["roster"], survey=case["survey"], factors=case["factors"],
                          scenario=case["scenario"], data=case["data"])
    for name, content in case["files"].items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return scenario


@pytest.mark.parametrize("name", list(CASES))
def test_bad_data_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, name):
    case, fragments = CASES[name]
    scenario = build(tmp_path / "data", case)
    before = tree(tmp_path)
    out = tmp_path / "results" / "out"
    assert main(["run", str(scenario), "--out", str(out), "--export", str(tmp_path / "export")]) == 2
    captured = capsys.readouterr()
    one_line(captured.err, fragments)
    assert captured.out == ""
    assert tree(tmp_path) == before and not (tmp_path / "results").exists() and not (tmp_path / "export").exists()
    assert main(["validate", str(scenario)]) == 2
    one_line(capsys.readouterr().err, fragments)


def test_data_flags_and_exports_that_cannot_be(tmp_path, capsys):
    scenario = write_data(tmp_path / "data")
    region = REPO_ROOT / "examples" / "region" / "region.toml"
    whole = tmp_path / "whole"
    assert main(["run", "ctc_like", "--steps", "12", "--export", str(whole), "--out", str(tmp_path / "w")]) == 0
    (whole / "state.json").write_text("{not json", encoding="utf-8")
    damaged_ids = tmp_path / "ids"
    assert main(["run", "ctc_like", "--steps", "12", "--export", str(damaged_ids), "--out", str(tmp_path / "w")]) == 0
    state = json.loads((damaged_ids / "state.json").read_text())
    state["organizations"]["id"][0] = "orgXX"
    (damaged_ids / "state.json").write_text(json.dumps(state))
    capsys.readouterr()
    before = tree(tmp_path)
    for args, fragments in [
        (["--export-month", "50", "--export", str(tmp_path / "e")],
         ["--export-month: 50 is out of range", "allowed: a month from 0 (where the run starts) to 36"]),
        (["--export-month", "5"], ["--export-month: needs --export DIR"]),
        (["--data", str(tmp_path / "nowhere")], ["--data", "nowhere: no such folder", "allowed: a folder of data files"]),
        (["--data", str(tmp_path / "data" / "roster.csv")], ["--data", "roster.csv: a file, not a folder",
                                                            "allowed: a folder of data files: organizations.csv"]),
        (["--data", str(tmp_path / "data")], ["data: no data.toml and no organizations.csv"]),
        (["--data", str(whole)], ["state.json: not JSON", "allowed: the state.json partnersim wrote"]),
        (["--data", str(damaged_ids)], ["state.json: organizations.id: the organizations differ from the roster's"]),
        (["--set", "organizations.count=9"], ["--set: organizations.count: set by the data's roster"]),
    ]:
        assert main(["run", str(scenario), "--out", str(tmp_path / "out"), *args]) == 2, args
        one_line(capsys.readouterr().err, fragments)
    assert main(["run", str(region), "--out", str(tmp_path / "out"), "--export", str(tmp_path / "e")]) == 2
    one_line(capsys.readouterr().err, ["--export-month: a region cannot be exported"])
    assert tree(tmp_path) == before


def test_a_region_roster_with_candidates_and_an_export_roster_changed(tmp_path, capsys):
    region = write_data(tmp_path / "region", roster="id,member,sector,budget\n" + "".join(
        f"r{k},{'no' if k == 7 else ''},nonprofit,1000\n" for k in range(30)), survey=None,
                        scenario="[ecosystem]\norganizations = 100\n")
    assert main(["run", str(region), "--out", str(tmp_path / "out")]) == 2
    one_line(capsys.readouterr().err, ["roster.csv: row 9, column member: 'r7' is a candidate (no) in a region's roster",
                                       "allowed: yes or blank"])
    export = tmp_path / "export"
    assert main(["run", "ctc_like", "--steps", "6", "--export", str(export), "--out", str(tmp_path / "w")]) == 0
    capsys.readouterr()
    roster = (export / "organizations.csv").read_text(encoding="utf-8")
    for changed, fragment in [(roster.replace(",yes,", ",no,", 1), "column member: 15 members, the export's state.json "
                                                                   "says 16"),
                              ("\n".join(",".join(c for k, c in enumerate(line.split(",")) if k != 2)
                                         for line in roster.splitlines()) + "\n", "column member: missing")]:
        (export / "organizations.csv").write_text(changed, encoding="utf-8")
        before = tree(tmp_path)
        assert main(["run", "ctc_like", "--data", str(export), "--out", str(tmp_path / "out")]) == 2
        one_line(capsys.readouterr().err, ["organizations.csv: " + fragment, "allowed: the member column the export wrote"])
        assert tree(tmp_path) == before


def test_bad_data_in_a_fresh_process(tmp_path):
    scenario = write_data(tmp_path / "data", survey=add(SURVEY, "A,Z,none,2,2,2"))
    done = subprocess.run([sys.executable, "-m", "sim", "run", str(scenario), "--out", str(tmp_path / "out")],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stdout == ""
    one_line(done.stderr, ["ties.csv: row 7, column partner: 'Z' is not in the roster"])
    assert not (tmp_path / "out").exists()
