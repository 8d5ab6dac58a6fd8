"""Everything a data set names, read and checked once: :class:`StartingData`, and the parameters it sets.

Reading is cached on the files' sizes and modification times, so that validating a sweep (which builds the
scenario's parameters once per knob value) reads a large roster once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim.inputdata.codebook import DataSpec
from sim.inputdata.continuation import Continuation, read_continuation
from sim.inputdata.factors import FactorScores, read_factors
from sim.inputdata.roster import Roster, read_roster, read_sector_map
from sim.inputdata.survey import Relationships, read_relationships
from sim.errors import ScenarioError
from sim.params import Ecosystem, Membership, Organizations, Params

PARTNERSHIP_SIZE_KEY = "organizations.count"
REGION_SIZE_KEY = "ecosystem.organizations"
POOL_KEY = "membership.pool"


def _bounds(cls, name: str) -> tuple[int, int]:
    meta = cls.__dataclass_fields__[name].metadata
    return meta["low"], meta["high"]


@dataclass(frozen=True)
class StartingData:
    """A data set, read and checked: the roster, and where given the survey, the factor scores and an export's
    extra file. Immutable by convention: builders copy what they change."""

    spec: DataSpec
    roster: Roster
    relationships: Relationships | None
    factors: FactorScores | None
    continuation: Continuation | None
    digest: str   # sha256 of the files' bytes, in the order of the spec's keys: which data a result came from

    def describe(self) -> dict:
        """The data set for a manifest: its files and their digest."""
        return {"source": self.spec.source, "files": {key: str(path) for key, path in self.spec.files().items()},
                "seed": self.spec.seed, "sha256": self.digest}


def load(spec: DataSpec) -> StartingData:
    """Read and check every file of ``spec`` (one :class:`ScenarioError` line for the first mistake)."""
    stamps = tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in spec.files().values())
    return _load(spec, stamps)


@lru_cache(maxsize=4)
def _load(spec: DataSpec, stamps: tuple) -> StartingData:
    sector_map = read_sector_map(spec.sectors) if spec.sectors is not None else None
    roster = read_roster(spec.organizations, sector_map, str(spec.sectors) if spec.sectors is not None else "")
    relationships = (read_relationships(spec.relationships, roster.index(), spec, roster.source)
                     if spec.relationships is not None else None)
    factors = read_factors(spec.factors) if spec.factors is not None else None
    continuation = read_continuation(spec.state, roster) if spec.state is not None else None
    digest = hashlib.sha256()
    for key, path in spec.files().items():
        digest.update(key.encode("ascii") + b"\0" + path.read_bytes())
    return StartingData(spec=spec, roster=roster, relationships=relationships, factors=factors,
                        continuation=continuation, digest=digest.hexdigest())


def data_parameters(data: StartingData, scenario: Params) -> dict:
    """The parameters the data set (dotted key -> value): its size (``organizations.count``, the roster's members,
    and ``membership.pool``, its candidates, when the roster has a ``member`` column, for a partnership;
    ``ecosystem.organizations`` for a region) and those its factor scores map onto."""
    roster = data.roster
    count = roster.count
    if scenario.ecosystem.organizations:
        if roster.members < count:
            index = int(np.argmin(roster.member))
            raise ScenarioError(roster.source, f"row {int(roster.rows[index])}, column member",
                                f"{roster.ids[index]!r} is a candidate (no) in a region's roster",
                                "yes or blank: every organization of a region's roster is in the region "
                                "(candidates belong to one partnership's roster)")
        low, high = max(scenario.organizations.count, 1), _bounds(Ecosystem, "organizations")[1]
        if not low <= count <= high:
            raise ScenarioError(roster.source, "", f"{count} organization{'s' if count != 1 else ''}",
                                f"from organizations.count ({low}) to {high} for a region")
        derived = {REGION_SIZE_KEY: count}
    else:
        low, high = _bounds(Organizations, "count")
        members = roster.members
        if not low <= members <= high:
            what = f"{members} member{'s' if members != 1 else ''}" + (
                f" (and {count - members} candidate{'s' if count - members != 1 else ''})" if members < count else "")
            raise ScenarioError(roster.source, "", what if roster.lists_candidates else
                                f"{count} organization{'s' if count != 1 else ''}",
                                f"{low} to {high} members for one partnership (a region scenario takes more)")
        derived = {PARTNERSHIP_SIZE_KEY: members}
        if roster.lists_candidates:
            pool_high = _bounds(Membership, "pool")[1]
            if count - members > pool_high:
                raise ScenarioError(roster.source, "column member", f"{count - members} candidates",
                                    f"at most {pool_high} (membership.pool)")
            derived[POOL_KEY] = count - members
    if data.factors is not None:
        derived.update(data.factors.parameters(scenario))
    return derived


def size_keys(scenario: Params, data: StartingData) -> tuple[str, ...]:
    """The parameters the roster sets in ``scenario`` (no override may change them)."""
    if scenario.ecosystem.organizations:
        return (REGION_SIZE_KEY,)
    return (PARTNERSHIP_SIZE_KEY, POOL_KEY) if data.roster.lists_candidates else (PARTNERSHIP_SIZE_KEY,)
