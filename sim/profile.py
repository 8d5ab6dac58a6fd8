"""A run's formation profile: who formed its partnerships, how large they were, who convened them, how fast their
first pair cooperated (``sim.run(..., formation=True)``; ``[outputs] formation = true`` in a sweep spec, and every
two-scale study).

A run's summary says how its partnerships ended, not who they were on the day they formed. When a policy does
different things to single partnerships and to the partnerships of a region, the candidate explanations are
there: a mandate removes the self-selection of members who want to partner, and may change how large a
partnership is and who convenes it. Per partnership, at formation:

- its members: the organizations it formed with (a single partnership's founding members, not its pool);
- their mean desire to work with others (``OrgState.desire``: the self-selection a mandate removes);
- whether its convener is a community organization (``OrgState.community``), and the convener's capacity;

and, at the end, the months from formation to its first cooperating pair. A run's profile
(:data:`FORMATION_COLUMNS`) is the mean over its partnerships (one for a single partnership), so that a region's
runs stay the units of analysis.

A region partnership's members are read from ``EcosystemModel.partnerships`` (the first ``founding`` of its
``members``, the convener first; the rest are candidates it may invite later), their desire and community flag
from ``EcosystemModel.orgs``, the convener's capacity from ``orgs.capacity`` just before the month the
partnership formed in, and the month of its first cooperating pair from ``partnership_summaries()``. Watching
changes nothing: the run draws the same numbers with or without it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

COOPERATING = "cooperating"
# (column, meaning): every value is a float (a mean, a share or a median over the run's partnerships), or None.
FORMATION = (
    ("formation.partnerships", "partnerships that formed (1 for a single partnership)"),
    ("formation.members", "mean members a partnership formed with"),
    ("formation.member_desire", "mean desire to partner of its members at formation (0 to 1), averaged over partnerships"),
    ("formation.community_convener", "share of partnerships whose convener is a community organization"),
    ("formation.convener_capacity", "mean capacity of the convener on the day the partnership formed (0 to 1)"),
    ("formation.share_cooperating", "share of partnerships in which some pair reached cooperating"),
    ("formation.months_to_cooperating", "median months from formation to the first cooperating pair, over the "
                                        "partnerships that had one"),
)
FORMATION_COLUMNS = tuple(name for name, _ in FORMATION)


def founding(model) -> list[tuple[int, float, bool, float]]:
    """A single partnership (``PartnershipModel``) at month 0: its founding members, their mean desire, whether its
    convener is a community organization, and the convener's capacity."""
    orgs, count = model.state.orgs, model.params.organizations.count  # the rest of the rows are its pool
    convener = int(model.state.partnerships.convener[0])
    return [(count, float(np.mean(orgs.desire[:count])), bool(orgs.community[convener]), float(orgs.capacity[convener]))]


def partnership_profile(formed: list, summary: dict) -> dict[str, float | None]:
    return profile(formed, [summary["first_step_at_level"][COOPERATING]])


class RegionWatch:
    """Steps an ``EcosystemModel`` and notes each partnership as it forms."""

    def __init__(self, model):
        self.model = model
        self.formed: list[tuple[int, float, bool, float]] = []

    def step(self) -> None:
        model = self.model
        before = len(model.partnerships)
        capacity = model.orgs.capacity.copy()  # a member's capacity changes once it is in a partnership
        model.step()
        for partnership in model.partnerships[before:]:
            members = np.asarray(partnership.members, dtype=np.int64)
            members = members[:getattr(partnership, "founding", 0) or members.size]  # not the candidates it keeps
            convener = int(members[0])
            self.formed.append((int(members.size), float(np.mean(model.orgs.desire[members])),
                                bool(model.orgs.community[convener]), float(capacity[convener])))

    def profile(self) -> dict[str, float | None]:
        months = []
        for s in self.model.partnership_summaries():
            first = s["first_step_at_level"][COOPERATING]
            months.append(None if first is None else first - s["formed_step"])
        return profile(self.formed, months)


def profile(formed: list[tuple[int, float, bool, float]], months: list[Any]) -> dict[str, float | None]:
    """A run's profile from its partnerships: ``formed`` holds (members, mean desire, community convener, convener
    capacity) per partnership, ``months`` the months from formation to its first cooperating pair (None: never)."""
    if not formed:
        return {"formation.partnerships": 0.0, **{column: None for column in FORMATION_COLUMNS[1:]}}
    members, desire, community, capacity = (np.array(column, dtype=float) for column in zip(*formed))
    reached = np.array([m for m in months if m is not None], dtype=float)
    return {
        "formation.partnerships": float(len(formed)),
        "formation.members": float(members.mean()),
        "formation.member_desire": float(desire.mean()),
        "formation.community_convener": float(community.mean()),
        "formation.convener_capacity": float(capacity.mean()),
        "formation.share_cooperating": reached.size / len(months) if months else None,
        "formation.months_to_cooperating": float(np.median(reached)) if reached.size else None,
    }


__all__ = ["FORMATION", "FORMATION_COLUMNS", "RegionWatch", "founding", "partnership_profile", "profile"]
