"""The collaboration-factors score sheet (the Wilder Collaboration Factors Inventory) and the parameters it sets.

Members score each factor from 1 (strongly disagree) to 5 (strongly agree); a factor's score is the mean of its
answers. The sheet is long: one row per answer, columns ``factor`` (a key below, or the inventory's own wording)
and ``score``, optionally ``respondent``; a sheet of factor averages (one row per factor) is the same format.

:data:`MAPPINGS` states which factors set which parameter, by what rule and on what basis. No source gives
numbers for any of them: every rule is an assumption, chosen so that the inventory's midpoint (3) or its lowest
score (1) gives the model's own default, and said so in docs/DATA.md. Factors without a mapping are read,
checked and reported, and set nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from sim.inputdata.table import read_table
from sim.errors import ScenarioError
from sim.params import Params

SCALE = (1.0, 5.0)
MIDPOINT = 3.0

# The inventory's factors by category: (key, the inventory's wording). The first twenty are the second edition's
# (Mattessich, Murray-Close & Monsey 2001); evaluation and engaged_stakeholders are those the third edition
# (Mattessich & Johnson 2018) adds, making 22.
FACTORS = (
    ("environment", "history", "History of collaboration or cooperation in the community"),
    ("environment", "legitimate_leader", "Collaborative group seen as a legitimate leader in the community"),
    ("environment", "political_climate", "Favorable political and social climate"),
    ("membership", "mutual_respect", "Mutual respect, understanding, and trust"),
    ("membership", "cross_section", "Appropriate cross section of members"),
    ("membership", "self_interest", "Members see collaboration as in their self-interest"),
    ("membership", "compromise", "Ability to compromise"),
    ("process", "shared_stake", "Members share a stake in both process and outcome"),
    ("process", "layers_of_participation", "Multiple layers of participation"),
    ("process", "flexibility", "Flexibility"),
    ("process", "clear_roles", "Development of clear roles and policy guidelines"),
    ("process", "adaptability", "Adaptability"),
    ("process", "appropriate_pace", "Appropriate pace of development"),
    ("process", "evaluation", "Evaluation and continuous learning"),
    ("communication", "open_communication", "Open and frequent communication"),
    ("communication", "informal_relationships", "Established informal relationships and communication links"),
    ("purpose", "concrete_goals", "Concrete, attainable goals and objectives"),
    ("purpose", "shared_vision", "Shared vision"),
    ("purpose", "unique_purpose", "Unique purpose"),
    ("resources", "sufficient_resources", "Sufficient funds, staff, materials, and time"),
    ("resources", "skilled_leadership", "Skilled leadership"),
    ("resources", "engaged_stakeholders", "Engaged stakeholders"),
)
KEYS = tuple(key for _, key, _ in FACTORS)
LABELS = {key: label for _, key, label in FACTORS}


def _share(score: float) -> float:
    """1 -> 0, 5 -> 1, linear: for parameters whose default 0 means 'none of it', the inventory's lowest score."""
    return (score - SCALE[0]) / (SCALE[1] - SCALE[0])


@dataclass(frozen=True)
class Mapping:
    """A factor's score sets ``parameter`` to ``rule(score, scenario)``; ``rule_text`` and ``basis`` say how and why."""

    factor: str
    parameter: str
    rule: Callable[[float, Params], float]
    rule_text: str
    basis: str


