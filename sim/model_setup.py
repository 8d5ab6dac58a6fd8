"""What a model is built from, however Mesa's ways give it: parameters, the seed and the run's label.

Both models (:class:`sim.model.PartnershipModel`, :class:`sim.region.model.EcosystemModel`) take a
:class:`sim.params.Params` or keyword parameters on top of their base scenario, a Mesa ``Scenario`` whose
attributes are keyword parameters, and ``rng`` as Mesa does (None: fresh entropy).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mesa.experimental.scenarios import Scenario

from sim.errors import ScenarioError
from sim.keywords import with_keywords
from sim.params import Params
from sim.scenarios import load_scenario
from sim.seeds import model_seed

# What a Mesa Scenario holds besides parameters.
SCENARIO_BOOKKEEPING = ("rng", "model", "_scenario_id")


def settle(cls: type, params: Params | None, rng: Any, scenario: Any, scenario_name: str | None,
           parameters: Mapping[str, Any]) -> tuple[Params, int, str]:
    """The validated parameters (their seed the one used), the seed and the label of a ``cls`` being built."""
    source = cls.__name__
    if scenario is not None:
        if not isinstance(scenario, Scenario):
            raise ScenarioError(source, "scenario", f"expected a Mesa Scenario, got {scenario!r}",
                                "a mesa.experimental.scenarios.Scenario (the run's label is scenario_name=)")
        given = {k: v for k, v in scenario.to_dict().items() if k not in SCENARIO_BOOKKEEPING}
        parameters = {**given, **parameters}
        rng = scenario.rng if rng is None else rng
    if params is None:
        base, label = load_scenario(cls.base_scenario), cls.base_scenario
    elif isinstance(params, Params):
        base, label = params, "custom"
    else:
        raise ScenarioError(source, "params", f"expected sim.Params, got {type(params).__name__}",
                            "sim.Params (e.g. sim.load_scenario(NAME)), or keyword parameters")
    params = with_keywords(base, parameters, source)
    seed = model_seed(rng, source, "rng")
    if seed != params.seed:
        params = dataclasses.replace(params, seed=seed)
    return params, seed, scenario_name or label
