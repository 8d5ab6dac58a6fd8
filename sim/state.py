"""The model's state: numpy arrays per organization and per pair, and their set-up.

All state of a run lives here, owned by the model. Mesa agents are thin handles
that read these arrays by index (see :mod:`sim.agents`). Pair arrays are dense
``count x count``; ``trust[i, j]`` is how far ``i`` trusts ``j`` (directed),
``level[i, j] == level[j, i]`` is the pair's place on the continuum, or
``NO_TIE`` once either side has left.

Sector profiles are constants with their sources: a $25k grassroots group can
sit next to a $25M provider (Schmitz 2014). This module draws the starting values;
the rules that turn them into starting state (staff time and capacity from the
budget, turf guarded, least desire, starting trust, the convener) are in
:mod:`sim.rules.initial`.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.jit import rule
from sim.params import SECTORS, Params
from sim.rules import initial

NO_TIE = -1
NONE = -1  # "not (yet)" in month, cause and grant columns
NOT_JOINED, DECLINED = -1, -2  # joined_step of a candidate not yet asked, and of one who declined
BUSY = -3  # joined_step of a region's candidate now in as many partnerships as it may be: not asked while so
COLLABORATING = 3
# The roads to a partnership's end, and a member's reasons to leave, by code (sim.rules.membership decides which).
ROADS = ("failed to launch", "lost its champion", "trust broke down", "funding ended", "not worth the time",
         "goals met")
GOALS_MET = ROADS.index("goals met")
# Bits of PartnershipArrays.funders_used: the founding funder, other funder k (bit 1 + k), the public budget.
FOUNDING_FUNDER_BIT, PUBLIC_BUDGET_BIT = 0, 62

# Median annual budget in dollars, by sector (Schmitz 2014: "$25k grassroots group next to a $25M provider").
SECTOR_MEDIAN_BUDGET = {
    "grassroots": 50_000.0,
    "nonprofit": 2_000_000.0,
    "public_agency": 20_000_000.0,
    "business": 5_000_000.0,
    "beneficiary": 25_000.0,
}
# How much of its domain an organization guards before any competition (Himmelman n.d.; Schmitz 2014).
SECTOR_TURF_GUARDING = {
    "grassroots": 0.20,
    "nonprofit": 0.35,
    "public_agency": 0.30,
    "business": 0.40,
    "beneficiary": 0.10,
}
# The intended beneficiaries and the groups rooted among them hold the community's decision share.
COMMUNITY_SECTORS = ("grassroots", "beneficiary")


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
    usual_grant: np.ndarray     # running average of the dollars a month it received while it received any
    short_funding: np.ndarray   # running shortfalls of satisfaction by cause (sim.rules.membership): its usual money,
    short_trust: np.ndarray     # ... commitments partners broke to it,
    short_champion: np.ndarray  # ... a convener without its champion,
    short_stall: np.ndarray     # ... no progress beyond members' patience
    left_step: np.ndarray       # int64: the month it left (NONE while a member)
    left_reason: np.ndarray     # int64: why it left, a code into ROADS (NONE while a member)
    joined_step: np.ndarray     # int64: the month it joined (0: a founding member at the table from the start),
    #                             NOT_JOINED for a candidate not yet asked, DECLINED for one who said no,
    #                             BUSY for a region's candidate that cannot take on another partnership now

    def copy(self) -> "OrgState":
        return OrgState(*(a.copy() for a in self))

    def take(self, rows) -> "OrgState":
        """The organizations at ``rows`` (copies)."""
        return OrgState(*(a[rows].copy() for a in self))


ORG_INT_FIELDS = ("sector", "left_step", "left_reason", "joined_step")
ORG_BOOL_FIELDS = ("community", "active")


def org_dtype(field: str):
    """The dtype of an OrgState field (int64 codes and months, bool flags, float64 otherwise)."""
    return np.int64 if field in ORG_INT_FIELDS else np.bool_ if field in ORG_BOOL_FIELDS else np.float64


class PairState(NamedTuple):
    """Dense ``N x N`` pair arrays of one partnership."""

    trust: np.ndarray            # float64, directed, 0..1, zero diagonal
    level: np.ndarray            # int8, symmetric, NO_TIE on the diagonal
    months_at_level: np.ndarray  # int32, symmetric
    purpose: np.ndarray          # int8, symmetric: the level the pair's joint purpose needs (it climbs no higher)

    def copy(self) -> "PairState":
        return PairState(*(a.copy() for a in self))


class PartnershipArrays(NamedTuple):
    """The partnership-level state, one entry per partnership (one for a single partnership, one per
    partnership of a region; ``other_grant_month`` has a column per other funder). Month columns hold ``NONE``
    (-1) for "not (yet)"."""

    phase: np.ndarray            # int64: ASSESSMENT, DEMONSTRATION, ADVOCACY, SCALE
    assessment: np.ndarray       # float64: joint work on the needs and resources assessment
    evidence: np.ndarray         # float64: evidence from demonstration and program work
    policy: np.ndarray           # float64: advocacy work toward a policy case
    outcome: np.ndarray          # float64: community-wide outcome, 0..1
    funded: np.ndarray           # bool: the founding funder's grant pays in the coming month
    grant_month: np.ndarray      # int64: months elapsed in the founding funder's current grant
    grants_received: np.ndarray  # int64: the founding funder's grants, renewals included
    other_grant_month: np.ndarray  # int64 (partnerships, other funders): months elapsed in its grant, or NONE
    grant_end: np.ndarray        # int64: the last month the founding funder's money flowed, or NONE
    funding_end: np.ndarray      # int64: the last month any grant money flowed, or NONE
    scale_step: np.ndarray       # int64: month the public sector adopted the innovation, or NONE
    end_step: np.ndarray         # int64: month the partnership ended (collapsed, or closed with its goals met), or NONE
    end_cause: np.ndarray        # int64: why it ended, a code into ROADS, or NONE
    convener: np.ndarray         # int64: the row of the member that convenes (see sim.rules.leadership)
    founding: np.ndarray         # int64: how many of its first rows are founding members (the rest: candidates)
    champion: np.ndarray         # bool: the convener's champion is there
    goodwill: np.ndarray         # float64: the funders' and the public sector's goodwill, 0..1 (advocacy's risk)
    funders_used: np.ndarray     # int64: bit mask of the funders that ever paid it (FOUNDING_FUNDER_BIT, 1 + k, PUBLIC_BUDGET_BIT)
    committed: np.ndarray        # float64: dollars of every grant awarded to it, whole

    def copy(self) -> "PartnershipArrays":
        return PartnershipArrays(*(a.copy() for a in self))


PARTNERSHIP_DTYPES = PartnershipArrays(
    phase=np.int64, assessment=np.float64, evidence=np.float64, policy=np.float64, outcome=np.float64,
    funded=np.bool_, grant_month=np.int64, grants_received=np.int64, other_grant_month=np.int64, grant_end=np.int64,
    funding_end=np.int64, scale_step=np.int64, end_step=np.int64, end_cause=np.int64, convener=np.int64,
    founding=np.int64, champion=np.bool_, goodwill=np.float64, funders_used=np.int64, committed=np.float64)


def partnership_arrays(count: int, other_funders: int = 0) -> PartnershipArrays:
    """``count`` partnerships' state on the day they form: assessment, nothing done, no grant yet, the
    convener's champion there, full goodwill."""
    arrays = {name: np.zeros(count, dtype=dtype) for name, dtype in PARTNERSHIP_DTYPES._asdict().items()}
    arrays["other_grant_month"] = np.full((count, other_funders), NONE, dtype=np.int64)
    for name in ("grant_end", "funding_end", "scale_step", "end_step", "end_cause"):
        arrays[name][:] = NONE
    arrays["champion"][:] = True
    arrays["goodwill"][:] = 1.0
    return PartnershipArrays(**arrays)


