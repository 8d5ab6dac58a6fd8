"""Statistics over a sweep's runs: shares with Wilson intervals, means with t intervals, survival, effect sizes,
sensitivity.

Every function here is pure: plain data in (a runs table as a pandas DataFrame,
arrays, dicts), plain data out (DataFrames, dicts, tuples). Nothing reads or
writes files, draws figures or keeps state; :mod:`sim.experiments.report`
does that.

A *runs table* has one row per run (the ``runs.parquet`` contract): the knob
columns named by their dotted keys, ``design_point``, ``replicate`` and one
column per summary outcome. Binary outcomes (``reached_scale``, ``collapsed``,
``sustained_after_funding``) may hold ``True``/``False``/``None`` or 1/0/NaN;
missing values (e.g. ``sustained_after_funding`` for a run whose funding never
ended) are left out of ``n`` rather than counted as failures.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

BINARY_OUTCOMES = ("reached_scale", "collapsed", "sustained_after_funding")


# --------------------------------------------------------------------------- conversions

def as_binary(values: Any) -> np.ndarray:
    """Values as floats: 1.0 for true, 0.0 for false, NaN for missing (None, NA, NaN)."""
    series = pd.Series(values, dtype="object") if not isinstance(values, pd.Series) else values.astype("object")
    out = np.full(len(series), np.nan)
    for index, value in enumerate(series.to_numpy()):
        if value is None or value is pd.NA:
            continue
        if isinstance(value, (bool, np.bool_)):
            out[index] = 1.0 if value else 0.0
            continue
        number = float(value)
        if math.isnan(number):
            continue
        if number not in (0.0, 1.0):
            raise ValueError(f"not a binary value: {value!r}")
        out[index] = number
    return out


def as_numeric(values: Any) -> np.ndarray:
    """Values as floats with NaN for missing; booleans become 1.0/0.0."""
    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    if series.dtype == object or str(series.dtype) in ("boolean", "bool"):
        series = series.map(lambda v: np.nan if v is None or v is pd.NA else (float(v) if isinstance(v, (bool, np.bool_)) else v))
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def is_binary(values: Any) -> bool:
    """True if every non-missing value is a boolean or 0/1."""
    try:
        converted = as_binary(values)
    except (TypeError, ValueError):
        return False
    return bool(np.isfinite(converted).any())


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


# --------------------------------------------------------------------------- shares

def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial share ``successes / n`` (``scipy.stats.binomtest``); ``(nan, nan)``
    when ``n`` is 0.

    ``wilson_interval(5, 10)`` is ``(0.2366, 0.7634)``; ``wilson_interval(0, 10)``
    is ``(0, 0.2775)``.
    """
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return (math.nan, math.nan)
    _z(confidence)  # the same message for a confidence out of range
    return _wilson(int(successes), int(n), float(confidence))


@functools.lru_cache(maxsize=65536)
def _wilson(successes: int, n: int, confidence: float) -> tuple[float, float]:
    # binomtest computes a p-value too (about a millisecond); survival bands ask for the same counts month after
    # month, so each (successes, n) is computed once.
    interval = stats.binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(interval.low), float(interval.high))


