"""Plain-language captions of a run, computed from its state and time series.

Nothing here is written in advance: every sentence is assembled from what the
model's state and record say at the month being described. A
:class:`Chronicle` follows one :class:`sim.model.PartnershipModel` month by
month and remembers when each organization left (the state itself only says
who is still a member); :func:`read_story` collects the facts; :func:`caption`
turns them into a few sentences, optionally comparing with a second run built
from the same organizations (the other side of the classroom page).

    chronicle = Chronicle(model)
    while model.running:
        model.step()
        chronicle.update()
    print(chronicle.caption())
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.params import LEVELS, POWER_SHARING_PRESETS, Params
from sim.state import State

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
# Plain names of the continuum levels, for sentences ("most pairs are coordinating").
LEVEL_WORDS = {"networking": "networking", "coordinating": "coordinating", "cooperating": "cooperating",
               "collaborating": "collaborating"}
PRESET_NAMES = {share: name for name, share in POWER_SHARING_PRESETS.items()}


def number(n: int) -> str:
    """``3 -> 'three'``; numbers above twelve stay as digits."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def counted(n: int, singular: str, plural: str | None = None) -> str:
    return f"{number(n)} {singular if n == 1 else (plural or singular + 's')}"


def percent(share: float) -> str:
    return f"{round(100 * share):d}%"


def side_name(share: float) -> str:
    """``0.1 -> 'betterment'``, ``0.5 -> 'empowerment'``, else ``'community decides 30%'``."""
    preset = PRESET_NAMES.get(round(float(share), 6))
    return preset if preset else f"community decides {percent(share)}"


def side_title(share: float) -> str:
    """A heading for one side: ``'Betterment: the community decides 10%'``."""
    preset = PRESET_NAMES.get(round(float(share), 6))
    if preset:
        return f"{preset.capitalize()}: the community decides {percent(share)}"
    return f"The community decides {percent(share)}"


def side_heading(share: float, effective: float) -> str:
    """``'Betterment: community formal say 10% · effective power 6%'``: the formal share of decision authority and
    the community's effective power (its share of authority × capacity), both the model's numbers."""
    name = side_name(share)
    label = name.capitalize() if name in ("betterment", "empowerment") else "Custom"
    return f"{label}: community formal say {percent(share)} · effective power {percent(effective)}"


# --------------------------------------------------------------------------- facts

@dataclass(frozen=True)
class Departure:
    index: int
    month: int
    community: bool


@dataclass(frozen=True)
class Story:
    """The facts a caption is made of, all read from state and record at ``month``."""

    month: int
    steps: int
    members_at_start: int
    members_now: int
    phase: str                      # current phase, or "collapsed"
    collapse_month: int | None
    collapse_cause: str | None
    scale_month: int | None
    grant_months: int
    funded: bool
    grant_end: int | None           # month the money stopped (None while it flows)
    grant_runs_until: int | None    # while funded: the month the current grant runs out
    renewals: int
    renewal_possible: bool
    walked_away: tuple[Departure, ...]   # left on their own before any collapse
    left_at_collapse: int           # members still there when it collapsed
    most_pairs_level: str | None    # the level more remaining pairs are at than any other (None: no ties left)
    pairs_at_most: int              # how many pairs are at that level
    pairs_tied: int                 # pairs with a tie at all
    highest_level: str | None       # the highest level any pair reached so far
    power_share: float              # the community's share of decision power now
    outcome: float                  # community outcome now, 0..1
    peak_outcome: float