@rule
def members_view(orgs: OrgState, first: int, stop: int) -> OrgState:
    """The organizations ``first .. stop - 1`` of ``orgs`` as views (a region's partnership in its table)."""
    return OrgState(orgs.sector[first:stop], orgs.community[first:stop], orgs.budget[first:stop],
                    orgs.base_time[first:stop], orgs.capacity[first:stop], orgs.capacity_start[first:stop],
                    orgs.guarding[first:stop], orgs.identity[first:stop], orgs.desire[first:stop],
                    orgs.active[first:stop], orgs.satisfaction[first:stop], orgs.received[first:stop],
                    orgs.usual_grant[first:stop], orgs.short_funding[first:stop], orgs.short_trust[first:stop],
                    orgs.short_champion[first:stop], orgs.short_stall[first:stop], orgs.left_step[first:stop],
                    orgs.left_reason[first:stop], orgs.joined_step[first:stop])


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
    other_grants: tuple = ()       # months elapsed in each other funder's grant (None: no grant)
    grant_end_step: int | None = None
    funding_end_step: int | None = None
    scale_step: int | None = None
    end_step: int | None = None
    end_cause: str | None = None
    convener: int = 0
    founding: int = 0
    champion: bool = True
    goodwill: float = 1.0
    funding_sources: int = 1
    committed: float = 0.0

    @property
    def goals_met(self) -> bool:
        return self.end_cause == ROADS[GOALS_MET]

    @property
    def collapse_step(self) -> int | None:
        """The month it ended without meeting its goals (None if it is running or closed with its goals met)."""
        return None if self.goals_met else self.end_step

    @property
    def collapse_cause(self) -> str | None:
        return None if self.goals_met else self.end_cause

    @classmethod
    def of(cls, arrays: PartnershipArrays, k: int = 0) -> "PartnershipState":
        def month(value) -> int | None:
            return None if value == NONE else int(value)

        cause = int(arrays.end_cause[k])
        return cls(phase=int(arrays.phase[k]), assessment=float(arrays.assessment[k]),
                   evidence=float(arrays.evidence[k]), policy=float(arrays.policy[k]),
                   community_outcome=float(arrays.outcome[k]), funded=bool(arrays.funded[k]),
                   grant_month=int(arrays.grant_month[k]), grants_received=int(arrays.grants_received[k]),
                   other_grants=tuple(month(m) for m in arrays.other_grant_month[k]),
                   grant_end_step=month(arrays.grant_end[k]), funding_end_step=month(arrays.funding_end[k]),
                   scale_step=month(arrays.scale_step[k]), end_step=month(arrays.end_step[k]),
                   end_cause=None if cause == NONE else ROADS[cause], convener=int(arrays.convener[k]),
                   founding=int(arrays.founding[k]),
                   champion=bool(arrays.champion[k]), goodwill=float(arrays.goodwill[k]),
                   funding_sources=int(arrays.funders_used[k]).bit_count(), committed=float(arrays.committed[k]))


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


