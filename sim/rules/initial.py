"""How organizations start: the rules that turn a drawn budget, sector and funding climate into starting
state (ODD section 5). Plain numpy on whole arrays, run once before the first month; the draws themselves stay in
:mod:`sim.state`, which calls these rules through this module so that tests can replace them.

Every number here is a modelling assumption, not a measured value; docs/ODD.md section 5 says which.
"""

from __future__ import annotations

import numpy as np

# A $25k organization is the reference size: 0.1 units of staff time for partnership work, capacity 0.3.
REFERENCE_BUDGET = 25_000.0
# Own staff time an organization can give partnership work: this much more for every tenfold budget (an assumption:
# a $20M agency can assign a few times the staff a $25k group can, not 800 times).
OWN_TIME_PER_DECADE = 0.05
# How much more guarding a fully competitive, isolated-impact funding climate adds (Schmitz 2014).
COMPETITION_GUARDING = 0.3
# How much a full common agenda lowers guarding (Schmitz 2014).
COMMON_AGENDA_RELIEF = 0.3


def _decades_above_reference(budget: np.ndarray) -> np.ndarray:
    return np.log10(np.maximum(budget, 1.0) / REFERENCE_BUDGET)


def own_staff_time(budget: np.ndarray) -> np.ndarray:
    """Own staff time for partnership work, growing with the log of the budget (0.1 units at $25k, never less)."""
    return 0.1 + OWN_TIME_PER_DECADE * _decades_above_reference(budget).clip(min=0.0)


def starting_capacity(budget: np.ndarray) -> np.ndarray:
    """Starting capacity: 0.3 at $25k, 0.12 more for every tenfold budget, within 0.05..0.9."""
    return (0.3 + 0.12 * _decades_above_reference(budget)).clip(0.05, 0.9)


def turf_guarded(sector_guarding: np.ndarray, competition: float, common_agenda: float) -> np.ndarray:
    """How much of its domain each organization guards: its sector's habit, raised by a competitive funding
    climate and lowered by a common agenda, within 0..1."""
    return np.clip(sector_guarding + COMPETITION_GUARDING * competition - COMMON_AGENDA_RELIEF * common_agenda,
                   0.0, 1.0)


def lowest_desire(mandated: bool, self_selection: float) -> float:
    """The least desire to partner among the founding members. Organizations that form a partnership on their
    own terms chose to (Axner n.d.: "each organization has to have the desire"); a funder's mandate brings in
    whoever the funder names, so desire starts anywhere from 0."""
    return 0.0 if mandated else self_selection


def starting_trust(mean: float, history: float, spread: float, noise: np.ndarray) -> np.ndarray:
    """Trust between organizations that have not worked together: the mean, shifted by the community's history,
    plus ``spread`` times a standard normal draw per pair, within 0..1."""
    return np.clip(mean + history + spread * noise, 0.0, 1.0)


def convener(lead_agency: bool, community: np.ndarray, budget: np.ndarray, capacity: np.ndarray) -> int:
    """Who convenes: under a lead agency the largest institution (the largest member if none is an institution),
    otherwise the most capable member, the one that would write the proposal (ties to the first)."""
    if lead_agency:
        institutional = np.where(~community, budget, -np.inf)
        return int(np.argmax(institutional if np.isfinite(institutional).any() else budget))
    return int(np.argmax(capacity))


def founding_core(trust_in_convener: np.ndarray, convener: int, core_size: int) -> np.ndarray:
    """Under gradual inclusion, which founding members start: the convener and the ``core_size - 1`` others who
    trust it most (ties to the first). ``trust_in_convener[i]`` is how far founding member ``i`` trusts it."""
    order = np.argsort(-np.where(np.arange(trust_in_convener.size) == convener, np.inf, trust_in_convener),
                       kind="stable")
    core = np.zeros(trust_in_convener.size, dtype=bool)
    core[order[:core_size]] = True
    return core
