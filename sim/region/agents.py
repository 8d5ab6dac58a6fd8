"""RegionalOrganization: a Mesa agent of a region, a thin handle on the region's arrays."""

from __future__ import annotations

import numpy as np

from sim.agents import _Handle


class RegionalOrganization(_Handle):
    """An organization of a region (:class:`sim.region.model.EcosystemModel`): a thin handle on the region's arrays.

    While it belongs to partnerships, its capacity and trust in fellow members live in each partnership's state
    (its capacity is read from the first); the region's arrays hold them again when it leaves (the capacity of the
    partnership it left last).
    """

    @property
    def _orgs(self):
        return self.model.orgs

    def _rows(self) -> np.ndarray:
        """Its rows in the table of live partnerships where it is a member now, in the order they formed."""
        model = self.model
        rows = np.flatnonzero(model.row_org == self.index)
        active = model.table.orgs.active[rows]
        live = model.table.end_step[model.row_partnership[rows]] < 0
        return rows[active & live]

    @property
    def partnerships(self) -> list[int]:
        """Indices of the partnerships it is a member of now (up to ``ecosystem.max_partnerships``)."""
        return [int(k) for k in self.model.row_partnership[self._rows()]]

    @property
    def partnership(self) -> int | None:
        """Index of the first partnership it is a member of now, or None."""
        indices = self.partnerships
        return indices[0] if indices else None

    def _row(self):
        """(its first partnership, its row there, that partnership's state as views of the model's table) or Nones."""
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
        """Trust in ``other``: in their first partnership if they share one, else on the region's record (None:
        strangers)."""
        partnership, row, state = self._row()
        if partnership is not None and partnership.index in other.partnerships:
            other_row = int(np.flatnonzero(partnership.members == other.index)[0])
            return float(state.pairs.trust[row, other_row])
        known, trust = self.model.ties.lookup(np.array([self.index]), np.array([other.index]))
        return float(trust[0]) if known[0] else None
