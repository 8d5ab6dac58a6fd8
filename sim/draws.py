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
        # One call for the month's 5N² + 2N + 2 uniforms, cut into the fields in the order above: the
        # generator fills an array one double after another, so these are the very numbers (and the generator
        # ends in the very state) that one call per field would give, at a fraction of the calls' overhead.
        return cls.from_block(rng.random(block_size(count)), count)

    @classmethod
    def from_block(cls, block: np.ndarray, count: int) -> "StepDraws":
        """The fields as views of one block of :func:`block_size` uniforms, in the order above."""
        n, nn = count, count * count
        return cls(
            interact=block[:nn].reshape(n, n),
            keep=block[nn:2 * nn].reshape(n, n),
            exclusion=block[2 * nn:2 * nn + n],
            rivalry=block[2 * nn + n:3 * nn + n].reshape(n, n),
            climb=block[3 * nn + n:4 * nn + n].reshape(n, n),
            fall=block[4 * nn + n:5 * nn + n].reshape(n, n),
            leave=block[5 * nn + n:5 * nn + 2 * n],
            renewal=float(block[5 * nn + 2 * n]),
            adoption=float(block[5 * nn + 2 * n + 1]),
        )


def block_size(count: int) -> int:
    """Uniforms one month of a partnership of ``count`` organizations takes: 5N² + 2N + 2."""
    return 5 * count * count + 2 * count + 2


def symmetric_events(draws: np.ndarray, chance: np.ndarray) -> np.ndarray:
    """Pair events from the upper triangle of ``draws``, mirrored so both sides see the same event."""
    upper = np.triu(draws < chance, k=1)
    return upper | upper.T
