"""Small data sets written into a test's folder: a roster, a survey, factor scores and a scenario naming them."""

from __future__ import annotations

from pathlib import Path

ROSTER = """\
id,name,sector,budget,community,capacity,desire
A,Tenants United,beneficiary,30000,,,
B,Youth Services,nonprofit,2000000,,0.6,0.8
C,Health Department,public_agency,20000000,,,
D,Block Club,grassroots,,,,
E,Corner Store,business,5000000,no,,
"""
# A and B disagree about their level (cooperative against coordinated) and rate each other at opposite ends of the
# scale; A rates C on one item only; C and E did not respond; nobody says anything about D and E.
SURVEY = """\
respondent,partner,level,reliability,mission,openness
A,B,cooperative,4,4,4
B,A,coordinated,1,1,1
A,C,integrated,3,,
B,C,,2,3,4
D,A,coordinated,,,
"""
FACTORS = """\
respondent,factor,score
m1,mutual_respect,5
m2,"Mutual respect, understanding and trust",4
m1,history,2
m1,flexibility,3
"""


def write_data(folder: Path, roster: str = ROSTER, survey: str | None = SURVEY, factors: str | None = None,
               scenario: str = "", data: str = "") -> Path:
    """Write the files into ``folder`` and a scenario ``coalition.toml`` whose ``[data]`` names them; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.csv").write_text(roster, encoding="utf-8")
    lines = ['organizations = "roster.csv"']
    if survey is not None:
        (folder / "ties.csv").write_text(survey, encoding="utf-8")
        lines.append('relationships = "ties.csv"')
    if factors is not None:
        (folder / "factors.csv").write_text(factors, encoding="utf-8")
        lines.append('factors = "factors.csv"')
    path = folder / "coalition.toml"
    path.write_text('description = "A test coalition."\nsteps = 36\n' + scenario + "\n[data]\n" + "\n".join(lines)
                    + "\n" + data, encoding="utf-8")
    return path
