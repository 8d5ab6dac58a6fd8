"""EcosystemModel: a region of organizations among which partnerships form, grow, reach scale or dissolve.

The region's organizations and who knows whom (:mod:`sim.region.network`, dense or
edge arrays by size) belong to the model. Each partnership is the model of
:mod:`sim.month` on its members: its own small dense pair arrays, its own grant
clock, phases and record, kept with all the others in one table of flat arrays
(:class:`sim.region.table.PartnershipTable`) so that one compiled call takes all their
months. A month, in order (docs/ODD.md, "A region's month"):

1. at a call month (months 1, 1 + ``call_months``, ..., ``calls`` of them if
   ``calls`` > 0) the funder funds new
   partnerships (:mod:`sim.rules.formation`); trust between members that know
   each other comes from the network, between strangers it is drawn fresh;
2. every live partnership, in the order they formed, takes its month (the
   single-partnership month, drawing from the region's generator); a
   dissolved partnership's community outcome keeps moving (decay, or public
   upkeep at scale), as after a collapse in a single partnership's run;
3. members that walked away, and all members of a partnership that collapsed,
   are free again: their capacity and the trust of every pair they worked in
   go back to the region (pairs that worked together now know each other);
   candidates who joined a partnership count as its members from now on.

An organization may belong to up to ``ecosystem.max_partnerships`` live partnerships;
its own staff time is split evenly among them (each partnership's copy of it is
updated whenever the number changes), and a partnership's candidates who are in as
many partnerships as they may be are not invited while so.

A partnership that outlives its funding keeps its members until it dissolves.
Every partnership is recorded to the region's last month, so its summary reads
as a single partnership's run of the same length would.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import mesa
import numpy as np
import pandas as pd

from sim.collect import MonthlyCollector
from sim.errors import ScenarioError
from sim.model_setup import settle
from sim.money import DOLLAR_KEYS, dollars_summary
from sim.packed import pack
from sim.params import LEVELS, Params, to_dict
from sim.record import FACTS, MONEY, WORK, DEPARTURES, Recorder, start_row, summarize
from sim.region.agents import RegionalOrganization
from sim.region.kernel import region_month, release_members
from sim.region.network import acquaintance_pairs, make_ties, resolve_layout
from sim.region.table import PartnershipTable
from sim.rules import formation
from sim.state import (BUSY, GOALS_MET, NONE, NOT_JOINED, OrgState, State, draw_organizations, draw_purposes,
                       draw_trust, founding_grant_value, funder_budgets, start_partnership)

ECOSYSTEM_COLUMNS = (
    "step", "partnerships_live", "partnerships_formed", "partnerships_at_scale", "partnerships_collapsed",
    "partnerships_goals_met", "formed", "reached_scale", "collapsed", "goals_met", "organizations_in_partnerships",
    "funding", "joint_work",
    "mean_community_outcome", "acquainted_pairs",
)
_COLUMN = {name: i for i, name in enumerate(ECOSYSTEM_COLUMNS)}
ECOSYSTEM_SUMMARY_KEYS = (
    "scenario", "seed", "steps", "params", "organizations", "initial_acquainted_pairs", "final_acquainted_pairs",
    "partnerships_formed", "partnerships_reached_scale", "partnerships_collapsed", "partnerships_goals_met",
    "partnerships_live_at_end",
    "share_reached_scale", "share_collapsed", "median_months_to_scale", "median_months_to_collapse",
    "partnerships_funding_ended", "partnerships_sustained_after_funding", "organizations_ever_in_partnership",
    "final_organizations_in_partnerships", "mean_final_community_outcome", *DOLLAR_KEYS,
)
PARTNERSHIP_COLUMNS = (
    "partnership", "convener", "convener_sector", "formed_step", "members", "community_members", "final_status",
    "reached_scale", "scale_step", "goals_met", "collapsed", "collapse_step", "collapse_cause", "end_step", "end_cause",
    "funding_end_step", "sustained_after_funding", "members_at_grant_end", "funding_sources",
    "grants_received", "max_level", "final_phase", "final_active_members", "final_mean_trust",
    "final_community_outcome",
)

# Types of the partnerships table, also when no partnership formed (nullable where a value may be missing).
PARTNERSHIP_DTYPES = {
    "partnership": "int64", "convener": "int64", "convener_sector": "string", "formed_step": "int64",
    "members": "int64", "community_members": "int64", "final_status": "string", "reached_scale": "bool",
    "scale_step": "Int64", "goals_met": "bool", "collapsed": "bool", "collapse_step": "Int64", "collapse_cause": "string",
    "end_step": "Int64", "end_cause": "string", "funding_end_step": "Int64", "members_at_grant_end": "Int64",
    "funding_sources": "int64",
    "sustained_after_funding": "boolean", "grants_received": "int64", "max_level": "string", "final_phase": "string",
    "final_active_members": "int64", "final_mean_trust": "float64", "final_community_outcome": "float64",
}


class RegionStart(NamedTuple):
    """A region's organizations and who knows whom, given rather than drawn (from data: :mod:`sim.inputdata.region`):
    the directed ties ``rows[k] -> cols[k]`` (both directions of every acquainted pair) with the trust ``rows[k]``
    places in ``cols[k]``."""

    orgs: OrgState
    rows: np.ndarray
    cols: np.ndarray
    trust: np.ndarray


@dataclass
class RegionalPartnership:
    """One partnership of the region: its members' ids; its state lives in the model's table."""

    index: int
    members: np.ndarray       # region ids, in the order of the state's rows: the convener, the founding members, then
    #                           the candidates it may invite later
    formed_step: int          # the region's month whose end is the partnership's month 0
    model: "EcosystemModel"
    founding: int = 0         # how many of ``members`` founded it (the rest are candidates)

    @property
    def state(self) -> State:
        """A snapshot of its state now (a copy: the model's table moves on without it)."""
        return self.model.table.state(self.index).copy()

    @property
    def recorder(self) -> Recorder:
        """Its record from its month 0 to the region's month now."""
        return self.model.table.recorder(self.index, self.model.month - self.formed_step + 1)

    @property
    def live(self) -> bool:
        return bool(self.model.table.end_step[self.index] < 0)


class EcosystemModel(mesa.Model):
    """A region of ``params.ecosystem.organizations`` organizations under one funder's calls.

    ``params`` defaults to the ``region`` scenario; keyword parameters, ``rng``, Mesa's ``scenario``,
    ``scenario_name`` and ``agent_reporters`` (of each :class:`sim.region.agents.RegionalOrganization`) work as
    for :class:`sim.model.PartnershipModel`: ``rng=None`` draws a fresh seed, recorded as ``model.seed``.
    ``layout`` chooses the network's storage: ``"dense"``, ``"sparse"`` or ``"auto"`` (dense up to
    :data:`sim.region.network.DENSE_LIMIT` organizations). Results do not depend on it.
    ``start`` gives the organizations and who knows whom instead of drawing them (:class:`RegionStart`).
    """

    base_scenario: ClassVar[str] = "region"  # the parameters when none are given
    agent_reporters: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, params: Params | None = None, *, rng: Any = None, scenario: Any = None,
                 scenario_name: str | None = None, agent_reporters: Mapping[str, Any] | None = None,
                 layout: str | None = None, start: RegionStart | None = None, **parameters: Any) -> None:
        params, seed, scenario_name = settle(type(self), params, rng, scenario, scenario_name, parameters)
        if params.ecosystem.organizations < 1:
            raise ScenarioError(type(self).__name__, "ecosystem.organizations", "0 is one partnership, not a region",
                                "an integer from organizations.count (use PartnershipModel for one partnership)")
        super().__init__(rng=np.random.default_rng(seed))
        if scenario is not None:
            self.scenario = scenario  # Mesa's own (its rng was taken as the seed above)
        self.seed = seed
        self.params = params
        self.scenario_name = scenario_name
        region = params.ecosystem
        count = region.organizations
        self.packed = pack(params)
        self.layout = resolve_layout(layout, count)

        if start is None:
            # Sectors are dealt in blocks; shuffling spreads them over the neighbourhoods.
            orgs = draw_organizations(params, self.rng, count, lowest_desire=0.0)
            order = self.rng.permutation(count)
            low, high = acquaintance_pairs(count, region.acquaintances, region.neighbourhood_size, region.local_share,
                                           self.rng)
            start = RegionStart(orgs.take(order), np.concatenate((low, high)), np.concatenate((high, low)),
                                draw_trust(params, self.rng, 2 * low.size))
        self.orgs = start.orgs
        self.orgs.active[:] = False  # active: member of a live partnership
        self.ties = make_ties(self.layout, count, start.rows, start.cols, start.trust)
        self.initial_acquainted_pairs = self.ties.tie_count // 2

        self.memberships = np.zeros(count, dtype=np.int64)  # live partnerships each organization is a member of
        self.ever_member = np.zeros(count, dtype=bool)
        self.row_org = np.zeros(0, dtype=np.int64)  # the region id of each row of the table's organization arrays
        self.row_partnership = np.zeros(0, dtype=np.int64)  # and the partnership it belongs to
        self.partnerships: list[RegionalPartnership] = []
        self.table = PartnershipTable(params.other_funders.count)
        self.budgets = funder_budgets(params)  # what each funder can still commit, shared by the region's partnerships
        self._live: list[RegionalPartnership] = []
        self._dissolved: list[RegionalPartnership] = []
        self.organizations = [RegionalOrganization(self, index) for index in range(count)]
        self._rows = np.zeros((params.steps + 1, len(ECOSYSTEM_COLUMNS)))
        self.month = 0
        self._record(0, formed=0, reached=0, collapsed=0, goals_met=0, money=0.0, work=0.0)
        self._collection = MonthlyCollector(ECOSYSTEM_COLUMNS,
                                            self.agent_reporters if agent_reporters is None else agent_reporters)
        self._collection.collect_agents(self)

    @property
    def datacollector(self) -> mesa.DataCollector:
        """Mesa's DataCollector: model reporters ``seed`` and every column of the region's time series but ``step``,
        one value per month; agent reporters at each month."""
        return self._collection.read(self)

    # ------------------------------------------------------------------ the month

    def step(self) -> None:
        if self.month >= self.params.steps:
            self.running = False
            return
        self.month += 1
        month = self.month
        region = self.params.ecosystem
        formed = 0
        if region.grants_per_call and is_call_month(month, region.call_months, region.calls):
            formed = self._call(month)
        collapsed = goals_met = 0
        table = self.table
        live = np.array([p.index for p in self._live], dtype=np.int64)
        self._sync_rows()
        was_active = table.orgs.active[:table.org_start[-1]].copy()
        had_scale = table.scale_step[live] >= 0
        facts = np.zeros((live.size, len(FACTS)))
        region_month(live, np.array([p.index for p in self._dissolved], dtype=np.int64), table.org_start,
                     table.pair_start, table.rec_start, table.formed_step, table.orgs, table.trust, table.level,
                     table.months, table.purpose, table.partnerships, table.records, table.first_at_level, self.packed, self.budgets,
                     self.rng,
                     month, facts)
        # Added up one partnership after another, in the order they formed.
        money = float(np.cumsum(facts[:, MONEY])[-1]) if live.size else 0.0
        work = float(np.cumsum(facts[:, WORK])[-1]) if live.size else 0.0
        reached = int(np.count_nonzero((table.scale_step[live] >= 0) & ~had_scale))
        joined = self.row_org[~was_active & table.orgs.active[:table.org_start[-1]]]
        self.memberships[joined] += 1
        self.orgs.active[joined] = True
        self.ever_member[joined] = True
        still_live = table.end_step[live] < 0
        departed = np.flatnonzero(facts[:, DEPARTURES] > 0)  # members walked away, or all went with a collapse
        if departed.size:
            released = release_members(live[departed], table.org_start, table.pair_start, table.trust, was_active,
                                       table.orgs.active, self.row_org, table.orgs.capacity, table.orgs.received,
                                       self.orgs.capacity, self.orgs.received, self.memberships, self.orgs.active)
            if released[0].size:
                self.ties.write(*released)
        for i in departed[~still_live[departed]]:
            met = int(table.end_cause[live[i]]) == GOALS_MET
            goals_met += met
            collapsed += not met
        if not still_live.all():
            self._dissolved += [p for p, kept in zip(self._live, still_live) if not kept]
            self._live = [p for p, kept in zip(self._live, still_live) if kept]
        self._record(month, formed=formed, reached=reached, collapsed=collapsed, goals_met=goals_met, money=money,
                     work=work)
        self._collection.collect_agents(self)
        if self.month >= self.params.steps:
            self.running = False

    def _call(self, month: int) -> int:
        """The funder's call: new partnerships from the free organizations and whom they know."""
        params, region = self.params, self.params.ecosystem
        count = self.orgs.sector.size
        apply_draws, accept_draws, lot_draws = self.rng.random((3, count))
        grants = formation.grants_affordable(region.grants_per_call, self.budgets[0], founding_grant_value(params))
        groups = formation.call_for_proposals(self.memberships < region.max_partnerships, self.orgs.desire,
                                              self.orgs.capacity, self.ties, apply_draws, accept_draws, grants,
                                              params.organizations.count, params.partnership.min_members,
                                              region.invite_trust, params.funding.mandated, region.funder_priority,
                                              self.orgs.community, lot_draws, region.referrals,
                                              params.membership.pool)
        states, rows_of = [], []
        for members, candidates in groups:
            everyone = np.concatenate((members, candidates))
            rows, cols = np.meshgrid(everyone, everyone, indexing="ij")
            known, trust = self.ties.lookup(rows, cols)
            fresh = draw_trust(params, self.rng, known.shape)
            orgs = self.orgs.take(everyone)
            for name in ("satisfaction", "usual_grant", "short_funding", "short_trust", "short_champion", "short_stall"):
                getattr(orgs, name)[:] = 0.0  # what a member felt in its last partnership stays there
            orgs.left_step[:] = NONE
            orgs.left_reason[:] = NONE
            purpose = draw_purposes(params, self.rng, everyone.size)
            states.append(start_partnership(orgs, np.where(known, trust, fresh), purpose, params, convener=0,
                                            founding=members.size))
            rows_of.append(everyone)
            self.budgets[0] -= founding_grant_value(params)
        indices = self.table.add(states, formed_step=month - 1, rows=params.steps - (month - 1) + 1)
        for index, (members, _), everyone, state in zip(indices, groups, rows_of, states):
            start_row(self.table.rows(index)[0], state.orgs, state.pairs, state.partnerships, self.packed,
                      self.table.first_at_level[index])
            partnership = RegionalPartnership(index=index, members=everyone, formed_step=month - 1, model=self,
                                              founding=members.size)
            self.partnerships.append(partnership)
            self._live.append(partnership)
            self.row_org = np.concatenate((self.row_org, everyone))
            self.row_partnership = np.concatenate((self.row_partnership, np.full(everyone.size, index, dtype=np.int64)))
            started = everyone[state.orgs.active]
            self.memberships[started] += 1
            self.orgs.active[started] = True
            self.ever_member[started] = True
        return len(groups)

    def _sync_rows(self) -> None:
        """Before the partnerships' month: each live partnership's copy of its organizations' own staff time is
        their time split over the partnerships they are in (a candidate's: as if it joined); a candidate in as many
        partnerships as it may be is not invited (BUSY) until it has room again."""
        rows = self.row_org.size
        if not rows:
            return
        orgs = self.table.orgs
        live_row = self.table.end_step[self.row_partnership] < 0
        active = orgs.active[:rows]
        shares = np.maximum(self.memberships[self.row_org] + ~active, 1)
        orgs.base_time[:rows] = np.where(live_row, self.orgs.base_time[self.row_org] / shares, orgs.base_time[:rows])
        waiting = live_row & ((orgs.joined_step[:rows] == NOT_JOINED) | (orgs.joined_step[:rows] == BUSY))
        full = self.memberships[self.row_org] >= self.params.ecosystem.max_partnerships
        orgs.joined_step[:rows] = np.where(waiting, np.where(full, BUSY, NOT_JOINED), orgs.joined_step[:rows])

    # ------------------------------------------------------------------ records

    def _record(self, month: int, *, formed: int, reached: int, collapsed: int, goals_met: int, money: float,
                work: float) -> None:
        previous = self._rows[month - 1] if month else np.zeros(len(ECOSYSTEM_COLUMNS))
        live = self._live
        outcome = float(np.mean(self.table.partnerships.outcome[[p.index for p in live]])) if live else 0.0
        row = self._rows[month]
        row[_COLUMN["step"]] = month
        row[_COLUMN["partnerships_live"]] = len(live)
        row[_COLUMN["partnerships_formed"]] = previous[_COLUMN["partnerships_formed"]] + formed
        row[_COLUMN["partnerships_at_scale"]] = previous[_COLUMN["partnerships_at_scale"]] + reached
        row[_COLUMN["partnerships_collapsed"]] = previous[_COLUMN["partnerships_collapsed"]] + collapsed
        row[_COLUMN["partnerships_goals_met"]] = previous[_COLUMN["partnerships_goals_met"]] + goals_met
        row[_COLUMN["formed"]] = formed
        row[_COLUMN["reached_scale"]] = reached
        row[_COLUMN["collapsed"]] = collapsed
        row[_COLUMN["goals_met"]] = goals_met
        row[_COLUMN["organizations_in_partnerships"]] = int(np.count_nonzero(self.memberships))
        row[_COLUMN["funding"]] = money
        row[_COLUMN["joint_work"]] = work
        row[_COLUMN["mean_community_outcome"]] = outcome
        row[_COLUMN["acquainted_pairs"]] = self.ties.tie_count // 2

    def timeseries(self) -> pd.DataFrame:
        """The region month by month: row ``s`` is the state after month ``s``."""
        rows = self._rows[: self.month + 1]
        floats = {"funding", "joint_work", "mean_community_outcome"}
        return pd.DataFrame({name: rows[:, i] if name in floats else rows[:, i].astype(np.int64)
                             for i, name in enumerate(ECOSYSTEM_COLUMNS)}, columns=list(ECOSYSTEM_COLUMNS))

    def partnership_summaries(self) -> list[dict]:
        """Each partnership's summary (:func:`sim.record.summarize`), its months counted from the region's start."""
        out = []
        for p in self.partnerships:
            state = self.table.state(p.index)
            summary = summarize(self.scenario_name, self.params, state, p.recorder)
            summary["steps"] = self.month  # the region's months, the clock of every other month here
            for key in ("scale_step", "collapse_step", "funding_end_step", "end_step", "grant_end_step", "goals_met_step"):
                if summary[key] is not None:
                    summary[key] += p.formed_step
            summary["first_step_at_level"] = {name: None if step is None else step + p.formed_step
                                              for name, step in summary["first_step_at_level"].items()}
            summary.update(partnership=p.index, convener=int(p.members[0]),
                           convener_sector=self.organizations[int(p.members[0])].sector, formed_step=p.formed_step,
                           members=p.founding, community_members=int(np.count_nonzero(state.orgs.community[:p.founding])))
            out.append(summary)
        return out

    def partnerships_frame(self) -> pd.DataFrame:
        """One row per partnership that formed (tidy; months counted from the region's start)."""
        summaries = self.partnership_summaries()
        frame = pd.DataFrame([{key: s[key] for key in PARTNERSHIP_COLUMNS} for s in summaries],
                             columns=list(PARTNERSHIP_COLUMNS))
        return frame.astype(PARTNERSHIP_DTYPES)

    def partnership_timeseries(self) -> pd.DataFrame:
        """Every partnership's monthly record (columns of :data:`sim.record.COLUMNS`), tidy, with the region's month."""
        frames = []
        for p in self.partnerships:
            frame = p.recorder.frame()
            frame.insert(0, "partnership", p.index)
            frame["step"] = frame["step"] + p.formed_step
            frames.append(frame)
        if not frames:
            empty = Recorder(0).frame().iloc[:0]
            empty.insert(0, "partnership", pd.Series(dtype=np.int64))
            return empty
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> dict:
        summaries = self.partnership_summaries()
        formed = len(summaries)
        scaled = [s for s in summaries if s["reached_scale"]]
        collapsed = [s for s in summaries if s["collapsed"]]
        ended = [s for s in summaries if s["sustained_after_funding"] is not None]
        return {
            "scenario": self.scenario_name,
            "seed": self.params.seed,
            "steps": self.month,
            "params": to_dict(self.params),
            "organizations": int(self.orgs.sector.size),
            "initial_acquainted_pairs": int(self.initial_acquainted_pairs),
            "final_acquainted_pairs": int(self.ties.tie_count // 2),
            "partnerships_formed": formed,
            "partnerships_reached_scale": len(scaled),
            "partnerships_collapsed": len(collapsed),
            "partnerships_goals_met": sum(1 for s in summaries if s["goals_met"]),
            "partnerships_live_at_end": sum(1 for s in summaries if not s["ended"]),
            "share_reached_scale": len(scaled) / formed if formed else None,
            "share_collapsed": len(collapsed) / formed if formed else None,
            "median_months_to_scale": _median([s["scale_step"] - s["formed_step"] for s in scaled]),
            "median_months_to_collapse": _median([s["collapse_step"] - s["formed_step"] for s in collapsed]),
            "partnerships_funding_ended": len(ended),
            "partnerships_sustained_after_funding": sum(1 for s in ended if s["sustained_after_funding"]),
            "organizations_ever_in_partnership": int(np.count_nonzero(self.ever_member)),
            "final_organizations_in_partnerships": int(np.count_nonzero(self.memberships)),
            "mean_final_community_outcome": (float(np.mean([s["final_community_outcome"] for s in summaries]))
                                             if summaries else None),
            **dollars_summary(self._rows[: self.month + 1, _COLUMN["funding"]],
                              float(np.sum(self.table.partnerships.committed))),
        }


def is_call_month(month: int, call_months: int, calls: int) -> bool:
    """Whether the funder calls for proposals in ``month`` (1, 1 + call_months, ...; at most ``calls`` if above 0)."""
    since_first = month - 1
    return since_first >= 0 and since_first % call_months == 0 and (calls == 0 or since_first // call_months < calls)


def _median(values: list) -> float | None:
    if not values:
        return None
    value = float(np.median(values))
    return value if math.isfinite(value) else None


__all__ = ["EcosystemModel", "ECOSYSTEM_COLUMNS", "ECOSYSTEM_SUMMARY_KEYS", "PARTNERSHIP_COLUMNS", "LEVELS"]
