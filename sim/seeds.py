"""Seeds: the seed a model runs from, and the seeds of replicates, each spawned from one root by
``numpy.random.SeedSequence``."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.errors import ScenarioError

MAX_SEED = 2**63 - 1  # the range of Params.seed
RNG_ALLOWED = (f"an integer from 0 to {MAX_SEED}, a numpy SeedSequence, Generator or BitGenerator, or None "
               "(fresh entropy from the operating system)")


def replicate_seeds(root_seed: int, count: int) -> list[int]:
    """``count`` independent 63-bit seeds spawned from ``root_seed``; the same root always gives the same list."""
    children = np.random.SeedSequence(root_seed).spawn(count)
    return [_seed_from(child) for child in children]


def _seed_from(sequence: np.random.SeedSequence) -> int:
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def model_seed(rng: Any, source: str = "rng", key: str = "") -> int:
    """The integer seed a model runs from, so that it can be recorded and the run repeated.

    An integer is its own seed; so is a SeedSequence made from one (the same generator follows). ``None`` draws
    fresh entropy from the operating system, as Mesa does; another SeedSequence, a Generator or a BitGenerator
    gives 63 bits drawn from it (so the model's stream still follows from it). Anything else raises
    :class:`ScenarioError` naming ``source`` and ``key``.
    """
    if rng is None:
        return _seed_from(np.random.SeedSequence())
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        if not 0 <= int(rng) <= MAX_SEED:
            raise ScenarioError(source, key, f"{int(rng)} is out of range", RNG_ALLOWED)
        return int(rng)
    if isinstance(rng, np.random.SeedSequence):
        plain = not rng.spawn_key and isinstance(rng.entropy, int) and 0 <= rng.entropy <= MAX_SEED
        return int(rng.entropy) if plain else _seed_from(rng)
    if isinstance(rng, np.random.BitGenerator):
        rng = np.random.Generator(rng)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, MAX_SEED, endpoint=True))
    raise ScenarioError(source, key, f"expected a seed, got {rng!r}", RNG_ALLOWED)
