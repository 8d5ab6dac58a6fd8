"""Who knows whom in a region, and the trust on each tie: dense for small regions, edge arrays for large ones.

An organization knows tens of others, not thousands, so a region of 10,000
organizations has about 10^5 ties among 10^8 possible pairs. :class:`DenseTies`
keeps ``n x n`` arrays (fast lookups, fine up to about a thousand
organizations); :class:`SparseTies` keeps one sorted array of directed pair keys
``i * n + j`` with the trust ``i`` places in ``j`` beside it (memory in
proportion to the ties). Both answer the same three questions, in the same
order, so a model gives the same results with either (``tests/test_ecosystem.py``):

- ``neighbours(i)``: whom ``i`` knows, ascending, and how far it trusts each;
- ``lookup(rows, cols)``: for pairs, whether they know each other and the trust;
- ``write(rows, cols, trust)``: trust after working together (the pairs now know each other).

Ties are symmetric (if ``i`` knows ``j``, ``j`` knows ``i``); trust is directed.
"""

from __future__ import annotations

import numpy as np

# Regions up to this many organizations keep dense n x n arrays (``layout="auto"``).
DENSE_LIMIT = 1000
LAYOUTS = ("auto", "dense", "sparse")


def acquaintance_pairs(count: int, acquaintances: float, neighbourhood_size: int, local_share: float,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Undirected ties ``(i, j)`` with ``i < j``, sorted, without repeats: who knows whom at the start.

    Organizations sit in neighbourhoods of ``neighbourhood_size`` consecutive
    indices (the last one also holds the remainder; a size above ``count`` makes
    one neighbourhood of the whole region). Each makes a Poisson number of introductions with mean
    ``acquaintances / 2``; an introduction is to an organization of its own
    neighbourhood with chance ``local_share``, else to any organization of the
    region. Every introduction is a tie for both sides, so the mean number of
    acquaintances is about ``acquaintances`` (a little less where introductions repeat).
    """
    if count < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    made = rng.poisson(acquaintances / 2.0, count)
    source = np.repeat(np.arange(count, dtype=np.int64), made)
    local = rng.random(source.size) < local_share
    # The organizations left over after whole neighbourhoods join the last one, so none lives in a sliver.
    blocks = max(count // neighbourhood_size, 1)
    neighbourhood_start = np.minimum(source // neighbourhood_size, blocks - 1) * neighbourhood_size
    neighbourhood_end = np.where(neighbourhood_start == (blocks - 1) * neighbourhood_size, count,
                                 neighbourhood_start + neighbourhood_size)
    position = rng.random(source.size)
    local_target = neighbourhood_start + (position * (neighbourhood_end - neighbourhood_start)).astype(np.int64)
    region_target = (position * count).astype(np.int64)
    target = np.where(local, local_target, region_target)
    keep = source != target
    low = np.minimum(source, target)[keep]
    high = np.maximum(source, target)[keep]
    keys = np.unique(low * count + high)
    return keys // count, keys % count


class DenseTies:
    """``known[i, j]`` and ``trust[i, j]`` as ``n x n`` arrays."""

    layout = "dense"

    def __init__(self, count: int, rows: np.ndarray, cols: np.ndarray, trust: np.ndarray):
        self.count = count
        self.known = np.zeros((count, count), dtype=bool)
        self.trust = np.zeros((count, count))
        self.write(rows, cols, trust)

    def neighbours(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        ids = np.flatnonzero(self.known[i])
        return ids, self.trust[i, ids]

    def lookup(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        known = self.known[rows, cols]
        return known, np.where(known, self.trust[rows, cols], 0.0)

    def write(self, rows: np.ndarray, cols: np.ndarray, trust: np.ndarray) -> None:
        self.known[rows, cols] = True
        self.trust[rows, cols] = trust

    def degrees(self) -> np.ndarray:
        return self.known.sum(axis=1)

    @property
    def tie_count(self) -> int:
        """Directed ties (twice the number of acquainted pairs)."""
        return int(np.count_nonzero(self.known))


class SparseTies:
    """Directed ties as one sorted array of keys ``i * n + j`` and the trust on each (edge arrays)."""

    layout = "sparse"

    def __init__(self, count: int, rows: np.ndarray, cols: np.ndarray, trust: np.ndarray):
        self.count = count
        self.keys = np.zeros(0, dtype=np.int64)
        self.trust = np.zeros(0)
        self.write(rows, cols, trust)

    def _positions(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        position = np.searchsorted(self.keys, keys)
        inside = position < self.keys.size
        found = np.zeros(keys.shape, dtype=bool)
        found[inside] = self.keys[position[inside]] == keys[inside]
        return position, found

    def neighbours(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        i = int(i)  # a numpy int32 id times the region's size could overflow
        low, high = np.searchsorted(self.keys, [i * self.count, (i + 1) * self.count])
        return self.keys[low:high] - i * self.count, self.trust[low:high]

    def lookup(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        keys = np.asarray(rows, dtype=np.int64) * self.count + np.asarray(cols, dtype=np.int64)
        position, found = self._positions(keys)
        trust = np.zeros(keys.shape)
        trust[found] = self.trust[position[found]]
        return found, trust

    def write(self, rows: np.ndarray, cols: np.ndarray, trust: np.ndarray) -> None:
        keys = np.asarray(rows, dtype=np.int64).ravel() * self.count + np.asarray(cols, dtype=np.int64).ravel()
        trust = np.broadcast_to(np.asarray(trust, dtype=float), np.shape(rows)).ravel()
        # A pair written twice in one call keeps its last value, as a dense assignment would.
        order = np.argsort(keys, kind="stable")
        keys, trust = keys[order], trust[order]
        last = np.r_[keys[1:] != keys[:-1], True] if keys.size else np.zeros(0, dtype=bool)
        keys, trust = keys[last], trust[last]
        position, found = self._positions(keys)
        self.trust[position[found]] = trust[found]
        new = ~found
        if new.any():
            # Insert the new ties where they keep the keys sorted: one copy of the arrays per call.
            self.keys = np.insert(self.keys, position[new], keys[new])
            self.trust = np.insert(self.trust, position[new], trust[new])

    def degrees(self) -> np.ndarray:
        return np.bincount(self.keys // self.count, minlength=self.count)

    @property
    def tie_count(self) -> int:
        return int(self.keys.size)


def resolve_layout(layout: str | None, count: int) -> str:
    """``"dense"`` or ``"sparse"`` for a region of ``count`` organizations (``None`` or ``"auto"``: by size)."""
    layout = "auto" if layout is None else layout
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}: expected one of {', '.join(LAYOUTS)}")
    if layout == "auto":
        return "dense" if count <= DENSE_LIMIT else "sparse"
    return layout


def make_ties(layout: str, count: int, rows: np.ndarray, cols: np.ndarray, trust: np.ndarray):
    """A tie store of the resolved ``layout`` holding the directed ties ``rows[k] -> cols[k]``."""
    store = DenseTies if layout == "dense" else SparseTies
    return store(count, rows, cols, trust)