def read_story(params: Params, state: State, frame: pd.DataFrame, left_month: np.ndarray | None = None) -> Story:
    """The facts of a run at the last row of ``frame`` (its time series so far).

    ``left_month[i]`` is the month organization ``i`` stopped being a member
    (``-1`` while it is one, and for a candidate that never joined); without it
    the months are unknown and every departure is counted at the current month.
    """
    orgs, pairs, pship = state.orgs, state.pairs, state.partnership
    month = int(frame["step"].iloc[-1])
    count = state.count
    if left_month is None:
        left_month = np.where(orgs.active | (orgs.joined_step < 0), -1, month)
    collapse = pship.collapse_step if pship.collapse_step is not None and pship.collapse_step <= month else None
    walked = tuple(Departure(int(i), int(left_month[i]), bool(orgs.community[i]))
                   for i in np.flatnonzero(left_month >= 0)
                   if collapse is None or left_month[i] < collapse)
    walked = tuple(sorted(walked, key=lambda d: (d.month, d.index)))
    left_at_collapse = int(np.sum(left_month == collapse)) if collapse is not None else 0

    upper = np.triu(np.ones((count, count), dtype=bool), k=1)
    levels = pairs.level[upper]
    levels = levels[levels >= 0]
    counts = np.bincount(levels, minlength=len(LEVELS))
    most = LEVELS[int(counts.argmax())] if levels.size else None
    reached = [name for name in LEVELS if (frame[f"n_{name}"] > 0).any()]

    grant_end = pship.funding_end_step if pship.funding_end_step is not None and pship.funding_end_step <= month else None
    funded = bool(pship.funded) and grant_end is None
    runs_until = month + (params.funding.grant_months - pship.grant_month) if funded else None
    phase = "collapsed" if collapse is not None else str(frame["phase"].iloc[-1])
    scale = pship.scale_step if pship.scale_step is not None and pship.scale_step <= month else None
    return Story(
        month=month,
        steps=params.steps,
        members_at_start=int(np.count_nonzero(orgs.joined_step == 0)),
        members_now=int(orgs.active.sum()),
        phase=phase,
        collapse_month=collapse,
        collapse_cause=pship.collapse_cause if collapse is not None else None,
        scale_month=scale,
        grant_months=params.funding.grant_months,
        funded=funded,
        grant_end=grant_end,
        grant_runs_until=runs_until,
        renewals=max(int(pship.grants_received) - 1, 0),
        renewal_possible=params.funding.renewal_probability > 0,
        walked_away=walked,
        left_at_collapse=left_at_collapse,
        most_pairs_level=most,
        pairs_at_most=int(counts.max()) if levels.size else 0,
        pairs_tied=int(levels.size),
        highest_level=reached[-1] if reached else None,
        power_share=float(frame["community_power_share"].iloc[-1]),
        outcome=float(frame["community_outcome"].iloc[-1]),
        peak_outcome=float(frame["community_outcome"].max()),
    )


class Chronicle:
    """Follows one model month by month and remembers when each organization left.

    Call :meth:`update` after every ``model.step()``; a model rebuilt from
    scratch needs a new Chronicle.
    """

    def __init__(self, model):
        self.model = model
        orgs = model.state.orgs
        self.left_month = np.where(orgs.active | (orgs.joined_step < 0), -1, model.month).astype(int)

    def update(self) -> None:
        orgs = self.model.state.orgs
        gone = ~orgs.active & (orgs.joined_step >= 0) & (self.left_month < 0)  # candidates have not left
        self.left_month[gone] = self.model.month

    def story(self) -> Story:
        return read_story(self.model.params, self.model.state, self.model.recorder.frame(), self.left_month)

    def caption(self, other: "Chronicle | None" = None, brief: bool = False) -> str:
        mine = self.story()
        if other is None:
            return caption(mine, brief=brief)
        share = self.model.params.governance.community_decision_share
        other_share = other.model.params.governance.community_decision_share
        return caption(mine, other.story(), name=side_name(share), other_name=side_name(other_share), brief=brief)


# --------------------------------------------------------------------------- sentences

def _kinds(departures: tuple[Departure, ...]) -> str:
    community = sum(d.community for d in departures)
    institutions = len(departures) - community
    if len(departures) == 1:
        return "a community organization" if community else "an institution"
    if not institutions:
        return "all community organizations"
    if not community:
        return "all institutions"
    parts = []
    if community:
        parts.append(counted(community, "community organization"))
    if institutions:
        parts.append(counted(institutions, "institution"))
    return " and ".join(parts)


def _status(s: Story) -> str:
    if s.collapse_month is not None:
        cause = f": {s.collapse_cause}" if s.collapse_cause else ""
        return f"The partnership collapsed in month {s.collapse_month}{cause}."
    if s.scale_month is not None:
        return f"It reached scale in month {s.scale_month}: the public sector adopted its innovation."
    if s.month == 0:
        return f"Month 0: {counted(s.members_at_start, 'organization')} begin with a needs and resources assessment."
    return f"Month {s.month}: the partnership is in its {s.phase} phase."


def _grant(s: Story) -> str | None:
    if s.grant_end == 0:
        return "There was no grant."
    if s.grant_end is not None:
        if s.collapse_month is not None and s.grant_end == s.collapse_month:
            return None  # the money stopped because the partnership did
        after = f", after {counted(s.renewals, 'renewal')}" if s.renewals else ""
        return f"The grant ended in month {s.grant_end}{after}."
    renewed = f" (renewed {counted(s.renewals, 'time')})" if s.renewals else ""
    unless = " unless the funder renews it" if s.renewal_possible else ""
    return f"The grant{renewed} runs until month {s.grant_runs_until}{unless}."


