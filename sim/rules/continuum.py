"""The continuum: networking, coordinating, cooperating, collaborating, one step at a time.

Sources: Himmelman's working-together strategies and their time, trust and turf
requirements (seed 000); the Community Tool Box's progression from networking to
collaboration (seeds 001, 004).

A pair steps up one level when it has spent the required months at its level,
its mutual trust (the lower of the two directions) meets the next level's
requirement, both sides are willing to share the turf that level demands, and
both have the staff time for the heavier tie; it then moves with chance
``climb_rate``. It steps down one level, with chance ``fall_rate``, when trust
or willingness sinks more than ``hold_margin`` below its level's requirement,
and with chance ``fall_rate * overload`` when a side is over-extended. No pair
ever moves more than one level in a month.
"""

from __future__ import annotations

import numpy as np


def willingness(trust: np.ndarray, guarding: np.ndarray, identity: np.ndarray) -> np.ndarray:
    """``w[i, j]``: share of its turf i will share with j: trust, less what it guards and its pride."""
    return trust * ((1.0 - guarding) * (1.0 - identity))[:, None]


def mutual(matrix: np.ndarray) -> np.ndarray:
    """The lower of the two directions of a pair measure: a pair moves only as far as both sides go."""
    return np.minimum(matrix, matrix.T)


def level_moves(level: np.ndarray, months_at_level: np.ndarray, mutual_trust: np.ndarray, mutual_willingness: np.ndarray,
                slack: np.ndarray, overload: np.ndarray, months_required: np.ndarray, trust_required: np.ndarray,
                turf_required: np.ndarray, time_cost: np.ndarray, climb_rate: float, fall_rate: float,
                hold_margin: float, climb_draws: np.ndarray, fall_draws: np.ndarray) -> np.ndarray:
    """Change of level for every pair this month: +1, 0 or -1 (symmetric).

    Requirement arrays have one entry per level, networking first (so index
    ``level + 1`` is the next level's). Only the upper-triangle draws are used.
    """
    top = trust_required.size - 1
    tied = level >= 0
    current = np.where(tied, level, 0)
    nxt = np.minimum(current + 1, top)

    extra_cost = time_cost[nxt] - time_cost[current]
    has_time = (slack[:, None] >= extra_cost) & (slack[None, :] >= extra_cost)
    can_climb = (tied & (current < top)
                 & (months_at_level >= months_required[nxt])
                 & (mutual_trust >= trust_required[nxt])
                 & (mutual_willingness >= turf_required[nxt])
                 & has_time)

    failing = (mutual_trust < trust_required[current] - hold_margin) | (mutual_willingness < turf_required[current] - hold_margin)
    pair_overload = np.maximum(overload[:, None], overload[None, :])
    fall_chance = np.where(failing, fall_rate, fall_rate * np.minimum(pair_overload, 1.0))
    can_fall = tied & (current > 0)

    falls = can_fall & (fall_draws < fall_chance)
    climbs = can_climb & ~falls & (climb_draws < climb_rate)
    move = climbs.astype(np.int8) - falls.astype(np.int8)
    upper = np.triu(move, k=1)
    return upper + upper.T


def apply_moves(level: np.ndarray, months_at_level: np.ndarray, move: np.ndarray):
    """New ``(level, months_at_level)``: the clock restarts on a move and ticks otherwise."""
    tied = level >= 0
    new_level = np.where(tied, level + move, level).astype(np.int8)
    new_months = np.where(tied & (move == 0), months_at_level + 1, 0).astype(np.int32)
    return new_level, new_months


def load(level: np.ndarray, time_cost: np.ndarray) -> np.ndarray:
    """Staff time each organization's ties cost it this month."""
    tied = level >= 0
    return np.where(tied, time_cost[np.where(tied, level, 0)], 0.0).sum(axis=1)
