"""Organization: a Mesa agent that is a thin handle on the model's arrays.

All state lives in :attr:`PartnershipModel.state`; an Organization holds only
its index, so Mesa's AgentSet, selection and visualization work on agents while
the step stays vectorized.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.params import LEVELS, SECTORS


class _Handle(mesa.Agent):
    """An organization's index into arrays the model owns, and the attributes that never change."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def _orgs(self):
        raise NotImplementedError

    @property
    def sector(self) -> str:
        return SECTORS[int(self._orgs.sector[self.index])]

    @property
    def is_community(self) -> bool:
        return bool(self._orgs.community[self.index])

    @property
    def budget(self) -> float:
        return float(self._orgs.budget[self.index])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.index}, {self.sector})"


class Organization(_Handle):
    """A member of one partnership (:class:`sim.model.PartnershipModel`)."""

    @property
    def _orgs(self):
        return self.model.state.orgs

    @property
    def capacity(self) -> float:
        return float(self._orgs.capacity[self.index])

    @property
    def turf_guarding(self) -> float:
        return float(self._orgs.guarding[self.index])

    @property
    def active(self) -> bool:
        return bool(self._orgs.active[self.index])

    @property
    def satisfaction(self) -> float:
        return float(self._orgs.satisfaction[self.index])

    def trust_in(self, other: "Organization") -> float:
        return float(self.model.state.pairs.trust[self.index, other.index])

    def level_with(self, other: "Organization") -> str | None:
        level = int(self.model.state.pairs.level[self.index, other.index])
        return LEVELS[level] if level >= 0 else None



class RegionalOrganization(_Handle):
    """An organization of a region (:class:`sim.ecosystem.EcosystemModel`): a thin handle on the region's arrays.

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
