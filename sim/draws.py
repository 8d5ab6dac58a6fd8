"""Every random number one month needs, drawn up front in one fixed order.

Drawing first and computing after keeps the rules free of randomness (they
take these uniforms as inputs), makes a step reproducible from the generator's
state alone, and lets the plain reference implementation replay the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StepDraws:
    interact: np.ndarray   # (n, n) upper triangle used: does the pair exchange commitments
    keep: np.ndarray       # (n, n) directed: does i keep its commitment to j
    exclusion: np.ndarray  # (n,) is i left out of this month's decision
    rivalry: np.ndarray    # (n, n) upper triangle used: do same-sector members compete for a grant
    climb: np.ndarray      # (n, n) upper triangle used
    fall: np.ndarray       # (n, n) upper triangle used
    leave: np.ndarray      # (n,) does a dissatisfied member walk away
    renewal: float         # does the funder renew a grant ending this month
    adoption: float        # does the public sector adopt the innovation this month

    @classmethod
    def sample(cls, rng: np.random.Generator, count: int) -> "StepDraws":
        return cls(
            interact=rng.random((count, count)),
            keep=rng.random((count, count)),
            exclusion=rng.random(count),
            rivalry=rng.random((count, count)),
            climb=rng.random((count, count)),
            fall=rng.random((count, count)),
            leave=rng.random(count),
            renewal=float(rng.random()),
            adoption=float(rng.random()),
        )


def symmetric_events(draws: np.ndarray, chance: np.ndarray) -> np.ndarray:
    """Pair events from the upper triangle of ``draws``, mirrored so both sides see the same event."""
    upper = np.triu(draws < chance, k=1)
    return upper | upper.T
