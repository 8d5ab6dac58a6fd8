"""What a partnership's run gives beyond its time series and summary: one row per organization, and the
network of its organizations at a month as a networkx graph (written as GraphML by :mod:`sim.output`).

Both read a :class:`sim.state.State` (a run's final state, or the state at a month ``sim.run`` stopped at);
networkx is imported only when a network is asked for.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.params import LEVELS, SECTORS
from sim.state import DECLINED, NONE, NOT_JOINED, ROADS, State

ORGANIZATION_COLUMNS = (
    "organization", "sector", "community", "convener", "status", "joined_step", "left_step", "left_reason",
    "budget", "capacity_start", "capacity", "satisfaction", "dollars_received", "turf_guarding", "identity",
    "desire",
)
# An organization's status at the end of the run (a candidate of the membership pool may never have been asked).
STATUSES = ("member", "left", "not asked", "declined")


def _statuses(state: State) -> list[str]:
    orgs = state.orgs
    out = []
    for active, left, joined in zip(orgs.active, orgs.left_step, orgs.joined_step):
        if active:
            out.append("member")
        elif left != NONE:
            out.append("left")
        elif joined == DECLINED:
            out.append("declined")
        elif joined == NOT_JOINED:
            out.append("not asked")
        else:
            out.append("left")
    return out


def _months(values: np.ndarray) -> pd.Series:
    """Months, with "not (yet)" (negative codes) as missing."""
    return pd.Series(np.where(values >= 0, values, 0), dtype="Int64").mask(values < 0)


def organizations_frame(state: State) -> pd.DataFrame:
    """One row per organization of a partnership: who it is, whether it is still a member (or left, when and by
    which road, or was never asked or declined, for a membership pool), and its final capacity, satisfaction
    and dollars received."""
    orgs = state.orgs
    count = orgs.sector.size
    convener = int(state.partnerships.convener[0]) if state.partnerships.convener.size else -1
    frame = pd.DataFrame({
        "organization": np.arange(count, dtype=np.int64),
        "sector": pd.Series([SECTORS[int(s)] for s in orgs.sector], dtype="string"),
        "community": orgs.community.astype(bool),
        "convener": np.arange(count) == convener,
        "status": pd.Series(_statuses(state), dtype="string"),
        "joined_step": _months(orgs.joined_step),
        "left_step": _months(orgs.left_step),
        "left_reason": pd.Series([ROADS[int(r)] if r >= 0 else None for r in orgs.left_reason], dtype="string"),
        "budget": orgs.budget,
        "capacity_start": orgs.capacity_start,
        "capacity": orgs.capacity,
        "satisfaction": orgs.satisfaction,
        "dollars_received": orgs.received,
        "turf_guarding": orgs.guarding,
        "identity": orgs.identity,
        "desire": orgs.desire,
    })
    return frame[list(ORGANIZATION_COLUMNS)]


def network_graph(state: State, month: int) -> Any:
    """The partnership's network at ``month`` as a ``networkx.DiGraph``: a node per organization (sector,
    community, convener, member then, capacity, satisfaction) and, for every pair with a tie, an edge each way
    with the level of the tie, the months at that level and the trust of the edge's source in its target."""
    import networkx as nx

    orgs, pairs = state.orgs, state.pairs
    convener = int(state.partnerships.convener[0]) if state.partnerships.convener.size else -1
    graph = nx.DiGraph(month=int(month))
    for i in range(orgs.sector.size):
        graph.add_node(i, sector=SECTORS[int(orgs.sector[i])], community=bool(orgs.community[i]),
                       convener=i == convener, member=bool(orgs.active[i]), capacity=float(orgs.capacity[i]),
                       satisfaction=float(orgs.satisfaction[i]))
    rows, cols = np.nonzero(pairs.level >= 0)
    for i, j in zip(rows.tolist(), cols.tolist()):
        if i != j:
            graph.add_edge(i, j, level=LEVELS[int(pairs.level[i, j])], months_at_level=int(pairs.months_at_level[i, j]),
                           trust=float(pairs.trust[i, j]))
    return graph
