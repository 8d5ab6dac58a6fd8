"""Preloaded into a sweep's forkserver by tests/test_faults.py (see ``FAULTY`` there), so that every pool
worker runs its runs through :func:`run_one` below:

- ``PARTNERSIM_TEST_KILL_SEED``: the run with this seed kills its own worker with SIGKILL, as the
  out-of-memory killer would;
- ``PARTNERSIM_TEST_GATE``: every run waits until this file exists, so that a test can act while the
  sweep is certainly still running;
- ``PARTNERSIM_TEST_BAD_INPUT``: a chunk raises :class:`sim.errors.ScenarioError` outside any run (as bad input met
  by a worker would), so that it crosses back to the sweep pickled.
"""

import os
import signal
import time

import sim.experiments.execute as execute
from sim.errors import ScenarioError

KILL_SEED = int(os.environ.get("PARTNERSIM_TEST_KILL_SEED", "-1"))
GATE = os.environ.get("PARTNERSIM_TEST_GATE")
BAD_INPUT = os.environ.get("PARTNERSIM_TEST_BAD_INPUT")
_real_run_one = execute.run_one
_real_run_chunk = execute.run_chunk


def run_one(base, seed, overrides):
    while GATE and not os.path.exists(GATE):
        time.sleep(0.01)
    if seed == KILL_SEED:
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_run_one(base, seed, overrides)


def run_chunk(task):
    if BAD_INPUT:
        raise ScenarioError("worker.toml", "funding.grant_months", "-3 is out of range", "an integer from 0 to 600")
    return _real_run_chunk(task)


execute.run_one = run_one
execute.run_chunk = run_chunk
