"""The summary statistics a calibration target names, computed from a sample of simulated coalitions.

A published figure is a statistic over the coalitions a study observed (110 Communities That Care coalitions,
165 HCAP coalitions). The model's counterpart is the same statistic over as many simulated coalitions, so the
simulated figure carries the same sampling noise as the published one. Each statistic reads only what
:func:`sim.run` returns: the summary (``end_step``, ``end_cause``, ``funding_sources``, ``members_start``) and
the monthly time series (``active_members``, ``joint_work``, ``phase``).

The mapping of each published figure onto these outputs is in docs/CALIBRATION.md ("Targets").
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

import sim
from sim.model import PartnershipModel
from sim.params import PHASES, Params

GOALS_MET = "goals met"


@dataclass(frozen=True)
class Coalition:
    """What the statistics need of one simulated coalition (small enough to send between processes)."""

    end_step: int | None
    end_cause: str | None
    funding_sources: int
    operating: np.ndarray  # per month: a functioning core (7.8 of docs/ODD.md): not ended, enough members, joint work
    phase: np.ndarray  # per month: index into sim.params.PHASES


def coalition(result: sim.RunResult) -> Coalition:
    """The statistics' view of one run. "Operating" is the model's functioning core (docs/ODD.md 7.8): at least
    ``partnership.core_share`` of the founding members still in and joint work that month; an ended partnership
    has no active members, so it is not operating."""
    summary, series = result.summary, result.timeseries
    founding = summary["members_start"]
    active = series["active_members"].to_numpy()
    working = series["joint_work"].to_numpy() > 0.0
    operating = working & (active >= result.params.partnership.core_share * founding)
    codes = {name: i for i, name in enumerate(PHASES)}
    phase = np.array([codes[p] for p in series["phase"]], dtype=np.int8)
    return Coalition(end_step=summary["end_step"], end_cause=summary["end_cause"],
                     funding_sources=int(summary["funding_sources"]), operating=operating, phase=phase)


def _simulated(params: Params) -> Coalition:
    """:func:`coalition` of ``sim.run(params)``, read from the model's record rather than its time-series table
    (building the table took about half of a calibration's time); the same values. A region runs as ``sim.run``."""
    if params.ecosystem.organizations:
        return coalition(sim.run(params))
    model = PartnershipModel(params, rng=params.seed, scenario_name="custom")
    model.finish()
    summary, record = model.summary(), model.recorder
    founding = summary["members_start"]
    working = record.column("joint_work") > 0.0
    operating = working & (record.column("active_members").astype(np.int64) >= params.partnership.core_share * founding)
    return Coalition(end_step=summary["end_step"], end_cause=summary["end_cause"],
                     funding_sources=int(summary["funding_sources"]), operating=operating,
                     phase=record.column("phase").astype(np.int8))


def simulate(params: Params, seeds) -> list[Coalition]:
    """One coalition per seed, from ``params`` (the sample's scenario with the particle's values)."""
    return [_simulated(dataclasses.replace(params, seed=int(seed))) for seed in seeds]


# --------------------------------------------------------------------------- the statistics

def _month(coalitions: list[Coalition], month: int | None) -> int:
    last = min(len(c.operating) for c in coalitions) - 1
    return last if month is None else min(int(month), last)


def operating_share(coalitions: list[Coalition], month: int | None = None) -> float:
    """Share of coalitions still operating (a functioning core) at ``month`` (default: the last month)."""
    m = _month(coalitions, month)
    return float(np.mean([c.operating[m] for c in coalitions]))


def not_ended(c: Coalition, month: int) -> bool:
    return c.end_step is None or c.end_step > month


def not_ended_share(coalitions: list[Coalition], month: int | None = None) -> float:
    """Share of coalitions that have not ended (collapsed or closed) by ``month``: at least
    ``partnership.min_members`` members still together (default: the last month)."""
    m = _month(coalitions, month)
    return float(np.mean([not_ended(c, m) for c in coalitions]))


def yearly_end_rate(coalitions: list[Coalition], from_month: int, to_month: int) -> float:
    """Mean share of operating coalitions that stop operating each year between two months: ``1 - (S(to) /
    S(from)) ** (12 / (to - from))`` with ``S`` the operating share (nan if none operate at ``from_month``)."""
    start, end = operating_share(coalitions, from_month), operating_share(coalitions, to_month)
    if start <= 0.0:
        return math.nan
    return float(1.0 - (end / start) ** (12.0 / (int(to_month) - int(from_month))))


def goals_met_share_of_ended(coalitions: list[Coalition], month: int | None = None) -> float:
    """Among the coalitions that ended by ``month``, the share that closed because their goals were met (nan if
    none ended)."""
    m = _month(coalitions, month)
    ended = [c for c in coalitions if not not_ended(c, m)]
    if not ended:
        return math.nan
    return float(np.mean([c.end_cause == GOALS_MET for c in ended]))


def reached_phase_by(coalitions: list[Coalition], phase: str, month: int) -> float:
    """Share of coalitions that had reached ``phase`` (or a later one) by ``month``."""
    m = _month(coalitions, month)
    code = PHASES.index(phase)
    return float(np.mean([c.phase[: m + 1].max() >= code for c in coalitions]))


def funding_sources_gap(coalitions: list[Coalition], month: int | None = None) -> float:
    """Mean funding sources of the coalitions that have not ended by ``month`` minus that of those that have (nan if
    either group is empty)."""
    m = _month(coalitions, month)
    kept = [c.funding_sources for c in coalitions if not_ended(c, m)]
    gone = [c.funding_sources for c in coalitions if not not_ended(c, m)]
    if not kept or not gone:
        return math.nan
    return float(np.mean(kept) - np.mean(gone))


@dataclass(frozen=True)
class Statistic:
    compute: Callable[..., float]
    args: dict  # argument -> "month" | "phase" | "cause" (what values it takes), in the spec as keys of the target
    required: tuple
    share: bool  # a proportion: its default scale is the binomial standard error of the observed value


STATISTICS = {
    "operating_share": Statistic(operating_share, {"month": "month"}, (), True),
    "not_ended_share": Statistic(not_ended_share, {"month": "month"}, (), True),
    "yearly_end_rate": Statistic(yearly_end_rate, {"from_month": "month", "to_month": "month"},
                                 ("from_month", "to_month"), True),
    "goals_met_share_of_ended": Statistic(goals_met_share_of_ended, {"month": "month"}, (), True),
    "reached_phase_by": Statistic(reached_phase_by, {"phase": "phase", "month": "month"}, ("phase", "month"), True),
    "funding_sources_gap": Statistic(funding_sources_gap, {"month": "month"}, (), False),
}


def compute(statistic: str, args: dict, coalitions: list[Coalition]) -> float:
    return STATISTICS[statistic].compute(coalitions, **args)