@dataclass
class Snapshot:
    """A partnership at the end of ``month``, with all a run keeps beside its state: what each funder can still
    commit, its record so far (rows 0 .. month) and the generator's state. A model started from it continues
    exactly as the run it was taken from (with ``generator`` None, from a fresh seed instead)."""

    state: State
    month: int
    budgets: np.ndarray
    records: np.ndarray
    first_at_level: np.ndarray
    generator: dict | None


def allocate_sectors(count: int, mix: dict[str, float]) -> np.ndarray:
    """Sector of each member by largest remainder, so each run has the same composition."""
    weights = np.array([mix[s] for s in SECTORS], dtype=float)
    quotas = weights / weights.sum() * count
    counts = np.floor(quotas).astype(int)
    remainder = count - counts.sum()
    order = np.argsort(-(quotas - counts), kind="stable")
    counts[order[:remainder]] += 1
    return np.repeat(np.arange(len(SECTORS)), counts)


def draw_organizations(params: Params, rng: np.random.Generator, count: int, lowest_desire: float,
                       pool: int = 0) -> OrgState:
    """Draw ``count`` organizations, then ``pool`` more, each group with the sector mix of ``params`` (budgets,
    pride, desire) from ``rng``.

    ``lowest_desire`` is the least desire to partner among them (uniform above it).
    """
    mix = dataclasses.asdict(params.organizations.sector_mix)
    sector = allocate_sectors(count, mix)
    if pool:
        sector = np.concatenate((sector, allocate_sectors(pool, mix)))
    count += pool
    budget = sector_median_budgets(sector) * np.exp(params.organizations.size_spread * rng.standard_normal(count))
    identity = params.organizations.identity_strength * rng.random(count)
    desire = lowest_desire + (1.0 - lowest_desire) * rng.random(count)
    return organizations_of(sector, budget, identity, desire, params)