def _group_items(runs: pd.DataFrame, by: Sequence[str]) -> Iterable[tuple[dict, pd.DataFrame]]:
    by = list(by)
    if not by:
        yield {}, runs
        return
    for key, group in runs.groupby(by, dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        yield {name: _plain(value) for name, value in zip(by, key)}, group


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones, so group keys compare and print plainly."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def share_table(runs: pd.DataFrame, by: Sequence[str], outcome: str, confidence: float = 0.95) -> pd.DataFrame:
    """Per group of ``by`` (e.g. the knobs), the share of runs with ``outcome`` true and its Wilson interval.

    Columns: the ``by`` columns, ``n`` (runs where the outcome is known),
    ``successes``, ``share``, ``ci_low``, ``ci_high``. Runs with a missing
    outcome are left out of ``n``: for ``sustained_after_funding`` that
    restricts the share to runs whose funding ended.
    """
    rows = []
    for key, group in _group_items(runs, by):
        values = as_binary(group[outcome])
        known = values[np.isfinite(values)]
        n, successes = int(known.size), int(known.sum())
        low, high = wilson_interval(successes, n, confidence)
        rows.append({**key, "n": n, "successes": successes, "share": successes / n if n else math.nan,
                     "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=[*by, "n", "successes", "share", "ci_low", "ci_high"])


def survival_curve(runs: pd.DataFrame, by: Sequence[str], horizon: int, confidence: float = 0.95,
                   collapse_column: str = "collapse_step") -> pd.DataFrame:
    """Share of runs still active at each month ``0 … horizon``, per group of ``by``, with Wilson bands.

    A run is active at month ``m`` if it never collapsed or collapsed after
    ``m`` (``collapse_step`` null or ``> m``). Columns: the ``by`` columns,
    ``month``, ``n``, ``active``, ``share``, ``ci_low``, ``ci_high``.
    """
    months = np.arange(int(horizon) + 1)
    frames = []
    for key, group in _group_items(runs, by):
        collapse = as_numeric(group[collapse_column])
        n = collapse.size
        never = ~np.isfinite(collapse)
        active = never.sum() + (collapse[~never][None, :] > months[:, None]).sum(axis=1)
        bands = np.array([wilson_interval(int(a), n, confidence) for a in active]).reshape(-1, 2)
        frame = pd.DataFrame({"month": months, "n": n, "active": active.astype(int),
                              "share": active / n if n else np.nan, "ci_low": bands[:, 0], "ci_high": bands[:, 1]})
        for name, value in reversed(list(key.items())):
            frame.insert(0, name, [value] * len(frame))
        frames.append(frame)
    columns = [*by, "month", "n", "active", "share", "ci_low", "ci_high"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def kaplan_meier(durations: Any, events: Any, horizon: int | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier estimate of the share still without the event ``month`` months after each one's start, with
    Greenwood's pointwise band (``scipy.stats.ecdf`` on ``CensoredData``: a duration whose event was seen is
    exact, the others are right-censored there: still going when last seen).

    One row per month ``0 … horizon`` (default: the longest duration). Columns: ``month``, ``at_risk`` (still
    going at the start of the month), ``events`` and ``censored`` (durations ending at that month), ``survival``,
    ``ci_low``, ``ci_high``. Without any event seen the survival is 1 and the band is missing.
    """
    durations = np.asarray(durations, dtype=float)
    seen = np.asarray(events, dtype=bool)
    if durations.shape != seen.shape or not np.all(np.isfinite(durations)) or np.any(durations < 0):
        raise ValueError("need one finite, non-negative duration for each event flag")
    _z(confidence)
    last = int(np.ceil(durations.max())) if durations.size else 0
    months = np.arange((last if horizon is None else int(horizon)) + 1)
    survival = np.ones(months.size)
    low = high = np.full(months.size, np.nan)
    if seen.any():
        result = stats.ecdf(stats.CensoredData(uncensored=durations[seen], right=durations[~seen])).sf
        survival = result.evaluate(months)
        with warnings.catch_warnings():  # a band at a survival of 0 or 1 divides by zero in the log; it is [0, 1]
            warnings.simplefilter("ignore", RuntimeWarning)
            band = result.confidence_interval(confidence_level=confidence, method="linear")
            low, high = band.low.evaluate(months), band.high.evaluate(months)
    return pd.DataFrame({
        "month": months,
        "at_risk": (durations[None, :] >= months[:, None]).sum(axis=1),
        "events": (seen[None, :] & (durations[None, :] == months[:, None])).sum(axis=1),
        "censored": (~seen[None, :] & (durations[None, :] == months[:, None])).sum(axis=1),
        "survival": survival, "ci_low": low, "ci_high": high,
    })


# --------------------------------------------------------------------------- means

def mean_interval(values: Any, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Mean of the non-missing values with a Student t interval (``scipy.stats.ttest_1samp``):
    ``(mean, low, high, n)``.

    ``n - 1`` degrees of freedom; ``(nan, nan, nan, 0)`` with no values, ``(mean, nan, nan, 1)``
    with one. ``mean_interval([1, 2, 3])`` is ``(2.0, -0.4841, 4.4841, 3)``.
    """
    x = as_numeric(values)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if x.size < 2:
        return (mean, math.nan, math.nan, 1)
    with warnings.catch_warnings():  # identical values: scipy warns of precision loss; the interval is the mean
        warnings.simplefilter("ignore", RuntimeWarning)
        interval = stats.ttest_1samp(x, 0.0).confidence_interval(confidence)
    return (mean, float(interval.low), float(interval.high), int(x.size))


def mean_table(runs: pd.DataFrame, by: Sequence[str], outcome: str, confidence: float = 0.95) -> pd.DataFrame:
    """Per group of ``by``, the mean of ``outcome`` over rows (e.g. runs) with a Student t interval.

    Columns: the ``by`` columns, ``n`` (rows where the outcome is known), ``mean``, ``ci_low``,
    ``ci_high``. Missing values are left out of ``n``; a group with ``n < 2`` has NaN bounds.
    The same numbers as :func:`mean_interval` on each group.
    """
    by = list(by)
    frame = pd.DataFrame({"_y": as_numeric(runs[outcome])}, index=runs.index)
    for name in by:
        frame[name] = runs[name].to_numpy()
    columns = [*by, "n", "mean", "ci_low", "ci_high"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    if by:
        grouped = frame.groupby(by, dropna=False, sort=True)["_y"].agg(["count", "mean", "std"]).reset_index()
    else:
        y = frame["_y"]
        grouped = pd.DataFrame({"count": [y.count()], "mean": [y.mean()], "std": [y.std(ddof=1)]})
    n = grouped["count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n >= 2, stats.t.ppf(0.5 + confidence / 2.0, np.maximum(n - 1, 1)), np.nan)
        half = t * grouped["std"].to_numpy(dtype=float) / np.sqrt(n)
    mean = grouped["mean"].to_numpy(dtype=float)
    out = grouped[by].copy() if by else pd.DataFrame(index=grouped.index)
    for name in by:
        out[name] = out[name].map(_plain)
    out["n"] = n.astype(int)
    out["mean"] = mean
    out["ci_low"] = mean - half
    out["ci_high"] = mean + half
    return out[columns]


# --------------------------------------------------------------------------- effect sizes

def newcombe_interval(successes_a: int, n_a: int, successes_b: int, n_b: int,
                      confidence: float = 0.95) -> tuple[float, float, float]:
    """Difference of two shares ``p_a - p_b`` with Newcombe's hybrid Wilson-score interval (method 10).

    Returns ``(difference, low, high)``. Newcombe (1998), example (a):
    56/70 versus 48/80 gives ``(0.2, 0.0524, 0.3339)``.
    """
    if n_a == 0 or n_b == 0:
        return (math.nan, math.nan, math.nan)
    p_a, p_b = successes_a / n_a, successes_b / n_b
    l_a, u_a = wilson_interval(successes_a, n_a, confidence)
    l_b, u_b = wilson_interval(successes_b, n_b, confidence)
    difference = p_a - p_b
    low = difference - math.sqrt((p_a - l_a) ** 2 + (u_b - p_b) ** 2)
    high = difference + math.sqrt((u_a - p_a) ** 2 + (p_b - l_b) ** 2)
    return (difference, max(-1.0, low), min(1.0, high))


def welch_interval(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Difference of means ``mean(a) - mean(b)`` with Welch's t interval (``scipy.stats.ttest_ind`` with
    ``equal_var=False``): ``(difference, low, high)``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    difference = float(a.mean() - b.mean())
    if a.size < 2 or b.size < 2:
        return (difference, math.nan, math.nan)
    if a.var() == 0.0 and b.var() == 0.0:
        return (difference, difference, difference)
    with warnings.catch_warnings():  # nearly identical values: scipy warns of precision loss
        warnings.simplefilter("ignore", RuntimeWarning)
        interval = stats.ttest_ind(a, b, equal_var=False).confidence_interval(confidence)
    return (difference, float(interval.low), float(interval.high))


def cohens_d(a: Sequence[float], b: Sequence[float]) -> float:
    """Standardized mean difference ``(mean(a) - mean(b)) / pooled SD``; NaN when the pooled SD is 0."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size < 2 or b.size < 2:
        return math.nan
    pooled = ((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2)
    if pooled == 0.0:
        return math.nan
    return float((a.mean() - b.mean()) / math.sqrt(pooled))


def cliffs_delta(a: Sequence[float], b: Sequence[float]) -> float:
    """Cliff's delta: P(a > b) - P(a < b) over all pairs, from -1 to 1."""
    a, b = np.asarray(a, dtype=float), np.sort(np.asarray(b, dtype=float))
    if a.size == 0 or b.size == 0:
        return math.nan
    below = np.searchsorted(b, a, side="left")       # b values < each a
    not_above = np.searchsorted(b, a, side="right")  # b values <= each a
    greater = below.sum()
    less = (b.size - not_above).sum()
    return float((greater - less) / (a.size * b.size))


def effect_size(a: Sequence[Any], b: Sequence[Any], kind: str | None = None, confidence: float = 0.95) -> dict:
    """The effect of arm ``a`` relative to arm ``b`` on one outcome.

    Binary outcomes (booleans or 0/1; ``kind="binary"``): the difference in
    shares ``share_a - share_b`` with Newcombe's Wilson-score interval.
    Continuous outcomes (``kind="continuous"``): the difference in means with
    Welch's t interval, Cohen's d and Cliff's delta. Missing values are dropped.
    ``kind=None`` picks binary when both arms hold only booleans or 0/1.

    Returns a dict with ``kind``, ``n_a``, ``n_b``, ``value_a``, ``value_b``
    (shares or means), ``difference``, ``ci_low``, ``ci_high`` and, for
    continuous outcomes, ``cohens_d`` and ``cliffs_delta``.
    """
    if kind is None:
        kind = "binary" if is_binary(a) and is_binary(b) else "continuous"
    if kind == "binary":
        xa, xb = as_binary(a), as_binary(b)
        xa, xb = xa[np.isfinite(xa)], xb[np.isfinite(xb)]
        sa, sb = int(xa.sum()), int(xb.sum())
        difference, low, high = newcombe_interval(sa, xa.size, sb, xb.size, confidence)
        return {"kind": "binary", "n_a": int(xa.size), "n_b": int(xb.size),
                "value_a": sa / xa.size if xa.size else math.nan, "value_b": sb / xb.size if xb.size else math.nan,
                "difference": difference, "ci_low": low, "ci_high": high}
    if kind != "continuous":
        raise ValueError(f"kind must be 'binary', 'continuous' or None, got {kind!r}")
    xa, xb = as_numeric(a), as_numeric(b)
    xa, xb = xa[np.isfinite(xa)], xb[np.isfinite(xb)]
    if xa.size == 0 or xb.size == 0:
        return {"kind": "continuous", "n_a": int(xa.size), "n_b": int(xb.size), "value_a": math.nan,
                "value_b": math.nan, "difference": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                "cohens_d": math.nan, "cliffs_delta": math.nan}
    difference, low, high = welch_interval(xa, xb, confidence)
    return {"kind": "continuous", "n_a": int(xa.size), "n_b": int(xb.size),
            "value_a": float(xa.mean()), "value_b": float(xb.mean()),
            "difference": difference, "ci_low": low, "ci_high": high,
            "cohens_d": cohens_d(xa, xb), "cliffs_delta": cliffs_delta(xa, xb)}


def two_arm_effects(runs: pd.DataFrame, knob: str, outcomes: Sequence[str], by: Sequence[str] = (),
                    confidence: float = 0.95, kind: str | None = None) -> pd.DataFrame:
    """Effects of a knob with exactly two values: the higher (or ``True``) arm minus the lower one.

    One row per outcome and per group of ``by`` (e.g. the other knobs), plus a
    pooled row (``by`` columns empty) when ``by`` is given. Columns: the ``by``
    columns, ``outcome``, ``arm_a``, ``arm_b`` and the :func:`effect_size` keys.
    ``kind`` (``"binary"`` or ``"continuous"``) applies to every outcome; ``None``
    treats :data:`BINARY_OUTCOMES` as binary and lets :func:`effect_size` decide
    for the others (a per-run share that happens to be only 0s and 1s would be
    read as binary: pass ``"continuous"`` for means over runs).
    """
    values = sorted({_plain(v) for v in runs[knob].dropna().unique()}, key=_sort_key)
    if len(values) != 2:
        raise ValueError(f"{knob} has {len(values)} values; a two-arm comparison needs exactly 2")
    low_arm, high_arm = values
    rows = []
    groups = list(_group_items(runs, by))
    if by:
        groups.append(({name: None for name in by}, runs))
    for key, group in groups:
        arm_a = group[group[knob] == high_arm]
        arm_b = group[group[knob] == low_arm]
        for outcome in outcomes:
            outcome_kind = kind if kind is not None else ("binary" if outcome in BINARY_OUTCOMES else None)
            result = effect_size(arm_a[outcome], arm_b[outcome], kind=outcome_kind, confidence=confidence)
            rows.append({**key, "outcome": outcome, "arm_a": high_arm, "arm_b": low_arm, **result})
    return pd.DataFrame(rows)


def _sort_key(value: Any):
    if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
        return (0, float(value), "")
    return (1, 0.0, str(value))


# --------------------------------------------------------------------------- design points

def design_point_means(runs: pd.DataFrame, outcome: str, knobs: Sequence[str] = (),
                       point_column: str = "design_point") -> pd.DataFrame:
    """The outcome averaged over the replicates of each design point (binary outcomes as shares).

    Columns: ``design_point``, the ``knobs`` (their value at that point),
    ``n`` (replicates with a known outcome) and ``mean``; sorted by design point.
    """
    values = as_binary(runs[outcome]) if outcome in BINARY_OUTCOMES or is_binary(runs[outcome]) else as_numeric(runs[outcome])
    frame = pd.DataFrame({point_column: runs[point_column].to_numpy(), "_y": values})
    for knob in knobs:
        frame[knob] = runs[knob].to_numpy()
    grouped = frame.groupby(point_column, sort=True)
    out = grouped[list(knobs)].first() if knobs else pd.DataFrame(index=grouped.size().index)
    out["n"] = grouped["_y"].count()
    out["mean"] = grouped["_y"].mean()
    return out.reset_index()


# --------------------------------------------------------------------------- sensitivity

def _problem(problem: dict) -> dict:
    names = list(problem["names"])
    bounds = [list(map(float, b)) for b in problem["bounds"]]
    return {"num_vars": int(problem.get("num_vars", len(names))), "names": names, "bounds": bounds}


def sobol_indices(problem: dict, Y: Sequence[float], calc_second_order: bool = False, confidence: float = 0.95,
                  num_resamples: int = 1000, seed: int = 1) -> pd.DataFrame:
    """First-order and total Sobol indices (SALib ``sobol.analyze``) for outputs ``Y`` of a Saltelli sample.

    ``Y`` is in sample order: ``N * (k + 2)`` values (``N * (2k + 2)`` with
    second order). Columns: ``name``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``
    (the ``_conf`` columns are half-widths of the ``confidence`` interval).
    An output that never varies gives NaN indices. ``seed`` seeds the bootstrap
    of the intervals; it must not be 0, which SALib's ``sobol.analyze`` reads as
    "no seed" (``if seed:``), so the same inputs would give other intervals.
    """
    from SALib.analyze import sobol

    if seed == 0:
        raise ValueError("seed 0 leaves SALib's Sobol bootstrap unseeded; use another seed")

    problem = _problem(problem)
    y = np.asarray(Y, dtype=float)
    names = problem["names"]
    empty = pd.DataFrame({"name": names, "S1": np.nan, "S1_conf": np.nan, "ST": np.nan, "ST_conf": np.nan})
    if y.size == 0 or not np.isfinite(y).all() or np.var(y) == 0.0:
        return empty
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sobol.analyze(problem, y, calc_second_order=calc_second_order, num_resamples=num_resamples,
                               conf_level=confidence, print_to_console=False, seed=seed)
    return pd.DataFrame({"name": names, "S1": np.asarray(result["S1"], dtype=float),
                         "S1_conf": np.asarray(result["S1_conf"], dtype=float),
                         "ST": np.asarray(result["ST"], dtype=float),
                         "ST_conf": np.asarray(result["ST_conf"], dtype=float)})


def morris_indices(problem: dict, X: Any, Y: Sequence[float], num_levels: int = 4, confidence: float = 0.95,
                   num_resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Morris elementary-effect screening (SALib ``morris.analyze``) for a Morris sample ``X`` and outputs ``Y``.

    Columns: ``name``, ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma``.
    """
    from SALib.analyze import morris

    problem = _problem(problem)
    x = np.asarray(X, dtype=float)
    y = np.asarray(Y, dtype=float)
    names = problem["names"]
    if y.size == 0 or not np.isfinite(y).all():
        return pd.DataFrame({"name": names, "mu": np.nan, "mu_star": np.nan, "mu_star_conf": np.nan, "sigma": np.nan})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = morris.analyze(problem, x, y, num_resamples=num_resamples, conf_level=confidence,
                                print_to_console=False, num_levels=num_levels, seed=seed)
    return pd.DataFrame({"name": names, "mu": np.asarray(result["mu"], dtype=float),
                         "mu_star": np.asarray(result["mu_star"], dtype=float),
                         "mu_star_conf": np.asarray(result["mu_star_conf"], dtype=float),
                         "sigma": np.asarray(result["sigma"], dtype=float)})


__all__ = [
    "BINARY_OUTCOMES", "as_binary", "as_numeric", "cliffs_delta", "cohens_d", "design_point_means", "effect_size",
    "is_binary", "kaplan_meier", "mean_interval", "mean_table", "morris_indices", "newcombe_interval", "share_table",
    "sobol_indices", "survival_curve", "two_arm_effects", "welch_interval", "wilson_interval",
]
