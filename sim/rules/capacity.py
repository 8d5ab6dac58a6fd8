"""Capacity: power as the capacity to produce intended results, and the time it buys.

Sources: power as "the capacity to produce intended results", collaborating as
"enhancing each other's capacity", mutual learning, and over-extension that
"fosters incompetence" (Himmelman, seed 000).

Capacity grows from collaborating partners (in proportion to their capacity)
and from taking part in decisions (mutual learning, in proportion to voice); it
shrinks when an organization's load exceeds its time budget, and drifts back
toward where it started. The time an organization can give the partnership is
its own staff time scaled by capacity, the time residents volunteer to a
community organization in proportion to its say, and the staff time its grant
money buys.
"""

from __future__ import annotations

import numpy as np


def time_budget(base_time: np.ndarray, capacity: np.ndarray, grant_dollars: np.ndarray, dollars_per_time_unit: float,
                voices: np.ndarray, community: np.ndarray, ownership_time: float) -> np.ndarray:
    """Time units a month an organization can give the partnership.

    Its own staff time scaled by capacity; community organizations add the
    time residents volunteer, which grows with their say (ownership rather than
    buy-in, seed 003); plus the staff time its share of the grant buys.
    """
    own = base_time * (0.5 + capacity) * (1.0 + ownership_time * voices * community)
    return own + grant_dollars / dollars_per_time_unit


def updated_capacity(capacity: np.ndarray, capacity_start: np.ndarray, collaborating: np.ndarray, voices: np.ndarray,
                     overload: np.ndarray, active: np.ndarray, partner_gain: float, learning_rate: float,
                     overextension_loss: float, recovery: float, partners_possible: int) -> np.ndarray:
    """New capacity from the old; ``collaborating[i, j]`` marks pairs at the top level."""
    from_partners = partner_gain * (collaborating @ capacity) / max(partners_possible, 1)
    from_learning = learning_rate * voices
    growth = (from_partners + from_learning) * (1.0 - capacity)
    change = growth - overextension_loss * overload + recovery * (capacity_start - capacity)
    return np.where(active, np.clip(capacity + change, 0.01, 1.0), capacity)
