"""A partnership's month 0 from data: the roster's organizations and the survey's pairs, every gap filled by a
stated rule (docs/DATA.md, docs/ODD.md section 5).

Two generators, each for its own part of the start:

- **What the data describe** (the roster's organizations and the pairs among them) is completed from a generator
  of its own, seeded by the data's ``seed``, never by the run's: every run of a sweep, and every ``--seed``, starts
  from the same coalition, filled the same way. It makes the random start's draws in the random start's order
  (budgets, pride, desire, the community's history, trust), each of them whether or not the data leave a gap
  there, so that one organization's gap never moves another's draw. A roster that gives nothing but the sectors a
  random start would deal, and no survey, is the random start's organizations and trust of that seed, bit for bit.
- **What lies beyond the data** is drawn from the run's own generator (the model's), as a random start draws it,
  so replicates vary it: the candidates of the pool when the roster lists none (``membership.pool`` of them, with
  the scenario's sector mix, and their trust with everyone), then the purpose of every pair the data give none.

The rules (each organization, each pair):

- **members and candidates**: the roster's ``member`` column (blank: yes). Members are the founding members, at
  the table from month 0 (``joined_step`` 0) whatever ``membership.inclusion`` says, since a roster lists who is
  there; candidates (``no``) are the pool the partnership may invite (ODD 7.13). Without a ``member`` column every
  organization is a member and the pool is drawn;
- **budget**: the roster's; else its ``size`` as the 10th, 50th or 90th percentile of its sector's budgets
  (small, medium, large); else drawn as in a random start;
- **community**: the roster's answer; else from the sector (grassroots groups and the beneficiaries' own
  organizations);
- **capacity**: the roster's (now and to drift back to); else from the budget, as in a random start;
- **desire**: the roster's; else drawn as in a random start;
- **pride** (identity), **turf guarded**, **own staff time**: as in a random start;
- **trust** ``[i, j]``, how far ``i`` trusts ``j``: ``i``'s answers about ``j`` (the mean of the trust items it
  answered, mapped from the survey's scale onto 0..1); else ``j``'s answers about ``i`` (the partner's answer
  about the pair); else drawn as in a random start, with the community's history;
- **level** of the pair ``{i, j}`` of two members: if both answered, the lower of the two (a pair goes as far as its
  more reluctant side); if one did, its answer; else networking, where every pair of a random start begins. A
  survey level maps onto the continuum by its rank in the codebook's levels. A pair with a candidate has no level
  until the candidate joins (at networking);
- **purpose** of the pair ``{i, j}`` (the level its joint purpose needs): given by the same rule as the level (both:
  the lower; one: its); else drawn from the run's generator with ``continuum.purpose_mix``;
- **months at its level**: 0 for every pair (a survey does not say how long).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.inputdata.load import StartingData
from sim.inputdata.roster import Roster
from sim.params import LEVELS, SECTORS, Params
from sim.rules import initial
from sim.state import (COMMUNITY_SECTORS, NO_TIE, NOT_JOINED, OrgState, State, draw_history, draw_organizations,
                       draw_purposes, draw_trust, organizations_of, sector_median_budgets, start_partnership)

# The standard normal's 90th percentile: small and large organizations sit this many spreads below or above their
# sector's median budget (medium at the median).
DECILE_Z = 1.2815515655446004
SIZE_Z = np.array([-DECILE_Z, 0.0, DECILE_Z])

TRUST_SOURCES = ("answered", "partner's answer", "drawn")
LEVEL_SOURCES = ("both answered (the lower)", "answered", "partner's answer", "not answered (networking)",
                 "with a candidate (no level until it joins)")
PURPOSE_SOURCES = ("both given (the lower)", "given", "partner's row", "drawn (the run's generator)")
POOL_ID = "pool"


@dataclass(frozen=True)
class Draws:
    """The random start's draws, in its order; each is used only where the data leave a gap."""

    budget: np.ndarray    # standard normal, one per organization
    identity: np.ndarray  # uniform, one per organization
    desire: np.ndarray    # uniform, one per organization

    @classmethod
    def of(cls, rng: np.random.Generator, count: int) -> "Draws":
        return cls(budget=rng.standard_normal(count), identity=rng.random(count), desire=rng.random(count))


def fill_generator(data: StartingData) -> np.random.Generator:
    """The generator that fills the gaps in what the data describe: the data's own seed, the same for every run."""
    return np.random.default_rng(data.spec.seed)


def pool_ids(taken: tuple, count: int) -> tuple:
    """Ids for ``count`` candidates drawn beyond the roster (``pool1``, ...), none of them one of ``taken``."""
    width = len(str(count))
    used = set(taken)
    ids = []
    for k in range(count):
        name = f"{POOL_ID}{k + 1:0{width}d}"
        while name in used:
            name = "_" + name
        used.add(name)
        ids.append(name)
    return tuple(ids)