def sector_median_budgets(sector: np.ndarray) -> np.ndarray:
    """The median budget of each organization's sector."""
    return _BY_SECTOR_CODE["budget"][np.asarray(sector, dtype=np.int64)]


# The sector tables above by sector code (the index into SECTORS), for looking up many organizations at once.
_BY_SECTOR_CODE = {
    "budget": np.array([SECTOR_MEDIAN_BUDGET[name] for name in SECTORS], dtype=np.float64),
    "guarding": np.array([SECTOR_TURF_GUARDING[name] for name in SECTORS], dtype=np.float64),
    "community": np.array([name in COMMUNITY_SECTORS for name in SECTORS], dtype=bool),
}


def organizations_of(sector: np.ndarray, budget: np.ndarray, identity: np.ndarray, desire: np.ndarray, params: Params,
                     *, community: np.ndarray | None = None, capacity: np.ndarray | None = None) -> OrgState:
    """Organizations on the day they join, from their sectors, budgets, pride and desire: staff time, capacity and
    turf guarded follow by the rules of :mod:`sim.rules.initial`. ``community`` and ``capacity`` replace what the
    sector and the budget would give where they are known (from data, :mod:`sim.inputdata.start`)."""
    count = int(sector.size)
    codes = np.asarray(sector, dtype=np.int64)
    guarding = initial.turf_guarded(_BY_SECTOR_CODE["guarding"][codes], params.funding.competition,
                                    params.collective_impact.common_agenda)
    capacity = initial.starting_capacity(budget) if capacity is None else np.asarray(capacity, dtype=np.float64)
    return OrgState(
        sector=np.asarray(sector).astype(np.int64),
        community=_BY_SECTOR_CODE["community"][codes] if community is None else np.asarray(community, bool),
        budget=budget,
        base_time=initial.own_staff_time(budget),
        capacity=capacity,
        capacity_start=capacity.copy(),
        guarding=guarding,
        identity=identity,
        desire=desire,
        active=np.ones(count, dtype=bool),
        satisfaction=np.zeros(count),
        received=np.zeros(count),
        usual_grant=np.zeros(count),
        short_funding=np.zeros(count),
        short_trust=np.zeros(count),
        short_champion=np.zeros(count),
        short_stall=np.zeros(count),
        left_step=np.full(count, NONE, dtype=np.int64),
        left_reason=np.full(count, NONE, dtype=np.int64),
        joined_step=np.zeros(count, dtype=np.int64),
    )


def draw_trust(params: Params, rng: np.random.Generator, shape, history: float = 0.0) -> np.ndarray:
    """Trust between organizations that have not worked together: the scenario's mean, shifted by the community's
    own ``history``, plus spread across pairs, within 0..1."""
    organizations = params.organizations
    return initial.starting_trust(organizations.initial_trust, history, organizations.trust_spread,
                                  rng.standard_normal(shape))


def draw_purposes(params: Params, rng: np.random.Generator, count: int) -> np.ndarray:
    """The level each pair's joint purpose needs, drawn with ``continuum.purpose_mix`` for the pairs ``i < j`` in
    row-major order (one draw per pair), symmetric."""
    weights = np.asarray(params.continuum.purpose_mix, dtype=float)
    upper = _upper_triangle(count)
    purpose = np.zeros((count, count), dtype=np.int8)
    purpose[upper] = rng.choice(weights.size, size=upper[0].size, p=weights / weights.sum())
    return purpose + purpose.T


