"""Parameter sweeps: a study spec (``experiments/*.toml``) -> a design of runs -> ``results/NAME/``.

``load_spec`` reads and validates a spec (bad input raises
:class:`sim.errors.ScenarioError`, one line); ``run_sweep`` runs every
(design point, replicate) on a process pool or a Dask cluster, streaming rows
to ``DIR/parts/`` and ending with ``runs.parquet``, optional
``timeseries.parquet`` and ``manifest.json`` (format: experiments/README.md). One process writes a
results directory at a time (its lock), damaged files are quarantined and re-run on ``--resume``. A spec with
``[scales]`` is a two-scale study (``ScaledSpec``): ``run_scaled_sweep`` runs one sweep per scale
(:mod:`sim.experiments.scales`).
"""

from sim.experiments.design import Design, build_design
from sim.experiments.execute import SweepAborted, SweepInterrupted, run_sweep
from sim.experiments.scales import run_scaled_sweep
from sim.experiments.spec import Knob, ScaledSpec, Spec, load_spec
from sim.experiments.store import StudyError

__all__ = ["Design", "Knob", "ScaledSpec", "Spec", "StudyError", "SweepAborted", "SweepInterrupted", "build_design",
           "load_spec", "run_scaled_sweep", "run_sweep"]
