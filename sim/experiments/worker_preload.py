"""Imported once by the process pool's forkserver, so that every worker it forks starts with the model and
its compiled kernels already loaded (instead of each worker loading numba and the kernels again).

The forkserver leaves Ctrl-C to the sweep (a terminal sends it to every process of the job; without this,
one pressed while the imports below run prints the forkserver's traceback), and dies with the sweep, so that
a sweep killed outright leaves no forkserver behind (its workers follow it: see sim.lifeline)."""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)

from sim import lifeline  # noqa: E402

lifeline.die_with_parent()

import sim.experiments.execute  # noqa: E402,F401  (the model, through sim.run)
from sim.run import warm_up  # noqa: E402

try:
    warm_up()  # loads the cached kernels (compiling them on a machine's first run)
except Exception:  # noqa: BLE001  a worker that meets the same problem reports it with its run
    pass
