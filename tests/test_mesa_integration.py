"""Organizations are Mesa agents: AgentSet, DataCollector and selection work on the thin handles."""

from __future__ import annotations

import mesa
import numpy as np

import sim
from sim.model import PartnershipModel


def test_datacollector_reads_agents_and_model():
    params = sim.load_scenario("baseline", {"steps": 24})
    model = PartnershipModel(params, rng=params.seed)
    collector = mesa.DataCollector(
        model_reporters={"active": lambda m: int(m.state.orgs.active.sum())},
        agent_reporters={"capacity": "capacity", "sector": "sector", "active": "active"},
    )
    while model.running:
        model.step()
        collector.collect(model)
    agents = collector.get_agent_vars_dataframe()
    assert len(agents) == 24 * (params.organizations.count + params.membership.pool)  # members and candidates
    last = agents.xs(24, level="Step")
    np.testing.assert_allclose(last["capacity"].to_numpy(), model.state.orgs.capacity)
    assert collector.get_model_vars_dataframe()["active"].iloc[-1] == model.state.orgs.active.sum()


def test_agentset_groups_by_sector():
    model = PartnershipModel(sim.load_scenario("baseline"), rng=1)
    by_sector = model.agents.groupby("sector")
    counts = {sector: len(group) for sector, group in by_sector}
    assert sum(counts.values()) == model.params.organizations.count + model.params.membership.pool
    assert counts == {s: int(np.sum([a.sector == s for a in model.agents])) for s in counts}
