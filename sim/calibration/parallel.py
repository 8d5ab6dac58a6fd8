"""Where the calibration, robustness and screening commands run their simulations: in this process, on a local
process pool, or on a Dask cluster. Results come back in the order of the jobs, so what is computed from them
does not depend on where or in which order they ran.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
from typing import Callable, Iterable

from sim.errors import ScenarioError


class Evaluator:
    """``map(fn, jobs)`` in order. ``workers=1`` runs in this process; ``scheduler`` is a Dask scheduler's address.
    Use as a context manager: the pool or the client is closed on leaving."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None):
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise ScenarioError("--workers", "", f"{workers!r} is out of range", "an integer from 1")
        self.scheduler = scheduler
        self.client = None
        self.pool: cf.ProcessPoolExecutor | None = None
        if scheduler:
            self.workers = workers or 0
        else:
            self.workers = workers or os.cpu_count() or 1

    def __enter__(self) -> "Evaluator":
        if self.scheduler:
            from distributed import Client

            try:
                self.client = Client(self.scheduler)
            except (OSError, TimeoutError, ValueError) as error:
                raise ScenarioError("--scheduler", "", f"cannot connect to {self.scheduler} ({type(error).__name__}: {error})",
                                    "the address of a running Dask scheduler, e.g. tcp://HOST:8786") from None
            self.workers = self.workers or max(1, sum(self.client.nthreads().values()))
        elif self.workers > 1:
            from sim.experiments import execute

            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            context = multiprocessing.get_context(method)
            if method == "forkserver":
                context.set_forkserver_preload(execute.WORKER_PRELOAD)
            self.pool = cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                               initializer=execute._worker_setup, initargs=(os.getpid(),))
        return self

    @property
    def where(self) -> str:
        if self.scheduler:
            return f"the Dask cluster at {self.scheduler}"
        return "this process" if self.workers == 1 else f"{self.workers} local processes"

    def map(self, fn: Callable, jobs: Iterable) -> list:
        jobs = list(jobs)
        if self.client is not None:
            futures = self.client.map(fn, jobs, pure=False)
            return self.client.gather(futures)
        if self.pool is not None:
            return list(self.pool.map(fn, jobs, chunksize=1))
        return [fn(job) for job in jobs]

    def __exit__(self, kind, error, trace) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=error is None, cancel_futures=error is not None)
            self.pool = None
        if self.client is not None:
            self.client.close()
            self.client = None
        logging.getLogger("distributed").setLevel(logging.ERROR)
