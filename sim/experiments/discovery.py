"""Scenario discovery: which ranges of the knobs lead to an outcome (e.g. reaching scale, collapsing).

A shallow classification tree (scikit-learn ``DecisionTreeClassifier``) is
grown on the runs, with the knobs as inputs and the 0/1 outcome as target.
Each leaf is a box: the path from the root gives one condition per split,
merged per knob into a range (numbers) or a set of allowed values
(categories, true/false). The box is then made readable and less tied to
the tree's exact cut points: conditions are dropped, and bounds moved outward
one observed value at a time (PRIM's "pasting"), while the box's outcome rate
stays within the 95% Wilson interval of the leaf it came from. Every box's
statistics are
computed here from the runs themselves, not read from the tree:

- **density**: share of the runs inside the box that have the outcome;
- **coverage**: share of all runs with the outcome that fall inside the box;
- **mass**: share of all runs inside the box.

(The ``prim`` package was tried first; it fails on categorical knobs under
pandas 3, so a tree is used, as in Lempert et al.'s CART variant of scenario
discovery.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from sim.experiments.analysis import as_binary, wilson_interval

OUTCOME_VERBS = {
    "reached_scale": ("reach scale", "do"),
    "collapsed": ("collapse", "do"),
    "sustained_after_funding": ("are sustained after funding", "are"),
}


@dataclass(frozen=True)
class Condition:
    """One knob's range in a box: ``low <= x <= high`` for numbers, ``x in values`` for categories."""

    knob: str
    low: float | None = None
    high: float | None = None
    values: tuple | None = None

    def mask(self, column: pd.Series) -> np.ndarray:
        if self.values is not None:
            return column.map(lambda v: _plain(v) in self.values).to_numpy(dtype=bool)
        x = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
        keep = np.isfinite(x)
        if self.low is not None:
            keep &= x >= self.low
        if self.high is not None:
            keep &= x <= self.high
        return keep

    def text(self) -> str:
        if self.values is not None:
            shown = [_format_value(v) for v in self.values]
            if len(shown) == 1:
                return f"{self.knob} is {shown[0]}"
            return f"{self.knob} is {', '.join(shown[:-1])} or {shown[-1]}"
        if self.low is not None and self.high is not None and self.low == self.high:
            return f"{self.knob} is {_number(self.low)}"
        if self.low is not None and self.high is not None:
            return f"{_number(self.low)} <= {self.knob} <= {_number(self.high)}"
        if self.low is not None:
            return f"{self.knob} >= {_number(self.low)}"
        return f"{self.knob} <= {_number(self.high)}"


@dataclass(frozen=True)
class Box:
    outcome: str
    conditions: tuple[Condition, ...]
    n: int            # runs in the box
    hits: int         # runs in the box with the outcome
    total: int        # runs with a known outcome
    total_hits: int   # runs with the outcome
    extra: dict = field(default_factory=dict)

    @property
    def density(self) -> float:
        return self.hits / self.n if self.n else math.nan

    @property
    def coverage(self) -> float:
        return self.hits / self.total_hits if self.total_hits else math.nan

    @property
    def mass(self) -> float:
        return self.n / self.total if self.total else math.nan

    def text(self) -> str:
        """E.g. ``funding.grant_months >= 48 and organizations.initial_trust >= 0.3: 78% reach scale, covering 61% of all that do``."""
        verb, aux = OUTCOME_VERBS.get(self.outcome, (f"have {self.outcome}", "do"))
        where = " and ".join(c.text() for c in self.conditions) or "all runs"
        return (f"{where}: {_percent(self.density)} {verb} ({self.hits} of {self.n} runs), "
                f"covering {_percent(self.coverage)} of all that {aux}")

    def as_dict(self) -> dict:
        return {"outcome": self.outcome, "text": self.text(),
                "conditions": [{"knob": c.knob, "low": c.low, "high": c.high,
                                "values": list(c.values) if c.values is not None else None} for c in self.conditions],
                "n": self.n, "hits": self.hits, "density": self.density, "coverage": self.coverage, "mass": self.mass}


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}"


