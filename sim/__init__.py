"""partnersim: an agent-based model of how partnerships between community organizations grow, reach scale or collapse."""

try:
    from sim.errors import ScenarioError
    from sim.params import Params
    from sim.run import RunResult, run
    from sim.scenarios import load_scenario, scenario_names
except KeyboardInterrupt:  # Ctrl-C in the second it takes to import the model: the command line says one line
    from sim.interrupts import stopped_while_starting

    stopped_while_starting()
    raise

__all__ = ["Params", "RunResult", "ScenarioError", "load_scenario", "run", "scenario_names"]
__version__ = "0.1.0"