def organizations(roster: Roster, draws: Draws, params: Params, lowest_desire: float) -> tuple[OrgState, pd.DataFrame]:
    """The roster's organizations, gaps filled; and a table of the roster's answers beside the model's values."""
    organizations_ = params.organizations
    medians = sector_median_budgets(roster.sector)
    has_budget = ~np.isnan(roster.budget)
    has_size = roster.size >= 0
    spread_z = np.where(has_size, SIZE_Z[np.maximum(roster.size, 0)], draws.budget)
    budget = np.where(has_budget, roster.budget, medians * np.exp(organizations_.size_spread * spread_z))
    desire = np.where(np.isnan(roster.desire), lowest_desire + (1.0 - lowest_desire) * draws.desire, roster.desire)
    from_sector = np.isin(roster.sector, [SECTORS.index(s) for s in COMMUNITY_SECTORS])
    community = np.where(roster.community >= 0, roster.community == 1, from_sector)
    capacity = np.where(np.isnan(roster.capacity), initial.starting_capacity(budget), roster.capacity)
    orgs = organizations_of(roster.sector, budget, organizations_.identity_strength * draws.identity, desire, params,
                            community=community, capacity=capacity)
    answers = {name: roster.answers.get(name, [""] * roster.count) for name in
               ("member", "sector", "budget", "size", "community", "capacity", "desire")}
    table = pd.DataFrame({
        "id": list(roster.ids), "name": list(roster.names),
        "member_answer": answers["member"], "member": np.where(roster.member, "yes", "no"),
        "sector_answer": answers["sector"], "sector": [SECTORS[s] for s in roster.sector],
        "budget_answer": answers["budget"], "size_answer": answers["size"], "budget": budget,
        "budget_source": np.where(has_budget, "given", np.where(has_size, "from size", "drawn")),
        "community_answer": answers["community"], "community": orgs.community,
        "capacity_answer": answers["capacity"], "capacity": orgs.capacity,
        "capacity_source": np.where(np.isnan(roster.capacity), "from budget", "given"),
        "desire_answer": answers["desire"], "desire": orgs.desire,
        "desire_source": np.where(np.isnan(roster.desire), "drawn", "given"),
        "identity": orgs.identity, "guarding": orgs.guarding, "base_time": orgs.base_time,
    })
    return orgs, table