def _departures(s: Story) -> str | None:
    walked = s.walked_away
    if s.month == 0:
        return None
    if not walked:
        if s.collapse_month is None:
            return "No partner has walked away."
        return f"No partner walked away before that; the last {counted(s.left_at_collapse, 'member')} stopped meeting."
    text = f"{counted(len(walked), 'partner').capitalize()} walked away ({_kinds(walked)})"
    if s.grant_end is not None and s.grant_end > 0:
        after = sum(d.month > s.grant_end for d in walked)
        if after == len(walked) and len(walked) > 1:
            text += ", all after the grant ended"
        elif after == len(walked):
            text += ", after the grant ended"
        elif after:
            text += f", {number(after)} of them after the grant ended"
    text += "."
    if s.collapse_month is not None and s.left_at_collapse:
        text += f" The last {counted(s.left_at_collapse, 'member')} stopped meeting when it collapsed."
    return text


def _levels(s: Story) -> str | None:
    """Where the pairs are on the continuum: "most" only for more than half of them, else the largest group, counted."""
    if s.collapse_month is not None:
        if s.highest_level:
            return f"Before that, the furthest any pair got was {LEVEL_WORDS[s.highest_level]}."
        return None
    if s.most_pairs_level is None:
        return "No ties are left."
    most = LEVEL_WORDS[s.most_pairs_level]
    if s.pairs_at_most == s.pairs_tied and s.most_pairs_level == LEVELS[0]:
        return "Every pair is still networking."
    if 2 * s.pairs_at_most > s.pairs_tied:
        where = f"Most pairs ({s.pairs_at_most} of {s.pairs_tied}) are {most}"
    else:
        where = f"More pairs are {most} than at any other level ({s.pairs_at_most} of {s.pairs_tied})"
    if s.highest_level is None or s.highest_level == s.most_pairs_level:
        return f"{where}, and none has gone further."
    return f"{where}; the furthest any pair got is {LEVEL_WORDS[s.highest_level]}."


def _power(s: Story) -> str | None:
    if s.collapse_month is not None:
        return f"The community outcome had peaked at {s.peak_outcome:.2f} out of 1."
    if s.power_share < 0.005:
        who = "Institutions hold all of the decision power"
    elif s.power_share >= 0.5:
        who = f"The community's own organizations hold {percent(s.power_share)} of the decision power"
    else:
        who = (f"Institutions hold {percent(1 - s.power_share)} of the decision power, "
               f"the community's own organizations {percent(s.power_share)}")
    return f"{who}; the community outcome is {s.outcome:.2f} out of 1."


def _compare(s: Story, o: Story, name: str, other_name: str) -> str | None:
    if s.month == 0:
        return None
    other = f"the {other_name} side" if other_name != name else "the other side"
    if s.collapse_month is not None and o.collapse_month is None:
        return f"Meanwhile {other} kept its coalition ({counted(o.members_now, 'member')})."
    if s.collapse_month is None and o.collapse_month is not None:
        return f"Here the coalition held ({counted(s.members_now, 'member')}), while {other} collapsed in month {o.collapse_month}."
    if s.collapse_month is not None and o.collapse_month is not None:
        return f"{other.capitalize()} collapsed too, in month {o.collapse_month}."
    if s.members_now == o.members_now:
        return f"Both sides still have {counted(s.members_now, 'member')}."
    return f"{counted(s.members_now, 'member').capitalize()} remain here, {number(o.members_now)} on {other}."


def sentences(story: Story, other: Story | None = None, name: str = "this", other_name: str = "other",
              brief: bool = False) -> list[str]:
    parts = [_status(story), _grant(story), _departures(story)]
    if not brief:
        parts += [_levels(story), _power(story)]
    if other is not None:
        parts.append(_compare(story, other, name, other_name))
    return [p for p in parts if p]


def caption(story: Story, other: Story | None = None, name: str = "this", other_name: str = "other",
            brief: bool = False) -> str:
    """A few plain sentences about one run at one month, optionally set against a second run.

    ``brief`` keeps only what happened (phase, collapse or scale, the grant, who
    left, the comparison) and leaves out the levels and the balance of power.
    """
    return " ".join(sentences(story, other, name, other_name, brief))
