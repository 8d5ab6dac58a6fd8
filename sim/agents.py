"""Organization: a Mesa agent that is a thin handle on the model's arrays.

All state lives in :attr:`PartnershipModel.state`; an Organization holds only
its index, so Mesa's AgentSet, selection and visualization work on agents while
the step stays vectorized.
"""

from __future__ import annotations

import mesa

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

    @property
    def dollars_received(self) -> float:
        """Grant dollars it has received so far."""
        return float(self._orgs.received[self.index])

    def trust_in(self, other: "Organization") -> float:
        return float(self.model.state.pairs.trust[self.index, other.index])

    def level_with(self, other: "Organization") -> str | None:
        level = int(self.model.state.pairs.level[self.index, other.index])
        return LEVELS[level] if level >= 0 else None