@functools.lru_cache(maxsize=32)
def _upper_triangle(count: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.triu_indices(count, k=1)``, kept (read-only) for the sizes a sweep draws again and again."""
    rows, cols = np.triu_indices(count, k=1)
    rows.flags.writeable = False
    cols.flags.writeable = False
    return rows, cols


def draw_history(params: Params, rng: np.random.Generator) -> float:
    """How far this community's history shifts the initial trust of all its pairs (one draw per partnership)."""
    return params.organizations.history_spread * float(rng.standard_normal())


def founding_grant_value(params: Params) -> float:
    """Dollars of one grant of the founding funder, whole."""
    return float(params.funding.grant_months) * float(params.funding.monthly_amount)


def has_founding_grant(params: Params) -> bool:
    return params.funding.grant_months > 0 and params.funding.monthly_amount > 0


def funder_budgets(params: Params) -> np.ndarray:
    """What each funder can still commit: the founding funder, then each other funder (inf: no limit)."""
    budgets = [params.funding.budget] + [params.other_funders.budget] * params.other_funders.count
    return np.array([b if b > 0 else np.inf for b in budgets], dtype=np.float64)


def choose_convener(orgs: OrgState, params: Params, founding: int | None = None) -> int:
    """Who convenes, among the first ``founding`` organizations (all by default): the lead agency under a lead
    agency (the largest institution), otherwise the most capable member (the one that would write the proposal;
    ties to the first). Under a backbone the backbone's staff convene, and this member is only its host."""
    rows = slice(0, founding)
    return initial.convener(params.governance.mode == "lead_agency", orgs.community[rows], orgs.budget[rows],
                            orgs.capacity[rows])


def start_partnership(orgs: OrgState, trust: np.ndarray, purpose: np.ndarray, params: Params,
                      convener: int | None = None, founding: int | None = None) -> State:
    """A partnership of ``orgs`` on the day it forms: the founding members at the table, every pair of them
    networking, the founding grant's first month ahead (committed whole), the convener with its champion.

    The first ``founding`` organizations (all by default) are its founding members; the rest are candidates it may
    invite later (sim.rules.joining). Under gradual inclusion only a core of the founding members starts
    (:func:`sim.rules.initial.founding_core`); the others are candidates too. ``purpose`` is the level each
    pair's purpose needs (:func:`draw_purposes`). ``convener`` is its row (default: chosen by
    :func:`choose_convener` among the founding members).
    """
    count = int(orgs.sector.size)
    founding = count if founding is None else founding
    convener = choose_convener(orgs, params, founding) if convener is None else convener
    starting = np.zeros(count, dtype=bool)
    if params.membership.inclusion == "gradual":
        starting[:founding] = initial.founding_core(trust[:founding, convener], convener, params.membership.core_size)
    else:
        starting[:founding] = True
    orgs.active[:] = starting
    orgs.joined_step[:] = np.where(starting, 0, NOT_JOINED)
    trust = trust.copy()
    np.fill_diagonal(trust, 0.0)
    level = np.where(np.outer(starting, starting), 0, NO_TIE).astype(np.int8)
    np.fill_diagonal(level, NO_TIE)
    pairs = PairState(trust=trust, level=level, months_at_level=np.zeros((count, count), dtype=np.int32),
                      purpose=purpose.astype(np.int8))
    funded = has_founding_grant(params)
    partnership = partnership_arrays(1, params.other_funders.count)
    partnership.funded[0] = funded
    partnership.grants_received[0] = 1 if funded else 0
    partnership.funding_end[0] = NONE if funded else 0
    partnership.grant_end[0] = NONE if funded else 0
    partnership.convener[0] = convener
    partnership.founding[0] = founding
    partnership.funders_used[0] = (1 << FOUNDING_FUNDER_BIT) if funded else 0
    partnership.committed[0] = founding_grant_value(params) if funded else 0.0
    return State(orgs=orgs, pairs=pairs, partnerships=partnership)


def initial_state(params: Params, rng: np.random.Generator) -> State:
    """Draw the starting organizations and pairs of one partnership from the model's generator."""
    count, pool = params.organizations.count, params.membership.pool
    orgs = draw_organizations(params, rng, count,
                              initial.lowest_desire(params.funding.mandated, params.organizations.self_selection), pool)
    history = draw_history(params, rng)
    trust = draw_trust(params, rng, (count + pool, count + pool), history)
    return start_partnership(orgs, trust, draw_purposes(params, rng, count + pool), params, founding=count)