def _percent(share: float) -> str:
    return "n/a" if share is None or not math.isfinite(share) else f"{100 * share:.0f}%"


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_numeric(column: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(column):
        return False
    values = column.dropna()
    if values.map(lambda v: isinstance(v, (bool, np.bool_))).any():
        return False
    return pd.api.types.is_numeric_dtype(column) or bool(values.map(lambda v: isinstance(v, (int, float, np.number))).all())


def _encode(runs: pd.DataFrame, knobs: Sequence[str]) -> tuple[np.ndarray, list[tuple[str, Any]]]:
    """Feature matrix: numeric knobs as they are, other knobs one column per value (1 if equal).

    Each feature is described by ``(knob, None)`` for a number or ``(knob, value)`` for an indicator.
    """
    columns, features = [], []
    for knob in knobs:
        column = runs[knob]
        if _is_numeric(column):
            columns.append(pd.to_numeric(column, errors="coerce").to_numpy(dtype=float))
            features.append((knob, None))
        else:
            values = sorted({_plain(v) for v in column.dropna().unique()}, key=str)
            plain = column.map(_plain)
            for value in values:
                columns.append((plain == value).to_numpy(dtype=float))
                features.append((knob, value))
    return np.column_stack(columns) if columns else np.empty((len(runs), 0)), features


def _leaf_paths(tree) -> list[list[tuple[int, float, bool]]]:
    """Per leaf, the splits on its path: ``(feature, threshold, went_right)`` (right means ``x > threshold``)."""
    t = tree.tree_
    paths = []

    def walk(node: int, path: list) -> None:
        if t.children_left[node] == t.children_right[node]:  # a leaf
            paths.append(path)
            return
        feature, threshold = int(t.feature[node]), float(t.threshold[node])
        walk(int(t.children_left[node]), [*path, (feature, threshold, False)])
        walk(int(t.children_right[node]), [*path, (feature, threshold, True)])

    walk(0, [])
    return paths


def _conditions(path, features, runs: pd.DataFrame) -> list[Condition]:
    """Merge a leaf's splits per knob into readable conditions snapped to values that occur in the runs."""
    numeric: dict[str, list] = {}
    allowed: dict[str, set] = {}
    order: list[str] = []
    for feature, threshold, right in path:
        knob, value = features[feature]
        if knob not in order:
            order.append(knob)
        if value is None:
            low, high = numeric.setdefault(knob, [None, None])
            if right:
                numeric[knob][0] = threshold if low is None else max(low, threshold)
            else:
                numeric[knob][1] = threshold if high is None else min(high, threshold)
        else:
            universe = allowed.setdefault(knob, {_plain(v) for v in runs[knob].dropna().unique()})
            allowed[knob] = universe & {value} if right else universe - {value}
    conditions = []
    for knob in order:
        if knob in numeric:
            x = pd.to_numeric(runs[knob], errors="coerce").to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            low, high = numeric[knob]
            # Snap "x > t" to the smallest value above t, "x <= t" to the largest value at or below t.
            low_snap = float(x[x > low].min()) if low is not None and (x > low).any() else None
            high_snap = float(x[x <= high].max()) if high is not None and (x <= high).any() else None
            conditions.append(Condition(knob, low=low_snap, high=high_snap))
        else:
            conditions.append(Condition(knob, values=tuple(sorted(allowed[knob], key=str))))
    return conditions


def _box(outcome: str, conditions: Sequence[Condition], runs: pd.DataFrame, y: np.ndarray) -> Box:
    inside = _inside(conditions, runs)
    return Box(outcome, tuple(conditions), n=int(inside.sum()), hits=int(y[inside].sum()),
               total=int(y.size), total_hits=int(y.sum()))


def _ranked(box: Box, reference: float) -> bool:
    return box.n > 0 and box.density >= reference


def _simplify(box: Box, runs: pd.DataFrame, y: np.ndarray, reference: float) -> Box:
    """Drop conditions while the wider box's density stays at or above ``reference`` (most coverage first)."""
    while len(box.conditions) > 1:
        candidates = []
        for index in range(len(box.conditions)):
            wider = _box(box.outcome, box.conditions[:index] + box.conditions[index + 1:], runs, y)
            if _ranked(wider, reference):
                candidates.append(wider)
        if not candidates:
            break
        box = max(candidates, key=lambda b: (b.coverage, b.density))
    return box


def _steps(column: pd.Series) -> np.ndarray:
    """Values a numeric bound may move to: every distinct value, or 5% quantiles of many."""
    x = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    x = np.unique(x[np.isfinite(x)])
    if x.size > 21:
        x = np.unique(np.quantile(x, np.linspace(0.0, 1.0, 21), method="lower"))
    return x


def _widened(condition: Condition, runs: pd.DataFrame, steps: np.ndarray) -> list[Condition]:
    """Each way to move one bound of ``condition`` one step outward (or admit one more category)."""
    out = []
    if condition.values is not None:
        universe = sorted({_plain(v) for v in runs[condition.knob].dropna().unique()}, key=str)
        for value in universe:
            if value not in condition.values:
                out.append(Condition(condition.knob, values=tuple(sorted({*condition.values, value}, key=str))))
        return out
    if condition.low is not None:
        below = steps[steps < condition.low]
        low = float(below.max()) if below.size else None
        out.append(Condition(condition.knob, low=low, high=condition.high))
    if condition.high is not None:
        above = steps[steps > condition.high]
        high = float(above.min()) if above.size else None
        out.append(Condition(condition.knob, low=condition.low, high=high))
    return out


def _tidy(conditions: Sequence[Condition], runs: pd.DataFrame) -> tuple[Condition, ...]:
    """Leave out bounds at the edge of the data and conditions that no longer restrict anything."""
    tidy = []
    for condition in conditions:
        if condition.values is not None:
            if set(condition.values) >= {_plain(v) for v in runs[condition.knob].dropna().unique()}:
                continue
            tidy.append(condition)
            continue
        x = pd.to_numeric(runs[condition.knob], errors="coerce").to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        low = condition.low if condition.low is not None and condition.low > x.min() else None
        high = condition.high if condition.high is not None and condition.high < x.max() else None
        inside = np.unique(x[Condition(condition.knob, low=low, high=high).mask(pd.Series(x))])
        if inside.size == 1 and (low is not None or high is not None):
            low = high = float(inside[0])  # a range holding one observed value reads "is v"
        if low is not None or high is not None:
            tidy.append(Condition(condition.knob, low=low, high=high))
    return tuple(tidy)


def _paste(box: Box, runs: pd.DataFrame, y: np.ndarray, reference: float) -> Box:
    """Widen the box one step at a time (PRIM's pasting) while its density stays at or above ``reference``."""
    steps = {c.knob: _steps(runs[c.knob]) for c in box.conditions if c.values is None}
    while True:
        candidates = []
        for index, condition in enumerate(box.conditions):
            for wider in _widened(condition, runs, steps.get(condition.knob, np.empty(0))):
                conditions = _tidy(box.conditions[:index] + (wider,) + box.conditions[index + 1:], runs)
                candidate = _box(box.outcome, conditions, runs, y)
                if candidate.hits > box.hits and _ranked(candidate, reference):
                    candidates.append(candidate)
        if not candidates:
            return box
        box = max(candidates, key=lambda b: (b.density, b.coverage))


def discover(runs: pd.DataFrame, knobs: Sequence[str], outcome: str, max_depth: int = 3,
             min_leaf: int | None = None, max_boxes: int = 3, max_mass: float = 0.6,
             seed: int = 0) -> list[Box]:
    """Up to ``max_boxes`` boxes of knob ranges where ``outcome`` is more common than overall, densest first.

    ``runs`` holds one row per run with the ``knobs`` and the 0/1 ``outcome``;
    runs with a missing outcome are left out. ``min_leaf`` (default: 5% of
    the runs, at least 5) is the smallest box the tree may make. Only boxes
    whose density is clearly above the overall rate (the lower end of its 95%
    Wilson interval above it) and that hold at most ``max_mass`` of the runs
    are returned; none when every run or no run has the outcome.
    """
    from sklearn.tree import DecisionTreeClassifier

    y_all = as_binary(runs[outcome])
    known = np.isfinite(y_all)
    runs = runs.loc[known].reset_index(drop=True)
    y = y_all[known]
    knobs = [k for k in knobs if runs[k].nunique(dropna=True) > 1]
    if y.size == 0 or y.sum() == 0 or y.sum() == y.size or not knobs:
        return []
    base_rate = y.mean()
    X, features = _encode(runs, knobs)
    min_leaf = max(5, int(round(0.05 * y.size))) if min_leaf is None else int(min_leaf)
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_leaf, random_state=seed)
    tree.fit(X, y.astype(int))
    boxes: dict[tuple, Box] = {}
    members: dict[tuple, np.ndarray] = {}
    for path in _leaf_paths(tree):
        if not path:
            continue
        box = _box(outcome, _tidy(_conditions(path, features, runs), runs), runs, y)
        if box.n == 0 or box.density <= base_rate:
            continue
        # A wider box is kept while its density stays within the leaf's own 95% interval (and above the base rate).
        reference = max(wilson_interval(box.hits, box.n)[0], base_rate + 1e-12)
        box = _paste(_simplify(box, runs, y, reference), runs, y, reference)
        # Keep boxes clearly above the base rate that single out a part of the runs, not most of them.
        if wilson_interval(box.hits, box.n)[0] <= base_rate or box.mass > max_mass:
            continue
        boxes.setdefault(box.conditions, box)
        members.setdefault(box.conditions, _inside(box.conditions, runs))
    # Boxes that mostly hold the same runs (Jaccard >= 0.5) are alternatives: keep the one with the
    # largest density x coverage, then show the kept boxes densest first.
    kept: list[Box] = []
    for box in sorted(boxes.values(), key=lambda b: (-b.density * b.coverage, -b.density, b.text())):
        mine = members[box.conditions]
        if all(_jaccard(mine, members[other.conditions]) < 0.5 for other in kept):
            kept.append(box)
    return sorted(kept[:max_boxes], key=lambda b: (-b.density, -b.coverage, b.text()))


def _inside(conditions: Sequence[Condition], runs: pd.DataFrame) -> np.ndarray:
    inside = np.ones(len(runs), dtype=bool)
    for condition in conditions:
        inside &= condition.mask(runs[condition.knob])
    return inside


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


__all__ = ["Box", "Condition", "discover"]