MAPPINGS = (
    Mapping("history", "organizations.initial_trust",
            lambda s, p: float(np.clip(p.organizations.initial_trust + p.organizations.history_spread * (s - MIDPOINT),
                                       0.0, 1.0)),
            "initial_trust + history_spread x (score - 3), within 0..1",
            "assumption: the score replaces the draw of the community's history (ODD 5, step 8), the inventory's "
            "1..5 spanning two standard deviations of history_spread either side of the scenario's mean"),
    Mapping("history", "organizations.history_spread", lambda s, p: 0.0, "0",
            "the history is known, so no longer drawn"),
    Mapping("mutual_respect", "governance.mutual_respect", lambda s, p: _share(s), "(score - 1) / 4",
            "assumption: the parameter is this factor's respect (Himmelman n.d.); 1 (none) is the model's default 0"),
    Mapping("self_interest", "organizations.self_selection", lambda s, p: _share(s), "(score - 1) / 4",
            "assumption: members who see collaboration in their own interest want to partner (least desire); "
            "3 gives the default 0.5"),
    Mapping("appropriate_pace", "continuum.climb_rate",
            lambda s, p: float(min(p.continuum.climb_rate * s / MIDPOINT, 1.0)), "climb_rate x score / 3, at most 1",
            "assumption: a pace members find right lets ready pairs step up sooner; 3 keeps the scenario's rate"),
    Mapping("open_communication", "collective_impact.continuous_communication", lambda s, p: _share(s),
            "(score - 1) / 4",
            "assumption: the parameter is more frequent exchange between partners (Schmitz 2014); 1 is the default 0"),
    Mapping("shared_vision", "collective_impact.common_agenda", lambda s, p: _share(s), "(score - 1) / 4",
            "assumption: the parameter is a shared vision (Schmitz 2014); 1 is the default 0"),
)
MAPPED = tuple(dict.fromkeys(m.factor for m in MAPPINGS))
PARAMETERS = tuple(m.parameter for m in MAPPINGS)
HINT = "columns factor and score (1 to 5); optional: respondent (docs/DATA.md)"


def factor_key(text: str) -> str:
    """How a factor is matched: its key, or the inventory's wording without case or punctuation."""
    return "_".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


_BY_NAME = {**{key: key for key in KEYS}, **{factor_key(label): key for key, label in LABELS.items()}}


@dataclass(frozen=True)
class FactorScores:
    """Each factor answered: the mean score and how many answers it rests on (in the inventory's order)."""

    source: str
    scores: dict    # key -> mean score
    answers: dict   # key -> number of answers

    def parameters(self, scenario: Params) -> dict:
        """The parameters the scores set (dotted key -> value), given the scenario's own values."""
        return {m.parameter: m.rule(self.scores[m.factor], scenario) for m in MAPPINGS if m.factor in self.scores}

    def report(self, run: Params) -> list[dict]:
        """One row per factor answered and per parameter it sets: the score beside the rule and the value the run
        used (``run``'s: the rule's, unless an override of the parameter replaced it)."""
        rows = []
        for key in KEYS:
            if key not in self.scores:
                continue
            mappings = [m for m in MAPPINGS if m.factor == key] or [None]
            for m in mappings:
                rows.append({"factor": key, "wording": LABELS[key], "answers": self.answers[key],
                             "score": self.scores[key], "parameter": m.parameter if m else "",
                             "value": _value(run, m.parameter) if m else None,
                             "rule": m.rule_text if m else "sets no parameter", "basis": m.basis if m else ""})
        return rows


def _value(params: Params, dotted: str) -> float:
    section, name = dotted.split(".")
    return getattr(getattr(params, section), name)


def read_factors(path: str | Path) -> FactorScores:
    table = read_table(path, "one row per answer (factor, score)", ("factor", "score"), ("factor", "score", "respondent"),
                       HINT)
    names = table.required_cells("factor", "a factor of the inventory (docs/DATA.md), e.g. " + ", ".join(KEYS[:3]))
    scores = table.numbers("score", *SCALE, "a number from 1 to 5 (the inventory's scale), or blank")
    keys = []
    for index, name in enumerate(names):
        key = _BY_NAME.get(factor_key(name))
        if key is None:
            raise table.error(index, "factor", f"unknown factor {name!r}", "one of " + ", ".join(KEYS))
        keys.append(key)
    totals: dict = {}
    for key, score in zip(keys, scores):
        if not np.isnan(score):
            total, count = totals.get(key, (0.0, 0))
            totals[key] = (total + float(score), count + 1)
    if not totals:
        raise ScenarioError(table.source, "column score", "every score is blank", "at least one score from 1 to 5")
    ordered = [key for key in KEYS if key in totals]
    return FactorScores(source=table.source, scores={k: totals[k][0] / totals[k][1] for k in ordered},
                        answers={k: totals[k][1] for k in ordered})
