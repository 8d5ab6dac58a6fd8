"""Money in a study's report: dollars spent per run and the cost per partnership that still runs, was sustained
after its funding or reached scale, with 95% bootstrap intervals.

Each run is one partnership, so the cost per partnership with an outcome in a group of runs is the dollars the
group spent over the number of its runs with that outcome (a ratio of sums; runs without the outcome cost money
too). Its interval comes from resampling the group's runs (percentile bootstrap with a fixed seed: the same runs
always give the same interval). Pure functions: runs table in, numbers out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments import analysis

SPENT = "dollars_spent"
GRANTED = "dollars_granted"
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 16  # fixed: a report is a function of its runs
MONEY_KNOBS = ("funding.monthly_amount",)
# What a partnership is paid for: the outcome's column and how to read it as 1/0 (NaN: not counted).
COST_OUTCOMES = {
    "still_running": "partnership still running at the end",
    "sustained_after_funding": "partnership sustained after its funding",
    "reached_scale": "partnership reaching scale",
}


@dataclass(frozen=True)
class Cost:
    """Dollars per partnership with an outcome, over ``runs`` runs of which ``successes`` had it."""

    dollars: float
    low: float
    high: float
    runs: int
    successes: int

    def text(self) -> str:
        if not self.successes:
            return f"no partnership of {self.runs} (n/a)"
        return f"{dollars(self.dollars)} ({self.interval()}, {self.successes} of {self.runs} runs)"

    def interval(self) -> str:
        if not math.isfinite(self.high):
            return f"{dollars(self.low)} or more"
        return f"{dollars(self.low)}–{dollars(self.high)}"


def has_money(runs: pd.DataFrame) -> bool:
    return SPENT in runs.columns and np.isfinite(analysis.as_numeric(runs[SPENT])).any()


def dollars(value: float) -> str:
    """``$1,234,000``; from ten million, ``$12.5 million``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if value >= 1e7:
        return f"${value / 1e6:,.1f} million"
    return f"${value:,.0f}"


def outcome_flags(runs: pd.DataFrame, outcome: str) -> np.ndarray:
    """1/0 per run for ``outcome`` (``still_running``: did not collapse), NaN where it is not defined."""
    if outcome == "still_running":
        return 1.0 - analysis.as_binary(runs["collapsed"])
    return analysis.as_binary(runs[outcome])


def cost_per(runs: pd.DataFrame, outcome: str, resamples: int = BOOTSTRAP_RESAMPLES) -> Cost:
    """Dollars spent per partnership with ``outcome`` and its 95% percentile bootstrap interval.

    For ``sustained_after_funding`` only the runs whose funding ended count (the others are still funded: neither
    sustained nor not), in the money as in the count.
    """
    flags = outcome_flags(runs, outcome)
    spent = analysis.as_numeric(runs[SPENT])
    keep = np.isfinite(flags) & np.isfinite(spent)
    flags, spent = flags[keep], spent[keep]
    n, successes = int(flags.size), int(flags.sum())
    if successes == 0:
        return Cost(math.nan, math.nan, math.nan, n, 0)
    point = float(spent.sum() / successes)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    picks = rng.integers(0, n, size=(resamples, n))
    hits = flags[picks].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = spent[picks].sum(axis=1) / hits
    # A resample with no success has no finite cost: the cost is then unbounded above.
    ratios = np.where(hits > 0, ratios, np.inf)
    low, high = np.quantile(ratios, [0.025, 0.975], method="inverted_cdf")  # no interpolation towards infinity
    return Cost(point, float(low), float(high), n, successes)


def mean_spent(runs: pd.DataFrame) -> tuple[float, float, float, int]:
    """Mean dollars spent per run with its t interval: ``(mean, low, high, n)``."""
    return analysis.mean_interval(runs[SPENT])


def is_money_knob(knob: str) -> bool:
    return knob in MONEY_KNOBS


__all__ = ["COST_OUTCOMES", "Cost", "cost_per", "dollars", "has_money", "is_money_knob", "mean_spent", "outcome_flags"]
