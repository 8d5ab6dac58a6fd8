"""partnersim: an agent-based model of how partnerships between community organizations grow, reach scale or collapse."""

from sim.errors import ScenarioError
from sim.params import Params
from sim.run import RunResult, run
from sim.scenarios import load_scenario, scenario_names

__all__ = ["Params", "RunResult", "ScenarioError", "load_scenario", "run", "scenario_names"]
__version__ = "0.1.0"
