"""A posterior ensemble: reading a ``posterior.csv`` and drawing particles from it by weight, seeded.

Kept apart from :mod:`sim.calibration.posterior` so that the sweep machinery (:mod:`sim.experiments.spec`) can
read a posterior without importing the calibration's report.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from sim.errors import ScenarioError

FIXED_COLUMNS = ("particle", "weight", "distance")
DRAWS_KEY = 1_000_002  # spawn key of the draws' seed, far from the calibration generations' (t, k)


def read_posterior(path: str | Path, source: str = "posterior") -> tuple[list[str], list[list], np.ndarray]:
    """``(parameter keys, values per particle, weights)`` of a ``posterior.csv``; a bad file raises one
    :class:`ScenarioError` naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(source, "posterior", f"cannot read {path} ({getattr(error, 'strerror', None) or error})",
                            "a posterior.csv written by partnersim calibrate") from None
    rows = list(csv.reader(io.StringIO(text)))
    allowed = "a posterior.csv written by partnersim calibrate (particle, weight, distance, then parameters)"
    if not rows or tuple(rows[0][:3]) != FIXED_COLUMNS or len(rows[0]) < 4 or len(rows) < 2:
        raise ScenarioError(source, "posterior", f"{path} is not a posterior table", allowed)
    keys = rows[0][3:]
    values, weights = [], []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise ScenarioError(source, "posterior", f"{path}: line {number} has {len(row)} fields, not {len(rows[0])}", allowed)
        try:
            weights.append(float(row[1]))
            values.append([_number(x) for x in row[3:]])
        except ValueError:
            raise ScenarioError(source, "posterior", f"{path}: line {number} holds a value that is not a number", allowed) from None
    weights = np.asarray(weights)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ScenarioError(source, "posterior", f"{path}: weights must be finite, not negative, and not all 0", allowed)
    return keys, values, weights / weights.sum()


def _number(text: str) -> int | float:
    return int(text) if text.lstrip("-").isdigit() else float(text)


def draws(weights: np.ndarray, count: int, root_seed: int) -> np.ndarray:
    """``count`` particle indices drawn by weight, with replacement, from ``SeedSequence(root_seed, spawn_key=(DRAWS_KEY,))``:
    the same root seed always draws the same particles."""
    rng = np.random.default_rng(np.random.SeedSequence(root_seed, spawn_key=(DRAWS_KEY,)))
    return rng.choice(len(weights), size=count, p=weights)


