"""partnersim: an agent-based model of how partnerships between community organizations grow, reach scale or collapse."""

import importlib
import importlib.util

try:
    from sim.errors import ScenarioError
    from sim.model import PartnershipModel
    from sim.params import Params
    from sim.region.model import EcosystemModel
    from sim.run import RunResult, run
    from sim.scenarios import load_scenario, scenario_names
except KeyboardInterrupt:  # Ctrl-C in the second it takes to import the model: the command line says one line
    from sim.interrupts import stopped_while_starting

    stopped_while_starting()
    raise

__all__ = ["EcosystemModel", "Params", "PartnershipModel", "RunResult", "ScenarioError", "load_scenario", "run",
           "scenario_names"]
__version__ = "0.1.0"  # the one place the version is written (pyproject.toml reads it; CITATION.cff is tested against it)


def __getattr__(name: str):
    """``sim.output``, ``sim.seeds``, ``sim.experiments``, ...: a submodule is imported when first used, so that
    ``import sim`` stays quick (``sim.output`` brings matplotlib) and still gives every module by its name."""
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
