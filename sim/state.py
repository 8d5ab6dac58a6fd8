"""The model's state: numpy arrays per organization and per pair, and their set-up.

All state of a run lives here, owned by the model. Mesa agents are thin handles
that read these arrays by index (see :mod:`sim.agents`). Pair arrays are dense
``count x count``; ``trust[i, j]`` is how far ``i`` trusts ``j`` (directed),
``level[i, j] == level[j, i]`` is the pair's place on the continuum, or
``NO_TIE`` once either side has left.

Sector profiles are constants with their sources: a $25k grassroots group can
sit next to a $25M provider (seed 003).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.jit import rule
from sim.params import SECTORS, Params

NO_TIE = -1
NONE = -1  # "not (yet)" in the month and cause columns of PartnershipArrays
COLLABORATING = 3
# Why a partnership collapsed, by code (PartnershipArrays.collapse_cause); sim.rules.membership decides which.
COLLAPSE_CAUSES = ("trust broke down", "funding ended with no way to sustain", "members walked away")

# Median annual budget in dollars, by sector (seed 003: "$25k grassroots group next to a $25M provider").
SECTOR_MEDIAN_BUDGET = {
    "grassroots": 50_000.0,
    "nonprofit": 2_000_000.0,
    "public_agency": 20_000_000.0,
    "business": 5_000_000.0,
    "beneficiary": 25_000.0,
}
# How much of its domain an organization guards before any competition (seed 000, 003).
SECTOR_TURF_GUARDING = {
    "grassroots": 0.20,
    "nonprofit": 0.35,
    "public_agency": 0.30,
    "business": 0.40,
    "beneficiary": 0.10,
}
# The intended beneficiaries and the groups rooted among them hold the community's decision share.
COMMUNITY_SECTORS = ("grassroots", "beneficiary")
# How much more guarding a fully competitive, isolated-impact funding climate adds (seed 003).
COMPETITION_GUARDING = 0.3
# How much a full common agenda lowers guarding (seed 003).
COMMON_AGENDA_RELIEF = 0.3


class OrgState(NamedTuple):
    """One entry per organization (the arrays the compiled month reads and writes in place)."""

    sector: np.ndarray          # int64 index into SECTORS
    community: np.ndarray       # bool: holds the community's decision share
    budget: np.ndarray          # annual budget, dollars
    base_time: np.ndarray       # partnership staff time of its own, time units / month
    capacity: np.ndarray        # capacity to produce intended results, 0..1
    capacity_start: np.ndarray  # capacity at the start, the level it drifts back to
    guarding: np.ndarray        # share of its turf it will not share, 0..1
    identity: np.ndarray        # pride: resistance to giving up who it is, 0..1
    desire: np.ndarray          # how much it wants to work with others at all, 0..1
    active: np.ndarray          # bool: still a member
    satisfaction: np.ndarray    # running satisfaction with membership
    received: np.ndarray        # grant dollars received so far

    def copy(self) -> "OrgState":
        return OrgState(*(a.copy() for a in self))

    def take(self, rows) -> "OrgState":
        """The organizations at ``rows`` (copies)."""
        return OrgState(*(a[rows].copy() for a in self))


class PairState(NamedTuple):
    """Dense ``N x N`` pair arrays of one partnership."""

    trust: np.ndarray            # float64, directed, 0..1, zero diagonal
    level: np.ndarray            # int8, symmetric, NO_TIE on the diagonal
    months_at_level: np.ndarray  # int32, symmetric

    def copy(self) -> "PairState":
        return PairState(*(a.copy() for a in self))


class PartnershipArrays(NamedTuple):
    """The partnership-level state, one entry per partnership (one for a single partnership, one per
    partnership of a region). Month columns hold ``NONE`` (-1) for "not (yet)"."""

    phase: np.ndarray            # int64: ASSESSMENT, DEMONSTRATION, ADVOCACY, SCALE
    assessment: np.ndarray       # float64: joint work on the needs and resources assessment
    evidence: np.ndarray         # float64: evidence from demonstration and program work
    policy: np.ndarray           # float64: advocacy work toward a policy case
    outcome: np.ndarray          # float64: community-wide outcome, 0..1
    funded: np.ndarray           # bool: the grant pays in the coming month
    grant_month: np.ndarray      # int64: months elapsed in the current grant
    grants_received: np.ndarray  # int64
    funding_end: np.ndarray      # int64: the last month money flowed, or NONE
    scale_step: np.ndarray       # int64: month the public sector adopted the innovation, or NONE
    collapse_step: np.ndarray    # int64: month of collapse, or NONE
    collapse_cause: np.ndarray   # int64: index into sim.rules.membership.CAUSES, or NONE

    def copy(self) -> "PartnershipArrays":
        return PartnershipArrays(*(a.copy() for a in self))


@rule
def members_view(orgs: OrgState, first: int, stop: int) -> OrgState:
    """The organizations ``first .. stop - 1`` of ``orgs`` as views (a region's partnership in its table)."""
    return OrgState(orgs.sector[first:stop], orgs.community[first:stop], orgs.budget[first:stop],
                    orgs.base_time[first:stop], orgs.capacity[first:stop], orgs.capacity_start[first:stop],
                    orgs.guarding[first:stop], orgs.identity[first:stop], orgs.desire[first:stop],
                    orgs.active[first:stop], orgs.satisfaction[first:stop], orgs.received[first:stop])


PARTNERSHIP_DTYPES = PartnershipArrays(
    phase=np.int64, assessment=np.float64, evidence=np.float64, policy=np.float64, outcome=np.float64,
    funded=np.bool_, grant_month=np.int64, grants_received=np.int64, funding_end=np.int64, scale_step=np.int64,
    collapse_step=np.int64, collapse_cause=np.int64)


def partnership_arrays(count: int) -> PartnershipArrays:
    """``count`` partnerships' state on the day they form: assessment, nothing done, no grant yet."""
    arrays = {name: np.zeros(count, dtype=dtype) for name, dtype in PARTNERSHIP_DTYPES._asdict().items()}
    for name in ("funding_end", "scale_step", "collapse_step", "collapse_cause"):
        arrays[name][:] = NONE
    return PartnershipArrays(**arrays)


@dataclass
class PartnershipState:
    """A snapshot of one partnership's scalars, for Python readers (``None`` where the arrays hold ``NONE``)."""

    phase: int = 0
    assessment: float = 0.0
    evidence: float = 0.0
    policy: float = 0.0
    community_outcome: float = 0.0
    funded: bool = True
    grant_month: int = 0
    grants_received: int = 1
    funding_end_step: int | None = None
    scale_step: int | None = None
    collapse_step: int | None = None
    collapse_cause: str | None = None

    @classmethod
    def of(cls, arrays: PartnershipArrays, k: int = 0) -> "PartnershipState":
        def month(value) -> int | None:
            return None if value == NONE else int(value)

        cause = int(arrays.collapse_cause[k])
        return cls(phase=int(arrays.phase[k]), assessment=float(arrays.assessment[k]),
                   evidence=float(arrays.evidence[k]), policy=float(arrays.policy[k]),
                   community_outcome=float(arrays.outcome[k]), funded=bool(arrays.funded[k]),
                   grant_month=int(arrays.grant_month[k]), grants_received=int(arrays.grants_received[k]),
                   funding_end_step=month(arrays.funding_end[k]), scale_step=month(arrays.scale_step[k]),
                   collapse_step=month(arrays.collapse_step[k]),
                   collapse_cause=None if cause == NONE else COLLAPSE_CAUSES[cause])


@dataclass
class State:
    """One partnership's state: its organizations, its pairs and its scalars (arrays of length 1)."""

    orgs: OrgState
    pairs: PairState
    partnerships: PartnershipArrays

    @property
    def count(self) -> int:
        return int(self.orgs.sector.size)

    @property
    def partnership(self) -> PartnershipState:
        """A snapshot of the partnership's scalars (reading the arrays now)."""
        return PartnershipState.of(self.partnerships, 0)

    def copy(self) -> "State":
        return State(orgs=self.orgs.copy(), pairs=self.pairs.copy(), partnerships=self.partnerships.copy())


def allocate_sectors(count: int, mix: dict[str, float]) -> np.ndarray:
    """Sector of each member by largest remainder, so each run has the same composition."""
    weights = np.array([mix[s] for s in SECTORS], dtype=float)
    quotas = weights / weights.sum() * count
    counts = np.floor(quotas).astype(int)
    remainder = count - counts.sum()
    order = np.argsort(-(quotas - counts), kind="stable")
    counts[order[:remainder]] += 1
    return np.repeat(np.arange(len(SECTORS)), counts)


def base_time_from_budget(budget: np.ndarray) -> np.ndarray:
    """Own staff time for partnership work grows with the log of the budget (0.1 units at $25k)."""
    return 0.1 + 0.05 * np.log10(np.maximum(budget, 1.0) / 25_000.0).clip(min=0.0)


def capacity_from_budget(budget: np.ndarray) -> np.ndarray:
    """Starting capacity: 0.3 at $25k, rising with the log of the budget, at most 0.9."""
    return (0.3 + 0.12 * np.log10(np.maximum(budget, 1.0) / 25_000.0)).clip(0.05, 0.9)


def draw_organizations(params: Params, rng: np.random.Generator, count: int, lowest_desire: float) -> OrgState:
    """Draw ``count`` organizations with the sector mix of ``params`` (budgets, pride, desire) from ``rng``.

    ``lowest_desire`` is the least desire to partner among them (uniform above it).
    """
    sector = allocate_sectors(count, dataclasses.asdict(params.organizations.sector_mix))
    names = [SECTORS[s] for s in sector]
    medians = np.array([SECTOR_MEDIAN_BUDGET[n] for n in names])
    budget = medians * np.exp(params.organizations.size_spread * rng.standard_normal(count))
    identity = params.organizations.identity_strength * rng.random(count)
    desire = lowest_desire + (1.0 - lowest_desire) * rng.random(count)
    competition = params.funding.competition
    agenda = params.collective_impact.common_agenda
    guarding = np.array([SECTOR_TURF_GUARDING[n] for n in names])
    guarding = np.clip(guarding + COMPETITION_GUARDING * competition - COMMON_AGENDA_RELIEF * agenda, 0.0, 1.0)
    capacity = capacity_from_budget(budget)
    return OrgState(
        sector=sector.astype(np.int64),
        community=np.isin(np.array(names), COMMUNITY_SECTORS),
        budget=budget,
        base_time=base_time_from_budget(budget),
        capacity=capacity,
        capacity_start=capacity.copy(),
        guarding=guarding,
        identity=identity,
        desire=desire,
        active=np.ones(count, dtype=bool),
        satisfaction=np.zeros(count),
        received=np.zeros(count),
    )


def draw_trust(params: Params, rng: np.random.Generator, shape) -> np.ndarray:
    """Trust between organizations that have not worked together: the scenario's mean plus spread, within 0..1."""
    organizations = params.organizations
    return np.clip(organizations.initial_trust + organizations.trust_spread * rng.standard_normal(shape), 0.0, 1.0)


def start_partnership(orgs: OrgState, trust: np.ndarray, params: Params) -> State:
    """A partnership of ``orgs`` on the day it forms: every pair networking, the grant's first month ahead."""
    count = int(orgs.sector.size)
    trust = trust.copy()
    np.fill_diagonal(trust, 0.0)
    level = np.zeros((count, count), dtype=np.int8)
    np.fill_diagonal(level, NO_TIE)
    pairs = PairState(trust=trust, level=level, months_at_level=np.zeros((count, count), dtype=np.int32))
    funded = params.funding.grant_months > 0 and params.funding.monthly_amount > 0
    partnership = partnership_arrays(1)
    partnership.funded[0] = funded
    partnership.grants_received[0] = 1 if funded else 0
    partnership.funding_end[0] = NONE if funded else 0
    return State(orgs=orgs, pairs=pairs, partnerships=partnership)


def lowest_desire(params: Params) -> float:
    """Organizations that form a partnership on their own terms chose to (seed 001: "each organization has to
    have the desire"); a funder's mandate brings in whoever the funder names."""
    return 0.0 if params.funding.mandated else params.organizations.self_selection


def initial_state(params: Params, rng: np.random.Generator) -> State:
    """Draw the starting organizations and pairs of one partnership from the model's generator."""
    count = params.organizations.count
    orgs = draw_organizations(params, rng, count, lowest_desire(params))
    return start_partnership(orgs, draw_trust(params, rng, (count, count)), params)
