"""Imported once by the process pool's forkserver, so that every worker it forks starts with the model and
its compiled kernels already loaded (instead of each worker loading numba and the kernels again)."""

import sim.experiments.execute  # noqa: F401  (the model, through sim.run)
from sim.run import warm_up

try:
    warm_up()  # loads the cached kernels (compiling them on a machine's first run)
except Exception:  # noqa: BLE001  a worker that meets the same problem reports it with its run
    pass
