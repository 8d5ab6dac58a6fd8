"""Seeds for replicates: every replicate's seed is spawned from one root by ``numpy.random.SeedSequence``."""

from __future__ import annotations

import numpy as np


def replicate_seeds(root_seed: int, count: int) -> list[int]:
    """``count`` independent 63-bit seeds spawned from ``root_seed``; the same root always gives the same list."""
    children = np.random.SeedSequence(root_seed).spawn(count)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]
