"""Imported once by the process pool's forkserver, so that every worker it forks starts with the model and
its compiled kernels already loaded (instead of each worker importing numba and loading the kernels again)."""

import sim.experiments.execute  # noqa: F401  (the model, through sim.run)
from sim.step import numba_problem

numba_problem()  # loads numba and the cached kernels, or records why it cannot; never raises
