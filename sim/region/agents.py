"""RegionalOrganization: a Mesa agent of a region, a thin handle on the region's arrays."""

from __future__ import annotations

import numpy as np

from sim.agents import _Handle


class RegionalOrganization(_Handle):
    """An organization of a region (:class:`sim.region.model.EcosystemModel`): a thin handle on the region's arrays.

    While it belongs to a partnership, its capacity and trust in fellow members live in that
    partnership's state; the region's arrays hold them again when it leaves.
    """

    @property
    def _orgs(self):
        return self.model.orgs

    @property
    def partnership(self) -> int | None:
        """Index of the partnership it belongs to now, or None."""
        index = int(self.model.partnership_of[self.index])
        return index if index >= 0 else None

    def _row(self):
        """(its partnership, its row there, that partnership's state as views of the model's table) or Nones."""
        index = self.partnership
        if index is None:
            return None, None, None
        partnership = self.model.partnerships[index]
        return partnership, int(np.flatnonzero(partnership.members == self.index)[0]), self.model.table.state(index)

    @property
    def capacity(self) -> float:
        partnership, row, state = self._row()
        if partnership is None:
            return float(self._orgs.capacity[self.index])
        return float(state.orgs.capacity[row])

    def knows(self, other: "RegionalOrganization") -> bool:
        return bool(self.model.ties.lookup(np.array([self.index]), np.array([other.index]))[0][0])

    def trust_in(self, other: "RegionalOrganization") -> float | None:
        """Trust in ``other``: in their partnership if they share one, else on the region's record (None: strangers)."""
        partnership, row, state = self._row()
        if partnership is not None and other.partnership == partnership.index:
            other_row = int(np.flatnonzero(partnership.members == other.index)[0])
            return float(state.pairs.trust[row, other_row])
        known, trust = self.model.ties.lookup(np.array([self.index]), np.array([other.index]))
        return float(trust[0]) if known[0] else None