def pair_rule(said: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A pair's value from directed answers ``said[i, j]`` (-1: none): both sides, the lower; one side, its own;
    neither, -1. And where each came from: 0 both, 1 ``i``'s, 2 ``j``'s, 3 neither."""
    mine, partners = said, said.T
    both, one, other = (mine >= 0) & (partners >= 0), mine >= 0, partners >= 0
    value = np.where(both, np.minimum(mine, partners), np.where(one, mine, np.where(other, partners, -1)))
    source = np.where(both, 0, np.where(one, 1, np.where(other, 2, 3)))
    return value, source


@dataclass(frozen=True)
class Founding:
    """A partnership from data before the run's generator completes it: the data's organizations (members first)
    and the pairs among them, gaps filled; :meth:`state` adds what lies beyond the data."""

    data: StartingData
    params: Params
    orgs: OrgState
    org_table: pd.DataFrame
    trust: np.ndarray          # (N, N) directed, filled
    trust_source: np.ndarray   # (N, N) codes into TRUST_SOURCES
    row_of: np.ndarray         # (N, N) the survey row of i's answers about j, -1 where none
    level: np.ndarray          # (N, N) the pair's level from the answers by rank, -1 where neither answered
    level_source: np.ndarray   # (N, N) codes into LEVEL_SOURCES
    purpose: np.ndarray        # (N, N) the pair's purpose from the answers, -1 where not given
    purpose_source: np.ndarray  # (N, N) codes into PURPOSE_SOURCES (the last: drawn)
    history: float             # the community's history (shifts drawn trust, the pool's too)
    lowest_desire: float
    drawn_pool: int            # candidates to draw from the run's generator (0 when the roster lists candidates)

    @property
    def members(self) -> int:
        return self.data.roster.members

    @property
    def ids(self) -> tuple:
        """Every organization's id in the model's order: the roster's, then the drawn candidates'."""
        return self.data.roster.ids + pool_ids(self.data.roster.ids, self.drawn_pool)

    @property
    def names(self) -> tuple:
        return self.data.roster.names + tuple(f"drawn candidate {k + 1}" for k in range(self.drawn_pool))

    def needs_generator(self) -> bool:
        """Whether :meth:`state` draws from the run's generator (a drawn pool, or a pair without a purpose)."""
        off_diagonal = ~np.eye(self.purpose.shape[0], dtype=bool)
        return self.drawn_pool > 0 or bool((self.purpose[off_diagonal] < 0).any())

    def state(self, params: Params, rng: np.random.Generator | None) -> State:
        """Month 0: the data's organizations and pairs, then from ``rng`` (the run's generator) the drawn pool and
        its trust, then the purposes of the pairs the data give none (``rng`` may be None when there is nothing to
        draw, :meth:`needs_generator`)."""
        count, pool = self.orgs.sector.size, self.drawn_pool
        orgs, trust = self.orgs.copy(), self.trust
        if pool:
            drawn = draw_organizations(params, rng, 0, self.lowest_desire, pool)
            orgs = OrgState(*(np.concatenate((ours, theirs)) for ours, theirs in zip(orgs, drawn)))
            trust = draw_trust(params, rng, (count + pool, count + pool), self.history)
            trust[:count, :count] = self.trust
        total = count + pool
        purpose = np.full((total, total), -1, dtype=np.int64)
        purpose[:count, :count] = self.purpose
        np.fill_diagonal(purpose, 0)
        if (purpose < 0).any():
            purpose = np.where(purpose >= 0, purpose, draw_purposes(params, rng, total))
        state = start_partnership(orgs, trust, purpose, params, founding=self.members)
        # The roster's members are at the table from month 0, whatever the inclusion: the roster says who is there.
        at_table = np.arange(total) < self.members
        state.orgs.active[:] = at_table
        state.orgs.joined_step[:] = np.where(at_table, 0, NOT_JOINED)
        level = np.full((total, total), NO_TIE, dtype=np.int8)
        members = slice(0, self.members)
        level[members, members] = np.where(self.level[members, members] >= 0, self.level[members, members], 0)
        np.fill_diagonal(level, NO_TIE)
        state.pairs.level[:] = level
        return state

    def tables(self, state: State) -> dict:
        """The data's answers beside the values the model took (``state``: month 0 of the run), by file name."""
        written = {"start_organizations.csv": self._org_table(state),
                   "start_relationships.csv": self._pair_table(state)}
        if self.data.factors is not None:
            written["start_factors.csv"] = pd.DataFrame(self.data.factors.report(self.params))
        return written

    def _org_table(self, state: State) -> pd.DataFrame:
        if not self.drawn_pool:
            return self.org_table
        rows = np.arange(self.orgs.sector.size, state.count)
        orgs = state.orgs
        drawn = pd.DataFrame({
            "id": list(self.ids[self.orgs.sector.size:]), "name": list(self.names[self.orgs.sector.size:]),
            "member_answer": "", "member": "no", "sector_answer": "", "sector": [SECTORS[s] for s in orgs.sector[rows]],
            "budget_answer": "", "size_answer": "", "budget": orgs.budget[rows], "budget_source": "drawn (pool)",
            "community_answer": "", "community": orgs.community[rows], "capacity_answer": "",
            "capacity": orgs.capacity[rows], "capacity_source": "from budget", "desire_answer": "",
            "desire": orgs.desire[rows], "desire_source": "drawn (pool)", "identity": orgs.identity[rows],
            "guarding": orgs.guarding[rows], "base_time": orgs.base_time[rows]})
        return pd.concat([self.org_table, drawn], ignore_index=True)

    def _pair_table(self, state: State) -> pd.DataFrame:
        """One row per ordered pair of the data's organizations: what the respondent answered about the partner
        beside the model's values."""
        roster, survey = self.data.roster, self.data.relationships
        count = roster.count
        i, j = np.nonzero(~np.eye(count, dtype=bool))
        rows = self.row_of[i, j]  # -1 where the respondent said nothing about the partner: the padding row below
        ids = np.array(roster.ids, dtype=object)
        table = {"respondent": ids[i], "partner": ids[j]}
        for name in ("level", "purpose"):
            cells = np.array([*(survey.answers[name] if survey is not None else []), ""], dtype=object)
            table[f"{name}_answer"] = cells[rows]
        if survey is not None:
            ratings = np.vstack([survey.ratings, np.full((1, len(survey.items)), np.nan)])
            for k, item in enumerate(survey.items):
                table[f"{item}_answer"] = ratings[rows, k]
        labels = np.array([*LEVELS, ""], dtype=object)  # NO_TIE (-1) picks the blank
        table["level"] = labels[state.pairs.level[i, j]]
        members = roster.member
        level_source = np.where(members[i] & members[j], self.level_source[i, j], len(LEVEL_SOURCES) - 1)
        table["level_source"] = np.array(LEVEL_SOURCES, dtype=object)[level_source]
        table["purpose"] = labels[state.pairs.purpose[i, j]]
        table["purpose_source"] = np.array(PURPOSE_SOURCES, dtype=object)[self.purpose_source[i, j]]
        table["trust"] = state.pairs.trust[i, j]
        table["trust_source"] = np.array(TRUST_SOURCES, dtype=object)[self.trust_source[i, j]]
        return pd.DataFrame(table)

    def note(self) -> str:
        """One line: what was given and what was filled."""
        roster = self.data.roster
        count, members = roster.count, roster.members
        off_diagonal = ~np.eye(count, dtype=bool)
        shares = [int(np.count_nonzero((self.trust_source == k) & off_diagonal)) for k in range(len(TRUST_SOURCES))]
        drawn = int(np.count_nonzero(self.org_table["budget_source"] == "drawn"))
        given = int(np.count_nonzero((self.purpose_source < len(PURPOSE_SOURCES) - 1) & off_diagonal)) // 2
        who = f"{count} organizations" if members == count else f"{members} members and {count - members} candidates"
        pool = f"; {self.drawn_pool} candidates drawn" if self.drawn_pool else ""
        purposes = f"{given} given, the rest drawn" if given else "all drawn"
        return (f"started from data: {who} ({roster.source}; {drawn} budgets drawn{pool}); trust of "
                f"{count * (count - 1)} directed pairs: {shares[0]} answered, {shares[1]} from the partner's answer, "
                f"{shares[2]} drawn; purposes of pairs: {purposes}")


def build(data: StartingData, params: Params) -> Founding:
    """The data's organizations and their pairs under ``params`` (which the data sized), gaps filled from the
    data's generator; :meth:`Founding.state` completes month 0 with the run's."""
    roster, survey = data.roster, data.relationships
    count = roster.count
    pool = 0 if roster.lists_candidates else params.membership.pool
    if params.organizations.count != roster.members or (roster.lists_candidates and params.membership.pool != count
                                                        - roster.members):
        raise ScenarioError(roster.source, "", f"{roster.members} members and {count - roster.members} candidates, "
                            f"the parameters are for {params.organizations.count} and a pool of {params.membership.pool}",
                            "parameters sized by these data (sim.load_scenario with the data)")
    rng = fill_generator(data)
    draws = Draws.of(rng, count)
    lowest_desire = initial.lowest_desire(params.funding.mandated, params.organizations.self_selection)
    orgs, org_table = organizations(roster, draws, params, lowest_desire)
    history = draw_history(params, rng)
    drawn = draw_trust(params, rng, (count, count), history)
    row_of = np.full((count, count), -1, dtype=np.int64)
    said_trust = np.full((count, count), np.nan)
    said_level = np.full((count, count), -1, dtype=np.int64)
    said_purpose = np.full((count, count), -1, dtype=np.int64)
    if survey is not None:
        row_of[survey.respondent, survey.partner] = np.arange(survey.rows)
        said_trust[survey.respondent, survey.partner] = survey.trust
        said_level[survey.respondent, survey.partner] = survey.level
        said_purpose[survey.respondent, survey.partner] = survey.purpose
    own, theirs = ~np.isnan(said_trust), ~np.isnan(said_trust.T)
    trust = np.where(own, said_trust, np.where(theirs, said_trust.T, drawn))
    np.fill_diagonal(trust, 0.0)
    trust_source = np.where(own, 0, np.where(theirs, 1, 2))
    level, level_source = pair_rule(said_level)
    purpose, purpose_source = pair_rule(said_purpose)
    return Founding(data=data, params=params, orgs=orgs, org_table=org_table, trust=trust, trust_source=trust_source,
                        row_of=row_of, level=level, level_source=level_source, purpose=purpose,
                        purpose_source=purpose_source, history=history, lowest_desire=lowest_desire, drawn_pool=pool)


@dataclass(frozen=True)
class Begun:
    """Where a run from data begins: ``start`` for :class:`sim.model.PartnershipModel` (a function of the run's
    generator giving month 0, or an export's :class:`~sim.state.Snapshot`), the founding (for the tables of
    answers; None when continuing an export), and one line about it."""

    start: object
    founding: Founding | None
    note: str


def begin(data: StartingData, params: Params, keep_generator: bool) -> Begun:
    """Where a run from ``data`` begins: month 0 built from the data, or, for an export (a data set with a
    ``state`` file), the export's month, continuing with the export's generator if ``keep_generator``."""
    founding = build(data, params)
    if data.continuation is None:
        return Begun(start=lambda rng: founding.state(params, rng), founding=founding, note=founding.note())
    if founding.needs_generator():
        raise ScenarioError(str(data.relationships.source if data.relationships is not None else data.spec.source),
                            "column purpose", "blank for some pairs of an export",
                            "every pair's purpose, as the export wrote it")
    continuation = data.continuation
    snapshot = continuation.snapshot(founding.state(params, None), founding.level, params, keep_generator)
    how = "its generator" if keep_generator else "a fresh generator from the run's seed"
    return Begun(start=snapshot, founding=None,
                 note=f"continued from month {continuation.month} of {continuation.scenario!r} ({continuation.source}) "
                      f"with {how}")
